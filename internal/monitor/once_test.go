package monitor

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

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
			root := filepath.Join(dir, "htdocs")
			if err := os.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			js := filepath.Join(root, "checkout.js")
			if err := os.WriteFile(js, []byte("pay();\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(dir, "shop.fim")
			writeBaseline(t, root, base)
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
