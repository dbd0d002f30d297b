package cli

import (
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
)

func init() { register(newAuditCmd) }

// auditFlags are the flags of `skimwatch audit`.
type auditFlags struct {
	format      string
	failOn      string
	maxRequests int
	rate        float64
	timeout     time.Duration
	store       *siteStore
	versions    auditVersionFlags
	guide       guidelineFlags
}

func newAuditCmd(app *App) *cobra.Command {
	var fl auditFlags
	cmd := &cobra.Command{
		Use:   "audit URL|DIR",
		Short: "Look at a shop from outside for exposed files, open admin screens and weak headers",
		Long: "audit probes the shop behind URL (usually its payment page) as an attacker would:\n" +
			"leftover installers, .git, .env, backups and editor copies, directory listings,\n" +
			"phpinfo, admin login screens at their default paths, and the security headers and\n" +
			"session cookie flags of the page and of the shop's home page. On https it also checks\n" +
			"the certificate (expiry, chain against the system roots or --ca-file, host name) and\n" +
			"whether TLS 1.0 or 1.1 is still accepted; each handshake counts as a request.\n\n" +
			"--report guideline answers the five measures of Japan's credit card security guideline\n" +
			"(met, not met or unknown, with evidence and what to do, in Japanese and English) as\n" +
			"text, json, html or pdf (--out FILE); with --store and --site it also reads the site's\n" +
			"recorded fim verify and scan runs for the anti-malware measure.\n\n" +
			"Probes are GET only, never a login, at most --max-requests at --rate per second,\n" +
			"each bounded by --timeout, and no redirect is followed off the URL's origin.\n" +
			"With a folder (the shop's web root, on its server), audit reads lockfiles, plug-ins\n" +
			"and bundled libraries against the advisories, and the configuration that opens the door.\n" +
			"See docs/AUDIT.md for every check, its evidence and its limits.\n\n" +
			"Exit codes: 0 clean, 1 findings at or above --fail-on, 2 incomplete run\n" +
			"(a probe failed, or --max-requests was reached) or a usage error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd, app, fl, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.format, "format", "table", "output format: table, json or sarif")
	f.StringVar(&fl.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity")
	f.IntVar(&fl.maxRequests, "max-requests", audit.DefaultMaxRequests, "most requests sent to the shop, redirects included; reaching it makes the run incomplete")
	f.Float64Var(&fl.rate, "rate", audit.DefaultRate, "most requests per second")
	f.DurationVar(&fl.timeout, "timeout", audit.DefaultTimeout, "time limit for each request")
	fl.store = addSiteStore(cmd)
	addAuditVersionFlags(cmd, &fl.versions)
	addGuidelineFlags(cmd, &fl.guide)
	return cmd
}

func runAudit(cmd *cobra.Command, app *App, fl auditFlags, target string) error {
	guide, err := fl.guide.parse(fl.format)
	if err != nil {
		return err
	}
	var format finding.Format
	if guide == nil {
		if format, err = finding.ParseFormat(fl.format); err != nil {
			return usageErr("--format: %w", err)
		}
	}
	failOn, err := finding.ParseSeverity(fl.failOn)
	if err != nil {
		return usageErr("--fail-on: %w", err)
	}
	switch {
	case fl.maxRequests < 1:
		return usageErr("--max-requests %d: want at least 1", fl.maxRequests)
	case fl.rate <= 0:
		return usageErr("--rate %g: want more than 0", fl.rate)
	case fl.timeout <= 0:
		return usageErr("--timeout %s: want more than 0", fl.timeout)
	}
	roots, err := fl.guide.roots()
	if err != nil {
		return err
	}
	db, err := loadAdvisories(cmd.Context(), fl.versions.advisories)
	if err != nil {
		return usageErr("--advisories: %w", err)
	}
	var rep *finding.Report
	if st, serr := os.Stat(target); serr == nil && st.IsDir() {
		rep, err = runAuditDir(cmd, app, db, fl.versions, target)
	} else {
		var scripts []string
		if fl.versions.inventory != "" {
			if scripts, err = inventoryScripts(fl.versions.inventory); err != nil {
				return usageErr("--inventory: %w", err)
			}
		}
		rep, err = audit.Run(cmd.Context(), target, audit.Options{
			MaxRequests: fl.maxRequests, Rate: fl.rate, Timeout: fl.timeout, Logger: app.Logger,
			Advisories: db, Scripts: scripts, RootCAs: roots,
		})
	}
	if errors.Is(err, audit.ErrInvalidTarget) {
		return usageErr("%w", err)
	}
	if err != nil {
		return usageErr("audit: %w", err)
	}
	rep.Version = Version
	fl.store.save(cmd.Context(), app, rep, record.RunEvent("skimwatch audit", rep, nil))
	if guide != nil {
		if err := writeGuideline(cmd.Context(), app, rep, fl.store, *guide); err != nil {
			return err
		}
		return finding.ExitFor(rep, failOn)
	}
	if err := finding.Render(app.Stdout, rep, format); err != nil {
		return usageErr("writing the report: %w", err)
	}
	if format == finding.FormatTable {
		printAdvisoryAge(app.Stdout, db, time.Now())
	}
	return finding.ExitFor(rep, failOn)
}
