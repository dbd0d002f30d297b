package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/store"
)

// BenchmarkInventoryPage renders the inventory page of a page with 10,000
// items (the large store), as an operator: the first page of 50
// items, the last one, and the first page filtered to approved scripts.
func BenchmarkInventoryPage(b *testing.B) {
	s, st := newTestServer(b)
	p := &inventory.PageInventory{Target: invURL}
	for i := range 5000 {
		p.Scripts = append(p.Scripts, inventory.ScriptEntry{Identity: fmt.Sprintf("https://cdn%04d.example/lib.js", i), Kind: "external",
			URL: fmt.Sprintf("https://cdn%04d.example/lib.js", i), Fingerprints: []string{fmt.Sprintf("%064x", i)}})
		p.Destinations = append(p.Destinations, inventory.DestinationEntry{Origin: fmt.Sprintf("https://d%04d.example", i), Types: []string{"fetch"}})
	}
	if _, err := st.ProposeInventory(b.Context(), "shop", p, true, time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	if _, err := st.DecideInventory(b.Context(), store.InventoryDecision{Type: store.EventInventoryApproved, Site: "shop", Target: invURL,
		Justification: "the benchmark's shop as built", Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	if _, n, err := st.InventoryItems(b.Context(), store.InventoryQuery{Site: "shop"}); err != nil || n != 10000 {
		b.Fatalf("%d items, %v", n, err)
	}
	target := url.QueryEscape(invURL)
	for _, c := range []struct{ name, query string }{
		{"first page", "?target=" + target},
		{"last page", "?target=" + target + "&page=200"},
		{"approved scripts", "?target=" + target + "&status=approved&kind=script"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				w := as(s, invOperator, httptest.NewRequest("GET", "/inventory/shop"+c.query, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
