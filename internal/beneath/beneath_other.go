//go:build !linux

package beneath

import (
	"io/fs"
	"os"
)

// Dir is a root folder, opened once. It is safe for concurrent use.
type Dir struct{ root *os.Root }

// Open opens the folder abs as a root.
func Open(abs string) (*Dir, error) {
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r}, nil
}

// Close releases the root.
func (d *Dir) Close() error { return d.root.Close() }

// OpenFile opens rel (slash-separated, relative to the root) with flag plus
// O_NOFOLLOW where the system has it.
func (d *Dir) OpenFile(rel string, flag int) (*os.File, error) {
	return d.root.OpenFile(relOrDot(rel), flag|oNoFollow, 0)
}

// Lstat returns rel's metadata without following a final symlink.
func (d *Dir) Lstat(rel string) (fs.FileInfo, error) { return d.root.Lstat(relOrDot(rel)) }

// Readlink returns the target of the symlink rel.
func (d *Dir) Readlink(rel string) (string, error) { return d.root.Readlink(rel) }
