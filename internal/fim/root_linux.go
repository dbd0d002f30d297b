package fim

import (
	"io/fs"
	"os"
	"path"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rootDir is the web root, opened once. Files and folders beneath it are
// opened relative to it with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS):
// one system call, like a plain open, but the kernel refuses any path
// component that is a symlink or leads out of the root, so a parent folder
// swapped for a symlink during the walk cannot take a read outside. Where
// openat2 is missing (Linux before 5.6, or filtered by seccomp), an os.Root
// does the same with one openat per component.
type rootDir struct {
	fd       int
	root     *os.Root
	noOpenat atomic.Bool // openat2 failed with ENOSYS or EPERM once
}

func openRootDir(abs string) (*rootDir, error) {
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		r.Close()
		return nil, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	return &rootDir{fd: fd, root: r}, nil
}

func (d *rootDir) close() {
	unix.Close(d.fd)
	d.root.Close()
}

// beneath is the resolution every open under the root uses.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openat2 opens rel under the root; fallback reports that the caller must
// use the os.Root instead.
func (d *rootDir) openat2(rel string, flags int) (fd int, fallback bool, err error) {
	if d.noOpenat.Load() {
		return -1, true, nil
	}
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW), Resolve: beneath}
	for try := 0; ; try++ {
		fd, err = unix.Openat2(d.fd, relOrDot(rel), &how)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN && try < 16:
			// EAGAIN: a rename raced the lookup; bounded, so that a
			// rename loop cannot hold a worker forever.
			continue
		case err == unix.ENOSYS || err == unix.EPERM && !d.probe():
			d.noOpenat.Store(true)
			return -1, true, nil
		case err == unix.EXDEV:
			err = errEscapes
		}
		if err != nil {
			return -1, false, err
		}
		return fd, false, nil
	}
}

// probe tells a seccomp filter (EPERM for openat2 itself) from a file we
// may not open: openat2 of the root folder itself cannot be refused.
func (d *rootDir) probe() bool {
	fd, err := unix.Openat2(d.fd, ".", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: beneath})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

var errEscapes = &inspectError{"a parent folder was replaced by a symlink during the walk (not followed)"}

// openFile opens a regular file for hashing: O_NOFOLLOW refuses one swapped
// for a symlink, O_NONBLOCK one swapped for a FIFO from hanging (fstat then
// shows it is no regular file).
//
// It returns a bare descriptor rather than an *os.File: os.OpenFile spends
// four more system calls per file (fcntl and a failing epoll registration),
// which for a tree of small PHP files is a fifth of the baseline's time.
func (d *rootDir) openFile(rel string) (File, error) {
	fd, fallback, err := d.openat2(rel, unix.O_RDONLY|unix.O_NONBLOCK)
	if fallback {
		f, err := d.root.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	if err == unix.ELOOP && d.parentRefused(rel) {
		err = errEscapes
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	return &rawFile{fd: fd, name: rel}, nil
}

// parentRefused tells, after ELOOP, a parent folder swapped for a symlink
// from the file itself being one (which the caller records as a symlink).
// It costs a system call only on that error path.
func (d *rootDir) parentRefused(rel string) bool {
	dir := path.Dir(rel)
	if dir == "." {
		return false
	}
	fd, _, err := d.openat2(dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err == unix.ELOOP || err == errEscapes || err == unix.ENOTDIR
	}
	unix.Close(fd)
	return false
}

// openDir opens a folder for listing.
func (d *rootDir) openDir(rel string) (*os.File, error) {
	fd, fallback, err := d.openat2(rel, unix.O_RDONLY|unix.O_DIRECTORY)
	if fallback {
		return d.root.OpenFile(relOrDot(rel), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	return os.NewFile(uintptr(fd), rel), nil
}

// lstat and readlink read only metadata, relative to the root's descriptor
// in one system call each: the stat cache's check of every file during
// verify must stay one call. A parent swapped for a symlink between the
// listing and this call could show an outside file's metadata, which then
// differs from the baseline and sends the file to openFile, which refuses.
func (d *rootDir) lstat(rel string) (fs.FileInfo, error) {
	st := &syscall.Stat_t{}
	for {
		// Both Stat_t types mirror the kernel's struct stat on each
		// architecture; the syscall one is what fillStat and os expect.
		err := unix.Fstatat(d.fd, relOrDot(rel), (*unix.Stat_t)(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: rel, Err: err}
		}
		return &rawInfo{name: path.Base(rel), st: st}, nil
	}
}

func (d *rootDir) readlink(rel string) (string, error) {
	for n := 256; ; n *= 2 {
		buf := make([]byte, n)
		k, err := unix.Readlinkat(d.fd, rel, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: rel, Err: err}
		}
		if k < n {
			return string(buf[:k]), nil
		}
	}
}

func relOrDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}
