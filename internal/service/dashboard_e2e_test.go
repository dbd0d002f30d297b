package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/testsupport"
	"github.com/skimwatch/skimwatch/internal/web/webtest"
)

// TestDashboardWalkFromSetUpToTheAlert is docs/SERVE.md's lab walk done
// by a person in Chromium, against a real serve watching the lab shop: the
// set-up link makes the admin, the Inventory page bulk-approves what the
// first clean check saw with a justification, the lab's shop library gets
// a skimmer appended (first-party-append), the Findings page leads to the
// changed script's finding whose diff shows the added skimmer line, and
// the webhook on loopback gets the incident, signed.
func TestDashboardWalkFromSetUpToTheAlert(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	page := l.ShopURL() + "/checkout/token"

	recv := &webhookReceiver{t: t, secret: []byte("a-webhook-secret-of-the-shop")}
	hook := httptest.NewServer(recv)
	t.Cleanup(hook.Close)
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_WEBHOOK_SECRET", string(recv.secret))
	// differential: never keeps each check to one pass (the page has no
	// approved inventory at first, and auto would run three more).
	cfg := parse(t, fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nconcurrency: 1\n"+
		"sites:\n  - name: shop\n    differential: never\n    payment_origins: [%q, %q]\n    pages:\n      - {url: %q, every: 3s, timeout: 60s}\n"+
		"alerts:\n  - webhook: {url: %s, secret: {env: TEST_WEBHOOK_SECRET}}\n",
		t.TempDir(), l.PSPOrigin(), l.PSPAPIOrigin(), page, hook.URL))
	logs := &logBuffer{}
	api, _ := startServe(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Monitor: monitor.Options{Dwell: time.Second, PollInterval: 100 * time.Millisecond},
		Alerts:  alert.Options{Window: -1}})
	link := setupLink(t, logs)

	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	d := webtest.Open(t, ctx, b, api, "en-GB,en")
	invPath := "/inventory/shop?target=" + url.QueryEscape(page)

	t.Run("the set-up link creates the admin and opens the overview", func(t *testing.T) {
		d.Visit(link)
		d.Screenshot("walk-1-setup-en.png")
		d.Submit(`form[action="/setup"]`, map[string]string{"name": "alice", "password": "correct horse battery", "password2": "correct horse battery"})
		if p := d.Path(); p != "/" || !strings.Contains(d.Text("header"), "alice") {
			t.Fatalf("after set-up: %s, header %q", p, d.Text("header"))
		}
	})
	t.Run("the first clean check's inventory is bulk-approved with a justification", func(t *testing.T) {
		// The first complete check proposes the page's items.
		for end := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
			d.Visit(invPath)
			if d.Text("#bulk-approve") != "" {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("no bulk approval offered within 2 minutes: %s", d.Text("main"))
			}
		}
		d.Screenshot("walk-2-inventory-pending-en.png")
		d.Submit(`form.bulk-form`, map[string]string{"justification": "lab checkout as built, reviewed by alice"})
		var rows struct{ Approved, Pending int }
		d.Eval(`({Approved: document.querySelectorAll('tr[data-status="approved"]').length, Pending: document.querySelectorAll('tr[data-status="pending"]').length})`, &rows)
		if rows.Approved == 0 || rows.Pending != 0 || !strings.Contains(d.Text(".flash.info"), "Approved") ||
			!strings.Contains(d.Text(".inv-items"), "lab checkout as built, reviewed by alice") {
			t.Fatalf("after the bulk approval: %+v, notice %q", rows, d.Text(".flash.info"))
		}
		d.Screenshot("walk-3-inventory-approved-en.png")
	})
	t.Run("the PDF evidence sheet prints in serve's Chromium", func(t *testing.T) {
		var pdf struct{ Type, Head string }
		d.Eval(`fetch("/inventory/shop/export?format=pdf").then(async r => ({Type: r.headers.get("Content-Type"), Head: (await r.text()).slice(0, 5)}))`, &pdf)
		if pdf.Type != "application/pdf" || pdf.Head != "%PDF-" {
			t.Errorf("the PDF export: %+v", pdf)
		}
	})
	if t.Failed() {
		return
	}
	if err := l.SetScenario("first-party-append"); err != nil {
		t.Fatal(err)
	}
	t.Run("the webhook gets the incident with the changed script", func(t *testing.T) {
		for end := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if slices.ContainsFunc(recv.snapshot(), func(a alert.Alert) bool {
				return a.Type == alert.TypeIncident && hasItem(a, verdict.KindScriptChanged)
			}) {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("no incident with %s at the webhook within 90 s; got %v", verdict.KindScriptChanged, recv.types())
			}
		}
	})
	t.Run("the finding page shows the diff with the appended skimmer line", func(t *testing.T) {
		d.Visit("/findings?site=shop")
		d.Screenshot("walk-4-findings-en.png")
		var href string
		d.Eval(`[...document.querySelectorAll("td.msg")].find(td => td.innerText.includes("`+verdict.KindScriptChanged+`") && td.innerText.includes("minq.js"))?.querySelector("a")?.getAttribute("href") ?? ""`, &href)
		if href == "" {
			t.Fatalf("no %s finding for minq.js on the Findings page:\n%s", verdict.KindScriptChanged, d.Text("main"))
		}
		d.Visit(href)
		var added []string
		d.Eval(`[...document.querySelectorAll("section.diff tr.insert td.src")].map(td => td.innerText)`, &added)
		if !slices.ContainsFunc(added, func(s string) bool { return strings.Contains(s, "/api/collect") }) {
			t.Fatalf("the diff's added lines do not include the skimmer's send to the attacker:\n%s", strings.Join(added, "\n"))
		}
		d.Screenshot("walk-5-finding-diff-en.png")
		d.Eval(`document.querySelector("section.diff tr.insert").scrollIntoView()`, nil)
		d.Screenshot("walk-6-finding-diff-lines-en.png")
		ja := webtest.Open(t, ctx, b, api, "ja-JP,ja")
		ja.Login("alice", "correct horse battery")
		ja.Visit(href)
		if !strings.Contains(ja.Text("main"), "スクリプトの変更内容") {
			t.Errorf("the finding page in Japanese has no diff heading:\n%.400s", ja.Text("main"))
		}
		ja.Screenshot("walk-5-finding-diff-ja.png")
		ja.Visit(invPath)
		ja.Screenshot("walk-3-inventory-approved-ja.png")
	})
}

// setupLink is the one-time set-up link serve logged.
func setupLink(t *testing.T, logs *logBuffer) string {
	t.Helper()
	out := logs.String()
	i := strings.Index(out, "link=")
	if i < 0 {
		t.Fatalf("no set-up link in the log:\n%s", out)
	}
	return strings.Trim(strings.Fields(out[i+len("link="):])[0], `"`)
}

// snapshot is every alert received so far.
func (w *webhookReceiver) snapshot() []alert.Alert {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got)
}
