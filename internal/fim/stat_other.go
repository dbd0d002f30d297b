//go:build !linux

package fim

import (
	"io/fs"
	"os"
	"syscall"

	"github.com/skimwatch/skimwatch/internal/beneath"
)

// Outside Linux the stat cache is off (no ctime); skimwatch's file monitor
// is built for Linux servers.
func fillStat(e *Entry, fi fs.FileInfo) bool {
	e.Mode = fi.Mode()
	e.Size = fi.Size()
	e.Mtime = fi.ModTime().UnixNano()
	return false
}

func openBeneath(d *beneath.Dir, rel string) (File, error) {
	return d.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK)
}
