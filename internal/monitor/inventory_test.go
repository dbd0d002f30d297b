package monitor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

const invPage = "https://shop.example/checkout"

func storeMonitor(t *testing.T) (*Monitor, store.Store) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), store.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	return &Monitor{store: st, log: discardLogger(nil), now: func() time.Time { return now }}, st
}

func cleanCheckout() *observation.Observation {
	return &observation.Observation{Target: invPage, Complete: true,
		Scripts:  []observation.Script{{Key: "1", URL: "https://cdn.example/app.js", Kind: observation.ScriptExternal, DocumentURL: invPage, Fingerprint: "f1", SHA256: "s1"}},
		Requests: []observation.Request{{ID: "r1", URL: "https://pay.example/tokens", Type: "Fetch", DocumentURL: invPage}},
	}
}

func TestStoreBackedBaseline(t *testing.T) {
	pol := verdict.Options{PaymentOrigins: []string{"https://pay.example"}, Site: "shop"}
	store0 := CheckArgs{Site: "shop", URL: invPage}
	complete := func() *finding.Report { return &finding.Report{Complete: true} }
	t.Run("a clean complete check proposes its items to the store as clean and pending, and approving them makes the baseline", func(t *testing.T) {
		m, st := storeMonitor(t)
		if b, err := m.loadBaseline(t.Context(), store0, invPage); err != nil || b != nil {
			t.Fatalf("baseline before any check = %v, %v; want none", b, err)
		}
		if err := m.propose(t.Context(), store0, nil, cleanCheckout(), complete(), pol); err != nil {
			t.Fatal(err)
		}
		items, _, err := st.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop", Target: invPage, Status: store.ItemPending})
		if err != nil || len(items) != 2 || !items[0].Clean {
			t.Fatalf("pending = %+v, %v; want the script and the provider, clean", items, err)
		}
		if _, err := st.DecideInventory(t.Context(), store.InventoryDecision{Type: store.EventInventoryApproved, Site: "shop", Target: invPage, Justification: "as built", Actor: "alice"}); err != nil {
			t.Fatal(err)
		}
		b, err := m.loadBaseline(t.Context(), store0, invPage)
		if err != nil || b == nil || b.Page(invPage) == nil {
			t.Fatalf("baseline after approval = %v, %v", b, err)
		}
		p := b.Page(invPage)
		if len(p.Scripts) != 1 || p.Scripts[0].Identity != "https://cdn.example/app.js" || len(p.Destinations) != 1 || p.Destinations[0].Origin != "https://pay.example" {
			t.Errorf("approved page = %+v", p)
		}
	})
	t.Run("a check that raised a high finding proposes its items as not clean, so bulk approval skips them", func(t *testing.T) {
		m, st := storeMonitor(t)
		rep := complete()
		rep.Findings = []finding.Finding{{Severity: finding.High, Kind: "script.new"}}
		if err := m.propose(t.Context(), store0, nil, cleanCheckout(), rep, pol); err != nil {
			t.Fatal(err)
		}
		items, _, _ := st.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop"})
		if len(items) != 2 || items[0].Clean || items[1].Clean {
			t.Errorf("items = %+v, want two, neither clean", items)
		}
	})
	t.Run("an incomplete check proposes nothing", func(t *testing.T) {
		m, st := storeMonitor(t)
		rep := complete()
		rep.MarkIncomplete("timed out")
		if err := m.propose(t.Context(), store0, nil, cleanCheckout(), rep, pol); err != nil {
			t.Fatal(err)
		}
		if items, _, _ := st.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop"}); len(items) != 0 {
			t.Errorf("items = %+v, want none", items)
		}
	})
	t.Run("a baseline file named in the config wins: the pending file is written and the store left alone", func(t *testing.T) {
		m, st := storeMonitor(t)
		path := filepath.Join(t.TempDir(), "shop.json")
		file := CheckArgs{Site: "shop", URL: invPage, Baseline: path}
		if err := m.propose(t.Context(), file, nil, cleanCheckout(), complete(), pol); err != nil {
			t.Fatal(err)
		}
		if pending, err := loadInventory(PendingPath(path)); err != nil || pending == nil || pending.Page(invPage) == nil {
			t.Errorf("pending file = %v, %v", pending, err)
		}
		if items, _, _ := st.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop"}); len(items) != 0 {
			t.Errorf("store items = %+v, want none", items)
		}
	})
}

func TestASiteWithoutABaselineKeyKeepsItsOldDefaultFile(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string
		want  bool
	}{
		{"no file: the store", nil, false},
		{"an approved file: the file", []string{"shop.json"}, true},
		{"only a pending file: the file, so its approval by renaming still works", []string{"shop.pending.json"}, true},
		{"another site's file: the store", []string{"other.json"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "baselines"), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, f := range c.files {
				if err := os.WriteFile(filepath.Join(dir, "baselines", f), []byte("{}"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := legacyBaseline(dir, "shop")
			if want := filepath.Join(dir, "baselines", "shop.json"); (got == want) != c.want || (!c.want && got != "") {
				t.Errorf("baseline = %q, want file: %v", got, c.want)
			}
		})
	}
}
