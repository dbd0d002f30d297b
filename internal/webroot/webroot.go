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
	"strings"

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

// ScanChanged runs the signature scanner on the files verify found added
// or modified (regular files only: symlinks are never followed) and merges
// its findings into rep, with paths made relative to the root like fim's
// own. What the scanner could not finish makes rep incomplete.
func ScanChanged(ctx context.Context, rep *finding.Report, workers int, log *slog.Logger) error {
	root := rep.Targets[0]
	dir, err := beneath.Open(root)
	if err != nil {
		return err
	}
	defer dir.Close()
	var paths []string
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Kind != fim.KindAdded && f.Kind != fim.KindModified || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		// Beneath the root: a parent swapped for a link since verify is
		// refused when the scanner opens the file.
		if fi, err := dir.Lstat(f.Path); err == nil && fi.Mode().IsRegular() {
			paths = append(paths, f.Path)
		}
	}
	if rep.Details == nil {
		rep.Details = map[string]any{}
	}
	rep.Details["scanned_files"] = len(paths)
	if len(paths) == 0 {
		return nil
	}
	s, err := scan.New(scan.Options{Workers: workers, Logger: log})
	if err != nil {
		return err
	}
	sr, err := s.ScanFilesUnder(ctx, root, paths)
	if err != nil {
		return err
	}
	for _, f := range sr.Findings {
		if rel, err := filepath.Rel(root, f.Path); err == nil && f.Path != "" && !strings.HasPrefix(rel, "..") {
			f.Path = filepath.ToSlash(rel)
		}
		rep.Findings = append(rep.Findings, f)
	}
	for _, reason := range sr.Incomplete {
		rep.MarkIncomplete("signature scan: " + reason)
	}
	rep.Details["scan"] = sr.Details
	return nil
}
