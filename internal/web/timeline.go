package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/finding/kindtext"
	"github.com/skimwatch/skimwatch/internal/store"
)

func (s *Server) timelineRoutes(mux *http.ServeMux) {
	mux.Handle("GET /timeline", s.requireRole(RoleViewer, http.HandlerFunc(s.timelinePage)))
	mux.Handle("GET /api/sites/{site}/timeline", s.requireRole(RoleViewer, http.HandlerFunc(s.apiTimeline)))
}

// Timeline sources: where an entry came from.
const (
	SourceCheck    = "check"    // synthetic browser checks
	SourceCSP      = "csp"      // customers' CSP reports (the collector)
	SourceFiles    = "files"    // file integrity
	SourceScan     = "scan"     // signature scans
	SourceAudit    = "audit"    // vulnerability audit
	SourceDecision = "decision" // people's decisions and everything else logged
)

// TimelineEntry is one moment in a site's history: a logged run or
// decision, or the first sighting of a finding.
type TimelineEntry struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	// What is the event's type or the finding's kind.
	What string `json:"what"`
	// Kind is the finding's kind, for a finding and for a decision about
	// one; Title is its title in English (the page shows the reader's).
	Kind  string `json:"kind,omitempty"`
	Title string `json:"title,omitempty"`
	// Reason is a decision's reason, also part of Summary.
	Reason string `json:"reason,omitempty"`
	Actor  string `json:"actor,omitempty"`
	// Summary is one line: a run's targets and result, a decision's
	// finding and reason, a finding's message.
	Summary  string           `json:"summary"`
	Severity finding.Severity `json:"severity,omitempty"`
	Complete *bool            `json:"complete,omitempty"`
	// Findings is how many findings a run reported.
	Findings *int  `json:"findings,omitempty"`
	Seq      int64 `json:"seq,omitempty"`
	// Link is the finding page, for findings and decisions about them.
	Link string `json:"link,omitempty"`
}

// Incomplete reports a run that did not see all it should have.
func (e TimelineEntry) Incomplete() bool { return e.Complete != nil && !*e.Complete }

// FindingCount is Findings for a template, -1 when the entry has none.
func (e TimelineEntry) FindingCount() int {
	if e.Findings == nil {
		return -1
	}
	return *e.Findings
}

// TimelineSources lists the sources in the legend's order.
var TimelineSources = []string{SourceCheck, SourceCSP, SourceFiles, SourceScan, SourceAudit, SourceDecision}

// timelinePageSize is how many logged events one timeline page holds.
const timelinePageSize = 50

// maxTimelineFindings caps the findings merged into one page.
const maxTimelineFindings = 200

// timeline is one page of site's history, newest first: the logged events
// before the sequence number before (0: the latest), with the findings
// first seen in the time those events span. next is the before of the
// following (older) page, 0 on the last.
func (s *Server) timeline(ctx context.Context, site string, before int64) (entries []TimelineEntry, next int64, err error) {
	// The page spans from its oldest event's time to the time of the
	// event it starts before (the previous page's oldest), so that each
	// finding falls on exactly one page.
	var from, to time.Time // zero: unbounded
	q := store.EventQuery{Site: site, Newest: true, Limit: timelinePageSize + 1}
	if before != 0 {
		q.BeforeSeq, q.Limit = before+1, timelinePageSize+2
	}
	events, err := s.store.Events(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	if before != 0 && len(events) > 0 && events[0].Seq == before {
		to, events = events[0].Time, events[1:]
	}
	if len(events) > timelinePageSize {
		events = events[:timelinePageSize]
		next = events[len(events)-1].Seq
		from = events[len(events)-1].Time
	}
	for _, e := range events {
		entries = append(entries, entryOfEvent(e))
	}
	fs, err := s.store.Findings(ctx, store.FindingQuery{Site: site, Since: from, Limit: maxTimelineFindings})
	if err != nil {
		return nil, 0, err
	}
	for _, f := range fs {
		if f.FirstSeen.Before(from) || (!to.IsZero() && !f.FirstSeen.Before(to)) {
			continue
		}
		entries = append(entries, TimelineEntry{Time: f.FirstSeen, Source: sourceOfDetector(f.Source), What: f.Kind,
			Kind: f.Kind, Title: kindtext.Title(f.Kind, kindtext.English), Summary: f.Message, Severity: f.Severity, Link: FindingURL(f)})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Time.After(entries[j].Time) })
	return entries, next, nil
}

func sourceOfDetector(d string) string {
	switch d {
	case "check":
		return SourceCheck
	case "collector":
		return SourceCSP
	case "fim":
		return SourceFiles
	case "scan":
		return SourceScan
	case "audit":
		return SourceAudit
	}
	return SourceDecision
}

// sourceOfEvent sorts a logged event by its type: runs are logged under
// their command ("check", "fim verify", "scan", "audit", "csp ...").
func sourceOfEvent(typ string) string {
	first, _, _ := strings.Cut(typ, " ")
	switch first {
	case "check", "demo":
		return SourceCheck
	case "csp", "collect", "collector":
		return SourceCSP
	case "fim":
		return SourceFiles
	case "scan", "webroot":
		return SourceScan
	case "audit":
		return SourceAudit
	}
	return SourceDecision
}

func entryOfEvent(e store.Event) TimelineEntry {
	t := TimelineEntry{Time: e.Time, Source: sourceOfEvent(e.Type), What: e.Type, Actor: e.Actor, Seq: e.Seq}
	var data map[string]any
	_ = json.Unmarshal(e.Data, &data) // the store keeps only JSON objects (or null)
	var parts []string
	if targets := strs(data["targets"]); len(targets) > 0 {
		parts = append(parts, strings.Join(targets, ", "))
	}
	if c, ok := data["complete"].(bool); ok {
		t.Complete = &c
	}
	if n, ok := data["findings"].(float64); ok {
		c := int(n)
		t.Findings = &c
	}
	if sev, err := finding.ParseSeverity(str(data["max_severity"])); err == nil {
		t.Severity = sev
	}
	if key := str(data["key"]); key != "" && strings.HasPrefix(e.Type, "finding.") {
		t.Link = "/findings/" + url.PathEscape(key) + "?site=" + url.QueryEscape(e.Site)
		parts = append(parts, str(data["kind"]))
		if kind := str(data["kind"]); kind != "" {
			t.Kind, t.Title = kind, kindtext.Title(kind, kindtext.English)
		}
		if reason := str(data["reason"]); reason != "" {
			t.Reason = reason
			parts = append(parts, "“"+reason+"”")
		}
	}
	t.Summary = strings.Join(parts, " · ")
	return t
}

// timelineData is the timeline page.
type timelineData struct {
	Sources  []string
	Site     string
	Sites    []store.Site
	Entries  []TimelineEntry
	NextURL  string
	FirstURL string
	Error    string
}

func (s *Server) timelinePage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	d := timelineData{Site: v.Get("site"), Sources: TimelineSources}
	var err error
	if d.Sites, err = s.store.Sites(r.Context()); err != nil {
		s.serverError(w, r, "list sites", err)
		return
	}
	if d.Site == "" && len(d.Sites) > 0 {
		d.Site = d.Sites[0].Name
	}
	before, err := parseBefore(v.Get("before"))
	if err != nil {
		d.Error = err.Error()
		s.renderStatus(w, r, http.StatusBadRequest, "timeline.html", d)
		return
	}
	if d.Site != "" {
		var next int64
		if d.Entries, next, err = s.timeline(r.Context(), d.Site, before); err != nil {
			s.serverError(w, r, "read timeline", err)
			return
		}
		if next != 0 {
			d.NextURL = "/timeline?" + url.Values{"site": {d.Site}, "before": {strconv.FormatInt(next, 10)}}.Encode()
		}
		if before != 0 {
			d.FirstURL = "/timeline?" + url.Values{"site": {d.Site}}.Encode()
		}
	}
	s.render(w, r, "timeline.html", d)
}

var errBefore = errors.New("before: want an event sequence number")

func parseBefore(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, errBefore
	}
	return n, nil
}

func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) {
	before, err := parseBefore(r.URL.Query().Get("before"))
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	entries, next, err := s.timeline(r.Context(), r.PathValue("site"), before)
	if err != nil {
		s.serverError(w, r, "read timeline", err)
		return
	}
	if entries == nil {
		entries = []TimelineEntry{}
	}
	out := map[string]any{"entries": entries}
	if next != 0 {
		out["next_before"] = next
	}
	s.writeJSON(w, http.StatusOK, out)
}
