package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// clue is a fact from a source other than the browser checks that can
// narrow one side of a bound.
type clue struct {
	at   time.Time
	cite Citation
	// kinds limits the clue to pages of these kinds (nil: any page).
	kinds []string
	// weaker says why the clue is weaker than a check, when it is.
	weaker string
}

// clues are the other sources' facts, by the side of the window they bound.
type clues struct {
	// startUpper: the artifact was served (or planted) by then.
	startUpper []clue
	// startLower: the artifact was not yet there before then; used only
	// where no clean check precedes the first dirty one.
	startLower []clue
	// endLower: the artifact was still served then.
	endLower []clue
}

func (c clues) forPage(kind string) clues {
	keep := func(cs []clue) []clue {
		var out []clue
		for _, x := range cs {
			if x.kinds == nil || slices.Contains(x.kinds, kind) {
				out = append(out, x)
			}
		}
		return out
	}
	return clues{startUpper: keep(c.startUpper), startLower: keep(c.startLower), endLower: keep(c.endLower)}
}

// all lists the clues as observations: a lower bound of the start says
// the artifact was not yet there (or not known to be), every other clue
// that it was.
func (c clues) all() []Observation {
	var out []Observation
	seen := map[string]bool{}
	add := func(cs []clue, dirty bool) {
		for _, x := range cs {
			k := fmt.Sprint(x.at.UnixNano(), x.cite.Source, x.cite.What)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Observation{Time: x.at, Source: x.cite.Source, Dirty: dirty, Cite: x.cite})
		}
	}
	add(c.startUpper, true)
	add(c.endLower, true)
	add(c.startLower, false)
	return out
}

// runEventAfter cites the first run event of one of types filed at or
// after t: the run that raised a finding first seen at t.
func runEventAfter(events []store.Event, t time.Time, types ...string) (store.Event, bool) {
	for _, e := range events {
		if slices.Contains(types, e.Type) && !e.Time.Before(t.Add(-time.Second)) {
			return e, true
		}
	}
	return store.Event{}, false
}

// auxiliary gathers what the file monitor, the scanner, customers' CSP
// reports and the access log say about the artifact.
func auxiliary(ctx context.Context, st store.Store, events []store.Event, fs []store.StoredFinding, m scriptMatcher, o Options) clues {
	var c clues
	for _, f := range fs {
		if f.Path == "" {
			continue
		}
		ci := fileCite(events, f)
		c.startUpper = append(c.startUpper, clue{at: f.FirstSeen, cite: ci, kinds: []string{PagePayment, PageRegistration}})
		if s, _ := f.Evidence["mtime"].(string); s != "" {
			if mt, err := time.Parse(time.RFC3339Nano, s); err == nil {
				mc := ci
				mc.Source, mc.Time = SourceMtime, mt
				mc.What = fmt.Sprintf("%s was last modified at %s (file mtime in the %s evidence)", f.Path, mt.Format(time.RFC3339), f.Source)
				c.startLower = append(c.startLower, clue{at: mt, cite: mc,
					weaker: "the file's modification time is set by whoever writes the file (touch -d can put it anywhere)"})
			}
		}
	}
	if len(m.origins) > 0 {
		aggs, err := st.ReportAggregates(ctx, store.AggregateQuery{Site: o.Site})
		if err == nil {
			var first, last *store.ReportAggregate
			for i, a := range aggs {
				if !m.origins[origin.Of(a.Blocked)] && !m.origins[a.Blocked] {
					continue
				}
				if first == nil || a.FirstSeen.Before(first.FirstSeen) {
					first = &aggs[i]
				}
				if last == nil || a.LastSeen.After(last.LastSeen) {
					last = &aggs[i]
				}
			}
			if first != nil {
				c.startUpper = append(c.startUpper, clue{at: first.FirstSeen, cite: cspCite(events, *first, first.FirstSeen, "first")})
				c.endLower = append(c.endLower, clue{at: last.LastSeen, cite: cspCite(events, *last, last.LastSeen, "last")})
			}
		}
	}
	if len(o.AccessLog) > 0 {
		c = accessClues(c, events, m, o)
	}
	return c
}

// fileRunTypes are the run events that name the files their findings are
// about (record.FileFact).
var fileRunTypes = []string{"fim verify", "fim watch", "scan"}

// fileCite cites the first run event at or after a file finding was first
// seen that names the file (with the finding's hash, when it has one), so
// the citation proves the fact itself. A log written before run events
// named files has none: the run event after the sighting is cited then,
// and one is said not to be in the log when there is none.
func fileCite(events []store.Event, f store.StoredFinding) Citation {
	source := SourceFIM
	if f.Source == "scan" {
		source = SourceScan
	}
	sha, _ := f.Evidence["sha256"].(string)
	ci := Citation{Source: source, Time: f.FirstSeen}
	for _, e := range events {
		if !slices.Contains(fileRunTypes, e.Type) || e.Time.Before(f.FirstSeen.Add(-time.Second)) {
			continue
		}
		var data struct {
			Files []record.FileFact `json:"files"`
		}
		if json.Unmarshal(e.Data, &data) != nil {
			continue
		}
		i := slices.IndexFunc(data.Files, func(ff record.FileFact) bool { return ff.Path == f.Path && (sha == "" || ff.SHA256 == sha) })
		if i < 0 {
			continue
		}
		ff := data.Files[i]
		ci.EventSeq, ci.EventHash = e.Seq, e.Hash
		ci.What = fmt.Sprintf("%s run named %s (%s", e.Type, ff.Path, ff.Kind)
		if ff.SHA256 != "" {
			ci.What += ", sha256 " + ff.SHA256
		}
		if ff.Mtime != "" {
			ci.What += ", modified " + ff.Mtime
		}
		ci.What += ")"
		return ci
	}
	ci.What = fmt.Sprintf("%s reported %s (%s)", f.Source, f.Path, f.Kind)
	if e, ok := runEventAfter(events, f.FirstSeen, fileRunTypes...); ok {
		ci.EventSeq, ci.EventHash = e.Seq, e.Hash
		ci.What += "; the run's event does not name the file (recorded before run events named files)"
	} else {
		ci.Offline = true
		ci.What += "; not in the event log"
	}
	return ci
}

// cspCite cites the first collector evaluation at or after at that names
// the aggregate's origin on its page with the time cited (its first or
// last report), so the citation proves the fact itself. Older logs, whose
// evaluations named no origins, get the evaluation after at, or none.
func cspCite(events []store.Event, a store.ReportAggregate, at time.Time, which string) Citation {
	ci := Citation{Source: SourceCSP, Time: at,
		What: fmt.Sprintf("%s customer CSP report naming %s on %s (%d report(s) from %d browser(s))", which, a.Blocked, a.DocumentPath, a.Count, a.Clients)}
	for _, e := range events {
		if e.Type != "collector evaluate" || e.Time.Before(at.Add(-time.Second)) {
			continue
		}
		var data struct {
			Blocked []collector.BlockedSeen `json:"blocked"`
		}
		if json.Unmarshal(e.Data, &data) != nil {
			continue
		}
		if slices.ContainsFunc(data.Blocked, func(b collector.BlockedSeen) bool {
			seen := b.FirstSeen
			if which == "last" {
				seen = b.LastSeen
			}
			return b.Blocked == a.Blocked && b.DocumentPath == a.DocumentPath && b.Directive == a.Directive && seen.Equal(at)
		}) {
			ci.EventSeq, ci.EventHash = e.Seq, e.Hash
			ci.What = fmt.Sprintf("collector evaluation named %s on %s, %s reported by customers' browsers at %s", a.Blocked, a.DocumentPath, which, at.UTC().Format(time.RFC3339))
			return ci
		}
	}
	if e, ok := runEventAfter(events, at, "collector evaluate"); ok {
		ci.EventSeq, ci.EventHash = e.Seq, e.Hash
		ci.What += "; the evaluation's event does not name it (recorded before evaluations named origins)"
	} else {
		ci.Offline = true
		ci.What += "; not in the event log"
	}
	return ci
}

// accessClues reads the access log for requests of the malicious script
// as the shop served it (first and last), and for the tampered page just
// before the script's first request.
func accessClues(c clues, events []store.Event, m scriptMatcher, o Options) clues {
	paths := map[string]bool{}
	pages := map[string]bool{}
	for _, e := range events {
		ce, ok := decodeCheck(e)
		if !ok {
			continue
		}
		if !m.dirty(ce, origin.Of(ce.Targets[0])) {
			continue
		}
		if u, err := url.Parse(ce.Targets[0]); err == nil && u.Path != "" {
			pages[u.Path] = true
		}
		for _, s := range ce.Scripts {
			if !m.sha[s.SHA256] || s.Kind != "external" || m.origins[origin.Of(s.URL)] {
				continue
			}
			if u, err := url.Parse(s.URL); err == nil && u.Path != "" {
				paths[u.Path] = true
			}
		}
	}
	name := o.AccessLogName
	if name == "" {
		name = "access log"
	}
	var first, last *AccessRequest
	for i, r := range o.AccessLog {
		if !paths[r.Path] || r.Status >= 400 {
			continue
		}
		if first == nil || r.Time.Before(first.Time) {
			first = &o.AccessLog[i]
		}
		if last == nil || r.Time.After(last.Time) {
			last = &o.AccessLog[i]
		}
	}
	if first == nil {
		return c
	}
	offline := func(r AccessRequest, what string) Citation {
		return Citation{Source: SourceAccessLog, Offline: true, Time: r.Time, What: fmt.Sprintf("%s line %d: %s", name, r.Line, what)}
	}
	c.startUpper = append(c.startUpper, clue{at: first.Time, cite: offline(*first, "first request for the malicious script "+first.Path)})
	c.endLower = append(c.endLower, clue{at: last.Time, cite: offline(*last, "last request for the malicious script "+last.Path)})
	var before *AccessRequest
	for i, r := range o.AccessLog {
		if pages[r.Path] && r.Time.Before(first.Time) && (before == nil || r.Time.After(before.Time)) {
			before = &o.AccessLog[i]
		}
	}
	if before != nil {
		c.startLower = append(c.startLower, clue{at: before.Time, cite: offline(*before, "last request for the tampered page "+before.Path+" before the script was first requested"),
			weaker: "a page view without a script request can be a cached script, so the last such view only suggests the script was not yet there"})
	}
	return c
}

// windowOf computes one page's window from its check observations (in
// time order, at least one dirty) and the other sources' clues.
func windowOf(seen []Observation, c clues) Window {
	first := slices.IndexFunc(seen, func(x Observation) bool { return x.Dirty })
	lastDirty := first
	for i, x := range seen {
		if x.Dirty {
			lastDirty = i
		}
	}
	var w Window
	d1 := seen[first]
	w.Start.NoLaterThan, w.Start.NoLaterThanSource = d1.Time, SourceCheck
	w.Start.Evidence = append(w.Start.Evidence, d1.Cite)
	if first > 0 {
		c0 := seen[first-1]
		w.Start.After, w.Start.AfterSource = c0.Time, SourceCheck
		w.Start.Evidence = append([]Citation{c0.Cite}, w.Start.Evidence...)
	}
	for _, x := range c.startUpper {
		if x.at.Before(w.Start.NoLaterThan) && x.at.After(w.Start.After) {
			w.Start.NoLaterThan, w.Start.NoLaterThanSource = x.at, x.cite.Source
			w.Start.Evidence = append(w.Start.Evidence, x.cite)
		}
	}
	if first == 0 {
		// skimwatch first looked when the artifact was already there.
		var weaker []string
		for _, x := range c.startLower {
			if x.at.Before(w.Start.NoLaterThan) && x.at.After(w.Start.After) {
				w.Start.After, w.Start.AfterSource = x.at, x.cite.Source
				w.Start.Evidence = append(w.Start.Evidence, x.cite)
				weaker = append(weaker, x.weaker)
			}
		}
		if w.Start.After.IsZero() {
			w.Start.Weaker = "skimwatch's first observation already saw the artifact: the start is before it, and nothing in the record says how long before"
		} else {
			w.Start.Weaker = "no clean check precedes the artifact, so the start's lower bound rests on weaker evidence: " + strings.Join(weaker, "; ")
		}
	}
	w.Start.Source = boundsSource(w.Start)

	dl := seen[lastDirty]
	w.End.After, w.End.AfterSource = dl.Time, SourceCheck
	w.End.Evidence = append(w.End.Evidence, dl.Cite)
	if lastDirty < len(seen)-1 {
		c1 := seen[lastDirty+1]
		w.End.NoLaterThan, w.End.NoLaterThanSource = c1.Time, SourceCheck
		w.End.Evidence = append(w.End.Evidence, c1.Cite)
	} else {
		w.End.Open = true
	}
	for _, x := range c.endLower {
		if x.at.After(w.End.After) && (w.End.Open || x.at.Before(w.End.NoLaterThan)) {
			w.End.After, w.End.AfterSource = x.at, x.cite.Source
			w.End.Evidence = append(w.End.Evidence, x.cite)
		}
	}
	w.End.Source = boundsSource(w.End)
	return w
}

func boundsSource(b Bounds) string {
	after := b.AfterSource
	if after == "" {
		after = "none"
	}
	before := b.NoLaterThanSource
	if before == "" {
		before = "none (still served)"
	}
	return "after: " + after + "; no later than: " + before
}
