package fim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// eventTimeout is generous: the tests assert that the event arrives, not how
// fast (speed belongs in benchmarks).
const eventTimeout = 30 * time.Second

type watchRun struct {
	findings chan finding.Finding
	sweeps   chan string
	done     chan error
	cancel   context.CancelFunc
}

func startWatch(t *testing.T, dir string, m *Manifest, opts WatchOptions) *watchRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchRun{findings: make(chan finding.Finding, 100), sweeps: make(chan string, 10), done: make(chan error, 1), cancel: cancel}
	opts.afterSweep = func(reason string) { w.sweeps <- reason }
	go func() { w.done <- Watch(ctx, dir, m, opts, func(f finding.Finding) { w.findings <- f }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("Watch returned %v", err)
			}
		case <-time.After(eventTimeout):
			t.Errorf("Watch did not stop after cancel")
		}
	})
	// Watches are in place once the start sweep has run.
	select {
	case r := <-w.sweeps:
		if r != "start" {
			t.Fatalf("first sweep %q", r)
		}
	case err := <-w.done:
		t.Fatalf("Watch ended early: %v", err)
	case <-time.After(eventTimeout):
		t.Fatal("no start sweep")
	}
	return w
}

// expect waits for a finding of kind at path, failing on anything else.
func (w *watchRun) expect(t *testing.T, kind, path string) finding.Finding {
	t.Helper()
	deadline := time.After(eventTimeout)
	for {
		select {
		case f := <-w.findings:
			if f.Kind == kind && f.Path == path {
				if f.Time.IsZero() {
					t.Errorf("finding without time")
				}
				return f
			}
			t.Errorf("unexpected finding %s %s %s", f.Severity, f.Kind, f.Path)
		case err := <-w.done:
			t.Fatalf("Watch ended: %v", err)
		case <-deadline:
			t.Fatalf("no %s finding for %s within %v", kind, path, eventTimeout)
		}
	}
}

func (w *watchRun) expectNothing(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case f := <-w.findings:
		t.Errorf("unexpected finding %s %s %s", f.Severity, f.Kind, f.Path)
	case <-time.After(d):
	}
}

func TestWatchReportsChangesAsTheyHappen(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		kind   string
		path   string
	}{
		{
			name: "a write to a watched script becomes a modified finding",
			change: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "html/template/default/js/function.js"), ";skim()")
			},
			kind: KindModified, path: "html/template/default/js/function.js",
		},
		{
			name: "a file created in a new subfolder becomes an added finding",
			change: func(t *testing.T, dir string) {
				sub := filepath.Join(dir, "html/plugin/new")
				if err := os.MkdirAll(sub, 0o755); err != nil {
					t.Fatal(err)
				}
				// Give the watcher a moment to add the folder, then write
				// into it: the event must come from the new watch.
				time.Sleep(200 * time.Millisecond)
				writeTree(t, sub, map[string]string{"x.php": "<?php"})
			},
			kind: KindAdded, path: "html/plugin/new/x.php",
		},
		{
			name: "a file written at once with its new folder is still found",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"html/a/b/c/skim.js": "x"})
			},
			kind: KindAdded, path: "html/a/b/c/skim.js",
		},
		{
			name: "a removed file becomes a removed finding",
			change: func(t *testing.T, dir string) {
				mustRemove(t, filepath.Join(dir, "README.md"))
			},
			kind: KindRemoved, path: "README.md",
		},
		{
			name: "a removed folder reports the files it held",
			change: func(t *testing.T, dir string) {
				if err := os.RemoveAll(filepath.Join(dir, "vendor")); err != nil {
					t.Fatal(err)
				}
			},
			kind: KindRemoved, path: "vendor/autoload.php",
		},
		{
			name: "a chmod becomes a mode finding",
			change: func(t *testing.T, dir string) {
				if err := os.Chmod(filepath.Join(dir, "index.php"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			kind: KindMode, path: "index.php",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, shopTree())
			m := mustBaseline(t, dir, Options{})
			w := startWatch(t, dir, m, WatchOptions{Sweep: -1})
			w.expectNothing(t, 100*time.Millisecond)
			tc.change(t, dir)
			w.expect(t, tc.kind, tc.path)
		})
	}
}

func TestWatchIgnoresExcludedPathsAndDoesNotRepeat(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	m := mustBaseline(t, dir, Options{})
	w := startWatch(t, dir, m, WatchOptions{Sweep: -1})
	writeTree(t, dir, map[string]string{"var/cache/prod/x.php": "<?php", "html/error.log": "x"})
	p := filepath.Join(dir, "html/template/default/js/function.js")
	appendTo(t, p, ";a()")
	w.expect(t, KindModified, "html/template/default/js/function.js")
	// A burst of writes is debounced into one check, and a second write
	// with new content is reported again (the hash changed).
	for range 20 {
		appendTo(t, p, "b")
	}
	f := w.expect(t, KindModified, "html/template/default/js/function.js")
	if f.Evidence["size"] != int64(len("function a(){};a()"+"bbbbbbbbbbbbbbbbbbbb")) {
		t.Errorf("evidence size %v: the burst was not read after it ended", f.Evidence["size"])
	}
	w.expectNothing(t, time.Second)
}

func TestWatchSweepCatchesWhatInotifyMissed(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	m := mustBaseline(t, dir, Options{})
	// A change before the watch starts is found by the start sweep.
	writeTree(t, dir, map[string]string{"html/planted.php": "<?php"})
	var mu sync.Mutex
	var got []finding.Finding
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sweeps := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, dir, m, WatchOptions{Sweep: 300 * time.Millisecond, afterSweep: func(r string) { sweeps <- r }},
			func(f finding.Finding) { mu.Lock(); got = append(got, f); mu.Unlock() })
	}()
	for range 3 { // start plus two periodic sweeps
		select {
		case <-sweeps:
		case <-time.After(eventTimeout):
			t.Fatal("sweeps did not run")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Kind != KindAdded || got[0].Path != "html/planted.php" {
		t.Errorf("findings %+v, want one added html/planted.php (and no repeats from later sweeps)", got)
	}
}

func TestWatchOnAMissingRootFails(t *testing.T) {
	m := &Manifest{}
	if err := Watch(context.Background(), filepath.Join(t.TempDir(), "nope"), m, WatchOptions{}, func(finding.Finding) {}); err == nil {
		t.Error("Watch on a missing root returned nil")
	}
}

func TestWatchChecksAFileThatIsWrittenWithoutPause(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	m := mustBaseline(t, dir, Options{})
	w := startWatch(t, dir, m, WatchOptions{Sweep: -1})
	// Keep writing every 20ms, well inside the quiet time: the debounce
	// must still check the file (MaxDelay) before the writer stops.
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				appendTo(nil, filepath.Join(dir, "index.php"), "x")
			}
		}
	}()
	defer func() { close(stop); <-stopped }()
	select {
	case f := <-w.findings:
		if f.Kind != KindModified || f.Path != "index.php" {
			t.Errorf("finding %s %s", f.Kind, f.Path)
		}
	case <-time.After(eventTimeout):
		t.Fatal("a continuously written file was never checked")
	}
}

func TestWatchSweepsAfterInotifyOverflow(t *testing.T) {
	if testing.Short() {
		t.Skip("creates enough files to overflow the inotify queue; skipped with -short")
	}
	data, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		t.Skipf("cannot read the inotify queue size: %v", err)
	}
	queue := 0
	for _, c := range strings.TrimSpace(string(data)) {
		queue = queue*10 + int(c-'0')
	}
	if queue > 100_000 {
		t.Skipf("inotify queue of %d events is too large to overflow in a test", queue)
	}
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	if err := os.Mkdir(filepath.Join(dir, "flood"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := mustBaseline(t, dir, Options{})
	release := make(chan struct{})
	sweeps := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var mu sync.Mutex
	added := map[string]bool{}
	go func() {
		done <- Watch(ctx, dir, m, WatchOptions{Sweep: -1, afterSweep: func(r string) {
			sweeps <- r
			if r == "start" {
				<-release // hold the event loop while the queue fills
			}
		}}, func(f finding.Finding) {
			mu.Lock()
			added[f.Path] = true
			mu.Unlock()
		})
	}()
	if r := <-sweeps; r != "start" {
		t.Fatalf("first sweep %q", r)
	}
	n := queue + 1000
	for i := range n {
		f, err := os.Create(filepath.Join(dir, "flood", "f"+itoa(i)+".php"))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	close(release)
	select {
	case r := <-sweeps:
		if r != "overflow" {
			t.Fatalf("sweep %q, want overflow", r)
		}
	case <-time.After(2 * eventTimeout):
		t.Fatal("no sweep after the inotify queue overflowed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, i := range []int{0, n / 2, n - 1} {
		if p := "flood/f" + itoa(i) + ".php"; !added[p] {
			t.Errorf("%s not reported after the overflow sweep", p)
		}
	}
}

// TestWatchHandsOnTheWholeCurrentSet: Current gets every deviation known
// after each change, and a path that is clean again leaves the set (which
// onFinding never says).
func TestWatchHandsOnTheWholeCurrentSet(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	m := mustBaseline(t, dir, Options{})
	sets := make(chan []finding.Finding, 100)
	opts := WatchOptions{Sweep: -1, Current: func(fs []finding.Finding) { sets <- fs }}
	startWatch(t, dir, m, opts)
	next := func(t *testing.T) []string {
		t.Helper()
		select {
		case fs := <-sets:
			var out []string
			for _, f := range fs {
				out = append(out, f.Kind+" "+f.Path)
			}
			return out
		case <-time.After(eventTimeout):
			t.Fatal("Current was not called")
			return nil
		}
	}
	js := filepath.Join(dir, "html/template/default/js/function.js")
	original, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		change func(t *testing.T)
		want   string
	}{
		{"the start sweep of a clean tree hands on an empty set", func(*testing.T) {}, ""},
		{"a modified script is in the set", func(t *testing.T) { appendTo(t, js, ";skim()") },
			KindModified + " html/template/default/js/function.js"},
		{"a second change keeps the first in the set", func(t *testing.T) { mustRemove(t, filepath.Join(dir, "README.md")) },
			KindRemoved + " README.md\n" + KindModified + " html/template/default/js/function.js"},
		{"a script restored to its baseline content leaves the set", func(t *testing.T) {
			if err := os.WriteFile(js, original, 0o644); err != nil {
				t.Fatal(err)
			}
		}, KindRemoved + " README.md"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(t)
			if got := joinLines(next(t)); got != st.want {
				t.Fatalf("current set:\n%s\nwant:\n%s", got, st.want)
			}
		})
	}
}
