package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/store"
)

const invURL = "https://shop.example/checkout"

var (
	invViewer   = User{ID: 1, Name: "vera", Role: RoleViewer}
	invOperator = User{ID: 2, Name: "otto", Role: RoleOperator}
)

// seedInventory proposes a checkout inventory from a clean check, with a
// script URL an attacker wrote.
func seedInventory(t testing.TB, st store.Store) []store.InventoryItem {
	t.Helper()
	p := &inventory.PageInventory{Target: invURL,
		Scripts: []inventory.ScriptEntry{
			{Identity: "https://cdn.example/app.js", Kind: "external", URL: "https://cdn.example/app.js", Fingerprints: []string{"0123456789abcdef0123"}},
			{Identity: `https://x.example/"><script>alert(1)</script>`, Kind: "dynamic", Fingerprints: []string{"feed"}},
		},
		Destinations: []inventory.DestinationEntry{{Origin: "https://pay.example", Types: []string{"fetch"}, AtLoad: true}}}
	if _, err := st.ProposeInventory(t.Context(), "shop", p, true, time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	items, _, err := st.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func postForm(path string, v url.Values) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func postJSON(path, body string) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestInventoryPage(t *testing.T) {
	t.Run("a viewer sees every item with its kind and the attacker's URL as text", func(t *testing.T) {
		s, st := newTestServer(t)
		seedInventory(t, st)
		w := as(s, invViewer, httptest.NewRequest("GET", "/inventory/shop?target="+url.QueryEscape(invURL), nil))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		body := w.Body.String()
		for _, want := range []string{"https://cdn.example/app.js", "https://pay.example", "&lt;script&gt;alert(1)&lt;/script&gt;", "dynamic", "0123456789ab"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(body, "<script>alert(1)") {
			t.Error("the attacker's markup reached the page unescaped")
		}
		if strings.Contains(body, `action="/inventory/shop/approve"`) {
			t.Error("a viewer is shown approve buttons")
		}
	})
	t.Run("an operator sees the bulk approval of what the clean check saw", func(t *testing.T) {
		s, st := newTestServer(t)
		seedInventory(t, st)
		w := as(s, invOperator, httptest.NewRequest("GET", "/inventory/shop?target="+url.QueryEscape(invURL), nil))
		if !strings.Contains(w.Body.String(), "Approve all 3") {
			t.Errorf("no bulk approval of 3 items:\n%s", w.Body)
		}
	})
	t.Run("the list of pages shows each site's page with its counts", func(t *testing.T) {
		s, st := newTestServer(t)
		seedInventory(t, st)
		w := as(s, invViewer, httptest.NewRequest("GET", "/inventory", nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), invURL) {
			t.Errorf("status %d:\n%s", w.Code, w.Body)
		}
	})
	t.Run("a site with no inventory is not found", func(t *testing.T) {
		s, _ := newTestServer(t)
		if w := as(s, invViewer, httptest.NewRequest("GET", "/inventory/nosuch", nil)); w.Code != http.StatusNotFound {
			t.Errorf("status %d", w.Code)
		}
	})
}

func TestInventoryDecisions(t *testing.T) {
	t.Run("an operator's approval records the operator, the time and the justification, and an event", func(t *testing.T) {
		s, st := newTestServer(t)
		items := seedInventory(t, st)
		w := as(s, invOperator, postForm("/inventory/shop/approve", url.Values{"target": {invURL}, "item": {items[0].ID}, "justification": {"vendor contract 42"}}))
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=approve%3A1") {
			t.Fatalf("status %d location %q", w.Code, w.Header().Get("Location"))
		}
		got, _, _ := st.InventoryItems(t.Context(), store.InventoryQuery{IDs: []string{items[0].ID}})
		if got[0].Status != store.ItemApproved || got[0].ApprovedBy != "otto" || got[0].Justification != "vendor contract 42" || got[0].ApprovedAt.IsZero() {
			t.Errorf("item = %+v", got[0])
		}
		evs, _ := st.Events(t.Context(), store.EventQuery{Type: store.EventInventoryApproved})
		if len(evs) != 1 || evs[0].Actor != "otto" || evs[0].Site != "shop" {
			t.Errorf("events = %+v", evs)
		}
	})
	for _, c := range []struct {
		name string
		req  *http.Request
	}{
		{"a viewer's form approval is refused with 403", postForm("/inventory/shop/approve", url.Values{"target": {invURL}, "bulk": {"1"}, "justification": {"j"}})},
		{"a viewer's API approval is refused with 403", postJSON("/api/sites/shop/inventory/approve", `{"target":"`+invURL+`","bulk":true,"justification":"j"}`)},
		{"a viewer's revocation is refused with 403", postJSON("/api/sites/shop/inventory/revoke", `{"target":"`+invURL+`","items":["x"]}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, st := newTestServer(t)
			seedInventory(t, st)
			if w := as(s, invViewer, c.req); w.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", w.Code)
			}
			if _, n, _ := st.InventoryItems(t.Context(), store.InventoryQuery{Status: store.ItemPending}); n != 3 {
				t.Errorf("%d items still pending, want 3", n)
			}
			if evs, _ := st.Events(t.Context(), store.EventQuery{}); len(evs) != 0 {
				t.Errorf("events = %+v", evs)
			}
		})
	}
	for _, c := range []struct {
		name, path, body string
		want             int
	}{
		{"an approval with no items and no bulk flag approves nothing", "/api/sites/shop/inventory/approve", `{"target":"` + invURL + `","justification":"j"}`, http.StatusBadRequest},
		{"an approval without a justification is refused", "/api/sites/shop/inventory/approve", `{"target":"` + invURL + `","bulk":true}`, http.StatusBadRequest},
		{"an unknown field is refused", "/api/sites/shop/inventory/approve", `{"target":"` + invURL + `","bulk":true,"justification":"j","by":"someone else"}`, http.StatusBadRequest},
		{"revoking a pending item is a conflict", "/api/sites/shop/inventory/revoke", `{"target":"` + invURL + `","items":["%s"]}`, http.StatusConflict},
		{"an unknown item is not found", "/api/sites/shop/inventory/approve", `{"target":"` + invURL + `","items":["nope"],"justification":"j"}`, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, st := newTestServer(t)
			items := seedInventory(t, st)
			body := c.body
			if strings.Contains(body, "%s") {
				body = fmt.Sprintf(body, items[0].ID)
			}
			if w := as(s, invOperator, postJSON(c.path, body)); w.Code != c.want {
				t.Errorf("status %d, want %d: %s", w.Code, c.want, w.Body)
			}
			if _, n, _ := st.InventoryItems(t.Context(), store.InventoryQuery{Status: store.ItemPending}); n != 3 {
				t.Errorf("%d items still pending, want 3", n)
			}
		})
	}
	t.Run("a bulk approval through the API approves the clean check's items and returns them", func(t *testing.T) {
		s, st := newTestServer(t)
		seedInventory(t, st)
		w := as(s, invOperator, postJSON("/api/sites/shop/inventory/approve", `{"target":"`+invURL+`","bulk":true,"justification":"as built"}`))
		var got struct{ Items []store.InventoryItem }
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK || len(got.Items) != 3 {
			t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
		}
		for _, it := range got.Items {
			if it.Status != store.ItemApproved || it.ApprovedBy != "otto" {
				t.Errorf("item %+v", it)
			}
		}
	})
}

func TestInventoryAPIAndExport(t *testing.T) {
	s, st := newTestServer(t)
	seedInventory(t, st)
	t.Run("items are paged with their total", func(t *testing.T) {
		w := as(s, invViewer, httptest.NewRequest("GET", "/api/sites/shop/inventory/items?per=2&target="+url.QueryEscape(invURL), nil))
		var got struct {
			Items   []store.InventoryItem
			Total   int
			HasNext bool `json:"has_next"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Items) != 2 || got.Total != 3 || !got.HasNext {
			t.Errorf("status %d, %v: %+v", w.Code, err, got)
		}
	})
	t.Run("the site's pages are listed with counts", func(t *testing.T) {
		w := as(s, invViewer, httptest.NewRequest("GET", "/api/sites/shop/inventory", nil))
		var got struct{ Targets []store.InventoryTarget }
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Targets) != 1 || got.Targets[0].Pending != 3 {
			t.Errorf("status %d, %v: %s", w.Code, err, w.Body)
		}
	})
	t.Run("the CSV export has a row per item and a download name", func(t *testing.T) {
		w := as(s, invViewer, httptest.NewRequest("GET", "/inventory/shop/export?format=csv", nil))
		rows, err := csv.NewReader(w.Body).ReadAll()
		// The name carries the day of the export, by the server's clock.
		want := `filename="inventory-shop-` + s.now().UTC().Format("20060102") + `.csv"`
		if err != nil || len(rows) != 4 || !strings.Contains(w.Header().Get("Content-Disposition"), want) {
			t.Errorf("status %d rows %d err %v disposition %q", w.Code, len(rows), err, w.Header().Get("Content-Disposition"))
		}
	})
	t.Run("an unknown export format is refused", func(t *testing.T) {
		if w := as(s, invViewer, httptest.NewRequest("GET", "/inventory/shop/export?format=xlsx", nil)); w.Code != http.StatusBadRequest {
			t.Errorf("status %d", w.Code)
		}
	})
}
