package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/testsupport"
	"github.com/skimwatch/skimwatch/internal/web/webtest"
)

// dashTab is one signed-in person's tab (webtest.Tab), with the short
// names this package's tests use.
type dashTab struct {
	*webtest.Tab
	s *browser.Session
}

func openDashTab(t *testing.T, ctx context.Context, b *browser.Browser, base, lang string) *dashTab {
	t.Helper()
	tab := webtest.Open(t, ctx, b, base, lang)
	return &dashTab{Tab: tab, s: tab.Session()}
}

func (d *dashTab) open(path string)                             { d.Visit(path) }
func (d *dashTab) eval(expr string, out any)                    { d.Eval(expr, out) }
func (d *dashTab) submit(form string, fields map[string]string) { d.Submit(form, fields) }
func (d *dashTab) login(name, password string)                  { d.Login(name, password) }
func (d *dashTab) screenshot(name string)                       { d.Screenshot(name) }

func TestInventoryInChromium(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })

	// The dashboard prints in this Chromium, as serve's prints in the one
	// its checks use. Without a renderer each export launches a Chromium
	// of its own, and a cold start on a loaded machine outlasts the 15 s
	// the page's awaited fetch gets; that path has its own test, whose
	// client waits (TestAPDFExportOutlastsTheServersWriteTimeout).
	site := newSite(t, Options{Documents: document.NewRenderer(b, nil)})
	items := seedInventory(t, site.st)
	site.addUser(t, "otto", store.RoleOperator, "operator password 1")
	site.addUser(t, "vera", store.RoleViewer, "viewer password 1")
	pagePath := "/inventory/shop?target=" + url.QueryEscape(invURL)
	var script store.InventoryItem
	for _, it := range items {
		if it.Subject == "https://cdn.example/app.js" {
			script = it
		}
	}

	t.Run("an operator signs in, approves a script with a justification and sees who approved it and when", func(t *testing.T) {
		d := openDashTab(t, ctx, b, site.URL, "en-GB,en")
		dialogs, stop := d.s.Subscribe(page.JavascriptDialogOpening.Method)
		defer stop()
		d.login("otto", "operator password 1")
		d.open(pagePath)
		d.screenshot("inventory-en-pending.png")
		var planted string
		d.eval(`document.querySelector(".inv-items").innerText`, &planted)
		if !strings.Contains(planted, `"><script>alert(1)</script>`) {
			t.Errorf("the planted script URL is not shown as text:\n%s", planted)
		}
		d.submit("#item-"+script.ID+" form.approve", map[string]string{"justification": "checkout UI, vendor contract 42"})
		var row struct {
			Status, Text string
			Dialog       bool
		}
		d.eval(`(() => { const r = document.querySelector("#item-`+script.ID+`"); return {Status: r.dataset.status, Text: r.innerText}; })()`, &row)
		if row.Status != store.ItemApproved || !strings.Contains(row.Text, "otto") || !strings.Contains(row.Text, "checkout UI, vendor contract 42") || !strings.Contains(row.Text, "2026-") {
			t.Errorf("the row after approval: %+v", row)
		}
		var notice string
		d.eval(`document.querySelector(".flash.info")?.innerText ?? ""`, &notice)
		if !strings.Contains(notice, "Approved 1 item") {
			t.Errorf("notice %q", notice)
		}
		got, _, err := site.st.InventoryItems(ctx, store.InventoryQuery{IDs: []string{script.ID}})
		if err != nil || len(got) != 1 || got[0].ApprovedBy != "otto" || got[0].Justification != "checkout UI, vendor contract 42" {
			t.Errorf("stored item %+v, %v", got, err)
		}
		evs := events(t, site.st, store.EventInventoryApproved)
		if len(evs) != 1 || evs[0].Actor != "otto" || !strings.Contains(string(evs[0].Data), script.ID) {
			t.Errorf("approval events %+v", evs)
		}
		d.screenshot("inventory-en.png")
		d.eval(`document.querySelector(".inv-items").scrollIntoView()`, nil)
		d.screenshot("inventory-en-items.png")
		select {
		case <-dialogs:
			t.Error("a dialog opened: the planted script URL ran")
		default:
		}
	})
	t.Run("the page in Japanese", func(t *testing.T) {
		d := openDashTab(t, ctx, b, site.URL, "ja-JP,ja")
		d.login("otto", "operator password 1")
		d.open(pagePath)
		var h string
		d.eval(`document.querySelector("main").innerText`, &h)
		if !strings.Contains(h, "承認") || !strings.Contains(h, "正当な理由") {
			t.Errorf("the page is not in Japanese:\n%s", h)
		}
		d.screenshot("inventory-ja.png")
		d.open("/inventory")
		d.screenshot("inventory-targets-ja.png")
	})
	t.Run("a viewer sees no approve button and a same-origin approval post is refused with 403", func(t *testing.T) {
		d := openDashTab(t, ctx, b, site.URL, "en")
		d.login("vera", "viewer password 1")
		d.open(pagePath)
		var forms int
		d.eval(`document.querySelectorAll('form[action$="/approve"]').length`, &forms)
		if forms != 0 {
			t.Errorf("a viewer is shown %d approve forms", forms)
		}
		var status int
		d.eval(`fetch("/inventory/shop/approve", {method: "POST", body: new URLSearchParams({target: `+jsString(invURL)+`, bulk: "1", justification: "sneaky"})}).then(r => r.status)`, &status)
		if status != 403 {
			t.Errorf("a viewer's approval got %d, want 403", status)
		}
		if _, n, _ := site.st.InventoryItems(ctx, store.InventoryQuery{Status: store.ItemPending}); n != 2 {
			t.Errorf("%d items pending after the viewer's try, want 2", n)
		}
		d.screenshot("inventory-en-viewer.png")
		var pdf struct{ Type, Head string }
		d.eval(`fetch("/inventory/shop/export?format=pdf").then(async r => ({Type: r.headers.get("Content-Type"), Head: (await r.text()).slice(0, 5)}))`, &pdf)
		if pdf.Type != "application/pdf" || pdf.Head != "%PDF-" {
			t.Errorf("a viewer's PDF export: %+v", pdf)
		}
	})
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }
