// Package invsheet writes a site's inventory with its authorisations for an
// assessor (PCI DSS 6.4.3): a CSV with one row per item, and an evidence
// sheet in HTML that internal/document prints to PDF. The CLI's
// `inventory export` and the dashboard's export buttons both use it, so the
// two never disagree on what an export holds.
package invsheet

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// Header is the CSV's first row.
var Header = []string{"site", "page", "kind", "script_kind", "identity_or_origin", "hashes", "first_seen", "last_seen",
	"status", "approved_by", "approved_at", "justification", "revoked_by", "revoked_at", "item_id"}

// WriteCSV writes one row per item under Header. Cells that a spreadsheet
// would run as a formula (a script URL is attacker-written text) are
// prefixed with an apostrophe.
func WriteCSV(w io.Writer, items []store.InventoryItem) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, it := range items {
		row := []string{it.Site, it.Target, it.Kind, it.ScriptKind, it.Subject, strings.Join(it.Hashes, " "),
			stamp(it.FirstSeen), stamp(it.LastSeen), it.Status, it.ApprovedBy, stamp(it.ApprovedAt), it.Justification,
			it.RevokedBy, stamp(it.RevokedAt), it.ID}
		for i := range row {
			row[i] = termtext.CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Sheet is an evidence sheet: a site's inventory items, grouped by page.
type Sheet struct {
	Site      string
	Generated time.Time
	// By is who asked for it, printed on the sheet.
	By    string
	Items []store.InventoryItem
}

//go:embed sheet.html
var sheetHTML string

var sheetTemplate = template.Must(template.New("sheet").Funcs(template.FuncMap{
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
}).Parse(sheetHTML))

type sheetPage struct {
	Target                     string
	Approved, Pending, Revoked int
	Items                      []store.InventoryItem
}

// WriteHTML writes the evidence sheet as a self-contained HTML document
// (inline CSS, no scripts, no external resources), in English with
// Japanese headings beside, since an assessor may read either.
func WriteHTML(w io.Writer, s Sheet) error {
	var pages []*sheetPage
	for _, it := range s.Items {
		if len(pages) == 0 || pages[len(pages)-1].Target != it.Target {
			pages = append(pages, &sheetPage{Target: it.Target})
		}
		p := pages[len(pages)-1]
		p.Items = append(p.Items, it)
		switch it.Status {
		case store.ItemApproved:
			p.Approved++
		case store.ItemPending:
			p.Pending++
		case store.ItemRevoked:
			p.Revoked++
		}
	}
	return sheetTemplate.Execute(w, map[string]any{"Sheet": s, "Pages": pages})
}

// PDF prints the evidence sheet through r (our own Chromium).
func PDF(ctx context.Context, r *document.Renderer, s Sheet) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, s); err != nil {
		return nil, fmt.Errorf("evidence sheet: %w", err)
	}
	pdf, err := r.PDF(ctx, buf.Bytes(), document.PDFOptions{Landscape: true, Footer: "skimwatch inventory evidence · " + s.Site})
	if err != nil {
		return nil, fmt.Errorf("evidence sheet: %w", err)
	}
	return pdf, nil
}
