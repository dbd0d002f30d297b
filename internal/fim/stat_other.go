//go:build !linux

package fim

import (
	"io/fs"
	"os"
	"syscall"
)

// Outside Linux the stat cache is off (no ctime); skimwatch's file monitor
// is built for Linux servers.
func fillStat(e *Entry, fi fs.FileInfo) bool {
	e.Mode = fi.Mode()
	e.Size = fi.Size()
	e.Mtime = fi.ModTime().UnixNano()
	return false
}

// rootDir opens beneath the web root through an os.Root, which refuses any
// step out of it.
type rootDir struct{ root *os.Root }

func openRootDir(abs string) (*rootDir, error) {
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &rootDir{root: r}, nil
}

func (d *rootDir) close() { d.root.Close() }

func (d *rootDir) openFile(rel string) (File, error) {
	return d.root.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

func (d *rootDir) openDir(rel string) (*os.File, error) { return d.root.Open(relOrDot(rel)) }

func (d *rootDir) lstat(rel string) (fs.FileInfo, error) { return d.root.Lstat(relOrDot(rel)) }

func (d *rootDir) readlink(rel string) (string, error) { return d.root.Readlink(rel) }

func relOrDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}
