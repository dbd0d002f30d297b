package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newIncidentCmd) }

func newIncidentCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Scope an incident: the exposure window and who was affected",
		Long: "incident turns the event log into answers: since when the tampered page\n" +
			"served the malicious script, until when, and which orders and registrations\n" +
			"passed through it. Every fact in the window cites event-log entries, which\n" +
			"`incident verify` re-checks against the chain. See docs/INCIDENT.md.",
	}
	cmd.AddCommand(newIncidentOpenCmd(app), newIncidentShowCmd(app), newIncidentVerifyCmd(app), newIncidentAffectedCmd(app), newIncidentListCmd(app),
		newIncidentReportCmd(app, incident.Load))
	return cmd
}

// orderFlags say where orders and registrations come from.
type orderFlags struct {
	csv, regCSV       []string
	cols              incident.Columns
	tz                string
	db, preset, query string
	queryKind, prefix string
}

func (f *orderFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.csv, "orders-csv", nil, "CSV export of orders with a header row (repeatable)")
	fl.StringArrayVar(&f.regCSV, "registrations-csv", nil, "CSV export of new-member registrations (repeatable)")
	fl.StringVar(&f.cols.ID, "col-id", incident.DefaultColumns.ID, "CSV column of the order ID")
	fl.StringVar(&f.cols.Time, "col-time", incident.DefaultColumns.Time, "CSV column of the order time")
	fl.StringVar(&f.cols.Email, "col-email", incident.DefaultColumns.Email, "CSV column of the customer's e-mail")
	fl.StringVar(&f.cols.Name, "col-name", incident.DefaultColumns.Name, "CSV column of the customer's name")
	fl.StringVar(&f.cols.Customer, "col-customer", incident.DefaultColumns.Customer, "CSV column of the customer ID")
	fl.StringVar(&f.cols.Kind, "col-kind", incident.DefaultColumns.Kind, "CSV column saying order or registration (optional)")
	fl.StringVar(&f.cols.Lang, "col-lang", incident.DefaultColumns.Lang, "CSV column of the customer's language or locale (ja, en_US ...; optional): the mail-merge CSV sends each customer the notice in it, Japanese by default")
	fl.StringVar(&f.tz, "tz", "UTC", "time zone of order times written without one (e.g. Asia/Tokyo)")
	fl.StringVar(&f.db, "orders-db", "", "the shop's database, read only: postgres://..., mysql://user:pass@tcp(host:3306)/db or sqlite:PATH")
	fl.StringVar(&f.preset, "preset", "", "tables of the shop's platform: "+strings.Join(incident.Presets, ", "))
	fl.StringVar(&f.query, "query", "", "your own query instead of a preset, returning id, time, customer, email, name and optionally the customer's locale")
	fl.StringVar(&f.queryKind, "query-kind", incident.KindOrder, "what --query's rows are: order or registration")
	fl.StringVar(&f.prefix, "table-prefix", "", "table prefix (WooCommerce default wp_)")
}

func (f *orderFlags) given() bool { return len(f.csv)+len(f.regCSV) > 0 || f.db != "" }

func (f *orderFlags) validate() error {
	if f.db != "" && (f.preset == "") == (f.query == "") {
		return usageErr("--orders-db needs exactly one of --preset and --query")
	}
	if f.db == "" && (f.preset != "" || f.query != "") {
		return usageErr("--preset and --query need --orders-db")
	}
	if f.queryKind != incident.KindOrder && f.queryKind != incident.KindRegistration {
		return usageErr("--query-kind must be order or registration")
	}
	return nil
}

// scope feeds every order source to inc's Scope.
func (f *orderFlags) scope(ctx context.Context, inc *incident.Incident) error {
	loc, err := time.LoadLocation(f.tz)
	if err != nil {
		return usageErr("--tz %q: %w", f.tz, err)
	}
	s := incident.NewScope(inc)
	var sources []string
	read := func(path, kind string) error {
		fh, err := os.Open(path)
		if err != nil {
			return usageErr("%w", err)
		}
		defer fh.Close()
		if _, err := incident.ReadOrdersCSV(fh, f.cols, kind, loc, s.Add); err != nil {
			return usageErr("%s: %w", path, err)
		}
		sources = append(sources, path)
		return nil
	}
	for _, p := range f.csv {
		if err := read(p, incident.KindOrder); err != nil {
			return err
		}
	}
	for _, p := range f.regCSV {
		if err := read(p, incident.KindRegistration); err != nil {
			return err
		}
	}
	if f.db != "" {
		src := incident.DBSource{DSN: f.db, Preset: f.preset, Query: f.query, Kind: f.queryKind, Prefix: f.prefix, Location: loc}
		if _, err := incident.ReadOrdersDB(ctx, src, s.Add); err != nil {
			return err
		}
		what := "query"
		if f.preset != "" {
			what = f.preset
		}
		sources = append(sources, "shop database ("+what+")")
	}
	s.Finish()
	inc.OrdersSource = strings.Join(sources, ", ")
	return nil
}

func newIncidentOpenCmd(app *App) *cobra.Command {
	var (
		site, since, format string
		findings, shas      []string
		accessLogs          []string
		of                  orderFlags
		timeout             time.Duration
		dsn                 *string
	)
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Open an incident from a finding (or a time) and scope its window and affected orders",
		Long: "open gathers every observation of the malicious script in the event log\n" +
			"(browser checks), customers' CSP reports, file and scan findings and, with\n" +
			"--access-log, the web server's log, and computes the exposure window as\n" +
			"bounds. With orders (--orders-csv or --orders-db) it lists who was affected.\n" +
			"The incident is kept in the store and its opening recorded in the event log.\n\n" +
			"Exit codes: 0 opened; 2 nothing in the record shows the artifact, the store\n" +
			"or the orders could not be read, or a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if site == "" {
				return usageErr("--site is required")
			}
			if (len(findings) == 0) == (since == "") {
				return usageErr("give --finding KEY (repeatable) or --since TIME, not both")
			}
			if format != "text" && format != "json" {
				return usageErr("--format must be text or json")
			}
			if err := of.validate(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			o := incident.Options{Site: site, FindingKeys: findings, ScriptSHA256: shas}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return usageErr("%w", err)
				}
				o.Since = t
			}
			for _, p := range accessLogs {
				l, err := readAccessLog(p)
				if err != nil {
					return usageErr("--access-log: %w", err)
				}
				o.AccessLog = append(o.AccessLog, l.Requests...)
				o.AccessLogName = strings.TrimPrefix(strings.Join([]string{o.AccessLogName, p}, ", "), ", ")
				if l.Malformed > 0 {
					app.Logger.Warn("access log lines in neither common nor combined format were skipped", "file", p, "lines", l.Malformed)
				}
			}
			s, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			inc, err := incident.Open(ctx, s, o)
			if errors.Is(err, incident.ErrNoArtifact) || errors.Is(err, store.ErrNotFound) {
				return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
			}
			if err != nil {
				return err
			}
			if of.given() {
				if err := of.scope(ctx, inc); err != nil {
					return err
				}
			}
			if err := incident.Save(ctx, s, inc, "skimwatch incident open"); err != nil {
				return err
			}
			if format == "json" {
				return termtext.WriteJSON(app.Stdout, inc)
			}
			incident.WriteSummary(app.Stdout, inc)
			fmt.Fprintf(app.Stdout, "\nShow it again with `skimwatch incident show %s`; list who was affected with `skimwatch incident affected %s`.\n", inc.ID, inc.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&site, "site", "", "site the incident is about (required)")
	fl.StringArrayVar(&findings, "finding", nil, "finding to open from: its store key, or its kind (honey.card-exfiltration, as `skimwatch findings` shows it) when the site has one finding of that kind (repeatable: the payment and the registration page)")
	fl.StringVar(&since, "since", "", "open from a time instead (RFC 3339, or a duration back from now), for a breach found elsewhere")
	fl.StringArrayVar(&shas, "sha256", nil, "a known malicious script's SHA-256 (repeatable)")
	fl.StringArrayVar(&accessLogs, "access-log", nil, "web server access log, common or combined format, gzip too (repeatable)")
	fl.StringVar(&format, "format", "text", "output: text or json")
	fl.DurationVar(&timeout, "timeout", 10*time.Minute, "give up after this long")
	of.add(cmd)
	dsn = storeFlag(cmd)
	return cmd
}

func readAccessLog(path string) (incident.AccessLog, error) {
	fh, err := os.Open(path)
	if err != nil {
		return incident.AccessLog{}, err
	}
	defer fh.Close()
	return incident.ReadAccessLog(fh)
}

// withIncident opens the store and loads the incident named by the one
// argument.
func withIncident(cmd *cobra.Command, app *App, dsn string, id string, fn func(context.Context, store.Store, *incident.Incident) error) error {
	ctx := cmd.Context()
	s, err := openStore(ctx, app, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	inc, err := incident.Load(ctx, s, id)
	if errors.Is(err, store.ErrNotFound) {
		return usageErr("no incident %q (see `skimwatch incident list`)", id)
	}
	if err != nil {
		return err
	}
	return fn(ctx, s, inc)
}

func newIncidentShowCmd(app *App) *cobra.Command {
	var format string
	var dsn *string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an incident's window, pages, citations and counts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format must be text or json")
			}
			return withIncident(cmd, app, *dsn, args[0], func(_ context.Context, _ store.Store, inc *incident.Incident) error {
				if format == "json" {
					return termtext.WriteJSON(app.Stdout, inc)
				}
				incident.WriteSummary(app.Stdout, inc)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	dsn = storeFlag(cmd)
	return cmd
}

func newIncidentVerifyCmd(app *App) *cobra.Command {
	var format string
	var dsn *string
	cmd := &cobra.Command{
		Use:   "verify ID",
		Short: "Re-check every event-log citation of an incident against the chain",
		Long: "verify walks the event log's chain (up to the head the incident saw when it\n" +
			"was opened) and checks that every event the incident cites is still there\n" +
			"with the cited hash. Evidence outside the log (access log lines, file times)\n" +
			"is counted apart: the chain cannot prove it.\n\n" +
			"Exit codes: 0 every citation holds; 1 a citation or the chain does not; 2 the\n" +
			"store could not be read, or a usage error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format must be text or json")
			}
			return withIncident(cmd, app, *dsn, args[0], func(ctx context.Context, s store.Store, inc *incident.Incident) error {
				v, err := incident.Verify(ctx, s, inc)
				if err != nil {
					return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
				}
				if format == "json" {
					if err := termtext.WriteJSON(app.Stdout, v); err != nil {
						return err
					}
				} else {
					writeVerification(app.Stdout, inc, v)
				}
				if !v.OK() {
					return &finding.ExitError{Code: finding.ExitFindings, Err: fmt.Errorf("incident %s does not verify against the event log", inc.ID)}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	dsn = storeFlag(cmd)
	return cmd
}

func writeVerification(w io.Writer, inc *incident.Incident, v incident.Verification) {
	if v.Chain.Broken != nil {
		fmt.Fprintf(w, "The event log is broken: %s\n", termtext.Escape(v.Chain.Broken.Error()))
	} else {
		fmt.Fprintf(w, "The event log verifies: %d events, head %s.\n", v.Chain.Verified, v.Chain.Head)
	}
	fmt.Fprintf(w, "%d citation(s) of incident %s hold; %d rest on evidence outside the log.\n", v.Checked, termtext.Escape(inc.ID), v.Offline)
	for _, p := range v.Problems {
		fmt.Fprintf(w, "  DOES NOT HOLD: %s\n", termtext.Escape(p))
	}
}

func newIncidentAffectedCmd(app *App) *cobra.Command {
	var format string
	var possibly bool
	var dsn *string
	cmd := &cobra.Command{
		Use:   "affected ID",
		Short: "List the affected orders and registrations (table, JSON or CSV)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" && format != "csv" {
				return usageErr("--format must be table, json or csv")
			}
			return withIncident(cmd, app, *dsn, args[0], func(_ context.Context, _ store.Store, inc *incident.Incident) error {
				if inc.OrdersSource == "" {
					return usageErr("incident %s was opened without orders: open it again with --orders-csv or --orders-db", inc.ID)
				}
				switch format {
				case "json":
					out := map[string]any{"affected": inc.Affected, "customers": inc.Customers, "counts": inc.Counts}
					if possibly {
						out["possibly_affected"] = inc.PossiblyAffected
					}
					return termtext.WriteJSON(app.Stdout, out)
				case "csv":
					return incident.WriteAffectedCSV(app.Stdout, inc, possibly)
				}
				incident.WriteAffectedTable(app.Stdout, inc, possibly)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output: table, json or csv")
	cmd.Flags().BoolVar(&possibly, "possibly", true, "include the possibly affected (between the bounds of the start or end)")
	dsn = storeFlag(cmd)
	return cmd
}

func newIncidentListCmd(app *App) *cobra.Command {
	var site string
	var dsn *string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored incidents, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openStore(cmd.Context(), app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			list, err := s.IncidentScopes(cmd.Context(), site)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(app.Stdout, "No incidents.")
				return nil
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tOPENED\tSITE\tFINDING")
			for _, sc := range list {
				finding := sc.FindingKey
				if finding == "" {
					finding = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termtext.Escape(sc.ID), sc.Opened.Format(time.RFC3339), termtext.Escape(sc.Site), termtext.Escape(finding))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&site, "site", "", "only this site's incidents")
	dsn = storeFlag(cmd)
	return cmd
}
