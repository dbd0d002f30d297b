//go:build !linux

package fim

import (
	"io/fs"
	"os"
)

// Outside Linux the stat cache is off (no ctime) and symlink races are not
// guarded; skimwatch's file monitor is built for Linux servers.
func fillStat(e *Entry, fi fs.FileInfo) bool {
	e.Mode = fi.Mode()
	e.Size = fi.Size()
	e.Mtime = fi.ModTime().UnixNano()
	return false
}

func openNoFollow(name string) (File, error) { return os.Open(name) }

func openDirNoFollow(name string) (*os.File, error) { return os.Open(name) }
