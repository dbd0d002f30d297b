package monitor

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestFinishMasksCardNumbersBeforeTheAlerterSeesThem(t *testing.T) {
	alerts := newRecordingAlerter()
	m := &Monitor{log: slog.New(slog.DiscardHandler), alerter: alerts, now: time.Now}
	rep := &finding.Report{Complete: true, Findings: []finding.Finding{{Severity: finding.High, Kind: "scan.match", Source: "scan",
		Message: "card 5555555555554444 in cms_block 7", Evidence: map[string]any{"excerpt": "pan=5555555555554444"}}}}
	if err := m.finish(context.Background(), context.Background(), result(RunResult{Site: "shop", Target: "db"}, rep)); err != nil {
		t.Fatal(err)
	}
	r, ok := alerts.nth(context.Background(), 0, time.Second)
	if !ok || len(r.Findings) != 1 {
		t.Fatalf("the alerter got %+v", r)
	}
	f := r.Findings[0]
	if strings.Contains(f.Message, "5555555555554444") || strings.Contains(f.Evidence["excerpt"].(string), "5555555555554444") {
		t.Errorf("a card number reached the alerter: %q %v", f.Message, f.Evidence)
	}
	if !strings.Contains(f.Message, "555555") || !strings.Contains(f.Message, "4444") {
		t.Errorf("the message lost its first six and last four: %q", f.Message)
	}
}

func TestJobRecordsOutliveEveryAttemptOfTheirJob(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rescueAfter time.Duration
		want        time.Duration
	}{
		{"with the default rescue_after records are kept a day", 35 * time.Minute, 24 * time.Hour},
		{"a long rescue_after keeps them until three rescued attempts are over", 12 * time.Hour, 39 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Monitor{opts: Options{RescueAfter: tc.rescueAfter}}
			if got := m.jobRecordRetention(); got != tc.want {
				t.Errorf("retention %s, want %s", got, tc.want)
			}
		})
	}
}
