package monitor

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// TestARescuedAttemptHandsOnTheRecordOfTheAttemptThatDied reproduces, without
// processes, a worker killed after it filed a run's record but before the
// queue marked the job completed (River completes in batches, after Work
// returns) and before it told the alerter: the queue runs the job again as
// attempt 2 in another process. The web root is restored in between, so a
// second run of the detector would see a clean root: a complete record is
// handed on from the store, an incomplete one (a real retry) is run again.
func TestARescuedAttemptHandsOnTheRecordOfTheAttemptThatDied(t *testing.T) {
	for _, tt := range []struct {
		name string
		// firstSees is whether the first attempt could read the baseline.
		firstSees bool
		// wantEvents is how many fim verify events the job leaves.
		wantEvents int
		// wantKind is the finding the alerter must be handed.
		wantKind string
	}{
		{name: "a complete record is handed on once, and the detector is not run again", firstSees: true, wantEvents: 1, wantKind: "fim.modified"},
		{name: "an incomplete record is run again, and the second run is handed on", firstSees: false, wantEvents: 2, wantKind: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			root, js, base := baselinedRoot(t, dir)
			if err := os.WriteFile(js, []byte("pay();steal();\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if !tt.firstSees {
				if err := os.Rename(base, base+".away"); err != nil {
					t.Fatal(err)
				}
			}
			st, err := open.Open(ctx, "sqlite://"+filepath.Join(dir, "store.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			args := FimArgs{Site: "shop", Path: root, Baseline: base, Timeout: time.Minute}
			row := func(attempt int) *river.Job[FimArgs] {
				return &river.Job[FimArgs]{Args: args, JobRow: &rivertype.JobRow{ID: 7, Attempt: attempt, Kind: args.Kind(),
					CreatedAt: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), State: rivertype.JobStateRunning}}
			}

			// The first process files its record and dies before it tells
			// anyone: it has no alerter.
			dying := &fimWorker{m: &Monitor{log: slog.New(slog.DiscardHandler), store: st, now: time.Now}}
			_ = dying.Work(ctx, row(1))
			// Between the attempts the root is restored, and a baseline
			// that was away is back.
			if err := os.WriteFile(js, []byte("pay();\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if !tt.firstSees {
				if err := os.Rename(base+".away", base); err != nil {
					t.Fatal(err)
				}
			}
			alerts := newRecordingAlerter()
			rescuer := &fimWorker{m: &Monitor{log: slog.New(slog.DiscardHandler), store: st, alerter: alerts, now: time.Now}}
			if err := rescuer.Work(ctx, row(2)); err != nil {
				t.Fatalf("attempt 2: %v", err)
			}

			events, err := st.Events(ctx, store.EventQuery{Site: "shop", Type: "fim verify"})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != tt.wantEvents {
				t.Errorf("%d fim verify events for the job, want %d", len(events), tt.wantEvents)
			}
			if tt.wantKind != "" {
				fs, err := st.Findings(ctx, store.FindingQuery{Site: "shop", Source: DetectorFim})
				if err != nil {
					t.Fatal(err)
				}
				if len(fs) != 1 || fs[0].Kind != tt.wantKind || fs[0].Count != 1 {
					t.Errorf("stored findings %+v, want the %s once, counted once", fs, tt.wantKind)
				}
			}
			alerts.mu.Lock()
			runs := append([]RunResult(nil), alerts.runs...)
			alerts.mu.Unlock()
			if len(runs) != 1 {
				t.Fatalf("the alerter was handed %d runs, want 1: %+v", len(runs), runs)
			}
			r := runs[0]
			if !r.Complete || r.Detector != DetectorFim || r.Target != root {
				t.Errorf("handed %+v, want a complete fim run of %s", r, root)
			}
			switch {
			case tt.wantKind == "" && len(r.Findings) != 0:
				t.Errorf("handed findings %+v, want the second run's clean result", r.Findings)
			case tt.wantKind != "" && (len(r.Findings) != 1 || r.Findings[0].Kind != tt.wantKind || r.Findings[0].Path != "checkout.js"):
				t.Errorf("handed findings %+v, want the first attempt's %s of checkout.js", r.Findings, tt.wantKind)
			}
		})
	}
}

// TestEveryJobKindHandsOnAnEarlierCompleteRecord: for each kind of job
// that records, attempt 2 of a job that attempt 1 recorded complete hands
// attempt 1's result on, keys and all, without running the detector, files
// nothing and completes. Here every detector would fail if it ran (no
// browser, no web root) or see nothing (no collector findings); the audit
// would ask the shop server, which counts what it is asked.
func TestEveryJobKindHandsOnAnEarlierCompleteRecord(t *testing.T) {
	var asked atomic.Int64
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer shop.Close()
	created := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	row := func(kind string, attempt int) *rivertype.JobRow {
		return &rivertype.JobRow{ID: 11, Attempt: attempt, Kind: kind, CreatedAt: created, State: rivertype.JobStateRunning}
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		detector string
		kind     string
		work     func(ctx context.Context, m *Monitor, row *rivertype.JobRow) error
	}{
		{"a browser check", DetectorCheck, CheckArgs{}.Kind(), func(ctx context.Context, m *Monitor, row *rivertype.JobRow) error {
			a := CheckArgs{Site: "shop", URL: shop.URL + "/checkout", Baseline: filepath.Join(dir, "none.json"), Timeout: time.Second}
			return (&checkWorker{m: m}).Work(ctx, &river.Job[CheckArgs]{Args: a, JobRow: row})
		}},
		{"a fim verify", DetectorFim, FimArgs{}.Kind(), func(ctx context.Context, m *Monitor, row *rivertype.JobRow) error {
			a := FimArgs{Site: "shop", Path: filepath.Join(dir, "no-root"), Baseline: filepath.Join(dir, "none.fim"), Timeout: time.Second}
			return (&fimWorker{m: m}).Work(ctx, &river.Job[FimArgs]{Args: a, JobRow: row})
		}},
		{"a site's collector evaluation", DetectorCollector, SiteArgs{}.Kind(), func(ctx context.Context, m *Monitor, row *rivertype.JobRow) error {
			return (&siteWorker{m: m}).Work(ctx, &river.Job[SiteArgs]{Args: SiteArgs{Site: "shop", Every: time.Minute}, JobRow: row})
		}},
		{"an audit", DetectorAudit, AuditArgs{}.Kind(), func(ctx context.Context, m *Monitor, row *rivertype.JobRow) error {
			a := AuditArgs{Site: "shop", URL: shop.URL + "/shopping/payment", MaxRequests: 5, Rate: 50, Timeout: time.Second}
			return (&auditWorker{m: m}).Work(ctx, &river.Job[AuditArgs]{Args: a, JobRow: row})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			st, err := open.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "store.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// Attempt 1's record, filed as its worker files it. The finding
			// has a Subject, which JSON does not keep: its key must.
			f := finding.Finding{Severity: finding.Critical, Kind: "test.exfil", Source: tt.detector, Site: "shop",
				URL: "https://shop.example/checkout", Message: "sends the card to evil.example", Subject: "https://evil.example"}
			first := &Monitor{log: slog.New(slog.DiscardHandler), store: st, now: time.Now}
			rep := &finding.Report{Complete: true, Findings: []finding.Finding{f}}
			handed := first.file(ctx, row(tt.kind, 1), RunResult{Site: "shop", Target: "t", Detector: tt.detector, At: created}, rep,
				rep.Findings, nil, []store.Event{{Type: "test-run", Actor: "test"}})
			wantKey := store.KeyOf(f)
			if len(handed.Keys) != 1 || handed.Keys[0] != wantKey {
				t.Fatalf("attempt 1 handed keys %v, want [%s]", handed.Keys, wantKey)
			}

			alerts := newRecordingAlerter()
			var log bytes.Buffer
			m := &Monitor{log: slog.New(slog.NewTextHandler(&log, nil)), store: st, alerter: alerts, now: time.Now}
			if err := tt.work(ctx, m, row(tt.kind, 2)); err != nil {
				t.Fatalf("attempt 2: %v (it ran the detector instead of handing the record on)", err)
			}
			if n := asked.Load(); n > 0 {
				t.Errorf("the shop was asked %d times: attempt 2 ran the detector", n)
			}
			if !strings.Contains(log.String(), "handing its record on") {
				t.Errorf("attempt 2 did not say it handed the record on; it logged:\n%s", &log)
			}
			alerts.mu.Lock()
			runs := append([]RunResult(nil), alerts.runs...)
			alerts.mu.Unlock()
			if len(runs) != 1 {
				t.Fatalf("the alerter was handed %d runs, want 1", len(runs))
			}
			r := runs[0]
			if !r.Complete || r.Detector != tt.detector || !r.At.Equal(created) || len(r.Findings) != 1 ||
				r.Findings[0].Kind != "test.exfil" || len(r.Keys) != 1 || r.Keys[0] != wantKey {
				t.Errorf("handed %+v, want attempt 1's complete %s run with its test.exfil finding keyed %s", r, tt.detector, wantKey)
			}
			events, err := st.Events(ctx, store.EventQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Type != "test-run" {
				t.Errorf("events %+v, want attempt 1's only", events)
			}
			recs, err := st.JobRecords(ctx, store.JobRef{ID: 11, Created: created})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Attempt != 1 {
				t.Errorf("job records %+v, want attempt 1's only", recs)
			}
		})
	}
}

// TestARunFiledWhileAnotherAttemptRecordedTheJobHandsOnThatRecord: an
// attempt taken for dead but still running files its record while the
// rescuing attempt runs; the rescuer's own run is then left out, and the
// record that closed the job is what it hands on.
func TestARunFiledWhileAnotherAttemptRecordedTheJobHandsOnThatRecord(t *testing.T) {
	ctx := t.Context()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := &Monitor{log: slog.New(slog.DiscardHandler), store: st, now: time.Now}
	created := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	row := func(attempt int) *rivertype.JobRow {
		return &rivertype.JobRow{ID: 3, Attempt: attempt, Kind: FimArgs{}.Kind(), CreatedAt: created, State: rivertype.JobStateRunning}
	}
	dirty := &finding.Report{Complete: true, Findings: []finding.Finding{{Severity: finding.High, Kind: "fim.modified", Source: DetectorFim, Path: "checkout.js", Message: "changed"}}}
	m.file(ctx, row(1), RunResult{Site: "shop", Target: "/srv", Detector: DetectorFim}, dirty, dirty.Findings, nil, []store.Event{{Type: "fim verify"}})
	clean := &finding.Report{Complete: true}
	got := m.file(ctx, row(2), RunResult{Site: "shop", Target: "/srv", Detector: DetectorFim}, clean, nil, nil, []store.Event{{Type: "fim verify"}})
	if !got.Complete || len(got.Findings) != 1 || got.Findings[0].Kind != "fim.modified" {
		t.Errorf("attempt 2 hands on %+v, want attempt 1's fim.modified", got)
	}
	events, err := st.Events(ctx, store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Errorf("%d events, want attempt 1's only", len(events))
	}
}
