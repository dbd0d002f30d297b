// Package document renders skimwatch's own HTML documents (incident
// notices, reports, evidence packs) to PDF and to PNG, through the same
// Chromium that runs the checks (internal/check/browser), launched with the
// project's flags.
//
// A document is loaded with no network at all: its HTML is set as the
// content of a blank page, every request it would make (images, fonts,
// style sheets) is failed before it leaves, and scripts are disabled. A
// document carries incident data, some of it written by the attacker (a
// skimmer's URL, a planted file's name), so rendering it must not be able
// to reach anything. Documents embed what they need (inline CSS, data:
// URLs) and name fonts installed on the machine: for Japanese, Noto Sans
// CJK JP (Debian's fonts-noto-cjk; scripts/deps.sh installs it).
package document

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"math"
	"sync"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/skimwatch/skimwatch/internal/check/browser"
)

// A4 in inches, the unit Page.printToPDF takes.
const (
	a4WidthIn  = 210.0 / 25.4
	a4HeightIn = 297.0 / 25.4
	mmPerInch  = 25.4
)

// ErrEmpty is returned for a document with no HTML.
var ErrEmpty = errors.New("document: empty HTML")

// Renderer renders documents in tabs of one browser. It is safe for
// concurrent use; the browser's tab limit caps how many render at once.
type Renderer struct {
	b   *browser.Browser
	log *slog.Logger
}

// NewRenderer renders with b, which the caller launched (browser.Launch)
// and closes. log may be nil.
func NewRenderer(b *browser.Browser, log *slog.Logger) *Renderer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Renderer{b: b, log: log}
}

// PDFOptions shape the printed page. The zero value prints A4 portrait
// with 15 mm margins, backgrounds and no footer.
type PDFOptions struct {
	// Landscape turns the A4 sheet.
	Landscape bool
	// MarginMM is every margin in millimetres; default 15. A document's
	// own CSS @page margin wins over it.
	MarginMM float64
	// Footer, when set, prints this text and "page / pages" at the foot
	// of every page: a filed report is often printed and split.
	Footer string
}

// PDF renders doc to an A4 PDF with backgrounds printed.
func (r *Renderer) PDF(ctx context.Context, doc []byte, opts PDFOptions) ([]byte, error) {
	margin := opts.MarginMM
	if margin <= 0 {
		margin = 15
	}
	var out []byte
	err := r.render(ctx, doc, nil, func(ctx context.Context, s *browser.Session) error {
		p := page.PrintToPDFParams{
			Landscape:       ptr(opts.Landscape),
			PrintBackground: ptr(true),
			PaperWidth:      a4WidthIn,
			PaperHeight:     a4HeightIn,
			MarginTop:       ptr(margin / mmPerInch),
			MarginBottom:    ptr(margin / mmPerInch),
			MarginLeft:      ptr(margin / mmPerInch),
			MarginRight:     ptr(margin / mmPerInch),
		}
		if opts.Footer != "" {
			p.DisplayHeaderFooter = ptr(true)
			// An empty header template still prints Chromium's default
			// header (date and title); a blank span suppresses it.
			p.HeaderTemplate = `<span></span>`
			p.FooterTemplate = footerTemplate(opts.Footer)
		}
		res, err := cdp.Call(ctx, s, page.PrintToPDF, p)
		if err != nil {
			return fmt.Errorf("printing to PDF: %w", err)
		}
		out = res.Data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// footerTemplate is Chromium's header/footer HTML: its own tiny default
// font size and zero margins would make the footer unreadable, so both
// are set; pageNumber and totalPages are filled in by Chromium.
func footerTemplate(text string) string {
	return `<div style="font-size:8pt;width:100%;margin:0 15mm;display:flex;justify-content:space-between;` +
		`font-family:'Noto Sans CJK JP','Noto Sans JP',sans-serif;color:#555">` +
		`<span>` + html.EscapeString(text) + `</span>` +
		`<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`
}

// PNGOptions size the screenshot.
type PNGOptions struct {
	// Width is the viewport width in CSS pixels; default 1024.
	Width int
	// Height is the viewport height; 0 captures the whole document, as
	// tall as it is.
	Height int
	// Print lays the page out with print media rules, so that the
	// picture shows what the PDF will; off, it shows the screen version
	// (a web notice page).
	Print bool
}

// PNG renders doc to a PNG screenshot.
func (r *Renderer) PNG(ctx context.Context, doc []byte, opts PNGOptions) ([]byte, error) {
	if opts.Width <= 0 {
		opts.Width = 1024
	}
	viewH := opts.Height
	if viewH <= 0 {
		viewH = 768
	}
	setup := func(ctx context.Context, s *browser.Session) error {
		if _, err := cdp.Call(ctx, s, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: int64(opts.Width), Height: int64(viewH), DeviceScaleFactor: 1,
		}); err != nil {
			return fmt.Errorf("setting the viewport: %w", err)
		}
		if opts.Print {
			if _, err := cdp.Call(ctx, s, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
				return fmt.Errorf("emulating print media: %w", err)
			}
		}
		return nil
	}
	var out []byte
	err := r.render(ctx, doc, setup, func(ctx context.Context, s *browser.Session) error {
		h := float64(viewH)
		if opts.Height <= 0 {
			m, err := cdp.Call(ctx, s, page.GetLayoutMetrics, cdp.Empty{})
			if err != nil {
				return fmt.Errorf("measuring the document: %w", err)
			}
			if m.CSSContentSize != nil {
				h = math.Ceil(m.CSSContentSize.Height)
			}
		}
		res, err := cdp.Call(ctx, s, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{X: 0, Y: 0, Width: float64(opts.Width), Height: h, Scale: 1},
			CaptureBeyondViewport: ptr(opts.Height <= 0),
		})
		if err != nil {
			return fmt.Errorf("capturing the screenshot: %w", err)
		}
		out = res.Data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// render loads doc into a fresh tab with no network and no scripts, waits
// until its fonts are ready, and hands the page to capture. setup, when
// set, runs before the content is loaded.
func (r *Renderer) render(ctx context.Context, doc []byte, setup, capture func(context.Context, *browser.Session) error) error {
	if len(doc) == 0 {
		return ErrEmpty
	}
	tab, err := r.b.NewTab(ctx, browser.TabOptions{Document: true})
	if err != nil {
		return fmt.Errorf("opening a tab: %w", err)
	}
	defer tab.Close()
	s := tab.Page()

	// Subscribe before Fetch is on: a paused request nobody answers hangs
	// the page.
	paused, stop := s.Subscribe(cdproto.EventFetchRequestPaused)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.blockAll(ctx, s, paused)
	}()

	if _, err := cdp.Call(ctx, s, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*", RequestStage: fetch.RequestStageRequest}}}); err != nil {
		return fmt.Errorf("blocking the network: %w", err)
	}
	if _, err := cdp.Call(ctx, s, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		return fmt.Errorf("disabling scripts: %w", err)
	}
	if _, err := cdp.Call(ctx, s, page.Enable, page.EnableParams{}); err != nil {
		return fmt.Errorf("Page.enable: %w", err)
	}
	if setup != nil {
		if err := setup(ctx, s); err != nil {
			return err
		}
	}
	tree, err := cdp.Call(ctx, s, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("reading the frame tree: %w", err)
	}
	if _, err := cdp.Call(ctx, s, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: string(doc)}); err != nil {
		return fmt.Errorf("loading the document: %w", err)
	}
	// Text is laid out in a fallback font until the real one is loaded;
	// printing before that prints the wrong glyphs, or none.
	if _, err := cdp.Call(ctx, s, runtime.Evaluate, runtime.EvaluateParams{
		Expression:   `document.fonts.ready.then(() => document.fonts.size)`,
		AwaitPromise: ptr(true), ReturnByValue: ptr(true),
	}); err != nil {
		return fmt.Errorf("waiting for fonts: %w", err)
	}
	return capture(ctx, s)
}

// blockAll fails every request the document tries to make.
func (r *Renderer) blockAll(ctx context.Context, s *browser.Session, paused <-chan jsonv2.Value) {
	for raw := range paused {
		var p fetch.EventRequestPaused
		if err := browser.Unmarshal(raw, &p); err != nil {
			r.log.Warn("document: undecodable paused request", "err", err)
			continue
		}
		url := ""
		if p.Request != nil {
			url = p.Request.URL
		}
		r.log.Warn("document: blocked a request; documents must embed what they need", "url", url)
		if _, err := cdp.Call(ctx, s, fetch.FailRequest, fetch.FailRequestParams{RequestID: p.RequestID, ErrorReason: network.ErrorReasonBlockedByClient}); err != nil {
			r.log.Debug("document: failing a request", "url", url, "err", err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
