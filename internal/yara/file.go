package yara

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// ErrFileChanged is returned (wrapped) when a file shrank while it was being
// scanned: its mapped pages past the new end could no longer be read. The
// result is incomplete, never clean.
var ErrFileChanged = errors.New("yara: the file changed (shrank) while it was being scanned")

// ScanFile opens a file and scans it with ScanOpenFile. Callers that must
// not follow links or block on a FIFO open the file themselves (through an
// os.Root, with O_NONBLOCK) and call ScanOpenFile.
func (r *Rules) ScanFile(ctx context.Context, path string, opts ScanOptions) ([]Match, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	defer f.Close()
	return r.ScanOpenFile(ctx, f, opts)
}

// ScanOpenFile scans an open regular file. On Unix the file is
// memory-mapped, so memory use stays bounded by what the kernel pages in,
// even for multi-gigabyte files. A file truncated during the scan gives an
// error wrapping ErrFileChanged instead of killing the process.
func (r *Rules) ScanOpenFile(ctx context.Context, f *os.File, opts ScanOptions) ([]Match, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", f.Name(), err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("scan %s: not a regular file", f.Name())
	}
	ms, err := r.scanMapped(ctx, f, fi.Size(), opts)
	if err != nil {
		return ms, fmt.Errorf("scan %s: %w", f.Name(), err)
	}
	return ms, nil
}

// scanMapped maps size bytes of f and scans them. Anyone who can write the
// file can truncate it under the mapping, and touching a page past the new
// end raises SIGBUS; SetPanicOnFault turns that fault (on this goroutine,
// which is the only one that touches the mapping) into a panic recovered
// here, so the caller learns the file changed and the process lives on.
func (r *Rules) scanMapped(ctx context.Context, f *os.File, size int64, opts ScanOptions) (ms []Match, err error) {
	data, release, err := mapFile(f, size)
	if err != nil {
		return nil, err
	}
	defer release()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if faultIn(p, data) {
			ms, err = nil, ErrFileChanged
			return
		}
		panic(p)
	}()
	return r.ScanBytes(ctx, data, opts)
}

// faultIn reports whether p is a memory fault at an address inside data:
// only those are the file's doing; anything else is a bug and re-panics.
func faultIn(p any, data []byte) bool {
	re, ok := p.(runtime.Error)
	if !ok || len(data) == 0 {
		return false
	}
	fa, ok := re.(interface{ Addr() uintptr })
	if !ok {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	return fa.Addr() >= start && fa.Addr() < start+uintptr(len(data))
}
