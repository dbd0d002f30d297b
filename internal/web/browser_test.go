package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func ptr[T any](v T) *T { return &v }

// launchChromium starts the project's Chromium for a test, or skips when
// it is missing (fails under CI=true).
func launchChromium(t *testing.T) *browser.Browser {
	t.Helper()
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	b, err := browser.Launch(context.Background(), browser.Options{MaxConcurrent: 3, WindowWidth: 1280, WindowHeight: 800})
	if err != nil {
		t.Fatalf("launch Chromium: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// tab is one browser tab driven the way a person uses the dashboard, that
// records every JavaScript dialog a page opens.
type tab struct {
	t       *testing.T
	ctx     context.Context
	tab     *browser.Tab
	s       *browser.Session
	dialogs atomic.Int32
}

func openTab(t *testing.T, b *browser.Browser, locale string) *tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	bt, err := b.NewTab(ctx, browser.TabOptions{Locale: locale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bt.Close() })
	tb := &tab{t: t, ctx: ctx, tab: bt, s: bt.Page()}
	opened, stop := tb.s.Subscribe(page.JavascriptDialogOpening.Method)
	t.Cleanup(stop)
	go func() {
		for range opened {
			tb.dialogs.Add(1)
			// Dismiss it, or the page would hang; the count fails the test.
			_, _ = cdp.Call(context.Background(), tb.s, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	if _, err := cdp.Call(ctx, tb.s, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(ctx, tb.s, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 800, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	return tb
}

// do runs action and waits for the page load it causes.
func (tb *tab) do(what string, action func()) {
	tb.t.Helper()
	loaded, stop := tb.s.Subscribe(page.LoadEventFired.Method)
	defer stop()
	action()
	select {
	case <-loaded:
	case <-time.After(30 * time.Second):
		tb.t.Fatalf("%s: no page load", what)
	}
}

func (tb *tab) navigate(url string) {
	tb.t.Helper()
	tb.do("navigate to "+url, func() {
		if _, err := cdp.Call(tb.ctx, tb.s, page.Navigate, page.NavigateParams{URL: url}); err != nil {
			tb.t.Fatal(err)
		}
	})
}

// eval runs expr in the page (promises awaited) and decodes its value.
func (tb *tab) eval(expr string, v any) {
	tb.t.Helper()
	res, err := cdp.Call(tb.ctx, tb.s, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: ptr(true), AwaitPromise: ptr(true)})
	if err != nil {
		tb.t.Fatal(err)
	}
	if res.ExceptionDetails != nil {
		tb.t.Fatalf("%s: %s", expr, res.ExceptionDetails.Text)
	}
	if v != nil {
		if err := json.Unmarshal(res.Result.Value, v); err != nil {
			tb.t.Fatalf("%s: %v", expr, err)
		}
	}
}

// waitLoaded waits up to 30 seconds for a fully loaded document whose URL
// at accepts, and returns the URL the tab is at when it stops waiting.
// Evaluations fail while a navigation replaces the document, so a failed
// one is only a reason to ask again.
func (tb *tab) waitLoaded(at func(href string) bool) string {
	tb.t.Helper()
	var href string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		res, err := cdp.Call(tb.ctx, tb.s, runtime.Evaluate, runtime.EvaluateParams{Expression: `[location.href, document.readyState]`, ReturnByValue: ptr(true)})
		if err != nil || res.ExceptionDetails != nil {
			continue
		}
		var got []string
		if json.Unmarshal(res.Result.Value, &got) != nil || len(got) != 2 {
			continue
		}
		href = got[0]
		if at(href) && got[1] == "complete" {
			break
		}
	}
	return href
}

func (tb *tab) text() string {
	var s string
	tb.eval("document.body.innerText", &s)
	return s
}

// typeInto focuses a field and types text as keyboard input.
func (tb *tab) typeInto(selector, text string) {
	tb.t.Helper()
	tb.eval(fmt.Sprintf("document.querySelector(%q).focus()", selector), nil)
	if _, err := cdp.Call(tb.ctx, tb.s, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		tb.t.Fatal(err)
	}
}

// signIn fills the sign-in form and presses its button.
func (tb *tab) signIn(base, name, password string) {
	tb.t.Helper()
	tb.navigate(base + "/login")
	tb.typeInto("input[name=name]", name)
	tb.typeInto("input[name=password]", password)
	tb.do("sign in", func() { tb.eval(`document.querySelector("form[action='/login'] button").click()`, nil) })
}

func (tb *tab) screenshot(path string) {
	tb.t.Helper()
	tb.capture(path, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
}

// fullPage screenshots the whole page at 1280 wide, for reading what lies
// below the first 800 pixels.
func (tb *tab) fullPage(path string) {
	tb.t.Helper()
	m, err := cdp.Call(tb.ctx, tb.s, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.capture(path, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: ptr(true),
		Clip: &page.Viewport{X: 0, Y: 0, Width: 1280, Height: m.CSSContentSize.Height, Scale: 1}})
}

func (tb *tab) capture(path string, p page.CaptureScreenshotParams) {
	tb.t.Helper()
	shot, err := cdp.Call(tb.ctx, tb.s, page.CaptureScreenshot, p)
	if err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// payloadOrigin counts every request any planted payload manages to send.
func payloadOrigin(t *testing.T) (origin string, hits *atomic.Int32) {
	hits = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

// listen serves h on a fresh loopback port.
func listen(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDashboardInChromium(t *testing.T) {
	b := launchChromium(t)
	evil, hits := payloadOrigin(t)
	runs := []monitor.Run{}
	st := newSite(t, Options{MaxLoginFailures: 3, Runs: func(context.Context, int) ([]monitor.Run, error) { return runs, nil }})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	st.addUser(t, "vera", store.RoleViewer, "correct horse battery")
	st.addUser(t, "oscar", store.RoleOperator, "correct horse battery")

	// Attacker-written text where the overview shows it: a site name (from
	// the config) and a page URL (from a run and an incident).
	siteXSS := `<svg onload=alert(1)>`
	targetXSS := `https://shop.example/"><img src=` + evil + `/img onerror=alert(2)><script src=` + evil + `/s.js></script>`
	if err := st.st.UpsertSite(t.Context(), siteXSS, store.HashKey("k")); err != nil {
		t.Fatal(err)
	}
	now := st.clock.now()
	fin := time.Now()
	runs = append(runs, monitor.Run{Finished: &fin, Result: &monitor.RunResult{Site: "shop", Target: targetXSS, Detector: monitor.DetectorCheck, At: now,
		Complete: true, Findings: []finding.Finding{{Severity: finding.Critical, Kind: "honey.card-exfiltration", Message: `<img src=x onerror=alert(3)>`}}}})
	f := finding.Finding{Severity: finding.Critical, Kind: "honey.card-exfiltration", Message: `<img src=x onerror=alert(4)>`, Source: "check", Site: "shop", URL: targetXSS}
	if err := st.st.SaveIncidents(t.Context(), []store.Incident{{Site: "shop", Key: "k1", Kind: store.IncidentFinding, Status: store.IncidentOpen,
		Target: targetXSS, Detector: "check", Finding: f, Opened: now, LastSeen: now}}, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("an admin signs in through the form and sees the overview", func(t *testing.T) {
		tb := openTab(t, b, "en-US")
		tb.signIn(st.URL, "alice", "correct horse battery")
		var path string
		tb.eval("location.pathname", &path)
		text := tb.text()
		if path != "/settings" && path != "/" || !strings.Contains(text, "alice") {
			t.Fatalf("after sign-in at %s: %.300s", path, text)
		}
		if es := events(t, st.st, "web.login"); len(es) == 0 || es[len(es)-1].Actor != "alice" {
			t.Fatalf("login events %+v", es)
		}
	})

	t.Run("payloads in a site name and a page URL render as text, with no dialog and no request to their origin", func(t *testing.T) {
		tb := openTab(t, b, "en-US")
		tb.signIn(st.URL, "alice", "correct horse battery")
		tb.navigate(st.URL + "/")
		// navigate returns at the load event, which waits for every image
		// and script the document holds to be fetched or refused, and the
		// payload's server counts a request before it answers it. The
		// page's own stylesheet among the fetched resources shows the
		// list the assertions below read was filled by then.
		var fetched []string
		tb.eval(`document.readyState === "complete" ? performance.getEntriesByType("resource").map(e => e.name) : null`, &fetched)
		if !slices.Contains(fetched, st.URL+"/static/style.css") {
			t.Fatalf("the overview is not loaded with its stylesheet; fetched %q", fetched)
		}
		for _, u := range fetched {
			if strings.HasPrefix(u, evil) {
				t.Errorf("the page fetched %s", u)
			}
		}
		text := tb.text()
		for _, want := range []string{siteXSS, targetXSS} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not show %q as text:\n%.2000s", want, text)
			}
		}
		var injected int
		tb.eval(`document.querySelectorAll("svg, main img, main script").length`, &injected)
		if injected != 0 {
			t.Errorf("%d elements from payloads made it into the DOM", injected)
		}
		if n := tb.dialogs.Load(); n != 0 {
			t.Errorf("%d dialogs opened", n)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("%d requests reached the payload's origin", n)
		}
	})

	t.Run("a form posted from another origin on the same host is refused", func(t *testing.T) {
		// Same site (the same host, another port), so the Lax session
		// cookie is sent: only the cross-origin check stands in the way.
		attacker := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<form method=post action="%s/settings/tokens"><input name=name value=stolen></form><script>document.forms[0].submit()</script>`, st.URL)
		}))
		tb := openTab(t, b, "en-US")
		tb.signIn(st.URL, "alice", "correct horse battery")
		tb.do("attacker page and its form post", func() {
			if _, err := cdp.Call(tb.ctx, tb.s, page.Navigate, page.NavigateParams{URL: attacker}); err != nil {
				t.Fatal(err)
			}
		})
		// The post leaves the attacker's page after its load, and on a
		// loaded machine the dashboard's answer can take seconds.
		at := tb.waitLoaded(func(href string) bool { return strings.HasPrefix(href, st.URL+"/settings/tokens") })
		text := tb.text()
		if !strings.HasPrefix(at, st.URL+"/settings/tokens") || !strings.Contains(text, "cross-origin request detected") {
			t.Fatalf("at %s: %.300s", at, text)
		}
		if ts, _ := st.st.APITokens(t.Context()); len(ts) != 0 {
			t.Fatalf("the cross-origin post made a token: %+v", ts)
		}
	})

	t.Run("a viewer cannot create an API token, an admin's action", func(t *testing.T) {
		tb := openTab(t, b, "en-US")
		tb.signIn(st.URL, "vera", "correct horse battery")
		tb.navigate(st.URL + "/settings")
		var forms int
		tb.eval(`document.querySelectorAll("form[action='/settings/tokens']").length`, &forms)
		if forms != 0 {
			t.Errorf("a viewer is offered the token form")
		}
		var status int
		tb.eval(`fetch("/settings/tokens", {method: "POST", body: new URLSearchParams({name: "mine"})}).then(r => r.status)`, &status)
		if status != http.StatusForbidden {
			t.Fatalf("a viewer's same-origin post: %d, want 403", status)
		}
		if ts, _ := st.st.APITokens(t.Context()); len(ts) != 0 {
			t.Fatalf("a viewer made a token: %+v", ts)
		}
	})

	t.Run("three wrong passwords lock the account, even against the right one", func(t *testing.T) {
		tb := openTab(t, b, "en-US")
		for range 3 {
			tb.signIn(st.URL, "oscar", "a wrong guess")
		}
		tb.signIn(st.URL, "oscar", "correct horse battery")
		var path string
		tb.eval("location.pathname", &path)
		if path != "/login" || !strings.Contains(tb.text(), "locked") {
			t.Fatalf("at %s: %.300s", path, tb.text())
		}
		if es := events(t, st.st, "web.locked-out"); len(es) != 1 {
			t.Fatalf("%d lock-out events, want 1", len(es))
		}
	})
}

// screenshotDir is where the screenshots go: SKIMWATCH_SCREENSHOTS when
// set (to keep them), else the test's artifact directory (kept with
// go test -artifacts).
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("SKIMWATCH_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

func TestScreenshotsInBothLanguages(t *testing.T) {
	b := launchChromium(t)
	st := newSite(t, Options{Sinks: []alert.Sink{&recordingSink{name: "alerts[0]"}, &recordingSink{name: "alerts[1]"}}})
	fresh := newSite(t, Options{})
	link, err := fresh.s.SetupLink(t.Context(), fresh.URL)
	if err != nil {
		t.Fatal(err)
	}
	dir := screenshotDir(t)
	plantOverview(t, st)
	seedReports(t, st.st, 120)
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	st.addUser(t, "vera", store.RoleViewer, "correct horse battery")
	for _, lang := range []struct{ code, locale string }{{"en", "en-US"}, {"ja", "ja-JP"}} {
		t.Run(lang.code, func(t *testing.T) {
			anon := openTab(t, b, lang.locale)
			anon.navigate(st.URL + "/login")
			anon.screenshot(filepath.Join(dir, "login-"+lang.code+".png"))
			anon.navigate(link)
			anon.screenshot(filepath.Join(dir, "setup-"+lang.code+".png"))

			admin := openTab(t, b, lang.locale)
			admin.signIn(st.URL, "alice", "correct horse battery")
			admin.navigate(st.URL + "/")
			admin.screenshot(filepath.Join(dir, "overview-"+lang.code+".png"))
			admin.navigate(st.URL + "/settings")
			admin.screenshot(filepath.Join(dir, "settings-"+lang.code+".png"))
			admin.fullPage(filepath.Join(dir, "settings-full-"+lang.code+".png"))
			admin.navigate(st.URL + "/reports?site=shop")
			admin.screenshot(filepath.Join(dir, "reports-"+lang.code+".png"))

			viewer := openTab(t, b, lang.locale)
			viewer.signIn(st.URL, "vera", "correct horse battery")
			viewer.do("a viewer posts an admin form", func() {
				viewer.eval(`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/settings/users"; document.body.append(f); f.submit() })()`, nil)
			})
			viewer.screenshot(filepath.Join(dir, "forbidden-"+lang.code+".png"))
			for _, tb := range []*tab{anon, admin, viewer} {
				if n := tb.dialogs.Load(); n != 0 {
					t.Errorf("%d dialogs", n)
				}
			}
		})
	}
	t.Logf("screenshots in %s", dir)
}

// plantOverview gives the overview what a shop watched for a few days has.
func plantOverview(t *testing.T, st *site) {
	t.Helper()
	now := st.clock.now()
	at := func(ago time.Duration) time.Time { return now.Add(-ago) }
	fin := func(ago time.Duration) *time.Time { v := at(ago); return &v }
	var runs []monitor.Run
	// The checkout page: clean for three days.
	for i := range 3 {
		d := time.Duration(i)*24*time.Hour + 5*time.Minute
		runs = append(runs, monitor.Run{Finished: fin(d), Result: &monitor.RunResult{Site: "shop", Target: "https://shop.example/checkout", Detector: "check", At: at(d), Complete: true}})
	}
	// The web root: a modified file since an hour.
	f := finding.Finding{Severity: finding.High, Kind: "fim.modified", Message: "checkout.js changed", Source: "fim", Site: "shop", Path: "js/checkout.js"}
	runs = append(runs, monitor.Run{Finished: fin(time.Hour), Result: &monitor.RunResult{Site: "shop", Target: "/var/www/shop", Detector: "fim", At: at(time.Hour), Complete: true, Findings: []finding.Finding{f}}})
	// The cart page: the last two checks could not see all of it.
	for i := range 2 {
		d := time.Duration(i+1) * 10 * time.Minute
		runs = append(runs, monitor.Run{Finished: fin(d), Result: &monitor.RunResult{Site: "shop", Target: "https://shop.example/cart", Detector: "check", At: at(d), Incomplete: []string{"timeout"}}})
	}
	st.s.runs = func(context.Context, int) ([]monitor.Run, error) { return runs, nil }
	if err := st.st.SaveIncidents(t.Context(), []store.Incident{{Site: "shop", Key: "k1", Kind: store.IncidentFinding, Status: store.IncidentOpen,
		Target: "/var/www/shop", Detector: "fim", Finding: f, Opened: at(time.Hour), LastSeen: at(time.Hour)}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.st.UpsertSite(t.Context(), "blog", store.HashKey("blog-key")); err != nil {
		t.Fatal(err)
	}
}
