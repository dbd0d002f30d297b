package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

// BenchmarkOverview renders the overview of a large installation: 200
// sites, the monitor's 1,000 newest runs over 1,000 pages, and 10,000 open
// finding incidents.
func BenchmarkOverview(b *testing.B) {
	s, st := newTestServer(b)
	ctx := context.Background()
	now := time.Now().UTC()
	runs := make([]monitor.Run, 0, 1000)
	for i := range 1000 {
		fin := now.Add(-time.Duration(i) * time.Minute)
		runs = append(runs, monitor.Run{Finished: &fin, Result: &monitor.RunResult{Site: fmt.Sprintf("site-%03d", i%200),
			Target: fmt.Sprintf("https://shop-%03d.example/page-%d", i%200, i), Detector: "check", At: fin, Complete: i%7 != 0}})
	}
	s.runs = func(context.Context, int) ([]monitor.Run, error) { return runs, nil }
	for i := range 200 {
		if err := st.UpsertSite(ctx, fmt.Sprintf("site-%03d", i), store.HashKey(fmt.Sprint(i))); err != nil {
			b.Fatal(err)
		}
	}
	batch := make([]store.Incident, 0, 500)
	for i := range 10000 {
		f := finding.Finding{Severity: finding.Severity(1 + i%5), Kind: "fim.modified", Message: "changed", Source: "fim", Site: fmt.Sprintf("site-%03d", i%200)}
		batch = append(batch, store.Incident{Site: f.Site, Key: fmt.Sprintf("k%d", i), Kind: store.IncidentFinding, Status: store.IncidentOpen,
			Target: fmt.Sprintf("/var/www/%d", i%1000), Detector: "fim", Finding: f, Opened: now, LastSeen: now})
		if len(batch) == cap(batch) {
			if err := st.SaveIncidents(ctx, batch, nil); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	h := s.requireUserForTest(User{ID: 1, Name: "alice", Role: RoleAdmin})
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/?page=3", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
