package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/webroot"
)

// TestWatchWithScanScansEachWrittenFileOnce: under `watch: true` and
// `scan: true`, a deploy that writes files one after another is handed on
// as a run per write holding every file changed so far; each run scans
// only the file just written and reuses the scans of the others (counted
// in the runs' events), and the rules are compiled once for all of them.
func TestWatchWithScanScansEachWrittenFileOnce(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "htdocs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "index.js"), []byte("ok();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "shop.fim")
	writeBaseline(t, root, base)
	st, err := open.Open(context.Background(), "sqlite://"+filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alerts := newRecordingAlerter()
	rules := webroot.NewRuleCache("", nil)
	m := &Monitor{log: slog.New(slog.DiscardHandler), alerter: alerts, store: st, now: time.Now, rules: rules}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.watchLoop(ctx, Watch{Args: FimArgs{Site: "shop", Path: root, Baseline: base, Scan: true}, Every: time.Hour})
	}()
	defer func() { cancel(); <-done }()

	const files = 4
	for i := range files + 1 {
		if i > 0 {
			// Written beside the root and renamed in, as deploys do, so
			// that each file appears whole in one event.
			tmp := filepath.Join(dir, "upload.tmp")
			if err := os.WriteFile(tmp, []byte(fmt.Sprintf("v%d();\n", i)), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(root, fmt.Sprintf("deploy%d.js", i))); err != nil {
				t.Fatal(err)
			}
		}
		alerts.waitFor(t, ctx, fmt.Sprintf("a complete run with %d added files", i), func(r RunResult) bool {
			return r.Target == root && r.Complete && len(r.Findings) == i
		})
	}
	events, err := st.Events(ctx, store.EventQuery{Site: "shop", Type: "fim watch"})
	if err != nil {
		t.Fatal(err)
	}
	scanned, lastReused := 0, 0.0
	for _, e := range events {
		var d struct {
			Scanned *float64 `json:"scanned_files"`
			Reused  float64  `json:"reused_scans"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Scanned == nil {
			t.Fatalf("event %d does not say how many files it scanned: %s", e.Seq, e.Data)
		}
		if *d.Scanned > 1 {
			t.Errorf("event %d: one run scanned %v files; each write should scan only itself", e.Seq, *d.Scanned)
		}
		scanned += int(*d.Scanned)
		lastReused = d.Reused
	}
	t.Run("each written file is scanned once across the runs", func(t *testing.T) {
		if scanned != files {
			t.Errorf("%d scans across %d runs, want %d", scanned, len(events), files)
		}
	})
	t.Run("the last run reuses the scans of the files written before", func(t *testing.T) {
		if lastReused != files-1 {
			t.Errorf("the last run reused %v scans, want %d", lastReused, files-1)
		}
	})
	t.Run("the rules are compiled once", func(t *testing.T) {
		if s := rules.Stats(); s.Compiled != 1 {
			t.Errorf("rule cache %+v, want one compilation", s)
		}
	})
}
