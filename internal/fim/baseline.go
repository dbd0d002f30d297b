// Package fim is skimwatch's file integrity monitor: it records a web root
// (path, size, mode, owner, times, inode and SHA-256 of every file, and
// symlinks as links) into a signed baseline, verifies the tree against it,
// and watches it with inotify so that a planted skimmer is seen the moment it
// lands on disk.
//
// The baseline doubles as a stat cache: an unchanged file (same inode, size,
// mtime and ctime) is not read again on verify. See docs/FIM.md.
package fim

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Options controls Baseline.
type Options struct {
	// Excludes are globs of paths left out (see DefaultExcludes, used when
	// Excludes is nil; pass an empty, non-nil slice to exclude nothing).
	Excludes []string
	// Now is the clock for the header's created time (time.Now when nil).
	Now func() time.Time
	WalkOptions
}

// Baseline records every file and symlink under root. Paths that could not
// be recorded are listed in the manifest's Notes; a caller must treat such a
// baseline as incomplete.
func Baseline(ctx context.Context, root string, opts Options) (*Manifest, error) {
	excludes := opts.Excludes
	if excludes == nil {
		excludes = DefaultExcludes()
	}
	w, err := newWalk(root, excludes, opts.WalkOptions)
	if err != nil {
		return nil, err
	}
	defer w.close()
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	// Wall clock, not opts.Now: this is compared with kernel timestamps.
	racyAfter := time.Now().Add(-racySlack).UnixNano()
	m := &Manifest{Header: Header{Root: w.root, Created: now().UTC(), Excludes: slices.Clone(excludes), RacyAfter: racyAfter}}
	var mu sync.Mutex
	handle := func(j job, buf []byte) {
		e, err := w.inspect(j, nil, true, buf)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			m.Notes = append(m.Notes, Note{Path: j.rel, Reason: noteFor(err)})
			return
		}
		m.Entries = append(m.Entries, e)
	}
	dirFailed := func(rel string, err error) {
		mu.Lock()
		defer mu.Unlock()
		m.Notes = append(m.Notes, Note{Path: cmp.Or(rel, "."), Reason: "folder could not be listed: " + noteFor(err)})
	}
	if err := w.run(ctx, handle, dirFailed); err != nil {
		return nil, err
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(m.Notes, func(a, b Note) int { return cmp.Compare(a.Path, b.Path) })
	return m, nil
}

// OutsideLinks returns the baseline's symlinks that point out of the root.
func (m *Manifest) OutsideLinks() []Entry {
	var out []Entry
	for _, e := range m.Entries {
		if e.Outside {
			out = append(out, e)
		}
	}
	return out
}
