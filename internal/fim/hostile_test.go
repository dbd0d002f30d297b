package fim

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// swapParentOnce returns a beforeInspect hook that, when the walk reaches
// sub/x.php, swaps the folder sub for a symlink to outside, as an attacker
// racing the walk would: the listing saw a folder, the open finds a link.
func swapParentOnce(t *testing.T, root, outside string) func(rel string) {
	var once sync.Once
	return func(rel string) {
		if rel != "sub/x.php" {
			return
		}
		once.Do(func() {
			if err := os.Rename(filepath.Join(root, "sub"), filepath.Join(filepath.Dir(root), "sub-moved")); err != nil {
				t.Error(err)
			}
			if err := os.Symlink(outside, filepath.Join(root, "sub")); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestWalkDoesNotLeaveTheRootThroughASwappedParent: O_NOFOLLOW guards only
// the last path component, so before the fix the hash of sub/x.php was the
// hash of the file outside the root that the swapped parent led to.
func TestWalkDoesNotLeaveTheRootThroughASwappedParent(t *testing.T) {
	const secret = "<?php // outside the web root"
	outsideSum := sha256.Sum256([]byte(secret))
	setup := func(t *testing.T) (root, outside string) {
		base := t.TempDir()
		root, outside = filepath.Join(base, "www"), filepath.Join(base, "secret")
		writeTree(t, root, map[string]string{"index.php": "<?php", "sub/x.php": "<?php echo 'fine';"})
		writeTree(t, outside, map[string]string{"x.php": secret})
		return root, outside
	}
	const reason = "a parent folder was replaced by a symlink"

	t.Run("baseline notes the path instead of hashing the file outside", func(t *testing.T) {
		root, outside := setup(t)
		m := mustBaseline(t, root, Options{WalkOptions: WalkOptions{Workers: 1, beforeInspect: swapParentOnce(t, root, outside)}})
		for _, e := range m.Entries {
			if e.SHA256 == outsideSum {
				t.Fatalf("the baseline hashed the file outside the root as %s", e.Path)
			}
		}
		if !slices.ContainsFunc(m.Notes, func(n Note) bool { return n.Path == "sub/x.php" && strings.Contains(n.Reason, reason) }) {
			t.Errorf("notes %+v, want sub/x.php noted with %q", m.Notes, reason)
		}
	})
	t.Run("verify reports the path unverified instead of hashing the file outside", func(t *testing.T) {
		root, outside := setup(t)
		settle()
		m := mustBaseline(t, root, Options{})
		r := mustVerify(t, root, m, VerifyOptions{WalkOptions: WalkOptions{Workers: 1, beforeInspect: swapParentOnce(t, root, outside)}})
		var found bool
		for _, f := range r.Findings {
			if f.Path == "sub/x.php" && f.Kind == KindUnverified && strings.Contains(f.Message, reason) {
				found = true
			}
			if f.Path == "sub/x.php" && f.Kind == KindModified {
				t.Errorf("verify compared the file outside the root: %s", f.Message)
			}
		}
		if !found || r.Complete {
			t.Errorf("complete=%v findings %v, want sub/x.php unverified with %q", r.Complete, summary(r), reason)
		}
	})
}

// TestWalkDoesNotBlockOnAFIFOSwappedIn replaces a listed file with a FIFO
// before the worker opens it: the open must not wait for a writer, and the
// path is recorded as a special file.
func TestWalkDoesNotBlockOnAFIFOSwappedIn(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"index.php": "<?php", "pipe.php": "<?php"})
	swap := func(rel string) {
		if rel != "pipe.php" {
			return
		}
		p := filepath.Join(root, rel)
		if err := os.Remove(p); err != nil {
			t.Error(err)
		}
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Error(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan *Manifest, 1)
	go func() {
		m, err := Baseline(ctx, root, Options{WalkOptions: WalkOptions{Workers: 1, beforeInspect: swap}})
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	select {
	case m := <-done:
		if m == nil {
			return
		}
		i := slices.IndexFunc(m.Entries, func(e Entry) bool { return e.Path == "pipe.php" })
		if i < 0 || m.Entries[i].Type != TypeOther {
			t.Errorf("entries %+v, want pipe.php recorded as a special file", m.Entries)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the baseline blocked on a FIFO swapped in for a listed file")
	}
}
