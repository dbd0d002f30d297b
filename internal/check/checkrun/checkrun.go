// Package checkrun runs browser checks of many pages and flows at once and
// turns their observations into one report: the findings against the
// approved baseline, the evidence events for the log, and the check runs
// that let a leaked honey value name its check. `skimwatch check`, the demo
// and the service's check jobs all go through it, so a check means the same
// thing wherever it runs.
package checkrun

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Target is one page or flow to check, with the name it is reported under.
type Target struct {
	Name   string
	Target pagecheck.Target
	// Differential runs the check's three passes (pagecheck.CheckDifferential)
	// to find a card sent under a cipher no decoder undoes. It costs about
	// three checks, so callers ask for it where only the probe's own evidence
	// can tell: a page with no approved baseline yet (see Differential).
	Differential bool
}

// BaselineKey is the name the check's observation, and so the baseline,
// knows the target by: "flow:" and a flow's name (or start), a page's URL.
// It must be the key Approve files the observation under
// (inventory.TargetKey), or a flow would never be found approved.
func (t Target) BaselineKey() string {
	if fl := t.Target.Flow; fl != nil {
		if fl.Name != "" {
			return "flow:" + fl.Name
		}
		return "flow:" + fl.Start
	}
	return t.Name
}

// DifferentialModes are the values of the --differential choice.
var DifferentialModes = []string{"auto", "always", "never"}

// Differential decides, for a mode of DifferentialModes, whether a target
// gets the differential passes: always, never, or (auto) only while base
// has no approved page for it, that is on day one, when the shop may already
// be skimmed and nothing but the probe's evidence can tell.
func Differential(mode string, base *inventory.Baseline, t Target) bool {
	switch mode {
	case "always":
		return true
	case "auto":
		return base == nil || base.Page(t.BaselineKey()) == nil
	}
	return false
}

// ErrIncomplete is wrapped by Approve when the checks it was given did not
// all complete: what a check did not see cannot be approved.
var ErrIncomplete = errors.New("an incomplete check cannot be approved")

// Run checks every target at once (the browser caps how many really run
// together) and returns one observation per target, in order. A check that
// fails is an incomplete observation naming why, never a missing one.
func Run(ctx context.Context, b *browser.Browser, targets []Target, opts pagecheck.Options) []*observation.Observation {
	out := make([]*observation.Observation, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			check := pagecheck.Check
			if t.Differential && opts.Probe {
				check = pagecheck.CheckDifferential
			}
			o, err := check(ctx, b, t.Target, opts)
			if err != nil {
				o = &observation.Observation{Target: t.Name, Complete: false, Incomplete: []string{err.Error()}}
			}
			if o.Target == "" {
				o.Target = t.Name
			}
			out[i] = o
		})
	}
	wg.Wait()
	return out
}

// Evaluate fills r from the observations: each target's name, its reasons
// for being incomplete, and the findings against its approved page in base
// (nil base: nothing approved yet, so only what needs no baseline, such as
// honey evidence, is found).
func Evaluate(r *finding.Report, obs []*observation.Observation, base *inventory.Baseline, pol verdict.Options) {
	for _, o := range obs {
		r.Targets = append(r.Targets, o.Target)
		if !o.Complete {
			for _, reason := range o.Incomplete {
				r.MarkIncomplete(o.Target + ": " + reason)
			}
			if len(o.Incomplete) == 0 {
				r.MarkIncomplete(o.Target + ": incomplete")
			}
		}
		var page *inventory.PageInventory
		if base != nil {
			page = base.Page(o.Target)
		}
		r.Findings = append(r.Findings, verdict.Evaluate(o, page, pol)...)
	}
	r.Sort()
}

// Approve merges what the observations saw into base. It refuses, wrapping
// ErrIncomplete, unless every observation is complete: approving half a
// page would make the unseen half's skimmer look approved later.
func Approve(base *inventory.Baseline, obs []*observation.Observation, pol verdict.Options, now time.Time) error {
	for _, o := range obs {
		if !o.Complete {
			return ErrIncomplete
		}
	}
	for _, o := range obs {
		base.Merge(verdict.Approve(o, verdict.Options{PaymentOrigins: pol.PaymentOrigins, ShopOrigins: pol.ShopOrigins}), now)
	}
	return nil
}

// Summarize gives a short inventory of each target, so a reader sees what
// was checked without the raw observation.
func Summarize(obs []*observation.Observation) []map[string]any {
	var out []map[string]any
	for _, o := range obs {
		filled := 0
		if o.Probe != nil {
			filled = len(o.Probe.Filled)
		}
		dests := map[string]bool{}
		for _, r := range o.Requests {
			if d := origin.Of(r.URL); d != "" {
				dests[d] = true
			}
		}
		out = append(out, map[string]any{
			"target":        o.Target,
			"complete":      o.Complete,
			"pages":         len(o.Pages),
			"scripts":       len(o.Scripts),
			"requests":      len(o.Requests),
			"websockets":    len(o.WebSockets),
			"forms":         len(o.Forms),
			"fields_filled": filled,
			"destinations":  len(dests),
			"leaks":         len(o.Leaks),
			"duration_ms":   int64(o.Duration),
		})
	}
	return out
}

// Events records, per target, what the page served (every script's hash)
// and when: the record that lets an incident's exposure window be proven
// later.
func Events(actor string, r *finding.Report, obs []*observation.Observation) []store.Event {
	type servedScript struct {
		URL    string `json:"url,omitempty"`
		Kind   string `json:"kind"`
		SHA256 string `json:"sha256"`
	}
	var events []store.Event
	for _, o := range obs {
		var scripts []servedScript
		for _, s := range o.Scripts {
			scripts = append(scripts, servedScript{URL: s.URL, Kind: s.Kind, SHA256: s.SHA256})
		}
		events = append(events, record.RunEvent(actor, r, map[string]any{
			"targets": []string{o.Target}, "complete": o.Complete, "started": o.StartedAt, "scripts": scripts, "leaks": len(o.Leaks),
		}))
	}
	return events
}

// Runs lists, per target that was probed, the check ID and the honey
// values typed, so that `skimwatch findings --honey VALUE` can name the
// check a leaked value came from.
func Runs(obs []*observation.Observation) []store.CheckRun {
	var runs []store.CheckRun
	for _, o := range obs {
		if o.Probe == nil || o.Probe.CheckID == "" || len(o.Probe.Values) == 0 {
			continue
		}
		runs = append(runs, store.CheckRun{CheckID: o.Probe.CheckID, Target: o.Target, Time: o.StartedAt, Honey: maps.Clone(o.Probe.Values)})
	}
	return runs
}

// Sources lists the text of every script the checks saw, once per SHA-256,
// for the store's content-addressed sources: what a changed script's
// finding (which names the approved and the new digest) is shown as a diff
// with. A source the check kept only in part is marked Truncated.
func Sources(obs []*observation.Observation) []store.ScriptSource {
	var out []store.ScriptSource
	seen := map[string]bool{}
	for _, o := range obs {
		for _, s := range o.Scripts {
			if s.SHA256 == "" || s.Source == "" || seen[s.SHA256] {
				continue
			}
			seen[s.SHA256] = true
			out = append(out, store.ScriptSource{SHA256: s.SHA256, URL: s.URL, Source: s.Source, Length: s.Length,
				Truncated: s.Length > len(s.Source), FirstSeen: o.StartedAt})
		}
	}
	return out
}

// SaveSources keeps Sources(obs) in st. Callers record it beside the run's
// findings: without it a changed script's finding still stands, but its
// page cannot show the diff.
func SaveSources(ctx context.Context, st store.ScriptSourceStore, obs []*observation.Observation) error {
	srcs := Sources(obs)
	if len(srcs) == 0 {
		return nil
	}
	if err := st.PutScriptSources(ctx, srcs); err != nil {
		return fmt.Errorf("save script sources: %w", err)
	}
	return nil
}
