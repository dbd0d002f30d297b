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

// TestFimJobScansWithTheRootsRulesCompiledOnce: a web root's own rules
// (config rules) are used beside the bundled ones, compiled on the first
// run and reused by the next, and an edit of the rule file is picked up.
func TestFimJobScansWithTheRootsRulesCompiledOnce(t *testing.T) {
	dir := t.TempDir()
	root, js, base := baselinedRoot(t, dir)
	if err := os.WriteFile(js, []byte("pay();shop_marker_one();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rule := filepath.Join(dir, "mine.yar")
	writeRule := func(t *testing.T, s string) {
		t.Helper()
		if err := os.WriteFile(rule, []byte(`rule mine { strings: $a = "`+s+`" condition: $a }`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeRule(t, "shop_marker_one")
	rules := webroot.NewRuleCache("", nil)
	w := &fimWorker{m: &Monitor{log: slog.New(slog.DiscardHandler), rules: rules}}
	a := FimArgs{Site: "shop", Path: root, Baseline: base, Scan: true, Rules: []string{rule}}
	steps := []struct {
		name      string
		change    func(t *testing.T)
		wantMatch bool
		want      webroot.RuleCacheStats
	}{
		{"the first run compiles the root's rules and they match", func(*testing.T) {}, true, webroot.RuleCacheStats{Compiled: 1}},
		{"the next run reuses them", func(*testing.T) {}, true, webroot.RuleCacheStats{Compiled: 1, Reused: 1}},
		{"an edited rule file is compiled again and applies", func(t *testing.T) { writeRule(t, "shop_marker_two") }, false, webroot.RuleCacheStats{Compiled: 2, Reused: 1}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change(t)
			rep, err := w.verify(context.Background(), a)
			if err != nil || !rep.Complete {
				t.Fatalf("verify: %v %v", err, rep.Incomplete)
			}
			matched := false
			for _, f := range rep.Findings {
				if f.Kind == "scan.match" && f.Path == "checkout.js" && f.Rule == "mine" {
					matched = true
				}
			}
			if matched != s.wantMatch {
				t.Errorf("the root's rule matched: %v, want %v (findings %+v)", matched, s.wantMatch, rep.Findings)
			}
			if got := rules.Stats(); got != s.want {
				t.Errorf("rule cache %+v, want %+v", got, s.want)
			}
		})
	}
}
