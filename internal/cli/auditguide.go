package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// guidelineFlags are audit's flags for the guideline report and for TLS.
type guidelineFlags struct {
	report   string
	lang     string
	out      string
	chromium string
	caFile   string
}

func addGuidelineFlags(cmd *cobra.Command, g *guidelineFlags) {
	f := cmd.Flags()
	f.StringVar(&g.report, "report", "findings", "findings, or guideline: the five mandatory measures of Japan's credit card security guideline (--format table, json, html or pdf)")
	f.StringVar(&g.lang, "lang", "both", "language of the guideline report: ja, en or both")
	f.StringVar(&g.out, "out", "", "write the guideline report to this file (required for --format pdf)")
	f.StringVar(&g.chromium, "chromium", "", "Chromium binary for --format pdf")
	f.StringVar(&g.caFile, "ca-file", "", "PEM file of the root certificates to trust instead of the system's (the lab's CA, a company CA)")
}

// guideline is a parsed --report guideline request.
type guideline struct {
	format string
	langs  []string
	out    string
	chrome string
}

// parse returns nil for the findings report.
func (g guidelineFlags) parse(format string) (*guideline, error) {
	switch g.report {
	case "findings":
		if g.out != "" {
			return nil, usageErr("--out is for --report guideline")
		}
		return nil, nil
	case "guideline":
	default:
		return nil, usageErr("--report %q: want findings or guideline", g.report)
	}
	langs, err := audit.ParseLangs(g.lang)
	if err != nil {
		return nil, usageErr("--lang: %w", err)
	}
	switch format {
	case "table", "json", "html":
	case "pdf":
		if g.out == "" {
			return nil, usageErr("--format pdf needs --out FILE")
		}
	default:
		return nil, usageErr("--format %q: the guideline report is table, json, html or pdf", format)
	}
	return &guideline{format: format, langs: langs, out: g.out, chrome: g.chromium}, nil
}

// roots reads --ca-file; nil means the system roots.
func (g guidelineFlags) roots() (*x509.CertPool, error) {
	if g.caFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(g.caFile)
	if err != nil {
		return nil, usageErr("--ca-file: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, usageErr("--ca-file %s: no PEM certificate in it", g.caFile)
	}
	return p, nil
}

// writeGuideline answers the guideline's measures from rep (and from the
// store's record of fim verify and scan runs when --store is given) and
// writes the report.
func writeGuideline(ctx context.Context, app *App, rep *finding.Report, st *siteStore, g guideline) error {
	o := audit.GuidelineOptions{Site: st.site}
	if st.enabled() {
		s, err := openStore(ctx, app, *st.dsn)
		if err != nil {
			return err
		}
		defer s.Close()
		o.History = s
	}
	gr, err := audit.Guideline(ctx, rep, o)
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
	}
	var buf bytes.Buffer
	switch g.format {
	case "table":
		err = audit.WriteGuidelineText(&buf, gr, g.langs)
	case "json":
		err = termtext.WriteJSON(&buf, gr)
	case "html", "pdf":
		err = audit.WriteGuidelineHTML(&buf, gr, g.langs)
	}
	if err != nil {
		return usageErr("writing the guideline report: %w", err)
	}
	out := buf.Bytes()
	if g.format == "pdf" {
		if out, err = guidelinePDF(ctx, app, g.chrome, out); err != nil {
			return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
		}
	}
	if g.out == "" {
		_, err = app.Stdout.Write(out)
		return err
	}
	if err := atomicfile.WriteBytes(g.out, 0o644, out); err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("--out: %w", err)}
	}
	fmt.Fprintf(app.Stderr, "guideline report written to %s\n", termtext.Escape(g.out))
	return nil
}

// guidelinePDF prints the HTML sheet through our own Chromium.
func guidelinePDF(ctx context.Context, app *App, chromium string, html []byte) ([]byte, error) {
	b, err := browser.Launch(ctx, browser.Options{ExecPath: chromium, Logger: app.Logger})
	if err != nil {
		return nil, fmt.Errorf("start Chromium for the PDF: %w", err)
	}
	defer b.Close()
	pdf, err := document.NewRenderer(b, app.Logger).PDF(ctx, html, document.PDFOptions{Footer: "skimwatch audit --report guideline"})
	if err != nil {
		return nil, fmt.Errorf("render the PDF: %w", err)
	}
	return pdf, nil
}
