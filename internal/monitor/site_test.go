package monitor

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// TestSiteRunsNameTheCollectorsFindingsByTheirStoreKeys: the collector's
// message counts reports, so the alerter must get the keys the collector
// filed its findings under, or each new count would read as a new
// incident. Findings of other detectors stay out of the site's run.
func TestSiteRunsNameTheCollectorsFindingsByTheirStoreKeys(t *testing.T) {
	ctx := context.Background()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	for key, f := range map[string]finding.Finding{
		"collector-key-1": {Severity: finding.High, Kind: "csp.unapproved-script", Source: DetectorCollector, Site: "shop", Message: "3 report(s)", Time: now},
		"collector-key-2": {Severity: finding.Medium, Kind: "csp.eval", Source: DetectorCollector, Site: "shop", Message: "1 report(s)", Time: now},
		"fim-key":         {Severity: finding.High, Kind: "fim.modified", Source: "fim", Site: "shop", Path: "a.js", Message: "changed", Time: now},
	} {
		if _, err := st.PutFinding(ctx, key, f); err != nil {
			t.Fatal(err)
		}
	}
	alerts := newRecordingAlerter()
	m := &Monitor{log: slog.New(slog.DiscardHandler), alerter: alerts, store: st, now: time.Now}
	w := &siteWorker{m: m}
	if err := w.Work(ctx, &river.Job[SiteArgs]{Args: SiteArgs{Site: "shop", Every: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	r, ok := alerts.nth(ctx, 0, time.Second)
	if !ok {
		t.Fatal("the alerter was told nothing")
	}
	if len(r.Keys) != len(r.Findings) {
		t.Fatalf("%d keys for %d findings", len(r.Keys), len(r.Findings))
	}
	byKey := map[string]string{}
	for i, f := range r.Findings {
		byKey[r.Keys[i]] = f.Kind
	}
	want := map[string]string{"collector-key-1": "csp.unapproved-script", "collector-key-2": "csp.eval"}
	if len(byKey) != len(want) || byKey["collector-key-1"] != want["collector-key-1"] || byKey["collector-key-2"] != want["collector-key-2"] {
		t.Errorf("keys to kinds = %v, want %v (and no fim finding)", byKey, want)
	}
	if slices.Contains(r.Keys, "fim-key") {
		t.Error("the site's run took in a fim finding")
	}
}
