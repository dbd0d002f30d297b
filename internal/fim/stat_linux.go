package fim

import (
	"io/fs"
	"os"
	"syscall"
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

// openNoFollow opens a regular file for hashing. O_NOFOLLOW refuses a file
// swapped for a symlink since it was listed (so the hash never covers a file
// outside the root); O_NONBLOCK stops a file swapped for a FIFO from hanging.
func openNoFollow(name string) (File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// openDirNoFollow opens a folder for listing without following a symlink.
func openDirNoFollow(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
}
