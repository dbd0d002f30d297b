package fim

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/skimwatch/skimwatch/internal/beneath"
)

// File is what the hasher needs from an open file; *os.File satisfies it.
type File interface {
	io.ReadCloser
	Stat() (fs.FileInfo, error)
}

// OpenFunc opens a regular file for hashing. Tests inject one to count reads.
type OpenFunc func(name string) (File, error)

// Limits of the walk.
const (
	// MaxWorkers caps WalkOptions.Workers.
	MaxWorkers = 64
	// racySlack covers coarse kernel timestamps (one tick, at most 10ms with
	// HZ=100) when deciding which baseline entries were racily hashed.
	racySlack = 100 * time.Millisecond
	// readBufferSize is each worker's read buffer: large reads keep a
	// multi-gigabyte file streaming at disk speed with constant memory.
	readBufferSize = 256 << 10
	// jobQueue bounds how far the lister runs ahead of the hashers, so a
	// million-file folder costs memory for its listing only.
	jobQueue = 4096
)

// WalkOptions are shared by Baseline, Verify and Watch.
type WalkOptions struct {
	// Workers hash files in parallel; zero means the number of CPUs, at
	// least 2, at most MaxWorkers.
	Workers int
	// Logger gets debug detail; nil discards.
	Logger *slog.Logger
	// Open opens files for hashing, by absolute path; nil opens beneath the
	// root without following any symlink. Tests inject one to count reads.
	Open OpenFunc
	// OnProgress, when set, is called every ProgressInterval (default
	// 250ms) from its own goroutine, and once more at the end with Done set.
	OnProgress       func(Progress)
	ProgressInterval time.Duration

	// beforeInspect is a test hook run in a worker before a path is examined.
	beforeInspect func(rel string)
}

// Progress is a snapshot of a running walk.
type Progress struct {
	Files   int64 // files, symlinks and special files examined
	Bytes   int64 // bytes read and hashed
	Elapsed time.Duration
	Done    bool
}

func (o *WalkOptions) workers() int {
	n := o.Workers
	if n <= 0 {
		n = max(2, runtime.NumCPU())
	}
	return min(n, MaxWorkers)
}

func (o *WalkOptions) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// job is one non-folder directory entry for a worker.
type job struct {
	rel string
	typ fs.FileMode // type bits from the directory listing
}

// walk lists a tree with one goroutine and examines entries with a fixed
// pool of workers. The listing is iterative (an explicit stack), never
// follows a symlink, and opens folders with O_NOFOLLOW, so a symlink loop or
// a very deep tree cannot hang or exhaust the goroutine stack.
type walk struct {
	root string // absolute, symlinks resolved
	// racyAfter: cached entries with a ctime at or after it are re-read.
	racyAfter int64
	opts      WalkOptions
	excl      *excluder
	dir       *beneath.Dir
	// open opens a file by its path under the root.
	open  func(rel string) (File, error)
	files atomic.Int64
	bytes atomic.Int64
	// hashed and cached count regular files read versus trusted from the
	// stat cache.
	hashed atomic.Int64
	cached atomic.Int64
}

func newWalk(root string, excludes []string, opts WalkOptions) (*walk, error) {
	abs, err := resolveRoot(root)
	if err != nil {
		return nil, err
	}
	excl, err := newExcluder(excludes)
	if err != nil {
		return nil, err
	}
	dir, err := beneath.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("web root %q: %w", root, err)
	}
	w := &walk{root: abs, opts: opts, excl: excl, dir: dir}
	w.open = func(rel string) (File, error) { return openBeneath(dir, rel) }
	if opts.Open != nil {
		w.open = func(rel string) (File, error) { return opts.Open(w.abs(rel)) }
	}
	return w, nil
}

// close releases the root's descriptors.
func (w *walk) close() { w.dir.Close() }

// resolveRoot makes root absolute and resolves symlinks in it once, so that
// "outside the root" has one meaning.
func resolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("web root %q: %w", root, err)
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("web root %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("web root %q: %w", root, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("web root %q is not a folder", root)
	}
	return abs, nil
}

func (w *walk) abs(rel string) string {
	if rel == "" {
		return w.root
	}
	return w.root + string(filepath.Separator) + filepath.FromSlash(rel)
}

// run walks the tree. handle is called from worker goroutines with a buffer
// private to that worker; dirFailed is called (from the lister) for a folder
// that could not be listed in full. run returns ctx.Err() when cancelled.
func (w *walk) run(ctx context.Context, handle func(j job, buf []byte), dirFailed func(rel string, err error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	jobs := make(chan job, jobQueue)

	var wg sync.WaitGroup
	for range w.opts.workers() {
		wg.Go(func() {
			buf := make([]byte, readBufferSize)
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				handle(j, buf)
				w.files.Add(1)
			}
		})
	}

	stopProgress := w.progress(start)
	w.list(ctx, jobs, dirFailed)
	close(jobs)
	wg.Wait()
	stopProgress()
	return ctx.Err()
}

func (w *walk) progress(start time.Time) (stop func()) {
	if w.opts.OnProgress == nil {
		return func() {}
	}
	every := w.opts.ProgressInterval
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				w.opts.OnProgress(Progress{Files: w.files.Load(), Bytes: w.bytes.Load(), Elapsed: time.Since(start)})
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		w.opts.OnProgress(Progress{Files: w.files.Load(), Bytes: w.bytes.Load(), Elapsed: time.Since(start), Done: true})
	}
}

func (w *walk) list(ctx context.Context, jobs chan<- job, dirFailed func(rel string, err error)) {
	stack := []string{""}
	for len(stack) > 0 && ctx.Err() == nil {
		dir := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ents, err := w.readDir(dir)
		if err != nil {
			dirFailed(dir, err)
		}
		for _, ent := range ents {
			rel := path.Join(dir, ent.Name())
			t := ent.Type()
			if t.IsDir() {
				if !w.excl.excluded(rel, true) {
					stack = append(stack, rel)
				}
				continue
			}
			if w.excl.excluded(rel, false) {
				continue
			}
			select {
			case jobs <- job{rel: rel, typ: t}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// readDir lists one folder; on error it returns what it could read.
func (w *walk) readDir(rel string) ([]fs.DirEntry, error) {
	f, err := w.dir.OpenDir(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// inspectError says why a path could not be examined; it becomes a Note.
type inspectError struct {
	reason string
}

func (e *inspectError) Error() string { return e.reason }

func noteFor(err error) string {
	var ie *inspectError
	switch {
	case errors.As(err, &ie):
		return ie.reason
	case errors.Is(err, beneath.ErrEscapes):
		return beneath.ErrEscapes.Error()
	case errors.Is(err, fs.ErrNotExist):
		return "vanished during the walk"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

var (
	errChangedWhileReading = &inspectError{"changed while being read (twice)"}
	errBecameFolder        = &inspectError{"changed during the walk: it is now a folder"}
)

// inspect records one path. With a cached baseline entry whose inode, size,
// mtime and ctime match (and full false), the file is not read again.
func (w *walk) inspect(j job, cached *Entry, full bool, buf []byte) (e Entry, err error) {
	if w.opts.beforeInspect != nil {
		w.opts.beforeInspect(j.rel)
	}
	// A regular file with nothing cached goes straight to open+fstat: one
	// syscall fewer per file than lstat first, which matters for small PHP.
	if j.typ.IsRegular() && cached == nil {
		e, err = w.hash(j.rel, buf)
		if !errors.Is(err, syscall.ELOOP) {
			return e, err
		}
		// Swapped for a symlink since the listing: record what is there now.
	}
	e = Entry{Path: j.rel}
	fi, err := w.dir.Lstat(j.rel)
	if err != nil {
		return e, err
	}
	statOK := fillStat(&e, fi)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		e.Type = TypeSymlink
		target, err := w.dir.Readlink(j.rel)
		if err != nil {
			return e, err
		}
		e.Target = target
		e.Outside = w.outside(j.rel, target)
		return e, nil
	case fi.IsDir():
		return e, errBecameFolder
	case !fi.Mode().IsRegular():
		e.Type = TypeOther
		return e, nil
	}
	e.Type = TypeFile
	if cached != nil && !full && statOK && cached.Type == TypeFile && !cached.SHA256.IsZero() && cached.Ctime < w.racyAfter &&
		cached.Inode == e.Inode && cached.Size == e.Size && cached.Mtime == e.Mtime && cached.Ctime == e.Ctime {
		e.SHA256 = cached.SHA256
		w.cached.Add(1)
		return e, nil
	}
	return w.hash(j.rel, buf)
}

// hash reads a regular file and records it from fstat of the open file, so
// that the metadata and the content belong to the same inode. If the file
// changes while being read it is read once more; a second change is an error.
func (w *walk) hash(rel string, buf []byte) (Entry, error) {
	for attempt := 0; ; attempt++ {
		e, changed, err := w.hashOnce(rel, buf)
		if err != nil || !changed {
			return e, err
		}
		if attempt == 1 {
			return e, errChangedWhileReading
		}
	}
}

func (w *walk) hashOnce(rel string, buf []byte) (e Entry, changed bool, err error) {
	e = Entry{Path: rel, Type: TypeFile}
	f, err := w.open(rel)
	if err != nil {
		return e, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return e, false, err
	}
	fillStat(&e, fi)
	switch {
	case fi.IsDir():
		return e, false, errBecameFolder
	case !fi.Mode().IsRegular():
		e.Type = TypeOther
		return e, false, nil
	}
	h := sha256.New()
	var n int64
	// Read until EOF, or until the size fstat gave: the fstat after the read
	// catches a file that grew meanwhile, and stopping there saves a read
	// call per small file.
	for e.Size == 0 || n < e.Size {
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return e, false, fmt.Errorf("read: %w", err)
		}
	}
	w.bytes.Add(n)
	w.hashed.Add(1)
	copy(e.SHA256[:], h.Sum(nil))
	after, err := f.Stat()
	if err != nil {
		return e, false, err
	}
	var e2 Entry
	fillStat(&e2, after)
	if n != e.Size || e2.Size != e.Size || e2.Mtime != e.Mtime || e2.Ctime != e.Ctime {
		return e, true, nil
	}
	return e, false, nil
}

// outside reports whether a symlink at rel with the given target points out
// of the root. The check is lexical: it does not follow the target, so it
// cannot loop; a chain through another symlink is caught at that symlink.
func (w *walk) outside(rel, target string) bool {
	var resolved string
	if filepath.IsAbs(target) {
		resolved = filepath.Clean(target)
	} else {
		resolved = filepath.Join(w.root, filepath.FromSlash(path.Dir(rel)), target)
	}
	return resolved != w.root && !strings.HasPrefix(resolved, w.root+string(filepath.Separator))
}
