package fim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// WatchOptions controls Watch.
type WatchOptions struct {
	// Sweep is the interval of the full re-verify that catches what inotify
	// cannot (changes while a watch was being added, queue overflow, folders
	// over the watch limit). Default 10 minutes; negative disables it.
	Sweep time.Duration
	// Quiet is how long a path must see no event before it is checked
	// (default 100ms); MaxDelay caps the wait from a path's first event, so
	// a file written continuously is still checked (default 500ms).
	Quiet    time.Duration
	MaxDelay time.Duration
	// Now stamps findings (time.Now when nil).
	Now func() time.Time
	// Current, when set, is called from Watch's goroutine with every
	// deviation the watch knows of: once after the start sweep, then after
	// each change that adds, alters or clears one. A caller that hands the
	// watch's view on as a complete run needs the whole set, because a
	// path that is clean again is never passed to onFinding.
	Current func([]finding.Finding)
	WalkOptions

	// afterSweep is a test hook called after each sweep with its reason.
	afterSweep func(reason string)
}

// Watch watches root for changes against m with inotify, adding new folders
// as they appear, and calls onFinding (from one goroutine, in order) for each
// new deviation: first those found by an initial sweep, then each change as
// it happens. A path's finding is not repeated while it stays the same. Watch
// returns nil when ctx is cancelled.
func Watch(ctx context.Context, root string, m *Manifest, opts WatchOptions, onFinding func(finding.Finding)) error {
	v, err := newVerifier(root, m, opts.WalkOptions)
	if err != nil {
		return err
	}
	defer v.w.close()
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	defer fw.Close()
	ws := &watchState{
		v: v, fw: fw, opts: opts, onFinding: onFinding,
		reported: map[string]string{},
		current:  map[string][]finding.Finding{},
		pending:  map[string]*pendingPath{},
		buf:      make([]byte, readBufferSize),
		log:      opts.logger().With("root", v.w.root),
	}
	if ws.opts.Quiet <= 0 {
		ws.opts.Quiet = 100 * time.Millisecond
	}
	if ws.opts.MaxDelay <= 0 {
		ws.opts.MaxDelay = 500 * time.Millisecond
	}
	if ws.opts.Sweep == 0 {
		ws.opts.Sweep = 10 * time.Minute
	}
	return ws.loop(ctx)
}

type pendingPath struct {
	first, last time.Time
}

type watchState struct {
	v         *verifier
	fw        *fsnotify.Watcher
	opts      WatchOptions
	onFinding func(finding.Finding)
	// reported maps a path to the signature of what was last reported for
	// it, so that sweeps do not repeat unchanged findings.
	reported map[string]string
	// current holds what was last reported for each path, for
	// WatchOptions.Current; changed says it changed since last handed on.
	current map[string][]finding.Finding
	changed bool
	pending map[string]*pendingPath
	buf     []byte
	log     *slog.Logger
}

func (ws *watchState) loop(ctx context.Context) error {
	// Watches first, then the sweep: a change during the sweep is then seen
	// by one or the other.
	ws.addTree("")
	if err := ws.sweep(ctx, "start"); err != nil {
		return ignoreCancel(err)
	}
	// Handed on even when clean: that is news too after a restart.
	ws.changed = true
	ws.handOn()
	var sweepC <-chan time.Time
	if ws.opts.Sweep > 0 {
		t := time.NewTicker(ws.opts.Sweep)
		defer t.Stop()
		sweepC = t.C
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-ws.fw.Events:
			if !ok {
				return errors.New("inotify: event channel closed")
			}
			ws.event(ev)
		case err, ok := <-ws.fw.Errors:
			if !ok {
				return errors.New("inotify: error channel closed")
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				ws.log.Warn("inotify queue overflowed; sweeping the whole tree")
				if err := ws.sweep(ctx, "overflow"); err != nil {
					return ignoreCancel(err)
				}
				continue
			}
			ws.log.Warn("inotify error", "err", err)
		case <-sweepC:
			if err := ws.sweep(ctx, "periodic"); err != nil {
				return ignoreCancel(err)
			}
		case <-timer.C:
			ws.flushDue(time.Now())
		}
		ws.handOn()
		if next, ok := ws.nextDue(); ok {
			timer.Reset(max(time.Until(next), 0))
		}
	}
}

func ignoreCancel(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

func (ws *watchState) rel(name string) (string, bool) {
	r, err := filepath.Rel(ws.v.w.root, name)
	if err != nil || r == "." || strings.HasPrefix(r, "..") {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func (ws *watchState) event(ev fsnotify.Event) {
	rel, ok := ws.rel(ev.Name)
	if !ok {
		return
	}
	ws.log.Debug("inotify", "op", ev.Op.String(), "path", rel)
	if ev.Has(fsnotify.Create) {
		if fi, err := ws.v.w.dir.Lstat(rel); err == nil && fi.IsDir() {
			if ws.v.w.excl.excluded(rel, true) {
				return
			}
			// Files may land in a new folder before its watch exists:
			// check everything the listing finds.
			for _, f := range ws.addTree(rel) {
				ws.schedule(f)
			}
			return
		}
	}
	if ws.v.w.excl.excluded(rel, false) {
		return
	}
	ws.schedule(rel)
}

func (ws *watchState) schedule(rel string) {
	now := time.Now()
	if p, ok := ws.pending[rel]; ok {
		p.last = now
		return
	}
	ws.pending[rel] = &pendingPath{first: now, last: now}
}

func (ws *watchState) due(p *pendingPath) time.Time {
	return minTime(p.last.Add(ws.opts.Quiet), p.first.Add(ws.opts.MaxDelay))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (ws *watchState) nextDue() (time.Time, bool) {
	var next time.Time
	for _, p := range ws.pending {
		if d := ws.due(p); next.IsZero() || d.Before(next) {
			next = d
		}
	}
	return next, !next.IsZero()
}

func (ws *watchState) flushDue(now time.Time) {
	var ready []string
	for rel, p := range ws.pending {
		if !ws.due(p).After(now) {
			ready = append(ready, rel)
		}
	}
	slices.Sort(ready)
	for _, rel := range ready {
		delete(ws.pending, rel)
		covered, fs := ws.checkPath(rel)
		ws.emit(covered, fs)
	}
}

// addTree places watches on rel and every folder beneath it (iteratively,
// never through a symlink, skipping excluded folders) and returns the
// non-folder paths it saw, which a caller checks when the folder is new.
func (ws *watchState) addTree(rel string) []string {
	var files []string
	var failed []string
	stack := []string{rel}
	for len(stack) > 0 {
		dir := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if err := ws.fw.Add(ws.v.w.abs(dir)); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				failed = append(failed, dir)
				ws.log.Warn("cannot watch folder", "path", dir, "err", err)
			}
			continue
		}
		ents, _ := ws.v.w.readDir(dir)
		for _, e := range ents {
			r := path.Join(dir, e.Name())
			if e.IsDir() {
				if !ws.v.w.excl.excluded(r, true) {
					stack = append(stack, r)
				}
			} else if !ws.v.w.excl.excluded(r, false) {
				files = append(files, r)
			}
		}
	}
	if len(failed) > 0 {
		f := mk(finding.Medium, KindWatchLimited, cmpOrDot(failed[0]),
			fmt.Sprintf("Could not watch %d folder(s) with inotify (first: %s); changes there are seen only by the periodic sweep. Raise fs.inotify.max_user_watches.", len(failed), cmpOrDot(failed[0])),
			map[string]any{"folders": len(failed)})
		ws.emit([]string{f.Path}, []finding.Finding{f})
	}
	return files
}

func cmpOrDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// checkPath compares one path (and, when it has gone, every baseline entry
// beneath it) with the baseline. It returns the paths it covered and the
// findings for them.
func (ws *watchState) checkPath(rel string) (covered []string, out []finding.Finding) {
	v := ws.v
	fi, err := v.w.dir.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Gone: the path itself and anything the baseline had beneath it.
		i, _ := v.index(rel)
		for ; i < len(v.m.Entries); i++ {
			e := &v.m.Entries[i]
			if e.Path != rel && !strings.HasPrefix(e.Path, rel+"/") {
				break
			}
			if _, err := v.w.dir.Lstat(e.Path); errors.Is(err, fs.ErrNotExist) {
				covered = append(covered, e.Path)
				out = append(out, diff(e, nil)...)
			}
		}
		if len(covered) == 0 {
			covered = []string{rel} // a new file that came and went
		}
		return covered, out
	case err != nil:
		return []string{rel}, []finding.Finding{ws.unverified(Note{Path: rel, Reason: noteFor(err)})}
	case fi.IsDir():
		// A folder's contents are checked path by path; a baseline file
		// replaced by a folder is gone as a file.
		if i, ok := v.index(rel); ok {
			return []string{rel}, diff(&v.m.Entries[i], nil)
		}
		return []string{rel}, nil
	}
	var base *Entry
	if i, ok := v.index(rel); ok {
		base = &v.m.Entries[i]
	}
	cur, err := v.w.inspect(job{rel: rel, typ: fi.Mode().Type()}, base, false, ws.buf)
	if err != nil {
		return []string{rel}, []finding.Finding{ws.unverified(Note{Path: rel, Reason: noteFor(err)})}
	}
	return []string{rel}, diff(base, &cur)
}

func (ws *watchState) unverified(n Note) finding.Finding {
	return mk(finding.Low, KindUnverified, n.Path, fmt.Sprintf("Could not check %s: %s.", n.Path, n.Reason), map[string]any{"reason": n.Reason})
}

// sweep re-verifies the whole tree (stat cache on) and reports what is new;
// it also re-adds watches, since folders may have appeared unseen.
func (ws *watchState) sweep(ctx context.Context, reason string) error {
	ws.log.Debug("sweep", "reason", reason)
	if reason != "start" {
		ws.addTree("")
	}
	res, err := ws.v.verify(ctx, false)
	if err != nil {
		return err
	}
	fs := res.findings
	for _, n := range res.notes {
		fs = append(fs, ws.unverified(n))
	}
	// Every path reported before and every path found now is covered: a
	// path that is clean again is forgotten, so a later change re-reports.
	covered := make([]string, 0, len(ws.reported)+len(fs))
	for p := range ws.reported {
		covered = append(covered, p)
	}
	for _, f := range fs {
		covered = append(covered, f.Path)
	}
	ws.emit(covered, fs)
	if ws.opts.afterSweep != nil {
		ws.opts.afterSweep(reason)
	}
	return nil
}

// emit reports the findings whose path's signature changed since it was last
// reported, and forgets covered paths that have no findings now.
func (ws *watchState) emit(covered []string, fs []finding.Finding) {
	byPath := map[string][]finding.Finding{}
	for _, f := range fs {
		byPath[f.Path] = append(byPath[f.Path], f)
	}
	for _, p := range covered {
		if _, ok := byPath[p]; !ok {
			delete(ws.reported, p)
			if _, ok := ws.current[p]; ok {
				delete(ws.current, p)
				ws.changed = true
			}
		}
	}
	now := time.Now
	if ws.opts.Now != nil {
		now = ws.opts.Now
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		sig := signature(byPath[p])
		if ws.reported[p] == sig {
			continue
		}
		ws.reported[p] = sig
		kept := make([]finding.Finding, 0, len(byPath[p]))
		for _, f := range byPath[p] {
			f.Time = now().UTC()
			ws.onFinding(f)
			kept = append(kept, f)
		}
		ws.current[p] = kept
		ws.changed = true
	}
}

// handOn passes the whole current set to WatchOptions.Current when it
// changed, in path order.
func (ws *watchState) handOn() {
	if !ws.changed || ws.opts.Current == nil {
		return
	}
	ws.changed = false
	var all []finding.Finding
	for _, p := range slices.Sorted(maps.Keys(ws.current)) {
		all = append(all, ws.current[p]...)
	}
	ws.opts.Current(all)
}

func signature(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprint(&b, f.Kind, f.Severity, f.Evidence, ";")
	}
	return b.String()
}
