package incident_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

// A page cleaned and tampered again is two windows: the replay files
// clean checks between the two tampers, and the orders of that gap were
// never exposed. The observations stand in for real checks (clean, and
// with a script from the attacker), so no browser is needed.
func TestReplayOfAPageCleanedAndTamperedAgainSplitsTheWindow(t *testing.T) {
	ctx := context.Background()
	const page = "http://127.0.0.1:8080/checkout/link"
	obs := func(scripts ...observation.Script) *observation.Observation {
		return &observation.Observation{Target: page, Complete: true, Scripts: scripts, Pages: []observation.Page{{URL: page}}}
	}
	app := observation.Script{URL: "http://127.0.0.1:8080/app.js", Kind: observation.ScriptExternal, SHA256: strings.Repeat("1", 64), DocumentURL: page}
	evil := observation.Script{URL: "http://127.0.0.4:9000/skim.js", Kind: observation.ScriptExternal, SHA256: strings.Repeat("e", 64), DocumentURL: page}
	clean, tampered := obs(app), obs(app, evil)
	pol := verdict.Options{Site: "lab"}
	base := inventory.New(time.Now())
	if err := checkrun.Approve(base, []*observation.Observation{clean}, pol, time.Now()); err != nil {
		t.Fatal(err)
	}
	every := 30 * time.Minute
	start := time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(5 * 7 * 24 * time.Hour)
	// The shop cleaned the page on 15 December; the attacker came back on
	// the 22nd. Times fall between ticks, as real ones do.
	spans := []incident.Span{
		{On: time.Date(2020, 12, 8, 3, 17, 41, 0, time.UTC), Off: time.Date(2020, 12, 15, 11, 2, 5, 0, time.UTC)},
		{On: time.Date(2020, 12, 22, 19, 44, 0, 0, time.UTC), Off: time.Date(2021, 1, 2, 8, 9, 10, 0, time.UTC)},
	}
	rp := incident.ReplayPage{Target: page, Clean: clean, Tampered: tampered, TamperOn: spans[0].On, Off: spans[0].Off, Again: spans[1:]}
	clock := lab.NewClock(start)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "replay.db"), sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := incident.Replay{Site: "lab", Clock: clock, End: end, Every: every, Pages: []incident.ReplayPage{rp}, Base: base, Policy: pol}.Run(ctx, st)
	if err != nil || keys[page] == "" {
		t.Fatalf("replay: keys %v, %v", keys, err)
	}
	inc, err := incident.Open(ctx, st, incident.Options{Site: "lab", FindingKeys: []string{keys[page]}})
	if err != nil {
		t.Fatal(err)
	}
	orders := lab.GenerateOrders(start, end, lab.DefaultTraffic())
	sc := incident.NewScope(inc)
	for _, o := range orders {
		sc.Add(incident.Order{ID: o.ID, Kind: o.Kind, Time: o.Time, CustomerID: o.CustomerID, Email: o.Email, Name: o.Name})
	}
	sc.Finish()

	t.Run("the page has one window per tamper, each holding its tamper within one check interval on each side", func(t *testing.T) {
		if len(inc.Pages) != 2 {
			t.Fatalf("%d page windows, want 2 (one per tamper): %+v", len(inc.Pages), inc.Pages)
		}
		for i, p := range inc.Pages {
			w, sp := p.Window, spans[i]
			if p.Target != page {
				t.Errorf("window %d is of %s, want %s", i, p.Target, page)
			}
			if !(w.Start.After.Before(sp.On) && !w.Start.NoLaterThan.Before(sp.On)) || w.Start.Width() > every {
				t.Errorf("window %d start (%s, %s] does not hold %s within %s", i, w.Start.After, w.Start.NoLaterThan, sp.On, every)
			}
			if w.End.Open || !(w.End.After.Before(sp.Off) && !w.End.NoLaterThan.Before(sp.Off)) || w.End.Width() > every {
				t.Errorf("window %d end [%s, %s) open=%v does not hold %s within %s", i, w.End.After, w.End.NoLaterThan, w.End.Open, sp.Off, every)
			}
		}
		if got := inc.Artifact.Pages; !slices.Equal(got, []string{page}) {
			t.Errorf("artifact pages = %v, want the one page once", got)
		}
		var sum strings.Builder
		incident.WriteSummary(&sum, inc)
		if !strings.Contains(sum.String(), "(tampered spell 1 of 2)") || !strings.Contains(sum.String(), "(tampered spell 2 of 2)") {
			t.Errorf("summary does not tell the two spells apart:\n%s", sum.String())
		}
	})
	t.Run("the affected orders are the union of both windows' and none from the gap between them", func(t *testing.T) {
		if len(inc.Pages) != 2 {
			t.Skip("needs two windows")
		}
		var want, gap []string
		for _, o := range orders {
			if o.Kind != incident.KindOrder {
				continue
			}
			for _, p := range inc.Pages {
				if !o.Time.Before(p.Window.Start.NoLaterThan) && !o.Time.After(p.Window.End.After) {
					want = append(want, o.ID)
				}
			}
			if !o.Time.Before(spans[0].Off.Add(every)) && !o.Time.After(spans[1].On.Add(-every)) {
				gap = append(gap, o.ID)
			}
		}
		var got []string
		for _, a := range inc.Affected {
			got = append(got, a.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("affected %d orders, want the %d inside either window", len(got), len(want))
		}
		if len(gap) < 100 {
			t.Fatalf("only %d orders in the gap: too few to test", len(gap))
		}
		for _, id := range gap {
			if slices.ContainsFunc(inc.Affected, func(a incident.AffectedOrder) bool { return a.ID == id }) ||
				slices.ContainsFunc(inc.PossiblyAffected, func(a incident.AffectedOrder) bool { return a.ID == id }) {
				t.Errorf("order %s, placed while the page was clean between the tampers, is listed", id)
			}
		}
	})
	t.Run("every order placed while either tamper ran is affected or possibly affected", func(t *testing.T) {
		for _, o := range orders {
			if o.Kind != incident.KindOrder {
				continue
			}
			if !slices.ContainsFunc(spans, func(s incident.Span) bool { return !o.Time.Before(s.On) && o.Time.Before(s.Off) }) {
				continue
			}
			if !slices.ContainsFunc(inc.Affected, func(a incident.AffectedOrder) bool { return a.ID == o.ID }) &&
				!slices.ContainsFunc(inc.PossiblyAffected, func(a incident.AffectedOrder) bool { return a.ID == o.ID }) {
				t.Errorf("order %s was skimmed but is not listed", o.ID)
			}
		}
	})
	t.Run("both windows' citations verify against the event log", func(t *testing.T) {
		v, err := incident.Verify(ctx, st, inc)
		if err != nil || !v.OK() || v.Checked < 8 {
			t.Errorf("verify = %+v, %v; want at least the 8 bounds' checks to hold", v, err)
		}
	})
}
