package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

const cliPage = "https://shop.example/checkout"

// seedInventory stores a pending checkout inventory of shop, proposed by a
// clean check: one script and the payment provider.
func seedInventory(t *testing.T) string {
	return seedStore(t, func(ctx context.Context, s store.Store) {
		p := &inventory.PageInventory{Target: cliPage,
			Scripts:      []inventory.ScriptEntry{{Identity: "https://cdn.example/app.js", Kind: "external", URL: "https://cdn.example/app.js", Fingerprints: []string{"f00d"}}},
			Destinations: []inventory.DestinationEntry{{Origin: "https://pay.example", Types: []string{"fetch"}}}}
		if _, err := s.ProposeInventory(ctx, "shop", p, true, storeT0); err != nil {
			t.Fatal(err)
		}
	})
}

func inventoryItemsIn(t *testing.T, dsn string) []store.InventoryItem {
	t.Helper()
	s, err := open.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	items, _, err := s.InventoryItems(t.Context(), store.InventoryQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestInventoryCommand(t *testing.T) {
	t.Run("list without a target shows the page with its pending count", func(t *testing.T) {
		out, err := runStoreCLI(t, "inventory", "list", "--store", seedInventory(t), "--site", "shop")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, cliPage) || !strings.Contains(out, "2 ") {
			t.Errorf("list:\n%s", out)
		}
	})
	t.Run("list of a page given with a query string finds it and shows the item IDs", func(t *testing.T) {
		dsn := seedInventory(t)
		out, err := runStoreCLI(t, "inventory", "list", "--store", dsn, "--site", "shop", "--target", cliPage+"?v=2", "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Items []store.InventoryItem }
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Items) != 2 {
			t.Fatalf("items %+v, %v:\n%s", got.Items, err, out)
		}
	})
	t.Run("approve without --item approves the clean check's items with who and why", func(t *testing.T) {
		dsn := seedInventory(t)
		out, err := runStoreCLI(t, "inventory", "approve", "--store", dsn, "--site", "shop", "--target", cliPage,
			"--justification", "checkout as built", "--by", "alice")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, "Approved 2 item(s)") {
			t.Errorf("approve said:\n%s", out)
		}
		for _, it := range inventoryItemsIn(t, dsn) {
			if it.Status != store.ItemApproved || it.ApprovedBy != "alice" || it.Justification != "checkout as built" {
				t.Errorf("item %s: %+v", it.Subject, it)
			}
		}
	})
	t.Run("revoke of one item leaves the other approved", func(t *testing.T) {
		dsn := seedInventory(t)
		if _, err := runStoreCLI(t, "inventory", "approve", "--store", dsn, "--site", "shop", "--target", cliPage, "--justification", "j", "--by", "alice"); err != nil {
			t.Fatal(err)
		}
		var script string
		for _, it := range inventoryItemsIn(t, dsn) {
			if it.Kind == store.ItemScript {
				script = it.ID
			}
		}
		if _, err := runStoreCLI(t, "inventory", "revoke", "--store", dsn, "--site", "shop", "--target", cliPage, "--item", script, "--by", "bob"); err != nil {
			t.Fatal(err)
		}
		for _, it := range inventoryItemsIn(t, dsn) {
			want := store.ItemApproved
			if it.ID == script {
				want = store.ItemRevoked
			}
			if it.Status != want {
				t.Errorf("item %s is %s, want %s", it.Subject, it.Status, want)
			}
		}
	})
	for _, c := range []struct {
		name string
		args []string
	}{
		{"approve without a justification is a usage error", []string{"approve", "--site", "shop", "--target", cliPage, "--by", "alice"}},
		{"approve without --by is a usage error", []string{"approve", "--site", "shop", "--target", cliPage, "--justification", "j"}},
		{"revoke of an unknown item is refused", []string{"revoke", "--site", "shop", "--target", cliPage, "--item", "x", "--by", "bob"}},
		{"export in an unknown format is a usage error", []string{"export", "--site", "shop", "--format", "xlsx"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn := seedInventory(t)
			_, err := runStoreCLI(t, append([]string{"inventory"}, append(c.args, "--store", dsn)...)...)
			if storeExitCode(err) != 2 {
				t.Errorf("exit %d (%v), want 2", storeExitCode(err), err)
			}
			for _, it := range inventoryItemsIn(t, dsn) {
				if it.Status != store.ItemPending {
					t.Errorf("item %s changed to %s", it.Subject, it.Status)
				}
			}
		})
	}
	t.Run("export csv has one row per item with its authorisation", func(t *testing.T) {
		dsn := seedInventory(t)
		if _, err := runStoreCLI(t, "inventory", "approve", "--store", dsn, "--site", "shop", "--target", cliPage, "--justification", "checkout as built", "--by", "alice"); err != nil {
			t.Fatal(err)
		}
		out, err := runStoreCLI(t, "inventory", "export", "--store", dsn, "--site", "shop", "--format", "csv")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("%d rows, %v:\n%s", len(rows), err, out)
		}
		for _, r := range rows[1:] {
			if r[0] != "shop" || r[1] != cliPage || r[9] != "alice" || r[11] != "checkout as built" {
				t.Errorf("row %q", r)
			}
		}
	})
}

func TestInventoryImport(t *testing.T) {
	dsn := seedInventory(t)
	b := inventory.New(storeT0)
	b.Pages[cliPage] = &inventory.PageInventory{Target: cliPage,
		Scripts:      []inventory.ScriptEntry{{Identity: "https://cdn.example/app.js", Kind: "external", URL: "https://cdn.example/app.js", Fingerprints: []string{"f00d"}}},
		Destinations: []inventory.DestinationEntry{{Origin: "https://pay.example", Types: []string{"fetch"}}, {Origin: "https://cdn.example", Types: []string{"script"}, AtLoad: true}}}
	file := filepath.Join(t.TempDir(), "shop.json")
	if err := b.Save(file); err != nil {
		t.Fatal(err)
	}
	t.Run("a baseline file's items are approved in the store with who and why", func(t *testing.T) {
		out, err := runStoreCLI(t, "inventory", "import", "--store", dsn, "--site", "shop", "--file", file, "--justification", "approved by file since 2025", "--by", "alice")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		items := inventoryItemsIn(t, dsn)
		if len(items) != 3 {
			t.Fatalf("%d items, want the two seeded and the file's new destination", len(items))
		}
		for _, it := range items {
			if it.Status != store.ItemApproved || it.ApprovedBy != "alice" || it.Justification != "approved by file since 2025" {
				t.Errorf("item %s: %+v", it.Subject, it)
			}
		}
	})
	t.Run("importing again approves nothing more and fails nothing", func(t *testing.T) {
		out, err := runStoreCLI(t, "inventory", "import", "--store", dsn, "--site", "shop", "--file", file, "--justification", "again", "--by", "bob")
		if err != nil || !strings.Contains(out, "approved 0 item(s)") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("a file that is not a baseline is a usage error", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, []byte(`{"version": 99}`), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := runStoreCLI(t, "inventory", "import", "--store", dsn, "--site", "shop", "--file", bad, "--justification", "j", "--by", "bob")
		if storeExitCode(err) != 2 {
			t.Errorf("exit %d (%v), want 2", storeExitCode(err), err)
		}
	})
}
