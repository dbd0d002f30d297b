package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/finding/kindtext"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

// overviewRuns is how many of the monitor's newest runs the overview reads:
// enough for every target's latest result and recent streaks, few enough
// to stay fast on a busy queue.
const overviewRuns = 1000

// TargetState is one watched page (or web root, or collector) on the
// overview.
type TargetState struct {
	Site     string    `json:"site"`
	Detector string    `json:"detector"`
	Target   string    `json:"target"`
	LastRun  time.Time `json:"last_run,omitzero"`
	// Result is "clean", "findings", "incomplete" or "none" (no run seen).
	Result      string           `json:"result"`
	Findings    int              `json:"findings"`
	MaxSeverity finding.Severity `json:"max_severity,omitempty"`
	// TopKind is the kind of the latest run's most severe finding, so
	// the overview says what was found, not only how bad; TopTitle is
	// its title in English (the page shows the reader's).
	TopKind  string `json:"top_kind,omitempty"`
	TopTitle string `json:"top_title,omitempty"`
	// CleanSince is when the current run of clean, complete results
	// began; CleanAtLeast says it began before the oldest run read, so
	// the target has been clean at least that long.
	CleanSince   time.Time `json:"clean_since,omitzero"`
	CleanAtLeast bool      `json:"clean_at_least,omitempty"`
	// IncompleteStreak counts the latest runs in a row that could not
	// see the whole target.
	IncompleteStreak int `json:"incomplete_streak"`
	// OpenFindings counts the target's open finding incidents.
	OpenFindings int `json:"open_findings"`
}

// SeverityCount is how many open findings have one severity.
type SeverityCount struct {
	Severity finding.Severity `json:"severity"`
	Count    int              `json:"count"`
}

// Overview is the overview page's data, and GET /api/overview's answer.
type Overview struct {
	Targets []TargetState   `json:"targets"`
	Open    []SeverityCount `json:"open_findings"`
	// NoMonitor is set when this process runs no checks, so the last-run
	// columns are empty for a reason.
	NoMonitor bool  `json:"no_monitor,omitempty"`
	Pager     Pager `json:"-"`
}

type targetKey struct{ site, detector, target string }

// overviewOf builds the overview from the monitor's runs, the alert
// incidents (open findings, silence streaks) and the store's sites.
func (s *Server) overviewOf(ctx context.Context) (Overview, error) {
	var ov Overview
	states := map[targetKey]*TargetState{}
	get := func(k targetKey) *TargetState {
		t := states[k]
		if t == nil {
			t = &TargetState{Site: k.site, Detector: k.detector, Target: k.target, Result: "none"}
			states[k] = t
		}
		return t
	}
	if s.runs == nil {
		ov.NoMonitor = true
	} else {
		runs, err := s.runs(ctx, overviewRuns)
		if err != nil {
			return ov, err
		}
		foldRuns(runs, len(runs) == overviewRuns, get, states)
	}
	counts, err := s.store.IncidentCounts(ctx, []string{store.IncidentOpen, store.IncidentWatching})
	if err != nil {
		return ov, err
	}
	bySev := map[finding.Severity]int{}
	for _, c := range counts {
		t := get(targetKey{c.Site, c.Detector, c.Target})
		switch c.Kind {
		case store.IncidentFinding:
			// Watching is a silence status only: every finding
			// incident counted here is open.
			t.OpenFindings += c.Count
			bySev[c.Severity] += c.Count
		case store.IncidentSilence:
			t.IncompleteStreak = max(t.IncompleteStreak, c.MaxStreak)
		}
	}
	for sev := finding.Critical; sev >= finding.Info; sev-- {
		ov.Open = append(ov.Open, SeverityCount{Severity: sev, Count: bySev[sev]})
	}
	sites, err := s.store.Sites(ctx)
	if err != nil {
		return ov, err
	}
	seen := map[string]bool{}
	for k := range states {
		seen[k.site] = true
	}
	for _, site := range sites {
		if !seen[site.Name] {
			get(targetKey{site: site.Name})
		}
	}
	for _, t := range states {
		ov.Targets = append(ov.Targets, *t)
	}
	// Trouble first: open findings, then incomplete streaks, then by name.
	slices.SortFunc(ov.Targets, func(a, b TargetState) int {
		return cmp.Or(cmp.Compare(b.OpenFindings, a.OpenFindings), cmp.Compare(b.IncompleteStreak, a.IncompleteStreak),
			cmp.Compare(a.Site, b.Site), cmp.Compare(a.Detector, b.Detector), cmp.Compare(a.Target, b.Target))
	})
	return ov, nil
}

// foldRuns reads runs (newest first) into per-target states: the latest
// result, how long the target has been clean and its incomplete streak.
// truncated says older runs exist than those read.
func foldRuns(runs []monitor.Run, truncated bool, get func(targetKey) *TargetState, states map[targetKey]*TargetState) {
	// streakOpen: the target's newest runs are still being walked (the
	// current clean or incomplete streak has not been broken yet).
	streakOpen := map[targetKey]bool{}
	for _, r := range runs {
		res := r.Result
		if res == nil || r.Finished == nil {
			continue // queued, running, or died without a result
		}
		k := targetKey{res.Site, res.Detector, res.Target}
		first := states[k] == nil || states[k].LastRun.IsZero()
		t := get(k)
		clean := res.Complete && len(res.Findings) == 0
		if first {
			t.LastRun = res.At
			switch {
			case !res.Complete:
				t.Result = "incomplete"
			case len(res.Findings) > 0:
				t.Result = "findings"
			default:
				t.Result = "clean"
			}
			t.Findings = len(res.Findings)
			for i, f := range res.Findings {
				// The first of the most severe, as the run listed them.
				if i == 0 || f.Severity > t.MaxSeverity {
					t.TopKind, t.TopTitle = f.Kind, kindtext.Title(f.Kind, kindtext.English)
				}
				t.MaxSeverity = max(t.MaxSeverity, f.Severity)
			}
			streakOpen[k] = true
		}
		if !streakOpen[k] {
			continue
		}
		switch {
		case t.Result == "clean" && clean:
			t.CleanSince = res.At
		case t.Result == "incomplete" && !res.Complete:
			t.IncompleteStreak++
		default:
			streakOpen[k] = false
		}
	}
	if truncated {
		for k, open := range streakOpen {
			if open && states[k].Result == "clean" {
				states[k].CleanAtLeast = true
			}
		}
	}
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	ov, err := s.overviewOf(r.Context())
	if err != nil {
		s.serverError(w, r, "overview", err)
		return
	}
	p := pagerFrom(r)
	ov.Targets = Trim(&p, window(ov.Targets, p.Offset(), p.Limit()))
	ov.Pager = p
	s.render(w, r, "overview.html", ov)
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	ov, err := s.overviewOf(r.Context())
	if err != nil {
		s.serverError(w, r, "overview", err)
		return
	}
	p := pagerFrom(r)
	ov.Targets = Trim(&p, window(ov.Targets, p.Offset(), p.Limit()))
	s.writeJSON(w, http.StatusOK, map[string]any{"targets": ov.Targets, "open_findings": ov.Open,
		"no_monitor": ov.NoMonitor, "page": p.Page, "per": p.PerPage, "has_next": p.HasNext})
}

// window is rows[off:off+n], clipped.
func window[T any](rows []T, off, n int) []T {
	if off >= len(rows) {
		return nil
	}
	return rows[off:min(len(rows), off+n)]
}

// serverError logs err and answers 500 without showing it: an error text
// may carry stored, attacker-written values or database details.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what, "err", err, "path", r.URL.Path)
	if isAPI(r) {
		s.writeJSON(w, http.StatusInternalServerError, map[string]any{"error": what + " failed"})
		return
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}
