package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

func TestOverviewOfRuns(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	run := func(target string, ago time.Duration, complete bool, findings int) monitor.Run {
		at := t0.Add(-ago)
		r := monitor.Run{Finished: &at, Result: &monitor.RunResult{Site: "shop", Target: target, Detector: "check", At: at, Complete: complete}}
		for range findings {
			r.Result.Findings = append(r.Result.Findings, finding.Finding{Severity: finding.High, Kind: "k"})
		}
		return r
	}
	for _, tc := range []struct {
		name      string
		runs      []monitor.Run
		truncated bool
		want      TargetState
	}{
		{"a page clean in its last three runs is clean since the oldest of them",
			[]monitor.Run{run("p", time.Minute, true, 0), run("p", time.Hour, true, 0), run("p", 2*time.Hour, true, 0), run("p", 3*time.Hour, true, 1)}, false,
			TargetState{Result: "clean", LastRun: t0.Add(-time.Minute), CleanSince: t0.Add(-2 * time.Hour)}},
		{"an incomplete run breaks a clean streak",
			[]monitor.Run{run("p", time.Minute, true, 0), run("p", time.Hour, false, 0), run("p", 2*time.Hour, true, 0)}, false,
			TargetState{Result: "clean", LastRun: t0.Add(-time.Minute), CleanSince: t0.Add(-time.Minute)}},
		{"a clean streak reaching the oldest run read is at least that long",
			[]monitor.Run{run("p", time.Minute, true, 0), run("p", time.Hour, true, 0)}, true,
			TargetState{Result: "clean", LastRun: t0.Add(-time.Minute), CleanSince: t0.Add(-time.Hour), CleanAtLeast: true}},
		{"incomplete runs in a row are counted until a complete one",
			[]monitor.Run{run("p", time.Minute, false, 0), run("p", time.Hour, false, 0), run("p", 2*time.Hour, true, 0), run("p", 3*time.Hour, false, 0)}, false,
			TargetState{Result: "incomplete", LastRun: t0.Add(-time.Minute), IncompleteStreak: 2}},
		{"the newest run with findings gives the result and the worst severity",
			[]monitor.Run{run("p", time.Minute, true, 2), run("p", time.Hour, true, 0)}, false,
			TargetState{Result: "findings", LastRun: t0.Add(-time.Minute), Findings: 2, MaxSeverity: finding.High, TopKind: "k", TopTitle: "k"}},
		{"a run still going is not a result",
			[]monitor.Run{{Result: nil}, run("p", time.Hour, true, 0)}, false,
			TargetState{Result: "clean", LastRun: t0.Add(-time.Hour), CleanSince: t0.Add(-time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			states := map[targetKey]*TargetState{}
			get := func(k targetKey) *TargetState {
				if states[k] == nil {
					states[k] = &TargetState{Site: k.site, Detector: k.detector, Target: k.target, Result: "none"}
				}
				return states[k]
			}
			foldRuns(tc.runs, tc.truncated, get, states)
			got := states[targetKey{"shop", "check", "p"}]
			want := tc.want
			want.Site, want.Detector, want.Target = "shop", "check", "p"
			if got == nil || *got != want {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestOverviewCountsOpenFindingsAndSilence(t *testing.T) {
	s, st := newTestServer(t)
	now := time.Now().UTC()
	f := finding.Finding{Severity: finding.Critical, Kind: "honey.card-exfiltration", Message: "m", Source: "check", Site: "shop"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveIncidents(t.Context(), []store.Incident{
		{Site: "shop", Key: "a", Kind: store.IncidentFinding, Status: store.IncidentOpen, Target: "https://shop.example/checkout", Detector: "check", Finding: f, Opened: now, LastSeen: now},
		{Site: "shop", Key: "b", Kind: store.IncidentFinding, Status: store.IncidentClosed, Target: "https://shop.example/checkout", Detector: "check", Finding: f, Opened: now, LastSeen: now},
		{Site: "shop", Key: "c", Kind: store.IncidentSilence, Status: store.IncidentWatching, Streak: 3, Target: "https://shop.example/cart", Detector: "check", Finding: f, Opened: now, LastSeen: now},
	}, nil))
	ov, err := s.overviewOf(t.Context())
	must(err)
	if ov.Open[0] != (SeverityCount{Severity: finding.Critical, Count: 1}) {
		t.Errorf("open by severity %+v, want 1 critical first", ov.Open)
	}
	byTarget := map[string]TargetState{}
	for _, ts := range ov.Targets {
		byTarget[ts.Target] = ts
	}
	if c := byTarget["https://shop.example/checkout"]; c.OpenFindings != 1 {
		t.Errorf("checkout %+v: want 1 open finding (the closed one not counted)", c)
	}
	if c := byTarget["https://shop.example/cart"]; c.IncompleteStreak != 3 {
		t.Errorf("cart %+v: want a streak of 3", c)
	}
	w := httptest.NewRecorder()
	s.requireUserForTest(User{ID: 1, Name: "a", Role: RoleViewer}).ServeHTTP(w, httptest.NewRequest("GET", "/api/overview", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/overview: %d", w.Code)
	}
}
