package monitor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// baselinedRoot makes dir/htdocs with one checkout.js and its baseline at
// dir/shop.fim, as a shop's web root before a change.
func baselinedRoot(t testing.TB, dir string) (root, js, base string) {
	t.Helper()
	root = filepath.Join(dir, "htdocs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	js = filepath.Join(root, "checkout.js")
	if err := os.WriteFile(js, []byte("pay();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base = filepath.Join(dir, "shop.fim")
	writeBaseline(t, root, base)
	return root, js, base
}

func writeBaseline(t testing.TB, root, path string) {
	t.Helper()
	m, err := fim.Baseline(context.Background(), root, fim.Options{Excludes: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if err := fim.WriteManifest(f, m, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestWatchLoopHandsCompleteRunsAndFollowsANewBaseline: the watch hands
// the alerter a complete fim run of the root at start and on each change,
// and a baseline approved afterwards (the file replaced) is watched
// against within seconds, which resolves what it approved.
func TestWatchLoopHandsCompleteRunsAndFollowsANewBaseline(t *testing.T) {
	dir := t.TempDir()
	root, js, base := baselinedRoot(t, dir)
	st, err := open.Open(context.Background(), "sqlite://"+filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alerts := newRecordingAlerter()
	m := &Monitor{log: slog.New(slog.DiscardHandler), alerter: alerts, store: st, now: time.Now}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.watchLoop(ctx, Watch{Args: FimArgs{Site: "shop", Path: root, Baseline: base}, Every: time.Hour})
	}()
	defer func() { cancel(); <-done }()

	run := func(kinds ...string) func(RunResult) bool {
		return func(r RunResult) bool {
			if r.Target != root || r.Detector != DetectorFim || !r.Complete || len(r.Findings) != len(kinds) {
				return false
			}
			for i, f := range r.Findings {
				if f.Kind != kinds[i] {
					return false
				}
			}
			return true
		}
	}
	steps := []struct {
		name   string
		change func(t *testing.T)
		want   []string
	}{
		{"the start of the watch is a complete clean run", func(*testing.T) {}, nil},
		{"a write is a complete run holding the modified file", func(t *testing.T) {
			if err := os.WriteFile(js, []byte("pay();skim();\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{fim.KindModified}},
		{"a baseline that approves the write is a complete clean run", func(t *testing.T) { writeBaseline(t, root, base) }, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			alerts.mu.Lock()
			from := len(alerts.runs)
			alerts.mu.Unlock()
			s.change(t)
			// The first matching run handed over after the change.
			for i := from; ; i++ {
				r, ok := alerts.nth(ctx, i, 20*time.Second)
				if !ok {
					t.Fatalf("no complete fim run with %v after the change", s.want)
				}
				if run(s.want...)(r) {
					break
				}
			}
		})
	}
}
