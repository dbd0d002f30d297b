package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// launch starts one Chromium for a test and its subtests.
func launch(t *testing.T) (*Renderer, context.Context) {
	t.Helper()
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatalf("launching Chromium: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return NewRenderer(b, nil), ctx
}

// poppler runs one of poppler-utils' tools on a PDF and returns its output.
func poppler(t *testing.T, tool string, pdf []byte, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	testsupport.Need(t, tool+" (poppler-utils)", err)
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, append(args, f, "-")...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

const japanese = `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>速報</title>
<style>body{font-family:"Noto Sans CJK JP",sans-serif;background:#e8f0ff}</style></head>
<body><h1>個人情報保護委員会への報告</h1><p>漏えいした可能性があるクレジットカード情報 4,509件</p>
<p>Personal Information Protection Commission</p></body></html>`

func TestPDF(t *testing.T) {
	r, ctx := launch(t)
	pdf, err := r.PDF(ctx, []byte(japanese), PDFOptions{Footer: "skimwatch incident 42"})
	if err != nil {
		t.Fatalf("PDF: %v", err)
	}

	t.Run("the output is a PDF on A4 paper", func(t *testing.T) {
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("output starts %q, not %%PDF-", pdf[:min(len(pdf), 16)])
		}
		info := pdfinfo(t, pdf)
		if !strings.Contains(info, "595.") || !strings.Contains(info, "841.") || !strings.Contains(info, "(A4)") {
			t.Errorf("page size is not A4:\n%s", info)
		}
	})
	t.Run("Japanese text is in the PDF's text layer", func(t *testing.T) {
		text := poppler(t, "pdftotext", pdf, "-enc", "UTF-8")
		for _, want := range []string{"個人情報保護委員会への報告", "漏えいした可能性があるクレジットカード情報", "4,509件", "Personal Information Protection Commission"} {
			if !strings.Contains(text, want) {
				t.Errorf("pdftotext lacks %q; got:\n%s", want, text)
			}
		}
	})
	t.Run("the footer carries its text and the page count", func(t *testing.T) {
		text := poppler(t, "pdftotext", pdf, "-enc", "UTF-8")
		if !strings.Contains(text, "skimwatch incident 42") || !strings.Contains(strings.ReplaceAll(text, " ", ""), "1/1") {
			t.Errorf("footer missing; got:\n%s", text)
		}
	})
}

func pdfinfo(t *testing.T, pdf []byte) string {
	t.Helper()
	return popplerFile(t, "pdfinfo", pdf)
}

// popplerFile runs a poppler tool that takes only the PDF's file name.
func popplerFile(t *testing.T, tool string, pdf []byte) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	testsupport.Need(t, tool+" (poppler-utils)", err)
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, f).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

func TestRenderingIsOffline(t *testing.T) {
	r, ctx := launch(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body{}")
	}))
	defer srv.Close()

	tests := []struct {
		name string
		html string
	}{
		{"an image on a server is never fetched", `<img src="` + srv.URL + `/logo.png">`},
		{"a style sheet on a server is never fetched", `<link rel="stylesheet" href="` + srv.URL + `/x.css"><p>x</p>`},
		{"a web font on a server is never fetched", `<style>@font-face{font-family:X;src:url(` + srv.URL + `/x.woff2)}p{font-family:X}</style><p>x</p>`},
		{"a script that would send a beacon does not run", `<script>navigator.sendBeacon("` + srv.URL + `/b","card");fetch("` + srv.URL + `/f")</script><p>x</p>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			if _, err := r.PDF(ctx, []byte(tc.html), PDFOptions{}); err != nil {
				t.Fatalf("PDF: %v", err)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the server saw %d requests, want 0", n)
			}
		})
	}
	t.Run("a script cannot change what is printed", func(t *testing.T) {
		pdf, err := r.PDF(ctx, []byte(`<p id="p">original</p><script>document.getElementById("p").textContent="SCRIPT RAN"</script>`), PDFOptions{})
		if err != nil {
			t.Fatalf("PDF: %v", err)
		}
		text := poppler(t, "pdftotext", pdf, "-enc", "UTF-8")
		if strings.Contains(text, "SCRIPT RAN") || !strings.Contains(text, "original") {
			t.Errorf("script ran; text:\n%s", text)
		}
	})
}

func TestPNG(t *testing.T) {
	r, ctx := launch(t)
	decode := func(t *testing.T, b []byte) image.Image {
		t.Helper()
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		return img
	}
	red := `<html><body style="margin:0;background:#ff0000"><div style="height:3000px"></div></body></html>`

	t.Run("a viewport screenshot has the size asked for and shows the page", func(t *testing.T) {
		b, err := r.PNG(ctx, []byte(red), PNGOptions{Width: 400, Height: 300})
		if err != nil {
			t.Fatalf("PNG: %v", err)
		}
		img := decode(t, b)
		if got := img.Bounds().Size(); got != image.Pt(400, 300) {
			t.Errorf("size %v, want 400x300", got)
		}
		if got := color.RGBAModel.Convert(img.At(10, 10)).(color.RGBA); got.R != 255 || got.G != 0 || got.B != 0 {
			t.Errorf("pixel %v, want the page's red", got)
		}
	})
	t.Run("height 0 captures the whole document", func(t *testing.T) {
		b, err := r.PNG(ctx, []byte(red), PNGOptions{Width: 400})
		if err != nil {
			t.Fatalf("PNG: %v", err)
		}
		if got := decode(t, b).Bounds().Size(); got != image.Pt(400, 3000) {
			t.Errorf("size %v, want 400x3000", got)
		}
	})
	t.Run("Japanese is drawn in real glyphs, not tofu", func(t *testing.T) {
		// Without a CJK font every character is the same missing-glyph
		// box, so two different words of equal length render the same.
		// (The PDF cannot tell: Chromium embeds its fonts as unnamed
		// Type 3 fonts and the text layer is kept either way.)
		word := func(w string) []byte {
			return []byte(`<html lang="ja"><body style="margin:0;font:48px 'Noto Sans CJK JP',sans-serif">` + w + `</body></html>`)
		}
		a, err := r.PNG(ctx, word("個人情報"), PNGOptions{Width: 300, Height: 80})
		if err != nil {
			t.Fatalf("PNG: %v", err)
		}
		b, err := r.PNG(ctx, word("漏洩件数"), PNGOptions{Width: 300, Height: 80})
		if err != nil {
			t.Fatalf("PNG: %v", err)
		}
		if samePixels(decode(t, a), decode(t, b)) {
			t.Error("two different Japanese words render identically: the glyphs are tofu (install fonts-noto-cjk)")
		}
	})
	t.Run("print media rules apply when asked", func(t *testing.T) {
		doc := `<html><style>body{margin:0;background:#ff0000}@media print{body{background:#0000ff}}</style><body></body></html>`
		b, err := r.PNG(ctx, []byte(doc), PNGOptions{Width: 200, Height: 100, Print: true})
		if err != nil {
			t.Fatalf("PNG: %v", err)
		}
		if got := color.RGBAModel.Convert(decode(t, b).At(10, 10)).(color.RGBA); got.B != 255 || got.R != 0 {
			t.Errorf("pixel %v, want print media's blue", got)
		}
	})
}

func TestEmptyDocumentIsAnError(t *testing.T) {
	r := NewRenderer(nil, nil)
	if _, err := r.PDF(context.Background(), nil, PDFOptions{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("err = %v, want ErrEmpty", err)
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if color.RGBAModel.Convert(a.At(x, y)) != color.RGBAModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

// TestADocumentDoesNotWaitForACheckSlot: serve prints the dashboard's PDF
// exports in the Chromium its checks use, whose tabs are capped at the
// config's concurrency. A document is rendered offline and its callers
// bound themselves (the dashboard prints one at a time), so it must not
// queue behind a running check: under load a check holds its slot for
// tens of seconds, longer than a person (or the end-to-end test) waits.
func TestADocumentDoesNotWaitForACheckSlot(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := browser.Launch(ctx, browser.Options{MaxConcurrent: 1})
	if err != nil {
		t.Fatalf("launching Chromium: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	check, err := b.NewTab(ctx, browser.TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	r := NewRenderer(b, nil)
	// Far more than a print takes on an idle machine, far less than a check.
	pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
	defer pcancel()
	pdf, err := r.PDF(pctx, []byte(japanese), PDFOptions{})
	if err != nil {
		t.Fatalf("PDF with the only check slot taken: %v", err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("output starts %q, not %%PDF-", pdf[:min(len(pdf), 16)])
	}
	t.Run("and a check still waits for the slot", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err := b.NewTab(short, browser.TabOptions{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a second check's NewTab with the slot taken: err = %v, want deadline exceeded", err)
		}
	})
}
