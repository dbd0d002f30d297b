package monitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// An incident's window cites the evaluation that names the attacker's
// origin, so the site's run files an event naming what it evaluated.
func TestSiteRunRecordsTheBlockedOriginsItEvaluated(t *testing.T) {
	ctx := context.Background()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Second)
	m := &Monitor{log: slog.New(slog.DiscardHandler), store: st, now: func() time.Time { return now }}
	w := &siteWorker{m: m}
	run := func() []store.Event {
		t.Helper()
		if err := w.Work(ctx, &river.Job[SiteArgs]{Args: SiteArgs{Site: "shop", Every: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		evs, err := st.Events(ctx, store.EventQuery{Site: "shop", Type: "collector evaluate"})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	t.Run("a run with no reports in its period files no event", func(t *testing.T) {
		if evs := run(); len(evs) != 0 {
			t.Errorf("%d events, want none", len(evs))
		}
	})
	t.Run("a run names the origin customers' browsers reported, with its first and last report", func(t *testing.T) {
		first := now.Add(-40 * time.Second)
		if err := st.MergeReportAggregates(ctx, "b1", []store.ReportAggregate{{Site: "shop", Directive: "connect-src", Kind: "connect", Blocked: "https://evil.example",
			DocumentPath: "/checkout", Disposition: "report", Count: 2, ClientHashes: []string{"a"}, FirstSeen: first, LastSeen: now.Add(-10 * time.Second)}}); err != nil {
			t.Fatal(err)
		}
		evs := run()
		if len(evs) != 1 {
			t.Fatalf("%d events, want 1", len(evs))
		}
		var data struct {
			Blocked []collector.BlockedSeen `json:"blocked"`
		}
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Blocked) != 1 || data.Blocked[0].Blocked != "https://evil.example" || !data.Blocked[0].FirstSeen.Equal(first) || data.Blocked[0].DocumentPath != "/checkout" {
			t.Errorf("blocked = %+v, want evil.example on /checkout first seen %s", data.Blocked, first)
		}
	})
}
