package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func newCSPOriginsCmd(app *App) *cobra.Command {
	var (
		site string
		dsn  *string
	)
	cmd := &cobra.Command{
		Use:   "origins --site NAME",
		Short: "List the document origins reports came from, and which are the site's own",
		Long: "origins lists a site's own origins (approved in the store) and every document\n" +
			"origin the collector has stored reports from, with their report counts and\n" +
			"distinct clients. The collector believes a report only when its document is on\n" +
			"one of the site's own origins (approved here, or given to `collect --site-origin`);\n" +
			"others are kept as evidence of forgery (csp.foreign-document) and approve nothing.\n" +
			"Reports stored before any origin was known count as seen, not approved: look\n" +
			"at them, then approve the genuine ones with `skimwatch csp origins approve`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if site == "" {
				return usageErr("--site is required")
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			seen, err := documentOrigins(cmd, st, site)
			if err != nil {
				return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ORIGIN\tAPPROVED\tREPORTS\tCLIENTS")
			for _, o := range seen {
				fmt.Fprintf(tw, "%s\t%v\t%d\t%d\n", termtext.Escape(o.Origin), o.Approved, o.Reports, o.Clients)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&site, "site", "", "site name")
	dsn = storeFlag(cmd)
	cmd.AddCommand(newCSPOriginsApproveCmd(app))
	return cmd
}

func newCSPOriginsApproveCmd(app *App) *cobra.Command {
	var (
		site, actor string
		dsn         *string
	)
	cmd := &cobra.Command{
		Use:   "approve --site NAME ORIGIN...",
		Short: "Approve origins as the site's own (where its pages are)",
		Long: "approve records each ORIGIN (scheme://host[:port]) as one of the site's own\n" +
			"origins, and appends the decision to the event log. A running collector picks\n" +
			"it up at its next flush.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if site == "" {
				return usageErr("--site is required")
			}
			var origins []string
			for _, a := range args {
				o, err := csp.ParseSiteOrigin(a)
				if err != nil {
					return usageErr("%w", err)
				}
				origins = append(origins, o)
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, o := range origins {
				if err := st.ApproveSource(ctx, store.ApprovedSource{Site: site, Directive: store.DirectiveSiteOrigin, Value: o, Origin: store.OriginManual}); err != nil {
					return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("approve %s: %w", o, err)}
				}
				data, _ := json.Marshal(map[string]string{"directive": store.DirectiveSiteOrigin, "value": o})
				if _, err := st.AppendEvent(ctx, store.Event{Site: site, Type: "csp.origin-approved", Actor: actor, Data: data}); err != nil {
					return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("record the approval of %s in the event log: %w", o, err)}
				}
				fmt.Fprintf(app.Stdout, "approved %s as an origin of %s\n", o, site)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&site, "site", "", "site name")
	cmd.Flags().StringVar(&actor, "actor", "cli", "who approves, for the event log")
	dsn = storeFlag(cmd)
	return cmd
}

// seenOrigin is one document origin reports came from.
type seenOrigin struct {
	Origin   string
	Approved bool
	Reports  int64
	Clients  int
}

// documentOrigins gathers the site's approved origins and the document
// origins of its stored reports: a foreign aggregate names its document in
// full, the site's own only by path, so those are read from their sample.
func documentOrigins(cmd *cobra.Command, st store.Store, site string) ([]seenOrigin, error) {
	ctx := cmd.Context()
	approved, err := st.ApprovedSources(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("approved sources of %q: %w", site, err)
	}
	by := map[string]*seenOrigin{}
	clients := map[string]map[string]bool{}
	get := func(o string) *seenOrigin {
		if by[o] == nil {
			by[o] = &seenOrigin{Origin: o}
			clients[o] = map[string]bool{}
		}
		return by[o]
	}
	for _, a := range approved {
		if a.Directive == store.DirectiveSiteOrigin {
			get(a.Value).Approved = true
		}
	}
	rows, err := st.ReportAggregates(ctx, store.AggregateQuery{Site: site})
	if err != nil {
		return nil, fmt.Errorf("report aggregates of %q: %w", site, err)
	}
	for _, r := range rows {
		o := csp.AggregateDocumentOrigin(r.DocumentPath, r.Sample)
		if o == "" {
			continue
		}
		s := get(o)
		s.Reports += r.Count
		for _, h := range r.ClientHashes {
			clients[o][h] = true
		}
	}
	out := make([]seenOrigin, 0, len(by))
	for o, s := range by {
		s.Clients = len(clients[o])
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b seenOrigin) int {
		return cmp.Or(cmp.Compare(b.Reports, a.Reports), cmp.Compare(a.Origin, b.Origin))
	})
	return out, nil
}
