package fim

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// VerifyOptions controls Verify.
type VerifyOptions struct {
	// Full re-reads every file instead of trusting the stat cache.
	Full bool
	// Version is written into the report.
	Version string
	// Now is the report's clock (time.Now when nil).
	Now func() time.Time
	WalkOptions
}

// Verify compares the tree under root with the baseline m and reports every
// file added, removed or modified (content, type, symlink target, mode,
// owner), and symlinks pointing out of the root. The baseline's exclusion
// globs apply. Paths that could not be checked appear as fim.unverified
// findings and make the report incomplete.
func Verify(ctx context.Context, root string, m *Manifest, opts VerifyOptions) (*finding.Report, error) {
	v, err := newVerifier(root, m, opts.WalkOptions)
	if err != nil {
		return nil, err
	}
	defer v.w.close()
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rep := &finding.Report{
		Tool: "skimwatch", Version: opts.Version, Command: "fim verify",
		Targets: []string{v.w.root}, Started: now().UTC(), Complete: true,
	}
	res, err := v.verify(ctx, opts.Full)
	if err != nil {
		return nil, err
	}
	rep.Findings = res.findings
	for _, n := range res.notes {
		rep.Findings = append(rep.Findings, mk(finding.Low, KindUnverified, n.Path,
			fmt.Sprintf("Could not check %s: %s.", n.Path, n.Reason), map[string]any{"reason": n.Reason}))
	}
	if len(res.notes) > 0 {
		rep.MarkIncomplete(fmt.Sprintf("%d path(s) could not be checked (first: %s: %s)", len(res.notes), res.notes[0].Path, res.notes[0].Reason))
	}
	rep.Finished = now().UTC()
	rep.Details = map[string]any{
		"baseline_root":    m.Header.Root,
		"baseline_created": m.Header.Created,
		"baseline_entries": len(m.Entries),
		"baseline_signed":  m.Signed,
		"excludes":         m.Header.Excludes,
		"files_checked":    v.w.files.Load(),
		"files_hashed":     v.w.hashed.Load(),
		"files_from_cache": v.w.cached.Load(),
		"bytes_hashed":     v.w.bytes.Load(),
		"full":             opts.Full,
	}
	rep.Sort()
	return rep, nil
}

// verifier holds one baseline and one root; Watch keeps one for its
// lifetime, so single paths and full sweeps share a walk configuration.
type verifier struct {
	m *Manifest
	w *walk
}

func newVerifier(root string, m *Manifest, opts WalkOptions) (*verifier, error) {
	if m == nil {
		return nil, fmt.Errorf("no baseline")
	}
	w, err := newWalk(root, m.Header.Excludes, opts)
	if err != nil {
		return nil, err
	}
	w.racyAfter = m.Header.RacyAfter
	return &verifier{m: m, w: w}, nil
}

type verifyResult struct {
	findings []finding.Finding
	notes    []Note
}

func (v *verifier) verify(ctx context.Context, full bool) (*verifyResult, error) {
	m := v.m
	// seen[i] is written by at most one worker (paths are unique), so plain
	// bools are safe without a lock.
	seen := make([]bool, len(m.Entries))
	var unlisted []string // folders whose listing failed: absence proves nothing there
	res := &verifyResult{}
	var mu sync.Mutex
	handle := func(j job, buf []byte) {
		var base *Entry
		if i, ok := v.index(j.rel); ok {
			seen[i] = true
			base = &m.Entries[i]
		}
		cur, err := v.w.inspect(j, base, full, buf)
		var fs []finding.Finding
		if err == nil {
			fs = diff(base, &cur)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.notes = append(res.notes, Note{Path: j.rel, Reason: noteFor(err)})
			return
		}
		res.findings = append(res.findings, fs...)
	}
	dirFailed := func(rel string, err error) {
		mu.Lock()
		defer mu.Unlock()
		unlisted = append(unlisted, rel)
		res.notes = append(res.notes, Note{Path: cmp.Or(rel, "."), Reason: "folder could not be listed: " + noteFor(err)})
	}
	if err := v.w.run(ctx, handle, dirFailed); err != nil {
		return nil, err
	}
	for i := range m.Entries {
		if seen[i] || underAny(m.Entries[i].Path, unlisted) {
			continue
		}
		res.findings = append(res.findings, diff(&m.Entries[i], nil)...)
	}
	slices.SortFunc(res.notes, func(a, b Note) int { return cmp.Compare(a.Path, b.Path) })
	return res, nil
}

func (v *verifier) index(rel string) (int, bool) {
	return slices.BinarySearchFunc(v.m.Entries, rel, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if d == "" || p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}
