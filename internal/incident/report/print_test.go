package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// envPNGDir names a directory where TestDocumentsPrint leaves every
// document (HTML, PDF) and a PNG of each, for a person to look at before
// the documents change.
const envPNGDir = "SKIMWATCH_REPORT_PNG_DIR"

// TestDocumentsPrint writes every document as the CLI does, HTML and PDF
// through Chromium, and checks what a reader of the PDF gets.
func TestDocumentsPrint(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	pdftotext, err := exec.LookPath("pdftotext")
	testsupport.Need(t, "pdftotext (poppler-utils)", err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatalf("launching Chromium: %v", err)
	}
	defer b.Close()
	r := document.NewRenderer(b, nil)

	in := fixtureInput()
	dir := os.Getenv(envPNGDir)
	if dir == "" {
		dir = t.TempDir()
	}
	paths, err := Write(ctx, dir, in, WriteOptions{Formats: []string{"html", "pdf"}, Renderer: r})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	// 6 documents × 2 languages as HTML, 5 × 2 as PDF (the web notice is a
	// fragment), and one CSV per language.
	if len(paths) != 12+10+2 {
		t.Errorf("wrote %d files, want 24: %v", len(paths), paths)
	}

	text := func(t *testing.T, name string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, pdftotext, "-layout", "-enc", "UTF-8", filepath.Join(dir, name), "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext %s: %v\n%s", name, err, out)
		}
		// Lines wrap wherever the page is full, and -layout keeps a table's
		// row on one line with the space it has; compare without space.
		return strings.Join(strings.Fields(string(out)), "")
	}
	tests := []struct {
		name, file string
		want       []string
	}{
		{"the Japanese customer notice gives the period and the phishing warning", "customer-notice.ja.pdf",
			[]string{"2020年12月8日～2021年1月26日", "一切ございません", "専用コールセンター"}},
		{"the English customer notice gives the period and the phishing warning", "customer-notice.en.pdf",
			[]string{"8December2020–26January2021", "Wewillneveraskyouforyourcardnumber"}},
		{"the final report to the Commission gives the number of people and its deadline", "ppc-final.ja.pdf",
			[]string{"個人データの漏えい等の事案に関する報告（確報）", "4名", "2021年3月28日"}},
		{"the preliminary report in English marks what the shop must fill in", "ppc-preliminary.en.pdf",
			[]string{"Preliminaryreport", "[Tobefilledinbytheshop]reporter"}},
		{"the card-brand summary counts the cards", "card-brands.en.pdf",
			[]string{"Cardpaymentsorregistrationsinsidethewindow3", "https://cdn-jquery.example"}},
		{"the evidence pack lists the alert and its failed delivery", "pci-evidence.en.pdf",
			[]string{"Requirement6.4.3", "Requirement11.6.1", "slack:failed(5)", "503Service"}},
		{"every page's footer names the incident and counts the pages", "pci-evidence.ja.pdf",
			[]string{"yutoriinc-20210127-01", "1/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := text(t, tc.file)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s lacks %q; text:\n%s", tc.file, w, got)
				}
			}
		})
	}

	t.Run("every document renders to a picture a person can look at", func(t *testing.T) {
		out := dir
		for _, k := range Kinds {
			for _, lang := range Langs {
				html, err := Render(in, k, lang)
				if err != nil {
					t.Fatal(err)
				}
				opts := document.PNGOptions{Width: 900, Print: true}
				if k.Fragment() {
					// The fragment is seen on the shop's page, on a screen.
					html = []byte(`<!doctype html><html><head><meta charset="utf-8"></head><body style="font-family:'Noto Sans CJK JP',sans-serif;background:#f4f5f7">` + string(html) + `</body></html>`)
					opts.Print = false
				}
				shot, err := r.PNG(ctx, html, opts)
				if err != nil {
					t.Fatalf("%s %s: %v", k, lang, err)
				}
				img, err := png.Decode(bytes.NewReader(shot))
				if err != nil {
					t.Fatalf("%s %s: not a PNG: %v", k, lang, err)
				}
				if h := img.Bounds().Dy(); h < 300 {
					t.Errorf("%s %s: only %d pixels tall", k, lang, h)
				}
				if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("%s.%s.png", k, lang)), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
