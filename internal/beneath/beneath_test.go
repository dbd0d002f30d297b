//go:build unix

package beneath

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// tree makes root/{a.txt, sub/b.txt, link-in -> a.txt, up -> ../outside,
// fifo} and outside/secret.txt, and returns root.
func tree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for p, c := range map[string]string{"root/a.txt": "a", "root/sub/b.txt": "b", "outside/secret.txt": "secret"} {
		full := filepath.Join(base, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(root, "link-in")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(root, "up")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestOpenFileStaysBeneathTheRoot(t *testing.T) {
	cases := []struct {
		name, rel string
		want      string // content, or "" for an error
		escapes   bool   // the error is ErrEscapes
	}{
		{"a file in the root opens", "a.txt", "a", false},
		{"a file in a folder opens", "sub/b.txt", "b", false},
		{"a file through a parent symlink is refused as an escape", "up/secret.txt", "", true},
		{"a final symlink is refused, though it stays inside (os.Root follows it)", "link-in", "", false},
		{"a path with .. out of the root is refused", "../outside/secret.txt", "", false},
		{"an absolute path is refused", "/etc/hostname", "", false},
	}
	for _, fallback := range []bool{false, true} {
		for _, tc := range cases {
			name := tc.name
			if fallback {
				name += " (os.Root fallback)"
			}
			t.Run(name, func(t *testing.T) {
				d, err := Open(tree(t))
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				forceFallback(d, fallback)
				f, err := d.OpenFile(tc.rel, os.O_RDONLY)
				if fallback && tc.rel == "link-in" {
					// os.Root follows a link that stays inside the root.
					tc.want = "a"
				}
				if tc.want == "" {
					if err == nil {
						f.Close()
						t.Fatalf("OpenFile(%q) succeeded, want an error", tc.rel)
					}
					if tc.escapes && !fallback && !errors.Is(err, ErrEscapes) {
						t.Errorf("error %v, want ErrEscapes", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				b, err := io.ReadAll(f)
				if err != nil || string(b) != tc.want {
					t.Errorf("read %q, %v; want %q", b, err, tc.want)
				}
			})
		}
	}
}

func TestOpenFileDoesNotBlockOnAFIFO(t *testing.T) {
	d, err := Open(tree(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	done := make(chan error, 1)
	go func() {
		f, err := d.OpenFile("fifo", os.O_RDONLY|syscall.O_NONBLOCK)
		if err == nil {
			var fi fs.FileInfo
			fi, err = f.Stat()
			if err == nil && fi.Mode()&fs.ModeNamedPipe == 0 {
				err = errors.New("not reported as a named pipe")
			}
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
}

func TestLstatAndReadlinkDoNotFollowTheLastLink(t *testing.T) {
	d, err := Open(tree(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fi, err := d.Lstat("link-in")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("Lstat(link-in) = %v, %v; want a symlink", fi, err)
	}
	if target, err := d.Readlink("link-in"); err != nil || target != "a.txt" {
		t.Errorf("Readlink(link-in) = %q, %v; want a.txt", target, err)
	}
	fi, err = d.Lstat("sub/b.txt")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != 1 {
		t.Errorf("Lstat(sub/b.txt) = %v, %v; want a 1-byte regular file", fi, err)
	}
}

func TestFSWalksWithoutFollowingLinks(t *testing.T) {
	d, err := Open(tree(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got []string
	err = fs.WalkDir(d.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		got = append(got, p)
		return nil
	})
	want := []string{".", "a.txt", "fifo", "link-in", "sub", "sub/b.txt", "up"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("walked %q, %v; want %q", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("walked %q, want %q", got, want)
		}
	}
}
