package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func TestScriptsFromInventoryKeepsOnlyApprovedScriptsWithTheirAuthorisation(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	detail, _ := json.Marshal(map[string]any{"identity": "https://cdn.example/app.js", "kind": "external", "url": "https://cdn.example/app.js"})
	items := []store.InventoryItem{
		{Kind: store.ItemScript, Status: store.ItemApproved, Target: "https://shop.example/checkout", Subject: "https://cdn.example/app.js",
			ScriptKind: "external", Hashes: []string{"aa"}, Detail: detail, ApprovedBy: "alice", ApprovedAt: at, Justification: "the shop's cart"},
		{Kind: store.ItemScript, Status: store.ItemPending, Target: "https://shop.example/checkout", Subject: "inline:bb"},
		{Kind: store.ItemScript, Status: store.ItemRevoked, Target: "https://shop.example/checkout", Subject: "https://evil.example/x.js"},
		{Kind: store.ItemDestination, Status: store.ItemApproved, Target: "https://shop.example/checkout", Subject: "https://pay.example"},
	}
	got := ScriptsFromInventory(items)
	if len(got) != 1 {
		t.Fatalf("got %d scripts %+v, want the one approved script", len(got), got)
	}
	s := got[0]
	if s.URL != "https://cdn.example/app.js" || s.ApprovedBy != "alice" || !s.Approved.Equal(at) || s.Justification != "the shop's cart" || s.Kind != "external" {
		t.Errorf("script %+v, want its URL, kind, approver, time and justification", s)
	}
}
