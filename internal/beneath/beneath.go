// Package beneath opens files and folders beneath a root folder so that no
// path component can lead out of it, however the tree changes meanwhile:
// a parent folder swapped for a symlink is refused, never followed. fim
// and scan both walk trees an attacker may be able to write.
//
// On Linux each open is one openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
// relative to the root's descriptor, as cheap as a plain open; where the
// kernel lacks openat2 (before 5.6, or a seccomp filter refuses it) and on
// other systems, an os.Root does the same with one openat per component.
// With openat2 no symlink is followed anywhere beneath the root, not even
// one that stays inside it: callers record links, they do not traverse
// them. The os.Root fallback keeps every open inside the root too, but it
// follows a symlink whose target stays inside (os.Root's rule), so there a
// file swapped for such a link between listing and open is read through it.
package beneath

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// ErrEscapes is returned (wrapped) when a path's parent folder is a
// symlink, which in a walked tree means it was swapped for one.
var ErrEscapes = errors.New("a parent folder was replaced by a symlink during the walk (not followed)")

func relOrDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// OpenDir opens the folder rel for listing.
func (d *Dir) OpenDir(rel string) (*os.File, error) {
	return d.OpenFile(rel, os.O_RDONLY|oDirectory)
}

// FS returns d as an fs.FS for fs.WalkDir: ReadDir lists a folder opened
// beneath the root, and no symlink is followed.
func (d *Dir) FS() fs.FS { return dirFS{d} }

type dirFS struct{ d *Dir }

var (
	_ fs.ReadDirFS = dirFS{}
	_ fs.StatFS    = dirFS{}
)

func (f dirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return f.d.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK)
}

func (f dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	dir, err := f.d.OpenDir(name)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	ents, err := dir.ReadDir(-1)
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}

// Stat does not follow a final symlink either.
func (f dirFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	return f.d.Lstat(name)
}
