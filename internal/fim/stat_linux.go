package fim

import (
	"io"
	"io/fs"
	"path"
	"syscall"
	"time"
)

// fillStat copies what the stat cache and the diff need from fi into e.
// It reports false when the platform gave no inode or ctime, in which case
// the stat cache is never trusted for this entry.
func fillStat(e *Entry, fi fs.FileInfo) bool {
	e.Mode = fi.Mode()
	e.Size = fi.Size()
	e.Mtime = fi.ModTime().UnixNano()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	e.UID, e.GID = st.Uid, st.Gid
	e.Inode = st.Ino
	e.Ctime = st.Ctim.Nano()
	return true
}

// rawFile is a read-only file descriptor used by one worker at a time.
type rawFile struct {
	fd   int
	name string
}

func (f *rawFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Stat() (fs.FileInfo, error) {
	st := &syscall.Stat_t{}
	for {
		err := syscall.Fstat(f.fd, st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "fstat", Path: f.name, Err: err}
		}
		return &rawInfo{name: path.Base(f.name), st: st}, nil
	}
}

func (f *rawFile) Close() error {
	if f.fd < 0 {
		return fs.ErrClosed
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	return err
}

// rawInfo is fs.FileInfo over a Stat_t, with the mode mapped as os does.
type rawInfo struct {
	name string
	st   *syscall.Stat_t
}

func (i *rawInfo) Name() string       { return i.name }
func (i *rawInfo) Size() int64        { return i.st.Size }
func (i *rawInfo) ModTime() time.Time { return time.Unix(i.st.Mtim.Unix()) }
func (i *rawInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i *rawInfo) Sys() any           { return i.st }

func (i *rawInfo) Mode() fs.FileMode {
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
