package beneath

import (
	"io/fs"
	"os"
	"path"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dir is a root folder, opened once. It is safe for concurrent use.
type Dir struct {
	fd       int
	root     *os.Root
	noOpenat atomic.Bool // openat2 failed with ENOSYS, or EPERM from a filter
}

// Open opens the folder abs as a root.
func Open(abs string) (*Dir, error) {
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		r.Close()
		return nil, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	return &Dir{fd: fd, root: r}, nil
}

// Close releases the root's descriptors.
func (d *Dir) Close() error {
	err := unix.Close(d.fd)
	if e := d.root.Close(); err == nil {
		err = e
	}
	return err
}

const resolve = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// OpenRaw opens rel (slash-separated, relative to the root) with flag plus
// O_NOFOLLOW|O_CLOEXEC and returns the bare descriptor: callers that open
// thousands of small files skip the fcntl and epoll registration that an
// *os.File costs. A parent that is a symlink gives ErrEscapes.
func (d *Dir) OpenRaw(rel string, flag int) (int, error) {
	fd, fallback, err := d.openat2(rel, flag)
	if fallback {
		f, err := d.root.OpenFile(relOrDot(rel), flag|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return -1, err
		}
		// The descriptor outlives f: dup it, then close f.
		nfd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		f.Close()
		if err != nil {
			return -1, &fs.PathError{Op: "dup", Path: rel, Err: err}
		}
		return nfd, nil
	}
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	return fd, nil
}

// OpenFile opens rel like OpenRaw, as an *os.File.
func (d *Dir) OpenFile(rel string, flag int) (*os.File, error) {
	fd, fallback, err := d.openat2(rel, flag)
	if fallback {
		return d.root.OpenFile(relOrDot(rel), flag|syscall.O_NOFOLLOW, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	return os.NewFile(uintptr(fd), rel), nil
}

func (d *Dir) openat2(rel string, flag int) (fd int, fallback bool, err error) {
	if d.noOpenat.Load() {
		return -1, true, nil
	}
	how := unix.OpenHow{Flags: uint64(flag | unix.O_CLOEXEC | unix.O_NOFOLLOW), Resolve: resolve}
	for try := 0; ; try++ {
		fd, err = unix.Openat2(d.fd, relOrDot(rel), &how)
		switch {
		case err == nil:
			return fd, false, nil
		case err == unix.EINTR || err == unix.EAGAIN && try < 16:
			// EAGAIN: a rename raced the lookup; bounded, so that a
			// rename loop cannot hold a caller forever.
			continue
		case err == unix.ENOSYS || err == unix.EPERM && !d.probe():
			d.noOpenat.Store(true)
			return -1, true, nil
		case err == unix.EXDEV:
			return -1, false, ErrEscapes
		case err == unix.ELOOP && d.parentIsLink(rel):
			return -1, false, ErrEscapes
		}
		return -1, false, err
	}
}

// probe tells a seccomp filter (EPERM for openat2 itself) from a file we
// may not open: openat2 of the root folder itself cannot be refused.
func (d *Dir) probe() bool {
	fd, err := unix.Openat2(d.fd, ".", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: resolve})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// parentIsLink tells, after ELOOP, a parent folder that is a symlink from
// the file itself being one. It costs a call only on that error path.
func (d *Dir) parentIsLink(rel string) bool {
	dir := path.Dir(rel)
	if dir == "." || dir == "/" {
		return false
	}
	fd, err := unix.Openat2(d.fd, dir, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC | unix.O_NOFOLLOW, Resolve: resolve})
	if err != nil {
		return err == unix.ELOOP || err == unix.EXDEV || err == unix.ENOTDIR
	}
	unix.Close(fd)
	return false
}

// Lstat and Readlink read only metadata, relative to the root's descriptor
// in one call each, so that a stat-cache check of every file stays one
// call. A parent swapped for a symlink at that instant could show an
// outside file's metadata, never its content: callers that then read the
// file open it, which refuses.
func (d *Dir) Lstat(rel string) (fs.FileInfo, error) {
	st := &syscall.Stat_t{}
	for {
		// Both Stat_t types mirror the kernel's struct stat on each
		// architecture; the syscall one is what os and callers expect.
		err := unix.Fstatat(d.fd, relOrDot(rel), (*unix.Stat_t)(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: rel, Err: err}
		}
		return FileInfo(path.Base(rel), st), nil
	}
}

// Readlink returns the target of the symlink rel.
func (d *Dir) Readlink(rel string) (string, error) {
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

// FileInfo is fs.FileInfo over a Stat_t, with the mode mapped as os maps
// it; Sys returns st.
func FileInfo(name string, st *syscall.Stat_t) fs.FileInfo {
	return &statInfo{name: name, st: st}
}

type statInfo struct {
	name string
	st   *syscall.Stat_t
}

func (i *statInfo) Name() string       { return i.name }
func (i *statInfo) Size() int64        { return i.st.Size }
func (i *statInfo) ModTime() time.Time { return time.Unix(i.st.Mtim.Unix()) }
func (i *statInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i *statInfo) Sys() any           { return i.st }

func (i *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(i.st.Mode & 0o777)
	switch i.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if i.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if i.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if i.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
