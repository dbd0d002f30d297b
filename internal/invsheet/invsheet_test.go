package invsheet

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

var at = time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)

func items() []store.InventoryItem {
	return []store.InventoryItem{
		{ID: "a1", Site: "shop", Target: "https://shop.example/checkout", Kind: store.ItemScript, ScriptKind: "external",
			Subject: "https://cdn.example/app.js", Hashes: []string{"f00d"}, Status: store.ItemApproved, FirstSeen: at, LastSeen: at.Add(time.Hour),
			ApprovedBy: "alice", ApprovedAt: at.Add(2 * time.Hour), Justification: "checkout UI, vendor contract 42"},
		{ID: "b2", Site: "shop", Target: "https://shop.example/checkout", Kind: store.ItemDestination,
			Subject: "=HYPERLINK(\"https://evil.example\")", Status: store.ItemPending, FirstSeen: at, LastSeen: at},
		{ID: "c3", Site: "shop", Target: "https://shop.example/checkout", Kind: store.ItemScript, ScriptKind: "inline",
			Subject: "https://x.example/<script>alert(1)</script>", Hashes: []string{"beef"}, Status: store.ItemRevoked, FirstSeen: at, LastSeen: at,
			ApprovedBy: "alice", ApprovedAt: at, RevokedBy: "bob", RevokedAt: at.Add(3 * time.Hour), Justification: "old tag"},
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, items()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, h := range Header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	for _, c := range []struct {
		name   string
		row    int
		column string
		want   string
	}{
		{"the header names every column", 0, "justification", "justification"},
		{"an approved script row carries its page", 1, "page", "https://shop.example/checkout"},
		{"an approved script row carries its hash", 1, "hashes", "f00d"},
		{"an approved script row carries who approved it", 1, "approved_by", "alice"},
		{"an approved script row carries when, in RFC 3339", 1, "approved_at", "2026-11-30T11:30:00Z"},
		{"an approved script row carries the justification", 1, "justification", "checkout UI, vendor contract 42"},
		{"a pending row has no approval time", 2, "approved_at", ""},
		{"an attacker's formula is defused with an apostrophe", 2, "identity_or_origin", "'=HYPERLINK(\"https://evil.example\")"},
		{"a revoked row says who revoked it", 3, "revoked_by", "bob"},
		{"a revoked row keeps its earlier approval", 3, "approved_by", "alice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rows[c.row][col(c.column)]; got != c.want {
				t.Errorf("row %d %s = %q, want %q", c.row, c.column, got, c.want)
			}
		})
	}
	if len(rows) != 4 {
		t.Errorf("%d rows, want a header and 3 items", len(rows))
	}
}

func TestHTMLEscapesAttackerText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, Sheet{Site: "shop", Generated: at, By: "alice", Items: items()}); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	if strings.Contains(h, "<script>alert(1)") {
		t.Error("a script URL's markup reached the sheet unescaped")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "checkout UI, vendor contract 42", "1 approved", "1 pending", "1 revoked", "2026-11-30 11:30 UTC"} {
		if !strings.Contains(h, want) {
			t.Errorf("sheet lacks %q", want)
		}
	}
}

func TestPDFEvidenceSheet(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	pdftotext, err := exec.LookPath("pdftotext")
	testsupport.Need(t, "pdftotext (poppler-utils)", err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pdf, err := PDF(ctx, document.NewRenderer(b, nil), Sheet{Site: "shop", Generated: at, Items: items()})
	if err != nil {
		t.Fatal(err)
	}
	// Kept with -artifacts, to look at.
	f := filepath.Join(t.ArtifactDir(), "evidence-sheet.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"checkout UI, vendor contract 42", "alice", "スクリプト・送信先インベントリ"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}
