package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/finding/kindtext"
	"github.com/skimwatch/skimwatch/internal/jsbeautify"
	"github.com/skimwatch/skimwatch/internal/linediff"
	"github.com/skimwatch/skimwatch/internal/store"
)

// findingRoutes registers the findings pages, the timeline and their API.
func (s *Server) findingRoutes(mux *http.ServeMux) {
	view := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleViewer, h) }
	operate := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleOperator, h) }
	mux.Handle("GET /findings", view(s.findingsPage))
	mux.Handle("GET /findings/{key}", view(s.findingPage))
	mux.Handle("POST /findings/{key}/state", operate(s.findingStateForm))
	mux.Handle("GET /api/findings", view(s.apiFindings))
	mux.Handle("GET /api/findings/{key}", view(s.apiFinding))
	mux.Handle("POST /api/findings/{key}/state", operate(s.apiFindingState))
	s.timelineRoutes(mux)
}

// Detectors are the values of Finding.Source a list can filter on.
var Detectors = []string{"check", "collector", "fim", "scan", "audit"}

// maxDecisionBytes caps a decision's form or JSON body.
const maxDecisionBytes = 64 << 10

// findingsData is the findings list.
type findingsData struct {
	Findings []findingRow
	Query    store.FindingQuery
	// StateFilter is the state select's value: a state, or "all".
	StateFilter string
	Sites       []store.Site
	Detectors   []string
	Severities  []finding.Severity
	States      []store.FindingState
	// NextURL is the next page's link ("" on the last page); FirstURL the
	// first page's, shown on every later page.
	NextURL, FirstURL string
	Error             string
}

// findingRow is a listed finding with its page's link.
type findingRow struct {
	store.StoredFinding
	URL string
}

// findingsQuery reads the list's filters. The page shows open findings
// unless asked for another state or "all"; the API filters only on what
// it is given.
func findingsQuery(v url.Values, page bool) (store.FindingQuery, string, error) {
	state := v.Get("state")
	if page && state == "" {
		state = string(store.StateOpen)
	}
	if state == "all" {
		state = ""
	}
	w := url.Values{}
	for k, vs := range v {
		w[k] = vs
	}
	w.Set("state", state)
	q, err := store.ParseFindingQuery(w)
	if state == "" {
		state = "all"
	}
	return q, state, err
}

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, state, err := findingsQuery(v, true)
	d := findingsData{Query: q, StateFilter: state, Detectors: Detectors, States: store.FindingStates,
		Severities: []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}}
	code := http.StatusOK
	if err != nil {
		d.Error, code = err.Error(), http.StatusBadRequest
		s.renderStatus(w, r, code, "findings.html", d)
		return
	}
	per := DefaultPerPage
	q.Limit = per + 1
	rows, err := s.store.Findings(r.Context(), q)
	if err != nil {
		s.serverError(w, r, "list findings", err)
		return
	}
	if len(rows) > per {
		rows = rows[:per]
		next := cloneValues(v)
		next.Set("after", store.CursorOf(rows[per-1]).String())
		d.NextURL = "/findings?" + next.Encode()
	}
	if v.Get("after") != "" {
		first := cloneValues(v)
		first.Del("after")
		d.FirstURL = "/findings?" + first.Encode()
	}
	for _, f := range rows {
		d.Findings = append(d.Findings, findingRow{StoredFinding: f, URL: FindingURL(f)})
	}
	if d.Sites, err = s.store.Sites(r.Context()); err != nil {
		s.serverError(w, r, "list sites", err)
		return
	}
	s.renderStatus(w, r, code, "findings.html", d)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// FindingURL is the finding page of f.
func FindingURL(f store.StoredFinding) string {
	return "/findings/" + url.PathEscape(f.Key) + "?site=" + url.QueryEscape(f.Site)
}

// errAmbiguous is a key found on more than one site, asked for without one.
var errAmbiguous = errors.New("this key names findings on several sites: add ?site=")

// lookupFinding finds the finding with key, on site when given.
func (s *Server) lookupFinding(ctx context.Context, site, key string) (store.StoredFinding, error) {
	rows, err := s.store.Findings(ctx, store.FindingQuery{Site: site, Key: key, Limit: 2})
	switch {
	case err != nil:
		return store.StoredFinding{}, err
	case len(rows) == 0:
		return store.StoredFinding{}, store.ErrNotFound
	case len(rows) > 1:
		return store.StoredFinding{}, errAmbiguous
	}
	return rows[0], nil
}

// findingData is the finding page.
type findingData struct {
	F store.StoredFinding
	// StateURL is where the decision form posts.
	StateURL string
	Evidence []evidenceRow
	Diff     *scriptDiff
	Script   *scriptText
	Leak     *honeyLeak
	// Decide lists the decisions the form offers (all but the current).
	Decide []store.FindingState
	Done   string
	Error  string
}

type evidenceRow struct{ Name, Value string }

// scriptDiff is a changed script: the approved and the changed source,
// beautified, compared line by line.
type scriptDiff struct {
	OldSHA     string          `json:"approved_sha256"`
	NewSHA     string          `json:"sha256"`
	URL        string          `json:"url,omitempty"`
	Hunks      []linediff.Hunk `json:"hunks"`
	Added      int             `json:"added"`
	Removed    int             `json:"removed"`
	Truncated  bool            `json:"truncated"`
	MissingOld bool            `json:"approved_source_missing"`
	MissingNew bool            `json:"source_missing"`
	// NoApprovedDigest: the baseline was approved before it kept digests.
	NoApprovedDigest bool `json:"no_approved_digest"`
}

// scriptText is a new script's source, beautified, for reading.
type scriptText struct {
	SHA       string   `json:"sha256"`
	Lines     []string `json:"lines"`
	More      int      `json:"more_lines"`
	Truncated bool     `json:"truncated"`
	Missing   bool     `json:"source_missing"`
}

// honeyLeak is which test value went where, how and from which script.
type honeyLeak struct {
	Values       []string `json:"values"`
	Origin       string   `json:"destination_origin"`
	Destinations []string `json:"destinations"`
	// Layers is each way it was found: its encodings, outermost first.
	Layers       [][]string `json:"layers"`
	Script       string     `json:"script,omitempty"`
	Phases       []string   `json:"phases"`
	RequestTypes []string   `json:"request_types"`
	Blocked      bool       `json:"blocked_by_probe"`
}

// maxScriptLines caps a new script shown on its page.
const maxScriptLines = 400

// diffContext is how many unchanged lines a hunk shows on each side.
const diffContext = 3

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request) {
	s.renderFinding(w, r, http.StatusOK, r.URL.Query().Get("done"), "")
}

func (s *Server) renderFinding(w http.ResponseWriter, r *http.Request, code int, done, flash string) {
	f, err := s.lookupFinding(r.Context(), r.URL.Query().Get("site"), r.PathValue("key"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, errAmbiguous):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		s.serverError(w, r, "read finding", err)
		return
	}
	d, err := s.findingDetail(r.Context(), f)
	if err != nil {
		s.serverError(w, r, "read finding evidence", err)
		return
	}
	if slices.Contains(store.FindingStates, store.FindingState(done)) {
		d.Done = done
	}
	d.Error = flash
	s.renderStatus(w, r, code, "finding.html", d)
}

// findingDetail gathers what the finding page shows besides the row.
func (s *Server) findingDetail(ctx context.Context, f store.StoredFinding) (findingData, error) {
	d := findingData{F: f, StateURL: "/findings/" + url.PathEscape(f.Key) + "/state"}
	for _, st := range store.FindingStates {
		if st != f.State {
			d.Decide = append(d.Decide, st)
		}
	}
	keys := make([]string, 0, len(f.Evidence))
	for k := range f.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.Evidence = append(d.Evidence, evidenceRow{Name: k, Value: evidenceText(f.Evidence[k])})
	}
	var err error
	switch {
	case f.Kind == verdict.KindScriptChanged:
		d.Diff, err = s.scriptDiff(ctx, f)
	case f.Kind == verdict.KindScriptNew:
		d.Script, err = s.scriptText(ctx, str(f.Evidence["sha256"]))
	case strings.HasPrefix(f.Kind, "honey."):
		d.Leak = leakOf(f.Evidence)
	}
	return d, err
}

// evidenceText is an evidence value as a person reads it: strings as they
// are, lists one per line, anything else as JSON.
func evidenceText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = evidenceText(x)
		}
		return strings.Join(parts, "\n")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// source reads a stored script source; missing is no error.
func (s *Server) source(ctx context.Context, sha string) (store.ScriptSource, bool, error) {
	if !store.ValidSHA256(sha) {
		return store.ScriptSource{}, false, nil
	}
	src, err := s.store.ScriptSource(ctx, sha)
	if errors.Is(err, store.ErrNotFound) {
		return store.ScriptSource{}, false, nil
	}
	return src, err == nil, err
}

func (s *Server) scriptDiff(ctx context.Context, f store.StoredFinding) (*scriptDiff, error) {
	d := &scriptDiff{OldSHA: str(f.Evidence["approved_sha256"]), NewSHA: str(f.Evidence["sha256"]), URL: str(f.Evidence["url"])}
	if d.OldSHA == "" {
		// Baselines approved before they kept digests cannot name the old text.
		d.NoApprovedDigest = true
	}
	old, okOld, err := s.source(ctx, d.OldSHA)
	if err != nil {
		return nil, err
	}
	cur, okNew, err := s.source(ctx, d.NewSHA)
	if err != nil {
		return nil, err
	}
	d.MissingOld, d.MissingNew = !okOld && !d.NoApprovedDigest, !okNew
	d.Truncated = old.Truncated || cur.Truncated
	a := linediff.Split(jsbeautify.Beautify(old.Source))
	b := linediff.Split(jsbeautify.Beautify(cur.Source))
	d.Hunks = linediff.Hunks(a, b, diffContext)
	for _, h := range d.Hunks {
		for _, l := range h.Lines {
			switch l.Op {
			case linediff.Insert:
				d.Added++
			case linediff.Delete:
				d.Removed++
			}
		}
	}
	return d, nil
}

func (s *Server) scriptText(ctx context.Context, sha string) (*scriptText, error) {
	src, ok, err := s.source(ctx, sha)
	if err != nil {
		return nil, err
	}
	t := &scriptText{SHA: sha, Missing: !ok, Truncated: src.Truncated}
	if ok {
		t.Lines = linediff.Split(jsbeautify.Beautify(src.Source))
		if len(t.Lines) > maxScriptLines {
			t.More = len(t.Lines) - maxScriptLines
			t.Lines = t.Lines[:maxScriptLines]
		}
	}
	return t, nil
}

// leakOf reads a honey finding's evidence (see verdict's leak groups).
func leakOf(ev map[string]any) *honeyLeak {
	l := &honeyLeak{
		Values: strs(ev["values"]), Origin: str(ev["destination_origin"]), Destinations: strs(ev["destinations"]),
		Script: str(ev["script"]), Phases: strs(ev["phases"]), RequestTypes: strs(ev["request_types"]),
	}
	l.Blocked, _ = ev["blocked_by_probe"].(bool)
	for _, e := range strs(ev["encodings"]) {
		l.Layers = append(l.Layers, strings.Split(e, ">"))
	}
	return l
}

// decide records a decision about a finding and its event-log entry.
func (s *Server) decideFinding(ctx context.Context, r *http.Request, site, key, state, reason string) (store.FindingDecision, error) {
	f, err := s.lookupFinding(ctx, site, key)
	if err != nil {
		return store.FindingDecision{}, err
	}
	st, err := store.ParseFindingState(state)
	if err != nil {
		return store.FindingDecision{}, err
	}
	d, err := s.store.SetFindingState(ctx, store.FindingDecision{Site: f.Site, Key: f.Key, State: st,
		Reason: strings.TrimSpace(reason), Actor: userFrom(ctx).Actor(), Time: s.now()})
	if err != nil {
		return d, err
	}
	typ := "finding." + string(st)
	if st == store.StateOpen {
		typ = "finding.reopened"
	}
	if err := s.event(ctx, r, typ, f.Site, map[string]any{"key": f.Key, "kind": f.Kind, "state": st, "reason": d.Reason,
		"severity": f.Severity.String()}); err != nil {
		return d, err
	}
	return d, nil
}

func (s *Server) findingStateForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxDecisionBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	site, key := r.PostForm.Get("site"), r.PathValue("key")
	_, err := s.decideFinding(r.Context(), r, site, key, r.PostForm.Get("state"), r.PostForm.Get("reason"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
	case errors.Is(err, store.ErrInvalid):
		q := r.URL.Query()
		q.Set("site", site)
		r.URL.RawQuery = q.Encode()
		s.renderFinding(w, r, http.StatusBadRequest, "", err.Error())
	case err != nil:
		s.serverError(w, r, "record decision", err)
	default:
		http.Redirect(w, r, "/findings/"+url.PathEscape(key)+"?site="+url.QueryEscape(site)+"&done="+url.QueryEscape(r.PostForm.Get("state")), http.StatusSeeOther)
	}
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, _, err := findingsQuery(v, false)
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	q.Limit = DefaultPerPage
	if n, err := parsePer(v.Get("limit")); err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	} else if n > 0 {
		q.Limit = n
	}
	rows, err := s.store.Findings(r.Context(), q)
	if err != nil {
		s.serverError(w, r, "list findings", err)
		return
	}
	titled := make([]titledFinding, 0, len(rows))
	for _, f := range rows {
		titled = append(titled, titledFinding{StoredFinding: f, Title: kindtext.Title(f.Kind, kindtext.English)})
	}
	out := map[string]any{"findings": titled}
	if len(rows) == q.Limit {
		out["next"] = store.CursorOf(rows[len(rows)-1]).String()
	}
	s.writeJSON(w, http.StatusOK, out)
}

// parsePer reads ?limit= for the API: 1 to MaxPerPage, "" for the default.
func parsePer(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 1 || n > MaxPerPage || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("limit: want 1 to %d", MaxPerPage)
	}
	return n, nil
}

// titledFinding is a finding as the API gives it: with its kind's title in
// English (the language API readers share; kindtext has the Japanese).
type titledFinding struct {
	store.StoredFinding
	Title string `json:"title"`
}

// findingJSON is a finding with what its page shows.
type findingJSON struct {
	titledFinding
	Diff   *scriptDiff `json:"diff,omitempty"`
	Script *scriptText `json:"script,omitempty"`
	Leak   *honeyLeak  `json:"honey_leak,omitempty"`
}

func (s *Server) apiFinding(w http.ResponseWriter, r *http.Request) {
	f, err := s.lookupFinding(r.Context(), r.URL.Query().Get("site"), r.PathValue("key"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such finding"})
		return
	case errors.Is(err, errAmbiguous):
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	case err != nil:
		s.serverError(w, r, "read finding", err)
		return
	}
	d, err := s.findingDetail(r.Context(), f)
	if err != nil {
		s.serverError(w, r, "read finding evidence", err)
		return
	}
	s.writeJSON(w, http.StatusOK, findingJSON{titledFinding: titledFinding{StoredFinding: f, Title: kindtext.Title(f.Kind, kindtext.English)}, Diff: d.Diff, Script: d.Script, Leak: d.Leak})
}

// stateRequest is the body of POST /api/findings/{key}/state.
type stateRequest struct {
	Site   string `json:"site"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (s *Server) apiFindingState(w http.ResponseWriter, r *http.Request) {
	var req stateRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDecisionBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body: want {\"site\", \"state\", \"reason\"}"})
		return
	}
	d, err := s.decideFinding(r.Context(), r, req.Site, r.PathValue("key"), req.State, req.Reason)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such finding"})
	case errors.Is(err, store.ErrInvalid), errors.Is(err, errAmbiguous):
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
	case err != nil:
		s.serverError(w, r, "record decision", err)
	default:
		s.writeJSON(w, http.StatusOK, d)
	}
}
