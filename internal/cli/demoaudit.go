package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// demoAuditRate is the demo's request rate: the shops are the lab's own,
// on this machine, so the polite default (5 per second) would only make
// the demo slow.
const demoAuditRate = 100

// runDemoAudit audits the lab's exposed shop, prints its findings and the
// guideline's measures, and contrasts them with the hardened shop. It
// returns exit 1 when the exposures the lab planted were not all found.
func runDemoAudit(ctx context.Context, app *App) error {
	out := app.Stdout
	start := time.Now()
	shops, err := lab.StartAuditShops(ctx, "")
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("start the audit shops: %w", err)}
	}
	defer shops.Close()
	page := shops.URL(lab.AuditECCUBE4) + lab.AuditPaymentPath(lab.AuditECCUBE4)
	step(out, 1, "Started a lab shop left as attackers find them, on this machine only:")
	fmt.Fprintf(out, "     %s (an EC-CUBE 4.0.3-like shop with an old jQuery, its installer, .git and an open admin screen)\n", termtext.Escape(shops.URL(lab.AuditECCUBE4)))

	// The lab's own advisories, written for its components: the demo must
	// show version matching without a download.
	db, err := advisory.LoadFS(ctx, "the lab's advisories", lab.Advisories())
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("the lab's advisories: %w", err)}
	}
	opts := audit.Options{Rate: demoAuditRate, Logger: app.Logger, RootCAs: shops.CA.Pool(), Advisories: db}
	rep, err := audit.Run(ctx, page, opts)
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
	}
	rep.Version = Version
	step(out, 2, fmt.Sprintf("Audited it from outside, as an attacker would look: %v requests, GET only, no login tried. Findings:", rep.Details["requests"]))
	fmt.Fprintln(out)
	if err := finding.Render(out, rep, finding.FormatTable); err != nil {
		return err
	}
	g, err := audit.Guideline(ctx, rep, audit.GuidelineOptions{})
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
	}
	fmt.Fprintln(out)
	step(out, 3, "What that means for Japan's credit card security guideline (the five mandatory measures):")
	summary(out, g)

	hard, err := audit.Run(ctx, shops.HardenedURL()+"/shopping/payment", opts)
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
	}
	hg, err := audit.Guideline(ctx, hard, audit.GuidelineOptions{})
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
	}
	fmt.Fprintln(out)
	step(out, 4, fmt.Sprintf("For contrast, the same shop hardened (%s, over https): %d findings at low or above.", shops.HardenedURL(), hard.AtOrAbove(finding.Low)))
	summary(out, hg)
	fmt.Fprintf(out, "\nDone in %s. Run `skimwatch audit --report guideline URL` on your own shop (`--format pdf --out FILE` for the records).\n",
		time.Since(start).Round(100*time.Millisecond))

	caught := rep.Complete && hard.Complete && rep.AtOrAbove(finding.High) > 0 && hard.AtOrAbove(finding.Low) == 0
	if !caught {
		return &finding.ExitError{Code: finding.ExitFindings, Err: fmt.Errorf("the audit demo did not tell the exposed shop from the hardened one: %s", strings.Join(append(rep.Incomplete, hard.Incomplete...), "; "))}
	}
	return nil
}

// summary prints one line per measure, in both languages.
func summary(w io.Writer, g *audit.GuidelineReport) {
	for _, m := range g.Measures {
		status := map[audit.Status]string{audit.Met: "充足 / MET", audit.NotMet: "未充足 / NOT MET", audit.Unknown: "不明 / UNKNOWN"}[m.Status]
		fmt.Fprintf(w, "     %d. [%s] %s / %s", m.Number, status, m.Title.JA, m.Title.EN)
		switch n := len(m.Evidence); {
		case m.Number == audit.MeasureMalware:
		case n == 1:
			fmt.Fprint(w, " (1 finding)")
		case n > 1:
			fmt.Fprintf(w, " (%d findings)", n)
		}
		fmt.Fprintln(w)
	}
}
