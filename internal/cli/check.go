package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newCheckCmd) }

// checkFlags are the options of `skimwatch check`. The flag names are a
// public contract: CI pipelines call them.
type checkFlags struct {
	paymentOrigins []string
	shopOrigins    []string
	differential   string
	honeyPhone     string
	baseline       string
	updateBaseline bool
	format         string
	failOn         string
	flows          []string
	locale         string
	dwell          time.Duration
	timeout        time.Duration
	noProbe        bool
	block          []string
	allowFinal     bool
	chromium       string
	concurrency    int
	observations   string
	store          *siteStore
}

func newCheckCmd(app *App) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check URL...",
		Short: "Check pages in real Chromium with a honey-data probe",
		Long: `Load each page in real Chromium, record every script, request, form and
security header, type a unique test card and test customer into its forms like
a person would, and report where that data went.

With --baseline, the page is compared with what was approved; --update-baseline
writes or merges the baseline from this check instead.

Exit codes: 0 nothing at or above --fail-on; 1 findings; 2 the check could not
be completed (a partial check is never reported as clean).`,
		Example: `  skimwatch check https://shop.example/checkout --payment-origin https://pay.example
  skimwatch check https://shop.example/checkout --baseline shop.json --update-baseline
  skimwatch check --flow checkout.yaml --baseline shop.json --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.Context(), app, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.paymentOrigins, "payment-origin", nil, "origin allowed to receive the card (scheme://host[:port]); repeatable")
	fl.StringVar(&f.differential, "differential", "auto", "run a check three times (another test card in the second pass) to find a card sent under a cipher no decoder can undo; costs about three checks: auto (only for a page with no baseline yet), always, never")
	fl.StringArrayVar(&f.shopOrigins, "shop-origin", nil, "another of the shop's own origins (scheme://host[:port]), e.g. its API or checkout host: after honey input, state-changing requests to it are failed like those to the checked URL's origin; repeatable")
	fl.StringVar(&f.honeyPhone, "honey-phone", "", "start of the honey phone number, at least 3 digits from 0, not 00 (default 031, a Tokyo block never assigned to anyone); use only numbers nobody has, or your own")
	fl.StringVar(&f.baseline, "baseline", "", "approved baseline file to compare with")
	fl.BoolVar(&f.updateBaseline, "update-baseline", false, "write or merge the baseline from this check")
	fl.StringVar(&f.format, "format", "table", "output format: table, json or sarif")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity")
	fl.StringArrayVar(&f.flows, "flow", nil, "multi-step flow file (YAML); repeatable")
	fl.StringVar(&f.locale, "locale", "ja-JP", "browser locale the page sees")
	fl.DurationVar(&f.dwell, "dwell", 0, "how long to wait for delayed sends after typing and after submitting (default from pagecheck)")
	fl.DurationVar(&f.timeout, "timeout", 0, "time limit for one page or flow (default from pagecheck)")
	fl.BoolVar(&f.noProbe, "no-probe", false, "do not type honey data; only inventory the page")
	fl.StringArrayVar(&f.block, "block", nil, `extra requests to record and then fail, as "METHOD URL-glob"; repeatable`)
	fl.BoolVar(&f.allowFinal, "allow-final-submit", false, "UNSAFE: let state-changing requests to the shop through after honey input (places orders, creates accounts, sends messages); only on a test shop you own")
	fl.StringVar(&f.chromium, "chromium", "", "Chromium binary (default: $SKIMWATCH_CHROMIUM, then chromium in PATH)")
	fl.IntVar(&f.concurrency, "concurrency", 2, "pages checked at once")
	fl.StringVar(&f.observations, "observations", "", "also write the raw observations (honey values only) to this JSON file")
	f.store = addSiteStore(cmd)
	return cmd
}

func runCheck(ctx context.Context, app *App, f checkFlags, args []string) error {
	format, err := finding.ParseFormat(f.format)
	if err != nil {
		return usageErr("%v", err)
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return usageErr("--fail-on: %v", err)
	}
	origins, err := parseOrigins(f.paymentOrigins)
	if err != nil {
		return usageErr("--payment-origin: %v", err)
	}
	shopOrigins, err := parseOrigins(f.shopOrigins)
	if err != nil {
		return usageErr("--shop-origin: %v", err)
	}
	if _, err := honey.NewIdentity(honey.Options{PhonePrefix: f.honeyPhone}); err != nil {
		return usageErr("--honey-phone: %v", err)
	}
	if !slices.Contains(checkrun.DifferentialModes, f.differential) {
		return usageErr("--differential: %q is not auto, always or never", f.differential)
	}
	if f.updateBaseline && f.baseline == "" {
		return usageErr("--update-baseline needs --baseline FILE")
	}
	var targets []checkrun.Target
	for _, a := range args {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErr("not an http(s) URL: %q", a)
		}
		targets = append(targets, checkrun.Target{Name: a, Target: pagecheck.Target{URL: a}})
	}
	for _, path := range f.flows {
		fh, err := os.Open(path)
		if err != nil {
			return usageErr("flow: %v", err)
		}
		flow, err := pagecheck.ParseFlow(fh)
		fh.Close()
		if err != nil {
			return usageErr("flow %s: %v", path, err)
		}
		targets = append(targets, checkrun.Target{Name: "flow:" + flow.Name, Target: pagecheck.Target{Flow: flow}})
	}
	if len(targets) == 0 {
		return usageErr("nothing to check: give one or more URLs or --flow FILE")
	}

	base := inventory.New(time.Now())
	if f.baseline != "" {
		b, err := inventory.Load(f.baseline)
		switch {
		case err == nil:
			base = b
		case errors.Is(err, fs.ErrNotExist) && f.updateBaseline:
			// First run: the baseline is created below.
		case errors.Is(err, fs.ErrNotExist):
			return usageErr("baseline %s does not exist; create it with --update-baseline", f.baseline)
		default:
			return usageErr("%v", err)
		}
	}

	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = origins
	opts.Probe = !f.noProbe
	opts.Locale = f.locale
	opts.Block = f.block
	opts.ShopOrigins = shopOrigins
	opts.AllowFinalSubmit = f.allowFinal
	if f.allowFinal {
		// Said on every run: the flag in a scheduled job is easy to forget.
		fmt.Fprintln(app.Stderr, "skimwatch: --allow-final-submit: requests that place orders, create accounts and send messages WILL reach the shop; use it only on a test shop you own")
	}
	opts.HoneyPhonePrefix = f.honeyPhone
	opts.Logger = app.Logger
	if f.dwell > 0 {
		opts.Dwell = f.dwell
	}
	if f.timeout > 0 {
		opts.Timeout = f.timeout
	}

	b, err := browser.Launch(ctx, browser.Options{ExecPath: f.chromium, MaxConcurrent: max(1, f.concurrency), Lang: f.locale, Logger: app.Logger})
	if err != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("start Chromium: %w", err)}
	}
	defer b.Close()

	report := &finding.Report{Tool: "skimwatch", Version: Version, Command: "check", Complete: true, Started: time.Now().UTC()}
	for i := range targets {
		targets[i].Differential = checkrun.Differential(f.differential, base, targets[i])
	}
	obs := checkrun.Run(ctx, b, targets, opts)
	checkrun.Evaluate(report, obs, base, verdict.Options{PaymentOrigins: origins, ShopOrigins: shopOrigins, Site: f.store.site})
	report.Finished = time.Now().UTC()
	report.Details = map[string]any{"summary": checkrun.Summarize(obs)}

	if f.observations != "" {
		if err := writeJSON(f.observations, obs); err != nil {
			return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
		}
	}
	if f.updateBaseline {
		if err := checkrun.Approve(base, obs, verdict.Options{PaymentOrigins: origins, ShopOrigins: shopOrigins}, time.Now()); err != nil {
			report.MarkIncomplete("baseline not updated: " + err.Error())
		} else {
			if err := base.Save(f.baseline); err != nil {
				return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
			}
			fmt.Fprintf(app.Stderr, "skimwatch: baseline %s updated with %d target(s)\n", termtext.Escape(f.baseline), len(obs))
		}
	}
	f.store.saveRuns(ctx, app, report, checkrun.Runs(obs), checkrun.Events("skimwatch check", report, obs)...)
	f.store.saveSources(ctx, app, obs)
	if err := finding.Render(app.Stdout, report, format); err != nil {
		return err
	}
	if f.updateBaseline && report.Complete {
		// Approving is the point of this run; what it found is in the output.
		return nil
	}
	return finding.ExitFor(report, failOn)
}

func parseOrigins(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			o := origin.Of(part)
			if o == "" {
				return nil, fmt.Errorf("not an origin: %q (want scheme://host[:port])", part)
			}
			out = append(out, o)
		}
	}
	return out, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, append(data, '\n'))
}
