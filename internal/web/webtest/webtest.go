// Package webtest drives the dashboard's pages in real Chromium for tests,
// as a person would: it opens pages, fills and submits forms, reads the
// page and takes 1280x800 screenshots. The dashboard's own browser tests
// and the service's end-to-end test share it.
package webtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/skimwatch/skimwatch/internal/check/browser"
)

// Tab is one person's tab: its own browser context, so two users in one
// test do not share cookies.
type Tab struct {
	t    testing.TB
	ctx  context.Context
	s    *browser.Session
	base string
}

// Open opens a 1280x800 tab on the dashboard at base, whose browser asks
// for the languages lang (an Accept-Language value). It closes with t.
func Open(t testing.TB, ctx context.Context, b *browser.Browser, base, lang string) *Tab {
	t.Helper()
	tab, err := b.NewTab(ctx, browser.TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	d := &Tab{t: t, ctx: ctx, s: tab.Page(), base: base}
	if _, err := cdp.Call(ctx, d.s, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(ctx, d.s, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 800, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	// The dashboard picks its language from Accept-Language.
	if _, err := cdp.Call(ctx, d.s, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: b.UserAgent(), AcceptLanguage: lang}); err != nil {
		t.Fatal(err)
	}
	return d
}

// Session is the tab's page session, to subscribe to its events.
func (d *Tab) Session() *browser.Session { return d.s }

// Load runs act (a navigation or a form submission) and waits for the
// page it leads to.
func (d *Tab) Load(act func()) {
	d.t.Helper()
	loaded, stop := d.s.Subscribe(page.LoadEventFired.Method)
	defer stop()
	act()
	select {
	case <-loaded:
	case <-time.After(30 * time.Second):
		d.t.Fatal("the page did not load")
	}
}

// Visit opens path (or a full URL beginning with http) and waits for it.
func (d *Tab) Visit(path string) {
	d.t.Helper()
	u := path
	if len(u) < 4 || u[:4] != "http" {
		u = d.base + path
	}
	d.Load(func() {
		if _, err := cdp.Call(d.ctx, d.s, page.Navigate, page.NavigateParams{URL: u}); err != nil {
			d.t.Fatal(err)
		}
	})
}

// Eval runs JavaScript in the page (DevTools is not bound by the page's
// CSP) and decodes its value into out.
func (d *Tab) Eval(expr string, out any) {
	d.t.Helper()
	res, err := cdp.Call(d.ctx, d.s, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: new(true), AwaitPromise: new(true)})
	if err != nil {
		d.t.Fatal(err)
	}
	if res.ExceptionDetails != nil {
		d.t.Fatalf("%s: %s", expr, res.ExceptionDetails.Text)
	}
	if out != nil && res.Result != nil {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			d.t.Fatalf("%s: %v", expr, err)
		}
	}
}

// Submit fills a form's fields (by name) and submits it as a person would.
func (d *Tab) Submit(form string, fields map[string]string) {
	d.t.Helper()
	js, _ := json.Marshal(fields)
	sel, _ := json.Marshal(form)
	d.Load(func() {
		d.Eval(`(() => { const f = document.querySelector(`+string(sel)+`); if (!f) throw new Error("no form "+`+string(sel)+`);
			for (const [k, v] of Object.entries(`+string(js)+`)) f.elements[k].value = v; f.requestSubmit(); })()`, nil)
	})
}

// Login signs in through the sign-in page.
func (d *Tab) Login(name, password string) {
	d.t.Helper()
	d.Visit("/login")
	d.Submit(`form[action="/login"]`, map[string]string{"name": name, "password": password})
}

// Path is the path of the page the tab shows.
func (d *Tab) Path() string {
	d.t.Helper()
	var p string
	d.Eval(`location.pathname`, &p)
	return p
}

// Text is the visible text of the element sel matches, "" when none does.
func (d *Tab) Text(sel string) string {
	d.t.Helper()
	var s string
	q, _ := json.Marshal(sel)
	d.Eval(`document.querySelector(`+string(q)+`)?.innerText ?? ""`, &s)
	return s
}

// Screenshot writes the tab as name (a .png) under the test's artifact
// directory.
func (d *Tab) Screenshot(name string) {
	d.t.Helper()
	res, err := cdp.Call(d.ctx, d.s, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
	if err != nil {
		d.t.Fatal(err)
	}
	dir := d.t.ArtifactDir()
	if err := os.WriteFile(filepath.Join(dir, name), res.Data, 0o600); err != nil {
		d.t.Fatal(err)
	}
	d.t.Logf("screenshot %s", filepath.Join(dir, name))
}
