package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// seedReports registers site shop and merges n script aggregates, the
// newest first by index, plus an XSS attempt in a blocked value.
func seedReports(t testing.TB, st store.Store, n int) (planted store.ReportAggregate) {
	t.Helper()
	ctx := t.Context()
	if err := st.UpsertSite(ctx, "shop", []byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var aggs []store.ReportAggregate
	for i := range n {
		aggs = append(aggs, store.ReportAggregate{Site: "shop", Directive: "script-src-elem", Kind: "script",
			Blocked: fmt.Sprintf("https://o%04d.example", i), SourceFile: "https://shop.example/checkout", DocumentPath: "/checkout",
			Disposition: "enforce", Count: int64(i + 1), ClientHashes: []string{"c1", "c2"}, FirstSeen: t0.Add(-24 * time.Hour), LastSeen: t0.Add(-time.Duration(i) * time.Minute)})
	}
	planted = store.ReportAggregate{Site: "shop", Directive: "connect-src", Kind: "connect", Blocked: `https://x.example/"><script>alert(1)</script>`,
		DocumentPath: "/checkout", Disposition: "report", Count: 1, ClientHashes: []string{"c9"}, FirstSeen: t0, LastSeen: t0.Add(time.Hour)}
	aggs = append(aggs, planted)
	if err := st.MergeReportAggregates(ctx, "", aggs); err != nil {
		t.Fatal(err)
	}
	return planted
}

var nextLink = regexp.MustCompile(`href="(/reports\?[^"]*after=[^"]*)"`)

func TestReportsPage(t *testing.T) {
	s, st := newTestServerWith(t, Options{})
	planted := seedReports(t, st, 120)
	viewer := User{ID: 1, Name: "vera", Role: RoleViewer}
	get := func(path string) *httptest.ResponseRecorder {
		return as(s, viewer, httptest.NewRequest("GET", path, nil))
	}

	t.Run("the first page shows the newest aggregates with their directive, count, clients and times", func(t *testing.T) {
		w := get("/reports?site=shop")
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, "https://o0000.example") || !strings.Contains(body, "script-src-elem") ||
			!strings.Contains(body, "https://o0048.example") || !strings.Contains(body, "2026-11-29 12:00 UTC") || !strings.Contains(body, `<td class="num">2</td>`) {
			t.Fatalf("status %d:\n%.2000s", w.Code, body)
		}
		if strings.Contains(body, "https://o0049.example") {
			t.Error("the first page holds more than one page of rows")
		}
	})
	t.Run("a planted blocked value renders as text", func(t *testing.T) {
		body := get("/reports?site=shop").Body.String()
		if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, html.EscapeString(`"><script>alert(1)</script>`)) {
			t.Fatalf("the planted value is not escaped:\n%.3000s", body)
		}
	})
	t.Run("following Next pages through every aggregate once", func(t *testing.T) {
		seen := map[string]int{}
		path, pages := "/reports?site=shop", 0
		for path != "" && pages < 10 {
			body := get(path).Body.String()
			for _, m := range regexp.MustCompile(`https://o\d{4}\.example`).FindAllString(body, -1) {
				seen[m]++
			}
			pages++
			path = ""
			if m := nextLink.FindStringSubmatch(body); m != nil {
				path = html.UnescapeString(m[1])
			}
		}
		if len(seen) != 120 || pages != 3 {
			t.Fatalf("%d distinct rows in %d pages, want 120 in 3", len(seen), pages)
		}
		for o, n := range seen {
			if n != 1 {
				t.Errorf("%s shown on %d pages", o, n)
			}
		}
	})
	t.Run("a blocked origin links to the finding its reports raised", func(t *testing.T) {
		a := store.ReportAggregate{Site: "shop", Directive: "script-src-elem", Kind: "script", Blocked: "https://o0000.example",
			SourceFile: "https://shop.example/checkout", DocumentPath: "/checkout", Disposition: "enforce"}
		key := collector.FindingKeyOf(a)
		f := finding.Finding{Severity: finding.High, Kind: "csp.unapproved-script", Source: "collector", Site: "shop",
			Message: "Customers' browsers reported the script origin https://o0000.example", Time: time.Now()}
		if _, err := st.PutFinding(t.Context(), key, f); err != nil {
			t.Fatal(err)
		}
		body := get("/reports?site=shop").Body.String()
		want := html.EscapeString("/findings?key=" + key + "&site=shop&state=all")
		if !strings.Contains(body, want) {
			t.Fatalf("no link %s on the page", want)
		}
		if w := get(html.UnescapeString(want)); !strings.Contains(w.Body.String(), "https://o0000.example") {
			t.Fatalf("the link does not list the finding: %d", w.Code)
		}
	})
	t.Run("a malformed cursor is refused with 400", func(t *testing.T) {
		for _, path := range []string{"/reports?site=shop&after=nonsense", "/api/sites/shop/reports?after=1.zz"} {
			if w := get(path); w.Code != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", path, w.Code)
			}
		}
	})
	t.Run("the API gives the same rows as JSON with the next cursor", func(t *testing.T) {
		w := get("/api/sites/shop/reports?per=100")
		var out struct {
			Aggregates []ReportRow `json:"aggregates"`
			NextAfter  string      `json:"next_after"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK {
			t.Fatalf("status %d, %v: %.300s", w.Code, err, w.Body.String())
		}
		if len(out.Aggregates) != 100 || out.NextAfter == "" || out.Aggregates[0].Blocked != planted.Blocked || out.Aggregates[1].Count != 1 || out.Aggregates[1].Clients != 2 {
			t.Fatalf("%d rows, next %q, first %+v", len(out.Aggregates), out.NextAfter, out.Aggregates[0])
		}
		w = get("/api/sites/shop/reports?per=100&after=" + out.NextAfter)
		out.NextAfter = ""
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Aggregates) != 21 || out.NextAfter != "" {
			t.Fatalf("second page: %d rows, next %q, %v", len(out.Aggregates), out.NextAfter, err)
		}
	})
	t.Run("the page and the API need a signed-in user", func(t *testing.T) {
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for path, want := range map[string]int{"/reports": http.StatusSeeOther, "/api/sites/shop/reports": http.StatusUnauthorized} {
			resp, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
			}
		}
	})
}
