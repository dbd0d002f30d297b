package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newCSPCmd) }

func newCSPCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "csp",
		Short: "Write, lint and deploy a Content-Security-Policy that reports to skimwatch",
	}
	cmd.AddCommand(newCSPPolicyCmd(app), newCSPLintCmd(app), newCSPGuideCmd(app), newCSPOriginsCmd(app))
	return cmd
}

func newCSPPolicyCmd(app *App) *cobra.Command {
	var (
		site, reportURI, format string
		baselines               []string
		enforce                 bool
		dsn                     *string
	)
	cmd := &cobra.Command{
		Use:   "policy [--site NAME] [--baseline FILE]... [--report-uri URL] [--enforce]",
		Short: "Write a policy from a site's approved inventory",
		Long: "policy writes a Content-Security-Policy allowing exactly what the site's approved\n" +
			"inventory lists: the store's approved sources for --site and the scripts,\n" +
			"destinations and form targets of each --baseline (written by `skimwatch check\n" +
			"--update-baseline`). Report-Only unless --enforce. --report-uri is the\n" +
			"collector's /r/{site-key} URL; it sets report-uri, report-to and the\n" +
			"Reporting-Endpoints header.\n\n" +
			"Inline scripts in a baseline are not carried over: their fingerprints are not\n" +
			"CSP hashes. Add 'sha256-…' sources to the store, or move the code to files.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if site == "" && len(baselines) == 0 {
				return usageErr("give --site, --baseline, or both")
			}
			var sources []csp.Source
			for _, path := range baselines {
				b, err := inventory.Load(path)
				if err != nil {
					return usageErr("--baseline %s: %w", path, err)
				}
				sources = append(sources, BaselineSources(b)...)
			}
			if site != "" {
				st, err := openStore(cmd.Context(), app, *dsn)
				if err != nil {
					return err
				}
				defer st.Close()
				approved, err := st.ApprovedSources(cmd.Context(), site)
				if err != nil {
					return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("approved sources of %q: %w", site, err)}
				}
				for _, a := range approved {
					if a.Directive == store.DirectiveSiteOrigin {
						continue // where the site's pages are, not what they load
					}
					sources = append(sources, csp.Source{Directive: a.Directive, Value: a.Value})
				}
			}
			p, err := csp.Generate(sources, csp.PolicyOptions{ReportURI: reportURI, Enforce: enforce})
			if err != nil {
				return usageErr("%w", err)
			}
			switch format {
			case "json":
				return termtext.WriteJSON(app.Stdout, p)
			case "header", "":
				// Sources may have been learned from reports that anyone
				// can send, so they are escaped like every other text.
				fmt.Fprintf(app.Stdout, "%s: %s\n", p.Header, termtext.Escape(p.Value))
				if p.ReportingEndpoints != "" {
					fmt.Fprintf(app.Stdout, "Reporting-Endpoints: %s\n", termtext.Escape(p.ReportingEndpoints))
				}
				return nil
			}
			return usageErr("--format must be header or json")
		},
	}
	cmd.Flags().StringVar(&site, "site", "", "site whose approved sources (in the store) to allow")
	cmd.Flags().StringArrayVar(&baselines, "baseline", nil, "baseline file from `skimwatch check --update-baseline`; repeatable")
	cmd.Flags().StringVar(&reportURI, "report-uri", "", "collector URL, e.g. https://watch.example/r/KEY")
	cmd.Flags().BoolVar(&enforce, "enforce", false, "write Content-Security-Policy instead of the Report-Only header")
	cmd.Flags().StringVar(&format, "format", "header", "header or json")
	dsn = storeFlag(cmd)
	return cmd
}

// BaselineSources turns a check baseline into approved CSP sources: each
// external script's origin for script-src, each destination's origin for the
// directive its request type falls under, each form's action origin for
// form-action.
func BaselineSources(b *inventory.Baseline) []csp.Source {
	var out []csp.Source
	add := func(d, origin string) {
		if origin == "" || origin == "null" {
			return
		}
		s := csp.Source{Directive: d, Value: origin}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	keys := make([]string, 0, len(b.Pages))
	for k := range b.Pages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := b.Pages[k]
		for _, s := range p.Scripts {
			if s.URL != "" {
				add("script-src", origin.Of(s.URL))
			}
		}
		for _, d := range p.Destinations {
			for _, t := range d.Types {
				if dir := csp.DirectiveForRequestClass(inventory.RequestClass(t)); dir != "" {
					add(dir, d.Origin)
				}
			}
		}
		for _, f := range p.Forms {
			add("form-action", f.ActionOrigin)
			if f.FrameOrigin != "" {
				add("frame-src", f.FrameOrigin)
			}
		}
	}
	return out
}

func newCSPLintCmd(app *App) *cobra.Command {
	var format, failOn, file string
	cmd := &cobra.Command{
		Use:   "lint [POLICY | --file FILE]",
		Short: "Flag what in a policy lets a skimmer through",
		Long: "lint reads a policy (a header value; the header name is allowed) and reports,\n" +
			"one finding each: 'unsafe-inline' without nonces or hashes, 'unsafe-eval',\n" +
			"wildcard hosts or schemes, data: in script-src, missing script-src,\n" +
			"connect-src or form-action (and what they fall back to), missing object-src,\n" +
			"base-uri and reporting.\n\n" +
			"Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := finding.ParseFormat(format)
			if err != nil {
				return usageErr("--format: %w", err)
			}
			threshold, err := finding.ParseSeverity(failOn)
			if err != nil {
				return usageErr("--fail-on: %w", err)
			}
			var policy string
			switch {
			case file != "" && len(args) == 0:
				b, err := os.ReadFile(file)
				if err != nil {
					return usageErr("--file: %w", err)
				}
				policy = string(b)
			case file == "" && len(args) == 1:
				policy = args[0]
			default:
				return usageErr("give a policy or --file, not both")
			}
			policy = stripHeaderName(policy)
			fs, err := csp.Lint(policy)
			if err != nil {
				return usageErr("%w", err)
			}
			r := &finding.Report{
				Tool: "skimwatch", Version: Version, Command: "csp lint", Targets: []string{"policy"},
				Started: time.Now().UTC(), Complete: true, Findings: fs,
			}
			r.Finished = r.Started
			r.Sort()
			if err := finding.Render(app.Stdout, r, f); err != nil {
				return err
			}
			return finding.ExitFor(r, threshold)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity")
	cmd.Flags().StringVar(&file, "file", "", "read the policy from FILE")
	return cmd
}

// stripHeaderName accepts "Content-Security-Policy: ..." as pasted from a
// browser's developer tools.
func stripHeaderName(s string) string {
	s = strings.TrimSpace(s)
	for _, h := range []string{"content-security-policy-report-only:", "content-security-policy:"} {
		if len(s) >= len(h) && strings.EqualFold(s[:len(h)], h) {
			return strings.TrimSpace(s[len(h):])
		}
	}
	return s
}

func newCSPGuideCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "guide",
		Short: "Print how to deploy the policy on nginx, Apache or a PHP shop",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(app.Stdout, cspGuide)
			return err
		},
	}
}

const cspGuide = `Deploying a CSP that reports to skimwatch

1. Run the collector behind TLS (browsers send Reporting API reports only to
   https endpoints; report-uri works over http but leaks the key in clear):
     skimwatch collect keygen                       # prints KEY
     skimwatch collect --site shop=KEY --site-origin shop=https://shop.example \
       --store sqlite:///var/lib/skimwatch/db
   and proxy https://watch.example/r/ to 127.0.0.1:8787/r/. --site-origin
   names where the shop's pages are: reports claiming any other page are
   kept as evidence of forgery and approve nothing (the key is public in the
   header). 'skimwatch csp origins --site shop' lists the origins reports
   came from; approve more with 'skimwatch csp origins approve'.

2. Write the policy from what the shop is approved to load:
     skimwatch csp policy --site shop --baseline baseline.json \
       --report-uri https://watch.example/r/KEY
   It prints two headers: Content-Security-Policy-Report-Only (or, with
   --enforce, Content-Security-Policy) and Reporting-Endpoints. Check it:
     skimwatch csp lint "$(skimwatch csp policy --site shop | head -1)"

3. Send both headers on every page, at least the cart, checkout, payment
   and member-registration pages. Start with Report-Only for a week, read
   'skimwatch findings --site shop', approve what is legitimate, regenerate,
   and only then switch to --enforce.

nginx (server or location block):
    add_header Content-Security-Policy-Report-Only "<policy>" always;
    add_header Reporting-Endpoints 'skimwatch="https://watch.example/r/KEY"' always;
  add_header in a location replaces the server block's headers: repeat them
  in every location that sets its own.

Apache (virtual host or .htaccess, mod_headers enabled):
    Header always set Content-Security-Policy-Report-Only "<policy>"
    Header always set Reporting-Endpoints "skimwatch=\"https://watch.example/r/KEY\""

PHP shops (EC-CUBE, Magento) when the web server config is out of reach:
  - EC-CUBE 4 (Symfony): add a kernel.response event subscriber under
    app/Customize/EventSubscriber that sets both headers on the Response.
  - Magento 2: the Magento_Csp module sends the policy; configure it in
    app/etc/config.php / a module's csp_whitelist.xml, set report_uri to the
    collector URL in the module's config.xml, and keep report_only on at first.
  - Any PHP page, as a last resort, before any output:
      header('Content-Security-Policy-Report-Only: <policy>');
      header('Reporting-Endpoints: skimwatch="https://watch.example/r/KEY"');

What it catches: a script or destination that real customers' browsers load
and the approved inventory lacks, even when the skimmer hides from robots.
What it does not: code appended to an approved first-party file (use
'skimwatch fim' and 'skimwatch check'), and browsers that send no reports.
`
