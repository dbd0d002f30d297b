// Package webroot checks a shop's web root as `skimwatch fim verify` and
// the service's fim job both do: read the baseline (refusing one not signed
// by the given key), verify the tree against it, and run the signature
// scanner on what was added or modified.
package webroot

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/skimwatch/skimwatch/internal/beneath"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/scan"
)

// LoadBaseline reads the baseline at path. With pubFile, a baseline not
// signed by its key is refused: the error from fim.ReadManifest is returned
// as it is (errors.Is fim.ErrUnsigned or fim.ErrBadSignature), so callers
// can say which; errors reading the key or the file say which file.
func LoadBaseline(path, pubFile string) (*fim.Manifest, error) {
	var ro fim.ReadOptions
	if pubFile != "" {
		pub, err := fim.LoadPublicKey(pubFile)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		ro.PublicKey = pub
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	return fim.ReadManifest(bufio.NewReaderSize(f, 1<<20), ro)
}

// ScanChanged runs the signature scanner (the bundled rules, compiled
// now) on the files verify found added or modified; see ScanChangedWith.
func ScanChanged(ctx context.Context, rep *finding.Report, workers int, log *slog.Logger) error {
	return ScanChangedWith(ctx, rep, ScanOptions{Workers: workers, Logger: log})
}

// ScanOptions say how ScanChangedWith scans.
type ScanOptions struct {
	Workers int
	Logger  *slog.Logger
	// RuleFiles are rule files or folders used beside the bundled rules.
	RuleFiles []string
	// Cache, when set, supplies compiled rules kept between runs; else
	// the rules are compiled for this scan.
	Cache *RuleCache
	// Memo, when set, remembers each file's scan by its content hash, so
	// that a file already scanned with the same content and rules is not
	// scanned again (a watch that hands on every change would otherwise
	// rescan every changed file on every change).
	Memo *ScanMemo
}

// ScanChangedWith runs the signature scanner on the files verify found
// added or modified (regular files only: symlinks are never followed) and
// merges its findings into rep, with paths made relative to the root like
// fim's own. What the scanner could not finish makes rep incomplete. The
// report's details say how many files were scanned now ("scanned_files")
// and how many scans were reused from the memo ("reused_scans").
func ScanChangedWith(ctx context.Context, rep *finding.Report, o ScanOptions) error {
	root := rep.Targets[0]
	dir, err := beneath.Open(root)
	if err != nil {
		return err
	}
	defer dir.Close()
	var changed []changedFile
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Kind != fim.KindAdded && f.Kind != fim.KindModified || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		// Beneath the root: a parent swapped for a link since verify is
		// refused when the scanner opens the file.
		if fi, err := dir.Lstat(f.Path); err == nil && fi.Mode().IsRegular() {
			sha, _ := f.Evidence["sha256"].(string)
			changed = append(changed, changedFile{path: f.Path, sha256: sha})
		}
	}
	if rep.Details == nil {
		rep.Details = map[string]any{}
	}
	var s *scan.Scanner
	if len(changed) > 0 {
		so := scan.Options{Workers: o.Workers, Logger: o.Logger, Rules: o.RuleFiles}
		if o.Cache != nil {
			s, err = o.Cache.Scanner(so)
		} else {
			s, err = scan.New(so)
		}
		if err != nil {
			return err
		}
	}
	var (
		paths  []string
		toScan []changedFile
	)
	reused := 0
	for _, c := range changed {
		if fs, ok := o.Memo.lookup(s, c); ok {
			rep.Findings = append(rep.Findings, fs...)
			reused++
			continue
		}
		paths, toScan = append(paths, c.path), append(toScan, c)
	}
	o.Memo.keepOnly(changed)
	rep.Details["scanned_files"] = len(paths)
	rep.Details["reused_scans"] = reused
	if len(paths) == 0 {
		return nil
	}
	sr, err := s.ScanFilesUnder(ctx, root, paths)
	if err != nil {
		return err
	}
	byPath := map[string][]finding.Finding{}
	for _, f := range sr.Findings {
		if rel, err := filepath.Rel(root, f.Path); err == nil && f.Path != "" && !strings.HasPrefix(rel, "..") {
			f.Path = filepath.ToSlash(rel)
		}
		rep.Findings = append(rep.Findings, f)
		byPath[f.Path] = append(byPath[f.Path], f)
	}
	for _, reason := range sr.Incomplete {
		rep.MarkIncomplete("signature scan: " + reason)
	}
	// A scan that could not finish is not remembered: which file it missed
	// is only in its text, and the next run must try them all again.
	if len(sr.Incomplete) == 0 {
		for _, c := range toScan {
			o.Memo.remember(s, c, byPath[c.path])
		}
	}
	rep.Details["scan"] = sr.Details
	return nil
}

type changedFile struct{ path, sha256 string }

// ScanMemo remembers the signature scan of each changed file of one web
// root by its path and content hash, for the scanner that made it. A nil
// memo remembers nothing. It is safe for concurrent use.
type ScanMemo struct {
	mu      sync.Mutex
	scanner *scan.Scanner
	byPath  map[string]memoEntry
}

type memoEntry struct {
	sha256   string
	findings []finding.Finding
}

// NewScanMemo returns an empty memo.
func NewScanMemo() *ScanMemo { return &ScanMemo{byPath: map[string]memoEntry{}} }

// lookup returns the remembered findings of c when its content and the
// rules are those it was scanned with. A file whose hash verify did not
// give is never taken as known.
func (m *ScanMemo) lookup(s *scan.Scanner, c changedFile) ([]finding.Finding, bool) {
	if m == nil || c.sha256 == "" {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.scanner != s {
		// Other rules (edited, or a new cache): every file again.
		m.scanner, m.byPath = s, map[string]memoEntry{}
		return nil, false
	}
	e, ok := m.byPath[c.path]
	if !ok || e.sha256 != c.sha256 {
		return nil, false
	}
	return slices.Clone(e.findings), true
}

func (m *ScanMemo) remember(s *scan.Scanner, c changedFile, fs []finding.Finding) {
	if m == nil || c.sha256 == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.scanner != s {
		m.scanner, m.byPath = s, map[string]memoEntry{}
	}
	m.byPath[c.path] = memoEntry{sha256: c.sha256, findings: slices.Clone(fs)}
}

// keepOnly forgets the files no longer changed, so the memo stays the size
// of what differs from the baseline.
func (m *ScanMemo) keepOnly(changed []changedFile) {
	if m == nil {
		return
	}
	keep := map[string]bool{}
	for _, c := range changed {
		keep[c.path] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for p := range m.byPath {
		if !keep[p] {
			delete(m.byPath, p)
		}
	}
}
