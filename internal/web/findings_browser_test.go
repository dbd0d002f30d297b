package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// fndTab drives one dashboard tab for the findings tests and counts the
// JavaScript dialogs any page opens (there must be none).
type fndTab struct {
	t       *testing.T
	ctx     context.Context
	s       *browser.Session
	dialogs atomic.Int32
}

func fndOpenTab(t *testing.T, b *browser.Browser, locale string) *fndTab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	bt, err := b.NewTab(ctx, browser.TabOptions{Locale: locale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bt.Close() })
	tb := &fndTab{t: t, ctx: ctx, s: bt.Page()}
	opened, stop := tb.s.Subscribe(page.JavascriptDialogOpening.Method)
	t.Cleanup(stop)
	go func() {
		for range opened {
			tb.dialogs.Add(1)
			_, _ = cdp.Call(context.Background(), tb.s, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	if _, err := cdp.Call(ctx, tb.s, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(ctx, tb.s, emulation.SetDeviceMetricsOverride,
		emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 800, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	return tb
}

// loads runs action and waits for the page load it causes.
func (tb *fndTab) loads(what string, action func()) {
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

func (tb *fndTab) open(url string) {
	tb.t.Helper()
	tb.loads("open "+url, func() {
		if _, err := cdp.Call(tb.ctx, tb.s, page.Navigate, page.NavigateParams{URL: url}); err != nil {
			tb.t.Fatal(err)
		}
	})
}

func (tb *fndTab) js(expr string, v any) {
	tb.t.Helper()
	yes := true
	res, err := cdp.Call(tb.ctx, tb.s, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: &yes, AwaitPromise: &yes})
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

func (tb *fndTab) typeText(selector, text string) {
	tb.t.Helper()
	tb.js(fmt.Sprintf("document.querySelector(%q).focus()", selector), nil)
	if _, err := cdp.Call(tb.ctx, tb.s, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *fndTab) shoot(path string) {
	tb.t.Helper()
	shot, err := cdp.Call(tb.ctx, tb.s, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
	if err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// fndShotDir is where screenshots go: SKIMWATCH_SCREENSHOTS when set, else
// the test's artifact directory.
func fndShotDir(t *testing.T) string {
	if d := os.Getenv("SKIMWATCH_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// tamperedLab checks the lab's token checkout clean, approves it, switches
// on the skimmer appended to the shop's own library and checks again,
// recording both checks in st as a real run would.
func tamperedLab(t *testing.T, b *browser.Browser, st store.Store) (attacker string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var sc lab.Scenario
	for _, s := range lab.Scenarios() {
		if s.Name == "first-party-append" {
			sc = s
		}
	}
	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = []string{l.PSPOrigin(), l.PSPAPIOrigin()}
	pol := verdict.Options{PaymentOrigins: opts.PaymentOrigins, Site: "lab"}
	targets := []checkrun.Target{{Name: l.ShopURL() + sc.Page, Target: pagecheck.Target{URL: l.ShopURL() + sc.Page}}}
	clean := checkrun.Run(ctx, b, targets, opts)
	base := inventory.New(time.Now())
	if err := checkrun.Approve(base, clean, pol, time.Now()); err != nil {
		t.Fatalf("approve the clean check: %v: %v", err, clean[0].Incomplete)
	}
	if err := checkrun.SaveSources(ctx, st, clean); err != nil {
		t.Fatal(err)
	}
	if err := l.SetScenario(sc.Name); err != nil {
		t.Fatal(err)
	}
	attacked := checkrun.Run(ctx, b, targets, opts)
	r := &finding.Report{Command: "check", Complete: true}
	checkrun.Evaluate(r, attacked, base, pol)
	if err := record.Put(ctx, st, "lab", r.Findings, checkrun.Runs(attacked), checkrun.Events("test", r, attacked)); err != nil {
		t.Fatal(err)
	}
	if err := checkrun.SaveSources(ctx, st, attacked); err != nil {
		t.Fatal(err)
	}
	return l.AttackerOrigin()
}

func TestFindingsInChromium(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	b, err := browser.Launch(context.Background(), browser.Options{MaxConcurrent: 1, WindowWidth: 1280, WindowHeight: 800})
	if err != nil {
		t.Fatalf("launch Chromium: %v", err)
	}
	t.Cleanup(func() { b.Close() })

	s, st := newTestServer(t)
	if err := st.UpsertSite(t.Context(), "lab", store.HashKey("lab-key")); err != nil {
		t.Fatal(err)
	}
	attacker := tamperedLab(t, b, st)
	changed, err := st.Findings(t.Context(), store.FindingQuery{Site: "lab", Source: "check"})
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, f := range changed {
		if f.Kind == verdict.KindScriptChanged {
			key = f.Key
		}
	}
	if key == "" {
		t.Fatalf("the tampered lab raised no %s finding: %+v", verdict.KindScriptChanged, changed)
	}
	// The whole dashboard handler as an operator would reach it, cross-origin
	// protection and CSP included.
	srv := httptest.NewServer(s.secureHeaders(http.NewCrossOriginProtection().Handler(s.requireUserForTest(operator))))
	t.Cleanup(srv.Close)

	t.Run("an operator finds the changed script, sees its diff and acknowledges it", func(t *testing.T) {
		tb := fndOpenTab(t, b, "en-US")
		tb.open(srv.URL + "/findings?site=lab&source=check")
		var href string
		tb.js(fmt.Sprintf(`document.querySelector('a[href*="%s"]').getAttribute('href')`, key), &href)
		tb.loads("open the finding", func() { tb.js(fmt.Sprintf(`document.querySelector('a[href*="%s"]').click()`, key), nil) })
		var inserted, deleted []string
		tb.js(`[...document.querySelectorAll('tr.insert td.src')].map(e => e.textContent)`, &inserted)
		tb.js(`[...document.querySelectorAll('tr.delete td.src')].map(e => e.textContent)`, &deleted)
		if !containsAny(inserted, attacker+"/api/collect") || !containsAny(inserted, "keepalive") {
			t.Errorf("the diff's added lines do not show the skimmer posting to %s: %q", attacker, inserted)
		}
		if containsAny(deleted, "/api/collect") {
			t.Errorf("the skimmer shows among the removed lines: %q", deleted)
		}
		var green string
		tb.js(`getComputedStyle(document.querySelector('tr.insert')).backgroundColor`, &green)
		if green != "rgb(230, 246, 234)" {
			t.Errorf("added lines are not highlighted (background %s): the stylesheet did not apply", green)
		}
		tb.typeText("textarea[name=reason]", "Investigating the appended code")
		tb.loads("acknowledge", func() { tb.js(`document.querySelector('button[value=acknowledged]').click()`, nil) })
		var text string
		tb.js("document.body.innerText", &text)
		if !strings.Contains(text, "Acknowledged. The decision is in the event log.") || !strings.Contains(text, "Investigating the appended code") {
			t.Errorf("the page after acknowledging does not say so:\n%s", text)
		}
		fs, _ := st.Findings(t.Context(), store.FindingQuery{Site: "lab", Key: key})
		if len(fs) != 1 || fs[0].State != store.StateAcknowledged || fs[0].Decision.Actor != operator.Name {
			t.Errorf("stored %+v", fs)
		}
		evs, _ := st.Events(t.Context(), store.EventQuery{Site: "lab", Type: "finding.acknowledged"})
		if len(evs) != 1 || evs[0].Actor != operator.Name {
			t.Errorf("event log: %+v", evs)
		}
		if n := tb.dialogs.Load(); n != 0 {
			t.Errorf("%d dialogs opened", n)
		}
	})

	t.Run("the lab's real card leak shows where the card went, how and from which script", func(t *testing.T) {
		leaks, err := st.Findings(t.Context(), store.FindingQuery{Site: "lab", Source: "check", Severity: finding.Critical})
		if err != nil {
			t.Fatal(err)
		}
		var leak store.StoredFinding
		for _, f := range leaks {
			if f.Kind == verdict.KindCardExfil {
				leak = f
			}
		}
		if leak.Key == "" {
			t.Fatalf("the tampered lab raised no %s finding", verdict.KindCardExfil)
		}
		tb := fndOpenTab(t, b, "en-US")
		tb.open(srv.URL + FindingURL(leak))
		var text string
		tb.js(`document.querySelector('section.leak').innerText`, &text)
		for _, want := range []string{"card number", attacker + "/api/collect", "minq.js", "typed"} {
			if !strings.Contains(text, want) {
				t.Errorf("the leak section lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("a cross-origin post of a decision is refused", func(t *testing.T) {
		r, _ := http.NewRequest("POST", srv.URL+"/findings/"+key+"/state", strings.NewReader("site=lab&state=resolved"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})

	t.Run("every findings page is screenshot in Japanese and English", func(t *testing.T) {
		leak := put(t, st, finding.Finding{Site: "lab", Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check",
			Message: "The test card typed into /checkout/token was sent to " + attacker + ", which is not a payment provider: card data is being skimmed.",
			URL:     "http://127.0.0.1/checkout/token", Time: time.Now(),
			Evidence: map[string]any{"destination_origin": attacker, "values": []any{"card-number", "cvv", "email"},
				"encodings": []any{"raw", "base64>xor(0x5a)"}, "destinations": []any{attacker + "/api/collect"},
				"script": "http://127.0.0.1/static/js/minq.js", "phases": []any{"input", "unload"}, "request_types": []any{"Fetch"}}})
		dir := fndShotDir(t)
		for _, lang := range []struct{ code, locale string }{{"en", "en-US"}, {"ja", "ja-JP"}} {
			// One subtest per language, so each tab closes (and frees the
			// browser's one slot) before the next opens.
			t.Run(lang.code, func(t *testing.T) {
				// The user's language setting picks the language: the
				// browser package's Accept-Language override comes out
				// malformed ("ja;q=0.9;q=0.9"), which the dashboard reads
				// as English.
				u := operator
				u.Lang = lang.code
				srv := httptest.NewServer(s.secureHeaders(http.NewCrossOriginProtection().Handler(s.requireUserForTest(u))))
				defer srv.Close()
				tb := fndOpenTab(t, b, lang.locale)
				for _, p := range []struct{ name, path string }{
					{"findings", "/findings?state=all"},
					{"finding-diff", "/findings/" + key + "?site=lab"},
					{"finding-leak", "/findings/" + leak + "?site=lab"},
					{"timeline", "/timeline?site=lab"},
				} {
					tb.open(srv.URL + p.path)
					tb.shoot(filepath.Join(dir, p.name+"-"+lang.code+".png"))
				}
			})
		}
		t.Logf("screenshots in %s", dir)
	})
}
