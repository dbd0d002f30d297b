package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestScanPathsSurvivesAFileTruncatedDuringTheScan truncates a file larger
// than the in-memory limit a moment after its scan has started, as an
// attacker who can write the web root would. Before the fix the mapped
// pages past the new end raised SIGBUS and killed the process.
func TestScanPathsSurvivesAFileTruncatedDuringTheScan(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "bundle.js")
	const size = inMemoryLimit + 48<<20
	// Not sparse and not zeros: the prefilter must read every page, which
	// takes far longer than the delay before the truncation.
	writeFile(t, p, bytes.Repeat([]byte("var a=1;\n"), size/9))
	var wg sync.WaitGroup
	defer wg.Wait()
	truncateSoon := func() {
		wg.Go(func() {
			time.Sleep(2 * time.Millisecond)
			if err := os.Truncate(p, 4096); err != nil {
				t.Error(err)
			}
		})
	}
	s, err := newScanner(Options{Workers: 1}, swappingEngine{defaultEngine(), "bundle.js", truncateSoon})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanPaths(context.Background(), []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || !hasReason(rep, "bundle.js changed while it was being scanned") {
		t.Errorf("complete=%v reasons=%q, want bundle.js reported as changed during the scan", rep.Complete, rep.Incomplete)
	}
}

// swappingEngine runs a change to the tree when the scan of one file
// starts, standing in for an attacker racing the scanner.
type swappingEngine struct {
	inner   engine
	trigger string // base name of the file whose scan starts the change
	change  func()
}

func (e swappingEngine) compile(src []ruleSource, o compileOptions) (ruleSet, error) {
	rs, err := e.inner.compile(src, o)
	return &swappingSet{ruleSet: rs, e: e}, err
}

type swappingSet struct {
	ruleSet
	e    swappingEngine
	once sync.Once
}

func (s *swappingSet) scanBytes(ctx context.Context, data []byte, o matchOptions) ([]Match, error) {
	if bytes.Contains(data, []byte(s.e.trigger)) {
		s.once.Do(s.e.change)
	}
	return s.ruleSet.scanBytes(ctx, data, o)
}

func (s *swappingSet) scanFile(ctx context.Context, f *os.File, o matchOptions) ([]Match, error) {
	if strings.HasSuffix(f.Name(), s.e.trigger) {
		s.once.Do(s.e.change)
	}
	return s.ruleSet.scanFile(ctx, f, o)
}

// TestScanPathsDoesNotLeaveTheRootThroughASwappedParent swaps a folder for
// a link to a folder outside the root after the walk has seen it as a
// folder. O_NOFOLLOW guards only the last path component: before the fix
// the scanner followed the swapped parent and scanned the outside file.
func TestScanPathsDoesNotLeaveTheRootThroughASwappedParent(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "www")
	outside := filepath.Join(base, "secret")
	// a.js is scanned first (one worker, lexical order) and starts the swap.
	writeFile(t, filepath.Join(root, "a.js"), []byte("// trigger-parent-swap\n"))
	writeFile(t, filepath.Join(root, "sub", "x.php"), []byte("<?php echo 'fine';\n"))
	writeFile(t, filepath.Join(outside, "x.php"), readSample(t, "php_request_command_exec", "positive.php"))
	swap := func() {
		if err := os.Rename(filepath.Join(root, "sub"), filepath.Join(base, "sub-moved")); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(outside, filepath.Join(root, "sub")); err != nil {
			t.Error(err)
		}
	}
	s, err := newScanner(Options{Workers: 1}, swappingEngine{defaultEngine(), "trigger-parent-swap", swap})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanPaths(context.Background(), []string{root})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Kind == KindMatch {
			t.Errorf("the scanner read a file outside the root: %s %s", f.Path, f.Rule)
		}
	}
	if rep.Complete || !hasReason(rep, filepath.Join(root, "sub")) {
		t.Errorf("complete=%v reasons=%q, want the swapped folder named as not scanned", rep.Complete, rep.Incomplete)
	}
}

// TestScanPathsDoesNotBlockOnAFIFOSwappedIn replaces a large file with a
// FIFO once the scanner has opened it. Before the fix the engine reopened
// large files by name without O_NONBLOCK, and blocked forever on the FIFO.
func TestScanPathsDoesNotBlockOnAFIFOSwappedIn(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "big.js")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(inMemoryLimit + 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	swap := func() {
		if err := os.Remove(p); err != nil {
			t.Error(err)
		}
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Error(err)
		}
	}
	s, err := newScanner(Options{Workers: 1}, swappingEngine{defaultEngine(), "big.js", swap})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := s.ScanPaths(ctx, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the scan blocked on the FIFO until the test's deadline")
	}
	if rep.Complete || !hasReason(rep, "big.js changed while it was being scanned") {
		t.Errorf("complete=%v reasons=%q, want big.js reported as changed", rep.Complete, rep.Incomplete)
	}
}

// TestScanFilesUnderRefusesAParentSwappedSinceTheFilesWereNamed: fim verify
// --scan names changed files by path; a parent swapped for a link between
// verify and the scan must not lead the scanner outside the web root.
func TestScanFilesUnderRefusesAParentSwappedSinceTheFilesWereNamed(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "www"), filepath.Join(base, "secret")
	writeFile(t, filepath.Join(root, "sub", "x.php"), []byte("<?php echo 'fine';\n"))
	writeFile(t, filepath.Join(root, "shell.php"), readSample(t, "php_request_command_exec", "positive.php"))
	writeFile(t, filepath.Join(outside, "x.php"), readSample(t, "php_request_command_exec", "positive.php"))
	if err := os.Rename(filepath.Join(root, "sub"), filepath.Join(base, "sub-moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "sub")); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanFilesUnder(context.Background(), root, []string{"sub/x.php", "shell.php"})
	if err != nil {
		t.Fatal(err)
	}
	if fs := findingsFor(rep, filepath.Join(root, "sub", "x.php")); len(fs) != 0 {
		t.Errorf("the scanner read the file outside the root: %+v", fs)
	}
	if fs := findingsFor(rep, filepath.Join(root, "shell.php")); len(fs) != 1 || fs[0].Rule != "php_request_command_exec" {
		t.Errorf("shell.php findings %+v, want php_request_command_exec", fs)
	}
	if rep.Complete || !hasReason(rep, filepath.Join(root, "sub", "x.php")+" could not be read") {
		t.Errorf("complete=%v reasons=%q, want sub/x.php named as not read", rep.Complete, rep.Incomplete)
	}
}
