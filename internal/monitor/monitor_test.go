package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// recordingAlerter keeps every run it is told about and wakes waiters.
type recordingAlerter struct {
	mu      sync.Mutex
	runs    []RunResult
	changed chan struct{}
}

func newRecordingAlerter() *recordingAlerter {
	return &recordingAlerter{changed: make(chan struct{})}
}

func (a *recordingAlerter) Observe(_ context.Context, r RunResult) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.runs = append(a.runs, r)
	close(a.changed)
	a.changed = make(chan struct{})
	return nil
}

// waitFor returns the first run (in order of arrival) that match accepts,
// failing the test when none arrives before ctx ends.
func (a *recordingAlerter) waitFor(t *testing.T, ctx context.Context, what string, match func(RunResult) bool) RunResult {
	t.Helper()
	for {
		a.mu.Lock()
		for _, r := range a.runs {
			if match(r) {
				a.mu.Unlock()
				return r
			}
		}
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			a.mu.Lock()
			defer a.mu.Unlock()
			t.Fatalf("no run %s arrived; the alerter saw %d run(s): %+v", what, len(a.runs), a.runs)
		}
	}
}

// describe lists the runs of target the alerter saw, each with what made
// it incomplete and the kind and severity of its findings, for a failure
// message that says why no check counted as clean.
func (a *recordingAlerter) describe(target string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b strings.Builder
	for _, r := range a.runs {
		if r.Target != target {
			continue
		}
		fmt.Fprintf(&b, "  %s %s complete=%v incomplete=%q\n", r.At.Format(time.TimeOnly), r.Detector, r.Complete, r.Incomplete)
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "    %s %s: %s %v\n", f.Severity, f.Kind, f.Message, f.Evidence)
		}
	}
	return b.String()
}

// nth waits up to d for the alerter's n-th run (from 0).
func (a *recordingAlerter) nth(ctx context.Context, n int, d time.Duration) (RunResult, bool) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		a.mu.Lock()
		if len(a.runs) > n {
			r := a.runs[n]
			a.mu.Unlock()
			return r, true
		}
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return RunResult{}, false
		}
	}
}

func startBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	b, err := browser.Launch(context.Background(), browser.Options{MaxConcurrent: 2})
	if err != nil {
		t.Fatalf("launch Chromium: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// startMonitor runs a monitor with its queue and store in a temporary
// directory, working and scheduling cfg, until the test ends.
func startMonitor(t *testing.T, b *browser.Browser, cfg config.Config, a Alerter) (*Monitor, store.Store) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(ctx, Options{Queue: filepath.Join(dir, "queue.db"), Store: st, Browser: b, Alerter: a, Work: true, MaxWorkers: 2,
		Dwell: time.Second, PollInterval: 100 * time.Millisecond,
		// A warning (a proposal or a source not written) is often the
		// only trace of why a later step found nothing.
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	m.Schedule(ctx, cfg)
	// Shutdown order: the monitor (scheduler, workers, queue) before the
	// store its jobs write to, and both before the browser (registered
	// earlier, so cleaned up later).
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		st.Close()
	})
	return m, st
}

func labConfig(t *testing.T, l *lab.Lab, dataDir string, pages ...string) config.Config {
	t.Helper()
	var y strings.Builder
	// The three-pass differential check (auto, with no baseline) is covered
	// by its own tests; here it would triple every scheduled check.
	y.WriteString("data_dir: " + dataDir + "\nsites:\n  - name: lab\n    differential: never\n    payment_origins: [\"${PSP}\", \"${PSP_API}\"]\n    pages:\n")
	for _, p := range pages {
		y.WriteString("      - url: ${SHOP}" + p + "\n        every: 2s\n        timeout: 60s\n")
	}
	env := map[string]string{"PSP": l.PSPOrigin(), "PSP_API": l.PSPAPIOrigin(), "SHOP": l.ShopURL()}
	cfg, err := config.ParseWith(strings.NewReader(y.String()), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y.String())
	}
	return cfg
}

func TestServiceWatchesTheLab(t *testing.T) {
	b := startBrowser(t)
	l, err := lab.Start(context.Background(), lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dataDir := t.TempDir()
	pages := []string{"/checkout/link", "/checkout/token"}
	cfg := labConfig(t, l, dataDir, pages...)
	alerts := newRecordingAlerter()
	m, st := startMonitor(t, b, cfg, alerts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	baseline := filepath.Join(dataDir, "baselines", "lab.json")

	t.Run("the alerter sees a complete run of every scheduled page", func(t *testing.T) {
		for _, p := range pages {
			alerts.waitFor(t, ctx, "complete for "+p, func(r RunResult) bool {
				return r.Target == l.ShopURL()+p && r.Detector == DetectorCheck && r.Complete && r.Site == "lab"
			})
		}
	})
	t.Run("the checks keep the sources of the scripts they saw, for diffs", func(t *testing.T) {
		evs, err := st.Events(ctx, store.EventQuery{Site: "lab", Type: "check"})
		if err != nil || len(evs) == 0 {
			t.Fatalf("%d check events, %v", len(evs), err)
		}
		var data struct {
			Scripts []struct {
				URL    string `json:"url"`
				SHA256 string `json:"sha256"`
			} `json:"scripts"`
		}
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, s := range data.Scripts {
			if src, err := st.ScriptSource(ctx, s.SHA256); err == nil && src.Source != "" {
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("none of the %d scripts the check saw has its source in the store", len(data.Scripts))
		}
	})
	t.Run("with no baseline the first clean inventory waits in the store for approval and nothing is approved", func(t *testing.T) {
		if _, err := os.Stat(baseline); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a baseline file %s exists (err %v): a site without a baseline key keeps its inventory in the store", baseline, err)
		}
		for _, p := range pages {
			target := inventory.TargetKey(l.ShopURL() + p)
			pending, _, err := st.InventoryItems(ctx, store.InventoryQuery{Site: "lab", Target: target, Status: store.ItemPending})
			if err != nil || len(pending) == 0 || !slices.ContainsFunc(pending, func(it store.InventoryItem) bool { return it.Clean && it.Kind == store.ItemScript }) {
				t.Errorf("pending items of %s = %d, %v; want its scripts, from a clean check; its runs raised:\n%s", p, len(pending), err, alerts.describe(l.ShopURL()+p))
			}
			if approved, err := st.ApprovedInventory(ctx, "lab", target); err != nil || approved != nil {
				t.Errorf("approved inventory of %s = %+v, %v; want none", p, approved, err)
			}
		}
	})
	link := l.ShopURL() + "/checkout/link"
	t.Run("a bulk approval in the store is the baseline the next runs are compared with", func(t *testing.T) {
		got, err := st.DecideInventory(ctx, store.InventoryDecision{Type: store.EventInventoryApproved, Site: "lab",
			Target: inventory.TargetKey(link), Justification: "the lab checkout as built", Actor: "test"})
		if err != nil || len(got) == 0 {
			t.Fatalf("approve: %d items, %v; the runs of %s raised:\n%s", len(got), err, link, alerts.describe(link))
		}
	})
	t.Run("a tamper is found as card exfiltration and as a change against the store's baseline, and handed to the alerter", func(t *testing.T) {
		if err := l.SetScenario("fake-card-form"); err != nil {
			t.Fatal(err)
		}
		tampered := time.Now()
		page := link
		r := alerts.waitFor(t, ctx, "with card exfiltration on "+page, func(r RunResult) bool {
			return r.Target == page && r.At.After(tampered) && hasKind(r.Findings, verdict.KindCardExfil)
		})
		// Only a run compared with a baseline reports what is new.
		if !hasKind(r.Findings, verdict.KindScriptNew) && !hasKind(r.Findings, verdict.KindScriptChanged) && !hasKind(r.Findings, verdict.KindDestinationNew) {
			t.Errorf("the tampered run reports nothing new against the approved inventory: %+v", r.Findings)
		}
		f := findKind(r.Findings, verdict.KindCardExfil)
		if f.Severity != finding.Critical {
			t.Errorf("severity %s, want critical", f.Severity)
		}
		if got := f.Evidence["destination_origin"]; got != l.AttackerOrigin() {
			t.Errorf("destination %v, want the attacker %s", got, l.AttackerOrigin())
		}
		stored, err := st.Findings(ctx, store.FindingQuery{Site: "lab", MinSeverity: finding.Critical})
		if err != nil {
			t.Fatal(err)
		}
		if !hasStoredKind(stored, verdict.KindCardExfil) {
			t.Errorf("the store holds no card exfiltration finding for lab: %+v", stored)
		}
	})
	t.Run("the runs are listed as complete jobs with their results", func(t *testing.T) {
		runs, err := m.Runs(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		complete := 0
		for _, r := range runs {
			if r.Complete && r.Result != nil && r.Result.Detector == DetectorCheck {
				complete++
			}
		}
		if complete < len(pages) {
			t.Errorf("%d complete check runs listed, want at least %d: %+v", complete, len(pages), runs)
		}
	})
}

func TestTimedOutCheckLeavesAnIncompleteRecordAndAReloadDoesNotDropIt(t *testing.T) {
	b := startBrowser(t)
	// A page that never finishes loading: the check can only run out of time.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	cfg, err := config.ParseWith(strings.NewReader("data_dir: "+t.TempDir()+"\nsites:\n  - name: slow\n    pages:\n      - url: "+hang.URL+"/checkout\n        every: 30s\n        timeout: 2s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	alerts := newRecordingAlerter()
	m, _ := startMonitor(t, b, cfg, alerts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A reload while the check runs (here: to a config without the page)
	// must not drop it: it still ends, and ends by its own timeout.
	for running := false; !running; {
		runs, err := m.Runs(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			running = running || r.State == "running"
		}
		if ctx.Err() != nil {
			t.Fatal("the check never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.Schedule(ctx, config.Config{})
	r := alerts.waitFor(t, ctx, "for the hanging page", func(r RunResult) bool { return r.Site == "slow" && r.Detector == DetectorCheck })
	for _, reason := range r.Incomplete {
		if strings.Contains(reason, "stopped") {
			t.Errorf("the reload stopped the running check: %q", r.Incomplete)
		}
	}
	if r.Complete {
		t.Fatalf("a check that ran out of time was recorded complete: %+v", r)
	}
	if len(r.Incomplete) == 0 {
		t.Errorf("an incomplete run gives no reason: %+v", r)
	}
	var run *Run
	for range 50 {
		runs, err := m.Runs(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for i := range runs {
			if runs[i].Kind == (CheckArgs{}).Kind() && runs[i].Result != nil {
				run = &runs[i]
			}
		}
		if run != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if run == nil {
		t.Fatal("the timed-out job has no recorded result")
	}
	if run.Complete || run.Result.Complete {
		t.Errorf("the timed-out job is listed complete: %+v", run)
	}
	if run.State == "completed" {
		t.Errorf("the timed-out job's state is completed, want it left for retry: %+v", run)
	}
}

func hasKind(fs []finding.Finding, kind string) bool {
	return findKind(fs, kind).Kind == kind
}

func findKind(fs []finding.Finding, kind string) finding.Finding {
	for _, f := range fs {
		if f.Kind == kind {
			return f
		}
	}
	return finding.Finding{}
}

func hasStoredKind(fs []store.StoredFinding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}
