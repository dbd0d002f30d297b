package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/store"
)

// reportFixture writes an incident file for site shop whose window runs
// from storeT0 to storeT0+2h, and a store holding, for shop, an event and
// an alert with its delivery inside the window and an event outside it.
func reportFixture(t *testing.T) (incFile, dsn string, inWindow store.Event) {
	t.Helper()
	dir := t.TempDir()
	inc := incident.Incident{
		ID: "inc-1", Site: "shop", Opened: storeT0.Add(3 * time.Hour), ChainHead: "9:feedface",
		Window: incident.Window{
			Start: incident.Bounds{After: storeT0, NoLaterThan: storeT0.Add(10 * time.Minute), AfterSource: incident.SourceCheck, NoLaterThanSource: incident.SourceCheck},
			End:   incident.Bounds{After: storeT0.Add(110 * time.Minute), NoLaterThan: storeT0.Add(2 * time.Hour), AfterSource: incident.SourceCheck, NoLaterThanSource: incident.SourceCheck},
		},
		Pages:     []incident.Page{{Target: "https://shop.example/checkout", Kind: "payment", Exposed: []incident.DataClass{incident.ClassCardNumber}}},
		Customers: []incident.Customer{{Key: "c1", Email: "a@example.jp", Name: "A", Orders: []string{"O-1"}, Exposed: []incident.DataClass{incident.ClassCardNumber}}},
		Counts:    incident.Counts{Orders: 1, Customers: 1, PerClass: map[incident.DataClass]int{incident.ClassCardNumber: 1}},
	}
	b, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	incFile = filepath.Join(dir, "inc-1.json")
	if err := os.WriteFile(incFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	dsn = seedStore(t, func(ctx context.Context, s store.Store) {
		var err error
		if inWindow, err = s.AppendEvent(ctx, store.Event{Site: "shop", Type: "check.run", Actor: "serve", Time: storeT0.Add(5 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendEvent(ctx, store.Event{Site: "shop", Type: "old.event", Actor: "serve", Time: storeT0.Add(-48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		payload, err := json.Marshal(alert.Alert{ID: "a1", Type: "incident", Site: "shop", Severity: finding.Critical, Items: []alert.Item{{Key: "k-card", Severity: finding.Critical}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveIncidents(ctx, []store.Incident{{
			Site: "shop", Key: "k-card", Kind: store.IncidentFinding, Status: store.IncidentOpen, Target: "https://shop.example/checkout",
			Detector: "check", Finding: finding.Finding{Severity: finding.Critical, Kind: "honey.card-exfiltration", Message: "the test card left for https://evil.example"},
			Opened: storeT0.Add(10 * time.Minute), LastSeen: storeT0.Add(time.Hour), Announced: storeT0.Add(11 * time.Minute),
		}}, []store.Delivery{{ID: "a1/ops-mail", AlertID: "a1", Sink: "ops-mail", Site: "shop", Payload: payload, Created: storeT0.Add(11 * time.Minute)}}); err != nil {
			t.Fatal(err)
		}
	})
	return incFile, dsn, inWindow
}

func TestIncidentReportCommand(t *testing.T) {
	incFile, dsn, ev := reportFixture(t)
	shop := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(shop, []byte("name: {ja: テスト商店, en: Test Shop}\ncontact: 0120-111-222\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("HTML documents are written in both languages with the store's evidence", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "notices")
		stdout, stderr, code := runCLI(t, "incident", "report", "--incident", incFile, "--store", dsn, "--shop", shop, "--format", "html", "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if n := len(strings.Fields(stdout)); n != 14 {
			t.Errorf("listed %d files, want 6 documents × 2 languages + 2 CSVs:\n%s", n, stdout)
		}
		pci, err := os.ReadFile(filepath.Join(out, "pci-evidence.en.html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{ev.Hash, "ops-mail", "the test card left for https://evil.example", "check.run"} {
			if !strings.Contains(string(pci), want) {
				t.Errorf("evidence pack lacks %q", want)
			}
		}
		if strings.Contains(string(pci), "old.event") {
			t.Error("evidence pack lists an event from before the period")
		}
		notice, err := os.ReadFile(filepath.Join(out, "customer-notice.ja.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(notice), "テスト商店") || !strings.Contains(string(notice), "0120-111-222") {
			t.Error("customer notice lacks the shop file's name and contact")
		}
		csv, err := os.ReadFile(filepath.Join(out, "customers.ja.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(csv), "a@example.jp,ja,O-1") {
			t.Errorf("mail merge:\n%s", csv)
		}
		if fi, err := os.Stat(filepath.Join(out, "customers.ja.csv")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("customer list is readable by others: %v %v", fi.Mode(), err)
		}
	})

	usage := []struct {
		name string
		args []string
		want string
	}{
		{"no output directory is a usage error", []string{"--incident", incFile}, "--out"},
		{"neither --id nor --incident is a usage error", []string{"--out", "x"}, "one of --id ID and --incident FILE"},
		{"both --id and --incident is a usage error", []string{"--out", "x", "--id", "i", "--incident", incFile}, "one of --id ID and --incident FILE"},
		{"an unknown incident ID is named", []string{"--out", "x", "--id", "i"}, "incident i: not found"},
		{"an unknown language is a usage error", []string{"--out", "x", "--incident", incFile, "--lang", "ja,fr"}, `"fr"`},
		{"an unknown format is a usage error", []string{"--out", "x", "--incident", incFile, "--format", "docx"}, `"docx"`},
		{"a shop file with a typo is a usage error", []string{"--out", "x", "--incident", incFile, "--shop", writeTemp(t, "nmae: x\n")}, "nmae"},
		{"an incident file that is not JSON is a usage error", []string{"--out", "x", "--incident", writeTemp(t, "not json")}, "--incident"},
	}
	for _, tc := range usage {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append([]string{"incident", "report", "--store", dsn}, tc.args...)...)
			if code != finding.ExitIncomplete || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, finding.ExitIncomplete, tc.want)
			}
		})
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
