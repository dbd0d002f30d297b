package incident_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// labChecks runs the four real checks a replay needs: the lab's payment
// and registration pages clean, and each under its 2021 tamper.
func labChecks(t *testing.T) (pay, reg incident.ReplayPage, base *inventory.Baseline, pol verdict.Options) {
	t.Helper()
	bin, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b, err := browser.Launch(ctx, browser.Options{ExecPath: bin, MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = []string{l.PSPOrigin(), l.PSPAPIOrigin()}
	opts.Dwell = 3 * time.Second
	pol = verdict.Options{PaymentOrigins: opts.PaymentOrigins, Site: "lab"}
	payURL, regURL := l.ShopURL()+"/checkout/link", l.ShopURL()+"/register"
	target := func(u string) checkrun.Target { return checkrun.Target{Name: u, Target: pagecheck.Target{URL: u}} }
	clean := checkrun.Run(ctx, b, []checkrun.Target{target(payURL), target(regURL)}, opts)
	base = inventory.New(time.Now())
	if err := checkrun.Approve(base, clean, pol, time.Now()); err != nil {
		t.Fatalf("approve the clean pages: %v (%v / %v)", err, clean[0].Incomplete, clean[1].Incomplete)
	}
	tampered := func(scenario, u string) *observation.Observation {
		if err := l.SetScenario(scenario); err != nil {
			t.Fatal(err)
		}
		o := checkrun.Run(ctx, b, []checkrun.Target{target(u)}, opts)[0]
		if !o.Complete {
			t.Fatalf("%s check incomplete: %v", scenario, o.Incomplete)
		}
		return o
	}
	pay = incident.ReplayPage{Target: payURL, Clean: clean[0], Tampered: tampered("fake-card-form", payURL)}
	reg = incident.ReplayPage{Target: regURL, Clean: clean[1], Tampered: tampered("registration-leak", regURL)}
	return pay, reg, base, pol
}

func TestLabReplayScopesTheSeedIncident(t *testing.T) {
	pay, reg, base, pol := labChecks(t)
	ctx := context.Background()
	every := 30 * time.Minute
	start := time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(4 * 7 * 24 * time.Hour)
	// Tamper times fall between ticks, as real ones do.
	pay.TamperOn, pay.Off = time.Date(2020, 12, 8, 3, 17, 41, 0, time.UTC), time.Date(2020, 12, 20, 14, 41, 9, 0, time.UTC)
	reg.TamperOn, reg.Off = time.Date(2020, 12, 12, 22, 5, 0, 0, time.UTC), time.Date(2020, 12, 15, 9, 48, 30, 0, time.UTC)
	clock := lab.NewClock(start)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "replay.db"), sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	began := time.Now()
	keys, err := incident.Replay{Site: "lab", Clock: clock, End: end, Every: every, Pages: []incident.ReplayPage{pay, reg}, Base: base, Policy: pol}.Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replay of %s of checks every %s filed in %s", end.Sub(start), every, time.Since(began).Round(time.Millisecond))
	if keys[pay.Target] == "" || keys[reg.Target] == "" {
		t.Fatalf("finding keys = %v, want one per tampered page", keys)
	}
	inc, err := incident.Open(ctx, st, incident.Options{Site: "lab", FindingKeys: []string{keys[pay.Target], keys[reg.Target]}})
	if err != nil {
		t.Fatal(err)
	}
	orders := lab.GenerateOrders(start, end, lab.DefaultTraffic())
	sc := incident.NewScope(inc)
	for _, o := range orders {
		sc.Add(incident.Order{ID: o.ID, Kind: o.Kind, Time: o.Time, CustomerID: o.CustomerID, Email: o.Email, Name: o.Name})
	}
	sc.Finish()

	for _, tc := range []struct {
		page      incident.ReplayPage
		kind      string
		pageKind  string
		wantClass []incident.DataClass
	}{
		{pay, incident.KindOrder, incident.PagePayment, []incident.DataClass{incident.ClassCardNumber, incident.ClassCardExpiry, incident.ClassSecurityCode}},
		{reg, incident.KindRegistration, incident.PageRegistration, []incident.DataClass{incident.ClassPersonalData}},
	} {
		i := slices.IndexFunc(inc.Pages, func(p incident.Page) bool { return p.Target == tc.page.Target })
		if i < 0 {
			t.Fatalf("no page %s in %+v", tc.page.Target, inc.Pages)
		}
		p := inc.Pages[i]
		w := p.Window
		t.Run("the "+tc.pageKind+" page's window holds the real tamper and is no wider than one check interval on each side", func(t *testing.T) {
			if !(w.Start.After.Before(tc.page.TamperOn) && !w.Start.NoLaterThan.Before(tc.page.TamperOn)) {
				t.Errorf("start (%s, %s] does not hold the tamper's start %s", w.Start.After, w.Start.NoLaterThan, tc.page.TamperOn)
			}
			if w.End.Open || !(w.End.After.Before(tc.page.Off) && !w.End.NoLaterThan.Before(tc.page.Off)) {
				t.Errorf("end [%s, %s) open=%v does not hold the tamper's end %s", w.End.After, w.End.NoLaterThan, w.End.Open, tc.page.Off)
			}
			if w.Start.Width() > every || w.End.Width() > every {
				t.Errorf("bounds %s and %s wide, want at most the %s interval", w.Start.Width(), w.End.Width(), every)
			}
		})
		t.Run("the "+tc.pageKind+" page is of its kind and exposed what its skimmer took", func(t *testing.T) {
			if p.Kind != tc.pageKind {
				t.Errorf("kind = %s, want %s", p.Kind, tc.pageKind)
			}
			for _, c := range tc.wantClass {
				if !slices.Contains(p.Exposed, c) {
					t.Errorf("exposed = %v, want %s among them", p.Exposed, c)
				}
			}
			if tc.pageKind == incident.PageRegistration && slices.ContainsFunc(p.Exposed, incident.DataClass.IsCard) {
				t.Errorf("registration page exposed %v, want personal data only", p.Exposed)
			}
		})
		// Ground truth from the simulation, and the bands from the bounds.
		var truth, inner, band []string
		for _, o := range orders {
			if o.Kind != tc.kind {
				continue
			}
			if !o.Time.Before(tc.page.TamperOn) && o.Time.Before(tc.page.Off) {
				truth = append(truth, o.ID)
				if !o.Time.Before(w.Start.NoLaterThan) && !o.Time.After(w.End.After) {
					inner = append(inner, o.ID)
				}
			}
			if (o.Time.After(w.Start.After) && o.Time.Before(w.Start.NoLaterThan)) || (o.Time.After(w.End.After) && o.Time.Before(w.End.NoLaterThan)) {
				band = append(band, o.ID)
			}
		}
		var affected, possibly []string
		for _, a := range inc.Affected {
			if a.Kind == tc.kind {
				affected = append(affected, a.ID)
			}
		}
		for _, a := range inc.PossiblyAffected {
			if a.Kind == tc.kind {
				possibly = append(possibly, a.ID)
			}
		}
		t.Run("the "+tc.kind+"s listed as affected are exactly the ground truth inside the bounds, and none of the truth is missed", func(t *testing.T) {
			if len(truth) < 10 {
				t.Fatalf("only %d %ss in the tamper: the simulation is too thin to test", len(truth), tc.kind)
			}
			if !slices.Equal(affected, inner) {
				t.Errorf("affected %d %ss, ground truth inside the bounds %d", len(affected), tc.kind, len(inner))
			}
			for _, id := range truth {
				if !slices.Contains(affected, id) && !slices.Contains(possibly, id) {
					t.Errorf("%s was skimmed but is listed neither as affected nor as possibly affected", id)
				}
			}
		})
		t.Run("the possibly affected "+tc.kind+"s are exactly those between the bounds", func(t *testing.T) {
			if !slices.Equal(possibly, band) {
				t.Errorf("possibly affected %v, want %v", possibly, band)
			}
		})
	}
	t.Run("every citation of the window verifies against the event log", func(t *testing.T) {
		v, err := incident.Verify(ctx, st, inc)
		if err != nil || !v.OK() || v.Checked < 8 {
			t.Errorf("verify = %+v, %v", v, err)
		}
	})
	t.Logf("window: start %s; end %s; %d orders, %d registrations, %d customers affected; %d possibly",
		inc.Window.Start.StartText(), inc.Window.End.EndText(), inc.Counts.Orders, inc.Counts.Registrations, inc.Counts.Customers, inc.Counts.PossiblyAffected)
}
