package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newDemoCmd) }

type demoFlags struct {
	scenario string
	page     string
	chromium string
	dwell    time.Duration
	audit    bool
	notices  string
	pdf      bool
}

func newDemoCmd(app *App) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Reproduce the 2021 attack on a local lab shop and catch it",
		Long: `Start the lab shop on 127.0.0.1, approve its clean payment page, switch on
the 2021 attack (a fake card form planted before the redirect to the payment
provider), check the page again, and explain in plain words what happened.

Exit code 0 means the attack was caught; 1 means it was not.

With --audit it audits the lab's exposed shop instead, as an attacker would
look at it (skimwatch audit), and prints the findings and the five measures
of Japan's credit card security guideline; exit code 0 means the exposures
were found.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.audit {
				return runDemoAudit(cmd.Context(), app)
			}
			return runDemo(cmd.Context(), app, f)
		},
	}
	cmd.Flags().StringVar(&f.scenario, "scenario", "fake-card-form", "tampering scenario to switch on (see `skimwatch lab scenarios`)")
	cmd.Flags().StringVar(&f.chromium, "chromium", "", "Chromium binary")
	cmd.Flags().DurationVar(&f.dwell, "dwell", 3*time.Second, "how long each check waits for delayed sends")
	cmd.Flags().StringVar(&f.notices, "notices", "", "folder to write the incident's notices and reports to (default: a new folder under the system's temporary directory)")
	// PDFs are off by default: printing the ten documents took 14-35 s on
	// the shared 2-core box (41-75 s for the whole demo), and the demo is
	// promised well under a minute.
	cmd.Flags().BoolVar(&f.pdf, "pdf", false, "print the notices and reports to PDF too, with the demo's Chromium (adds 15-35 s)")
	cmd.Flags().BoolVar(&f.audit, "audit", false, "instead, audit the lab's exposed shop from outside and print its findings and the guideline's five measures (no browser needed)")
	return cmd
}

func runDemo(ctx context.Context, app *App, f demoFlags) error {
	out := app.Stdout
	start := time.Now()
	sc, ok := findScenario(f.scenario)
	if !ok {
		return usageErr("unknown scenario %q (see `skimwatch lab scenarios`)", f.scenario)
	}
	l, err := lab.Start(ctx, lab.Options{Logger: app.Logger})
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("start the lab: %w", err)}
	}
	defer l.Close()
	page := l.ShopURL() + sc.Page
	step(out, 1, "Started a lab copy of the 2021 shop on this machine only:")
	fmt.Fprintf(out, "     shop %s, payment provider %s, attacker %s\n", termtext.Escape(l.ShopURL()), termtext.Escape(l.PSPOrigin()), termtext.Escape(l.AttackerOrigin()))

	b, err := browser.Launch(ctx, browser.Options{ExecPath: f.chromium, Logger: app.Logger})
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("start Chromium: %w", err)}
	}
	defer b.Close()

	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = []string{l.PSPOrigin(), l.PSPAPIOrigin()}
	opts.Dwell = f.dwell
	opts.Logger = app.Logger
	pol := verdict.Options{PaymentOrigins: opts.PaymentOrigins, Site: "lab"}

	targets := []checkrun.Target{{Name: page, Target: pagecheck.Target{URL: page}}}
	clean := checkrun.Run(ctx, b, targets, opts)[0]
	base := inventory.New(time.Now())
	if err := checkrun.Approve(base, []*observation.Observation{clean}, pol, time.Now()); err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("check the clean page: %w: %v", err, reasons(clean))}
	}
	approved := base.Page(clean.Target)
	step(out, 2, "Checked the clean payment page and approved what it does:")
	fmt.Fprintf(out, "     %d scripts, %d destinations, %d forms; %s\n",
		len(approved.Scripts), len(approved.Destinations), len(approved.Forms), cleanSummary(clean, pol))

	if err := l.SetScenario(sc.Name); err != nil {
		return err
	}
	defer l.SetScenario("")
	step(out, 3, "Switched on the attack: "+sc.Title+".")
	if sc.Description != "" {
		fmt.Fprintf(out, "     %s\n", termtext.Escape(sc.Description))
	}

	attacked := checkrun.Run(ctx, b, targets, opts)[0]
	r := &finding.Report{Tool: "skimwatch", Version: Version, Command: "demo", Complete: true}
	checkrun.Evaluate(r, []*observation.Observation{attacked}, base, pol)
	step(out, 4, fmt.Sprintf("Checked the page again, in %s. What a shop owner needs to know:", attacked.Duration.D().Round(100*time.Millisecond)))
	fmt.Fprintln(out)
	caught := explain(out, r, page, l.PSPOrigin())

	if got := len(l.Attacker().Received()); got > 0 {
		fmt.Fprintf(out, "\n     (For the record: the lab attacker's server really received %d request(s) from the test browser.\n", got)
		fmt.Fprintln(out, "      Everything it got was test data: no real card was ever typed.)")
	}
	if err := l.SetScenario(""); err != nil {
		return err
	}
	step(out, 5, "Switched the attack off again.")
	if caught {
		step(out, 6, "Scoped the incident from the record, as `skimwatch incident open` does:")
		nt := demoNotices{Dir: f.notices, ShopURL: l.ShopURL()}
		if f.pdf {
			nt.Browser = b
		}
		demoScope(ctx, app, out, page, clean, attacked, base, pol, nt)
	}
	fmt.Fprintf(out, "\nDone in %s. Run `skimwatch check --help` to watch your own shop.\n", time.Since(start).Round(100*time.Millisecond))
	if !caught {
		return &finding.ExitError{Code: finding.ExitFindings, Err: fmt.Errorf("the demo did not catch the attack: %s", strings.Join(r.Incomplete, "; "))}
	}
	return nil
}

// cleanSummary says, from the clean check's own evidence, where the test
// values went and what the probe stopped, so the demo never claims more
// than the check saw.
func cleanSummary(o *observation.Observation, pol verdict.Options) string {
	stray := 0
	for _, f := range verdict.Evaluate(o, nil, pol) {
		if f.Severity >= finding.High {
			stray++
		}
	}
	what := "no test value went anywhere it should not"
	if stray > 0 {
		what = fmt.Sprintf("%d finding(s) at high or above even on the clean page", stray)
	}
	if n := len(o.Blocked); n > 0 {
		return fmt.Sprintf("%s, and the probe stopped %d request(s) that would have placed an order or paid.", what, n)
	}
	return what + "."
}

func findScenario(name string) (lab.Scenario, bool) {
	for _, s := range lab.Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return lab.Scenario{}, false
}

func step(w io.Writer, n int, msg string) { fmt.Fprintf(w, "%d. %s\n", n, termtext.Escape(msg)) }

func reasons(o *observation.Observation) string {
	if o == nil {
		return ""
	}
	return strings.Join(o.Incomplete, "; ")
}

// explain prints the findings in plain words: which page, which script,
// where the card went, and what to do. It returns whether the attack was
// caught at high or critical.
//
// Everything it prints from the report came from the page, so it goes
// through termtext.Escape (esc) first.
func explain(w io.Writer, r *finding.Report, page, psp string) bool {
	esc := termtext.Escape
	if !r.Complete {
		fmt.Fprintf(w, "   The check could not finish (%s), so it cannot say the page is safe.\n", esc(strings.Join(r.Incomplete, "; ")))
	}
	var card, personal, scripts, other []finding.Finding
	for _, f := range r.Findings {
		switch {
		case f.Kind == verdict.KindCardExfil:
			card = append(card, f)
		case f.Kind == verdict.KindPersonalExfil:
			personal = append(personal, f)
		case f.Kind == verdict.KindScriptChanged || f.Kind == verdict.KindScriptNew:
			scripts = append(scripts, f)
		case f.Severity >= finding.High:
			other = append(other, f)
		}
	}
	if len(card) == 0 && len(personal) == 0 && len(scripts) == 0 && len(other) == 0 {
		fmt.Fprintln(w, "   Nothing alarming was found.")
		return false
	}
	fmt.Fprintf(w, "   YOUR PAYMENT PAGE IS SKIMMING CARDS.\n\n")
	fmt.Fprintf(w, "   Which page:   %s\n", esc(page))
	for _, f := range card {
		fmt.Fprintf(w, "   Where the card went: %s  (your payment provider is %s)\n", esc(fmt.Sprint(f.Evidence["destination_origin"])), esc(psp))
		fmt.Fprintf(w, "   What was taken:      %s\n", esc(plainValues(f.Evidence["values"])))
		switch s, _ := f.Evidence["script"].(string); {
		case s == "":
		case inventory.PageKey(s) == inventory.PageKey(page):
			fmt.Fprintf(w, "   Which script sent it: code written into the page itself (not a separate file)\n")
		default:
			fmt.Fprintf(w, "   Which script sent it: %s\n", esc(s))
		}
		fmt.Fprintf(w, "   How it was sent:     %s\n", esc(plainHow(f.Evidence)))
	}
	for _, f := range personal {
		fmt.Fprintf(w, "   Personal data also went to %s: %s\n", esc(fmt.Sprint(f.Evidence["destination_origin"])), esc(plainValues(f.Evidence["values"])))
	}
	for _, f := range scripts {
		fmt.Fprintf(w, "   Changed code:  %s\n", esc(f.Message))
	}
	for _, f := range other {
		fmt.Fprintf(w, "   Also:          %s\n", esc(f.Message))
	}
	fmt.Fprintln(w, `
   What to do now:
     1. Stop card payments on the site, as the 2021 shop did the day it knew.
     2. Remove the changed script and find how it got there (skimwatch fim verify, skimwatch scan).
     3. Keep this report: its time bounds the exposure window for your customers.`)
	return true
}

var plainNames = map[string]string{
	observation.FieldCardNumber: "card number", observation.FieldExpiry: "expiry date", observation.FieldCVV: "security code (CVV)",
	observation.FieldHolder: "card holder's name", observation.FieldEmail: "email address", observation.FieldPhone: "phone number",
	observation.FieldPassword: "password", observation.FieldName: "name", observation.FieldAddress: "address", observation.FieldPostcode: "postcode",
}

func plainValues(v any) string {
	var names []string
	if vs, ok := v.([]string); ok {
		for _, s := range vs {
			if n, ok := plainNames[s]; ok {
				s = n
			}
			names = append(names, s)
		}
	}
	return strings.Join(names, ", ")
}

func plainHow(ev map[string]any) string {
	var parts []string
	if enc, ok := ev["encodings"].([]string); ok {
		var hidden []string
		for _, e := range enc {
			// Raw values and URL encoding are how any form sends data.
			if e != "raw" && e != "url" {
				hidden = append(hidden, e)
			}
		}
		if len(hidden) > 0 {
			parts = append(parts, "disguised by encoding ("+strings.Join(hidden, ", ")+")")
		} else {
			parts = append(parts, "sent in plain form, not disguised")
		}
	}
	if ph, ok := ev["phases"].([]string); ok && slices.Contains(ph, "unload") {
		parts = append(parts, "while the customer was leaving the page")
	}
	if t, ok := ev["request_types"].([]string); ok && len(t) > 0 {
		parts = append(parts, "as "+strings.Join(t, ", ")+" request(s)")
	}
	return strings.Join(parts, ", ")
}
