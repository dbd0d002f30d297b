package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func init() { register(newFindingsCmd) }

// Evidence keys that `skimwatch findings` adds to each stored finding. They
// replace a detector's own evidence of the same name.
const (
	evidenceTimesSeen = "times_seen"
	evidenceFirstSeen = "first_seen"
	evidenceLastSeen  = "last_seen"
)

func newFindingsCmd(app *App) *cobra.Command {
	var (
		site, since, minSev, format, failOn string
		honeyValue                          string
		limit                               int
		timeout                             time.Duration
		dsn                                 *string
	)
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List the findings kept in the store",
		Long: "findings lists what the detectors found, one row per finding however often it\n" +
			"was raised, highest severity first. The JSON has the shape of `skimwatch check\n" +
			"--format json` (a report with a findings array); each finding's evidence also\n" +
			"holds times_seen, first_seen and last_seen (RFC 3339, UTC), and its time is\n" +
			"last_seen.\n\n" +
			"With --honey VALUE it instead names the checks that typed a honey value (a\n" +
			"card number, email or phone found somewhere it should not be): check ID, time,\n" +
			"site and target. Spaces, dashes and case do not matter.\n\n" +
			"Exit codes: 0 listed (or nothing at or above --fail-on when set), 1 findings at or\n" +
			"above --fail-on, 2 the store could not be read or a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := finding.ParseFormat(format)
			if err != nil {
				return usageErr("--format: %w", err)
			}
			q := store.FindingQuery{Site: site, Limit: limit}
			if q.Since, err = parseSince(since, time.Now()); err != nil {
				return usageErr("%w", err)
			}
			if minSev != "" {
				if q.MinSeverity, err = finding.ParseSeverity(minSev); err != nil {
					return usageErr("--min-severity: %w", err)
				}
			}
			var threshold finding.Severity
			if failOn != "" {
				if threshold, err = finding.ParseSeverity(failOn); err != nil {
					return usageErr("--fail-on: %w", err)
				}
			}
			if limit < 0 {
				return usageErr("--limit must not be negative")
			}
			if honeyValue != "" && f == finding.FormatSARIF {
				return usageErr("--honey lists checks, not findings: use --format table or json")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			s, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			if honeyValue != "" {
				runs, err := s.CheckRunsByHoney(ctx, honeyValue)
				if err != nil {
					return err
				}
				return renderHoneyRuns(app.Stdout, honeyValue, runs, f)
			}
			stored, err := s.Findings(ctx, q)
			if err != nil {
				return err
			}
			r := findingsReport(stored, q)
			if err := finding.Render(app.Stdout, r, f); err != nil {
				return err
			}
			if threshold > 0 {
				return finding.ExitFor(r, threshold)
			}
			return nil
		},
	}
	dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&site, "site", "", "only this site's findings")
	cmd.Flags().StringVar(&honeyValue, "honey", "", "name the checks that typed this honey value (card number, email, phone ...) instead of listing findings")
	cmd.Flags().StringVar(&since, "since", "", "only findings last seen within this duration (24h, 7d) or since an RFC 3339 time")
	cmd.Flags().StringVar(&minSev, "min-severity", "", "only findings at or above this severity: critical, high, medium, low, info")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a listed finding is at or above this severity (default: never)")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many findings (0: all)")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up on the store after this long")
	return cmd
}

// findingsReport turns stored findings into the report every renderer takes.
func findingsReport(stored []store.StoredFinding, q store.FindingQuery) *finding.Report {
	r := &finding.Report{
		Tool: "skimwatch", Version: Version, Command: "findings", Targets: []string{},
		Complete: true, Findings: make([]finding.Finding, 0, len(stored)),
		Details: map[string]any{"filter": filterDetails(q)},
	}
	if q.Site != "" {
		r.Targets = append(r.Targets, q.Site)
	}
	for _, sf := range stored {
		f := sf.Finding
		ev := make(map[string]any, len(f.Evidence)+3)
		for k, v := range f.Evidence {
			ev[k] = v
		}
		ev[evidenceTimesSeen] = sf.Count
		ev[evidenceFirstSeen] = sf.FirstSeen.UTC().Format(time.RFC3339)
		ev[evidenceLastSeen] = sf.LastSeen.UTC().Format(time.RFC3339)
		f.Evidence = ev
		f.Time = sf.LastSeen
		r.Findings = append(r.Findings, f)
	}
	// The store already orders by severity then recency; keep that order,
	// which says more than Report.Sort's alphabetical tie-break.
	return r
}

func filterDetails(q store.FindingQuery) map[string]any {
	m := map[string]any{}
	if q.Site != "" {
		m["site"] = q.Site
	}
	if !q.Since.IsZero() {
		m["since"] = q.Since.UTC().Format(time.RFC3339)
	}
	if q.MinSeverity > 0 {
		m["min_severity"] = q.MinSeverity.String()
	}
	if q.Limit > 0 {
		m["limit"] = q.Limit
	}
	return m
}

// renderHoneyRuns answers "which check leaked this value". A value that is a
// card outside the test range cannot be a honey card; saying so helps a user
// who pasted a customer's card, and the value itself is never printed back.
func renderHoneyRuns(w io.Writer, value string, runs []store.CheckRun, f finding.Format) error {
	notHoney := card.Valid(value) && !card.IsTest(store.HoneyKey(value))
	if f == finding.FormatJSON {
		out := struct {
			Honey  string           `json:"honey"`
			Checks []store.CheckRun `json:"checks"`
		}{Honey: card.MaskString(value), Checks: runs}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if notHoney {
		_, err := fmt.Fprintf(w, "%s is a card number outside the honey test range (%s...): no check typed it\n", card.MaskString(value), card.TestPrefix)
		return err
	}
	if len(runs) == 0 {
		_, err := fmt.Fprintf(w, "no recorded check typed %q\n", value)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK ID\tTIME\tSITE\tTARGET\tTYPED AS")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.CheckID, r.Time.UTC().Format(time.RFC3339), r.Site, r.Target, classesOf(r, value))
	}
	return tw.Flush()
}

// classesOf names the fields the value was typed into.
func classesOf(r store.CheckRun, value string) string {
	var cs []string
	for class, v := range r.Honey {
		if store.HoneyKey(v) == store.HoneyKey(value) {
			cs = append(cs, class)
		}
	}
	slices.Sort(cs)
	return strings.Join(cs, ",")
}
