package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// ReplayPage is one page a replay checks: what a real check of it saw
// clean and tampered, and when the tamper was on (the ground truth).
type ReplayPage struct {
	Target          string
	Clean, Tampered *observation.Observation
	TamperOn, Off   time.Time
	// Again are later tampers, after the shop cleaned the page: an
	// attacker who kept his way in comes back.
	Again []Span
}

// Span is one period a page was tampered with, from On to before Off.
type Span struct{ On, Off time.Time }

// tamperedAt reports whether the page served the tampered version at t.
func (p ReplayPage) tamperedAt(t time.Time) bool {
	return slices.ContainsFunc(append([]Span{{p.TamperOn, p.Off}}, p.Again...), func(s Span) bool { return !t.Before(s.On) && t.Before(s.Off) })
}

// Replay files weeks of scheduled checks in seconds: it drives Clock from
// its current time to End, and at every tick records, per page, the clean or the tampered observation
// (as real checks of the lab saw them) restamped to the tick, judged
// against Base and filed through checkrun and record exactly as a
// scheduled check files its own. Running Chromium thousands of times would
// show nothing more: what a page serves does not change between ticks.
type Replay struct {
	Site string
	// Clock is the simulated time; the store Run files into must take its
	// time from it too (sqlite.Options.Now), as a scheduled check's record
	// takes the service's clock.
	Clock  *lab.Clock
	End    time.Time
	Every  time.Duration
	Pages  []ReplayPage
	Base   *inventory.Baseline
	Policy verdict.Options
}

// Run files the replay and returns, per page target, the key of the most
// severe finding its tampered checks raised (what an alert would carry).
func (r Replay) Run(ctx context.Context, st store.Store) (map[string]string, error) {
	if r.Clock == nil || r.Every <= 0 || !r.End.After(r.Clock.Now()) {
		return nil, fmt.Errorf("replay: want a clock, a positive interval and End after the clock's time")
	}
	keys := map[string]string{}
	for at := r.Clock.Now(); at.Before(r.End); at = r.Clock.Advance(r.Every) {
		for _, p := range r.Pages {
			src := p.Clean
			if p.tamperedAt(at) {
				src = p.Tampered
			}
			o := *src
			o.StartedAt = at
			rep := &finding.Report{Command: "check", Complete: true, Started: at}
			checkrun.Evaluate(rep, []*observation.Observation{&o}, r.Base, r.Policy)
			var high []finding.Finding
			for _, f := range rep.Findings {
				if f.Severity >= finding.High {
					high = append(high, f)
				}
			}
			// Findings and events carry no time of their own: the store
			// stamps them from the clock.
			evs := checkrun.Events("skimwatch serve", rep, []*observation.Observation{&o})
			if err := record.Put(ctx, st, r.Site, high, nil, evs); err != nil {
				return nil, fmt.Errorf("replay at %s: %w", at, err)
			}
		}
	}
	// The keys are read back rather than recomputed: record.Put owns how
	// a finding is keyed.
	found, err := st.Findings(ctx, store.FindingQuery{Site: r.Site, MinSeverity: finding.High})
	if err != nil {
		return nil, fmt.Errorf("replay: read findings: %w", err)
	}
	// The probe's own evidence (what left the page) is preferred: it names
	// what was exposed. Findings come highest severity first.
	for _, p := range r.Pages {
		for _, f := range found {
			if _, ok := keys[p.Target]; !ok && f.Source == "check" && sameTarget(p.Target, f.URL) && len(valuesOf(f)) > 0 {
				keys[p.Target] = f.Key
			}
		}
		for _, f := range found {
			if _, ok := keys[p.Target]; !ok && f.Source == "check" && sameTarget(p.Target, f.URL) {
				keys[p.Target] = f.Key
			}
		}
	}
	return keys, nil
}
