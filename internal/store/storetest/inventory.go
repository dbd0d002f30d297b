package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/store"
)

const invTarget = "https://shop.example/checkout"

// checkoutInventory is a small page: one external script, one inline
// script, the provider as a destination, a form, the card going to the
// provider and the page's headers.
func checkoutInventory() *inventory.PageInventory {
	return &inventory.PageInventory{
		Target: invTarget,
		Scripts: []inventory.ScriptEntry{
			{Identity: "https://cdn.example/jquery.js", Kind: "external", URL: "https://cdn.example/jquery.js", Fingerprints: []string{"aaa"}},
			{Identity: "inline:https://shop.example/checkout#bbb", Kind: "inline", Document: "https://shop.example/checkout", Fingerprints: []string{"bbb"}},
		},
		Destinations:     []inventory.DestinationEntry{{Origin: "https://pay.example", Types: []string{"fetch"}, AtLoad: true}},
		Forms:            []inventory.FormEntry{{Document: "https://shop.example/checkout", ActionOrigin: "https://pay.example", Classes: []string{"cc-number"}}},
		DataDestinations: []inventory.DataDestination{{Class: "cc-number", Origin: "https://pay.example"}},
		Headers:          map[string]map[string]string{"https://shop.example/checkout": {"content-security-policy": "script-src 'self'"}},
	}
}

func itemsBy(t *testing.T, s store.Store, q store.InventoryQuery) []store.InventoryItem {
	t.Helper()
	items, _, err := s.InventoryItems(t.Context(), q)
	must(t, err)
	return items
}

func approveAll(t *testing.T, s store.Store) {
	t.Helper()
	_, err := s.DecideInventory(t.Context(), store.InventoryDecision{Type: store.EventInventoryApproved, Site: "shop",
		Target: invTarget, Justification: "checkout as built", Actor: "alice", Time: t0.Add(time.Hour)})
	must(t, err)
}

func testInventory(t *testing.T, newStore NewFunc) {
	t.Run("a proposed inventory is all pending and no baseline yet", func(t *testing.T) {
		s := newStore(t)
		n, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		if n != 6 {
			t.Errorf("new items = %d, want 6 (2 scripts, a destination, a form, a data destination, headers)", n)
		}
		for _, it := range itemsBy(t, s, store.InventoryQuery{Site: "shop"}) {
			if it.Status != store.ItemPending || !it.FirstSeen.Equal(t0) || !it.LastSeen.Equal(t0) || !it.Clean {
				t.Errorf("item %s %s: status %s first %v last %v clean %v", it.Kind, it.Subject, it.Status, it.FirstSeen, it.LastSeen, it.Clean)
			}
		}
		p, err := s.ApprovedInventory(t.Context(), "shop", invTarget)
		must(t, err)
		if p != nil {
			t.Errorf("approved inventory before any approval = %+v, want nil", p)
		}
	})
	t.Run("proposing the same inventory again adds nothing and moves last seen", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		n, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), false, t0.Add(time.Minute))
		must(t, err)
		if n != 0 {
			t.Errorf("new items on the second proposal = %d, want 0", n)
		}
		for _, it := range itemsBy(t, s, store.InventoryQuery{Site: "shop"}) {
			if !it.FirstSeen.Equal(t0) || !it.LastSeen.Equal(t0.Add(time.Minute)) || !it.Clean {
				t.Errorf("item %s: first %v last %v clean %v, want first t0, last t0+1m, still clean", it.Subject, it.FirstSeen, it.LastSeen, it.Clean)
			}
		}
	})
	t.Run("bulk approval approves every clean pending item and the baseline equals the proposal", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		approveAll(t, s)
		for _, it := range itemsBy(t, s, store.InventoryQuery{Site: "shop"}) {
			if it.Status != store.ItemApproved || it.ApprovedBy != "alice" || !it.ApprovedAt.Equal(t0.Add(time.Hour)) || it.Justification != "checkout as built" {
				t.Errorf("item %s: %+v", it.Subject, it)
			}
		}
		p, err := s.ApprovedInventory(t.Context(), "shop", invTarget)
		must(t, err)
		want := checkoutInventory()
		b := inventory.New(t0)
		b.Merge(want, t0) // sorted as the baseline sorts
		if !reflect.DeepEqual(p, b.Pages[invTarget]) {
			g, _ := json.Marshal(p)
			w, _ := json.Marshal(b.Pages[invTarget])
			t.Errorf("approved inventory\n%s\nwant\n%s", g, w)
		}
	})
	t.Run("bulk approval leaves out items only an unclean check saw", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		evil := &inventory.PageInventory{Target: invTarget, Destinations: []inventory.DestinationEntry{{Origin: "https://evil.example", Types: []string{"image"}}}}
		_, err = s.ProposeInventory(t.Context(), "shop", evil, false, t0)
		must(t, err)
		if _, n, err := s.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop", Status: store.ItemPending, Clean: true, Limit: 1}); err != nil || n != 6 {
			t.Errorf("clean pending items = %d, %v; want the 6 of the clean check", n, err)
		}
		approveAll(t, s)
		got := itemsBy(t, s, store.InventoryQuery{Site: "shop", Status: store.ItemPending})
		if len(got) != 1 || got[0].Subject != "https://evil.example" {
			t.Errorf("pending after bulk approval = %+v, want only evil.example", got)
		}
	})
	t.Run("a changed script is a new pending item, apart from the approved version", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		approveAll(t, s)
		changed := checkoutInventory()
		changed.Scripts[0].Fingerprints = []string{"ccc"}
		n, err := s.ProposeInventory(t.Context(), "shop", changed, true, t0.Add(2*time.Hour))
		must(t, err)
		pending := itemsBy(t, s, store.InventoryQuery{Site: "shop", Status: store.ItemPending})
		if n != 1 || len(pending) != 1 || !slices.Equal(pending[0].Hashes, []string{"ccc"}) || pending[0].Subject != "https://cdn.example/jquery.js" {
			t.Fatalf("new = %d, pending = %+v, want the one new version ccc", n, pending)
		}
		p, err := s.ApprovedInventory(t.Context(), "shop", invTarget)
		must(t, err)
		if i := slices.IndexFunc(p.Scripts, func(e inventory.ScriptEntry) bool { return e.Identity == "https://cdn.example/jquery.js" }); i < 0 || !slices.Equal(p.Scripts[i].Fingerprints, []string{"aaa"}) {
			t.Errorf("approved scripts = %+v, want jquery with aaa only", p.Scripts)
		}
	})
	t.Run("approving one item records who, when and why, and one event with the actor", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		dest := itemsBy(t, s, store.InventoryQuery{Site: "shop", Kind: store.ItemDestination})[0]
		got, err := s.DecideInventory(t.Context(), store.InventoryDecision{Type: store.EventInventoryApproved, Site: "shop", Target: invTarget,
			Items: []string{dest.ID}, Justification: "payment provider", Actor: "bob", Time: t0.Add(time.Minute)})
		must(t, err)
		if len(got) != 1 || got[0].Status != store.ItemApproved || got[0].ApprovedBy != "bob" || !got[0].ApprovedAt.Equal(t0.Add(time.Minute)) || got[0].Justification != "payment provider" {
			t.Fatalf("decided = %+v", got)
		}
		evs, err := s.Events(t.Context(), store.EventQuery{Site: "shop", Type: store.EventInventoryApproved})
		must(t, err)
		if len(evs) != 1 || evs[0].Actor != "bob" || !evs[0].Time.Equal(t0.Add(time.Minute)) {
			t.Fatalf("events = %+v, want one by bob at t0+1m", evs)
		}
		var data struct {
			Target        string `json:"target"`
			Justification string `json:"justification"`
			Items         []struct{ ID, Subject string }
		}
		must(t, json.Unmarshal(evs[0].Data, &data))
		if data.Target != invTarget || data.Justification != "payment provider" || len(data.Items) != 1 || data.Items[0].ID != dest.ID || data.Items[0].Subject != "https://pay.example" {
			t.Errorf("event data = %s", evs[0].Data)
		}
		if n, err := s.VerifyEvents(t.Context()); n != 1 || err != nil {
			t.Errorf("chain: %d events, %v", n, err)
		}
		p, err := s.ApprovedInventory(t.Context(), "shop", invTarget)
		must(t, err)
		if len(p.Destinations) != 1 || len(p.Scripts) != 0 || len(p.Forms) != 0 {
			t.Errorf("approved inventory = %+v, want only the destination", p)
		}
	})
	t.Run("revoking an item takes it out of the baseline, keeps the approval on record and logs the revoker", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		approveAll(t, s)
		js := itemsBy(t, s, store.InventoryQuery{Site: "shop", Kind: store.ItemScript})[0]
		got, err := s.DecideInventory(t.Context(), store.InventoryDecision{Type: store.EventInventoryRevoked, Site: "shop", Target: invTarget,
			Items: []string{js.ID}, Actor: "carol", Time: t0.Add(2 * time.Hour)})
		must(t, err)
		if got[0].Status != store.ItemRevoked || got[0].RevokedBy != "carol" || !got[0].RevokedAt.Equal(t0.Add(2*time.Hour)) || got[0].ApprovedBy != "alice" {
			t.Errorf("revoked item = %+v", got[0])
		}
		p, err := s.ApprovedInventory(t.Context(), "shop", invTarget)
		must(t, err)
		if slices.ContainsFunc(p.Scripts, func(e inventory.ScriptEntry) bool { return e.Identity == js.Subject }) {
			t.Errorf("revoked script %s still in the approved inventory", js.Subject)
		}
		evs, err := s.Events(t.Context(), store.EventQuery{Type: store.EventInventoryRevoked})
		must(t, err)
		if len(evs) != 1 || evs[0].Actor != "carol" {
			t.Errorf("revocation events = %+v", evs)
		}
	})
	t.Run("revoking every item leaves an empty baseline, not none", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		approveAll(t, s)
		var ids []string
		for _, it := range itemsBy(t, s, store.InventoryQuery{Site: "shop"}) {
			ids = append(ids, it.ID)
		}
		_, err = s.DecideInventory(t.Context(), store.InventoryDecision{Type: store.EventInventoryRevoked, Site: "shop", Target: invTarget, Items: ids, Actor: "carol"})
		must(t, err)
		p, err := s.ApprovedInventory(t.Context(), "shop", invTarget)
		must(t, err)
		if p == nil || len(p.Scripts)+len(p.Destinations)+len(p.Forms)+len(p.DataDestinations) != 0 {
			t.Errorf("approved inventory = %+v, want empty and non-nil", p)
		}
	})
	t.Run("justifying rewrites the reason and logs it", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		approveAll(t, s)
		it := itemsBy(t, s, store.InventoryQuery{Site: "shop", Kind: store.ItemForm})[0]
		_, err = s.DecideInventory(t.Context(), store.InventoryDecision{Type: store.EventInventoryJustified, Site: "shop", Target: invTarget,
			Items: []string{it.ID}, Justification: "card form posts to the PSP only", Actor: "dave"})
		must(t, err)
		got := itemsBy(t, s, store.InventoryQuery{Site: "shop", IDs: []string{it.ID}})
		if len(got) != 1 || got[0].Justification != "card form posts to the PSP only" || got[0].ApprovedBy != "alice" {
			t.Errorf("justified item = %+v", got)
		}
		evs, err := s.Events(t.Context(), store.EventQuery{Type: store.EventInventoryJustified})
		must(t, err)
		if len(evs) != 1 || evs[0].Actor != "dave" {
			t.Errorf("justification events = %+v", evs)
		}
	})
	t.Run("bad decisions are refused and change nothing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0)
		must(t, err)
		id := itemsBy(t, s, store.InventoryQuery{Site: "shop"})[0].ID
		for _, c := range []struct {
			name string
			d    store.InventoryDecision
			want error
		}{
			{"an approval without a justification", store.InventoryDecision{Type: store.EventInventoryApproved, Items: []string{id}, Actor: "a"}, store.ErrInvalid},
			{"an approval without an actor", store.InventoryDecision{Type: store.EventInventoryApproved, Items: []string{id}, Justification: "j"}, store.ErrInvalid},
			{"an unknown decision type", store.InventoryDecision{Type: "inventory.deleted", Items: []string{id}, Actor: "a", Justification: "j"}, store.ErrInvalid},
			{"a revocation of a pending item", store.InventoryDecision{Type: store.EventInventoryRevoked, Items: []string{id}, Actor: "a"}, store.ErrConflict},
			{"a justification of a pending item", store.InventoryDecision{Type: store.EventInventoryJustified, Items: []string{id}, Actor: "a", Justification: "j"}, store.ErrConflict},
			{"a revocation without items", store.InventoryDecision{Type: store.EventInventoryRevoked, Actor: "a"}, store.ErrInvalid},
			{"an approval of an unknown item", store.InventoryDecision{Type: store.EventInventoryApproved, Items: []string{id, "nope"}, Actor: "a", Justification: "j"}, store.ErrNotFound},
		} {
			t.Run(c.name, func(t *testing.T) {
				c.d.Site, c.d.Target = "shop", invTarget
				if _, err := s.DecideInventory(t.Context(), c.d); !errors.Is(err, c.want) {
					t.Errorf("err = %v, want %v", err, c.want)
				}
			})
		}
		if got := itemsBy(t, s, store.InventoryQuery{Site: "shop", Status: store.ItemPending}); len(got) != 6 {
			t.Errorf("pending after refused decisions = %d, want 6", len(got))
		}
		if evs, err := s.Events(t.Context(), store.EventQuery{}); err != nil || len(evs) != 0 {
			t.Errorf("events after refused decisions = %d, %v", len(evs), err)
		}
	})
	t.Run("two workers proposing at once store each item once", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		counts := make([]int, 8)
		errs := make([]error, 8)
		for i := range 8 {
			wg.Go(func() {
				counts[i], errs[i] = s.ProposeInventory(t.Context(), "shop", checkoutInventory(), true, t0.Add(time.Duration(i)*time.Second))
			})
		}
		wg.Wait()
		total := 0
		for i := range 8 {
			must(t, errs[i])
			total += counts[i]
		}
		items := itemsBy(t, s, store.InventoryQuery{Site: "shop"})
		if total != 6 || len(items) != 6 {
			t.Errorf("new items counted %d, stored %d, want 6 and 6", total, len(items))
		}
		for _, it := range items {
			if !it.FirstSeen.Equal(t0) || !it.LastSeen.Equal(t0.Add(7*time.Second)) {
				t.Errorf("item %s first %v last %v, want the earliest and latest", it.Subject, it.FirstSeen, it.LastSeen)
			}
		}
	})
	t.Run("a bulk approval of a large page fits the event log and fixes every item by count and digest", func(t *testing.T) {
		s := newStore(t)
		big := &inventory.PageInventory{Target: invTarget}
		for i := range 6000 {
			big.Scripts = append(big.Scripts, inventory.ScriptEntry{Identity: fmt.Sprintf("https://cdn.example/lib-%04d-with-a-long-enough-path.js", i),
				Kind: "external", Fingerprints: []string{fmt.Sprintf("%064x", i)}})
		}
		_, err := s.ProposeInventory(t.Context(), "shop", big, true, t0)
		must(t, err)
		approveAll(t, s)
		evs, err := s.Events(t.Context(), store.EventQuery{Type: store.EventInventoryApproved})
		must(t, err)
		if len(evs) != 1 {
			t.Fatalf("%d approval events, want 1", len(evs))
		}
		var data struct {
			ItemCount   int    `json:"item_count"`
			ItemsDigest string `json:"items_sha256"`
			Items       []struct{ ID string }
		}
		must(t, json.Unmarshal(evs[0].Data, &data))
		approved := itemsBy(t, s, store.InventoryQuery{Site: "shop", Status: store.ItemApproved})
		if data.ItemCount != 6000 || len(data.Items) != store.MaxEventItems || data.ItemsDigest != store.ItemsDigest(approved) {
			t.Errorf("event: count %d, %d listed, digest %s; want 6000, %d, %s", data.ItemCount, len(data.Items), data.ItemsDigest, store.MaxEventItems, store.ItemsDigest(approved))
		}
	})
	t.Run("items page in a stable order with the total count", func(t *testing.T) {
		s := newStore(t)
		big := &inventory.PageInventory{Target: invTarget}
		for i := range 25 {
			big.Destinations = append(big.Destinations, inventory.DestinationEntry{Origin: fmt.Sprintf("https://d%02d.example", i), Types: []string{"fetch"}})
		}
		_, err := s.ProposeInventory(t.Context(), "shop", big, true, t0)
		must(t, err)
		var seen []string
		for off := 0; off < 25; off += 10 {
			page, total, err := s.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop", Offset: off, Limit: 10})
			must(t, err)
			if total != 25 {
				t.Fatalf("total = %d, want 25", total)
			}
			for _, it := range page {
				seen = append(seen, it.Subject)
			}
		}
		if len(seen) != 25 || !slices.IsSorted(seen) || seen[0] != "https://d00.example" {
			t.Errorf("paged subjects = %v", seen)
		}
		targets, err := s.InventoryTargets(t.Context(), "shop")
		must(t, err)
		if len(targets) != 1 || targets[0].Pending != 25 || targets[0].Target != invTarget || targets[0].Site != "shop" || !targets[0].LastSeen.Equal(t0) {
			t.Errorf("targets = %+v", targets)
		}
		_, err = s.ProposeInventory(t.Context(), "blog", big, true, t0)
		must(t, err)
		if all, err := s.InventoryTargets(t.Context(), ""); err != nil || len(all) != 2 || all[0].Site != "blog" || all[1].Site != "shop" {
			t.Errorf("every site's targets = %+v, %v", all, err)
		}
		if one, err := s.InventoryTargets(t.Context(), "shop"); err != nil || len(one) != 1 {
			t.Errorf("shop's targets = %+v, %v", one, err)
		}
	})
}
