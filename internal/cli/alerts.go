package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newAlertsCmd) }

func newAlertsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List a site's open alert incidents, or acknowledge one",
		Long: "alerts works on the incidents that skimwatch serve alerts on (docs/ALERTS.md).\n" +
			"list shows a site's open incidents with their keys; ack marks one as seen,\n" +
			"which stops the reminders of a critical one.",
	}
	cmd.AddCommand(newAlertsListCmd(app), newAlertsAckCmd(app))
	return cmd
}

func newAlertsListCmd(app *App) *cobra.Command {
	var (
		site, format string
		timeout      time.Duration
		dsn          *string
	)
	cmd := &cobra.Command{
		Use:   "list --site SITE",
		Short: "List a site's open incidents with their keys",
		Long: "list shows the site's open incidents, oldest first, each with the key that\n" +
			"alerts ack takes.\n\nExit codes: 0 listed; 2 the store could not be read, or a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if site == "" {
				return usageErr("--site is required")
			}
			if format != "table" && format != "json" {
				return usageErr("--format must be table or json")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			s, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			incs, err := s.Incidents(ctx, store.IncidentQuery{Site: site, Statuses: []string{store.IncidentOpen}})
			if err != nil {
				return fmt.Errorf("read incidents: %w", err)
			}
			if format == "json" {
				if incs == nil {
					incs = []store.Incident{}
				}
				return termtext.WriteJSON(app.Stdout, map[string]any{"incidents": incs})
			}
			return incidentsTable(app.Stdout, incs)
		},
	}
	dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&site, "site", "", "the site whose incidents to list (required)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up on the store after this long")
	return cmd
}

func newAlertsAckCmd(app *App) *cobra.Command {
	var (
		site, by string
		timeout  time.Duration
		dsn      *string
	)
	cmd := &cobra.Command{
		Use:   "ack --site SITE --by NAME KEY",
		Short: "Acknowledge an incident: someone has seen it, so its reminders stop",
		Long: "ack records who acknowledged the site's incident KEY (from alerts list) and\n" +
			"when, also in the event log (type alert.acknowledged); an acknowledged\n" +
			"critical is no longer re-sent.\n\n" +
			"Exit codes: 0 acknowledged; 2 no such incident, the store could not be\n" +
			"written, or a usage error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if site == "" || by == "" {
				return usageErr("--site and --by are required")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			s, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			// A notifier with no sinks only decides; acknowledging sends nothing.
			n, err := alert.New(alert.Options{Store: s, Logger: app.Logger})
			if err != nil {
				return err
			}
			if err := n.Acknowledge(ctx, site, args[0], by); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return usageErr("site %s has no incident %s (alerts list --site %s shows the keys)", termtext.Escape(site), termtext.Escape(args[0]), termtext.Escape(site))
				}
				return err
			}
			// Acknowledging is a person's decision, so the event log keeps it
			// beside the approvals and dismissals.
			data, err := json.Marshal(map[string]string{"key": args[0]})
			if err != nil {
				return err
			}
			if _, err := s.AppendEvent(ctx, store.Event{Site: site, Type: "alert.acknowledged", Actor: by, Data: data}); err != nil {
				return fmt.Errorf("record the acknowledgement in the event log: %w", err)
			}
			_, err = fmt.Fprintf(app.Stdout, "Acknowledged %s of %s by %s.\n", termtext.Escape(args[0]), termtext.Escape(site), termtext.Escape(by))
			return err
		},
	}
	dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&site, "site", "", "the incident's site (required)")
	cmd.Flags().StringVar(&by, "by", "", "who acknowledges it (required)")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up on the store after this long")
	return cmd
}

func incidentsTable(w io.Writer, incs []store.Incident) error {
	if len(incs) == 0 {
		_, err := fmt.Fprintln(w, "No open incidents.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tSEVERITY\tTARGET\tOPENED\tACKNOWLEDGED\tFINDING")
	for _, inc := range incs {
		ack := "-"
		if !inc.Acknowledged.IsZero() {
			ack = inc.Acknowledged.UTC().Format(time.RFC3339) + " by " + termtext.Escape(inc.AckBy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", termtext.Escape(inc.Key), termtext.Escape(inc.Kind), inc.Finding.Severity,
			eventField(inc.Target), inc.Opened.UTC().Format(time.RFC3339), ack, shortEventData(inc.Finding.Message, 80))
	}
	return tw.Flush()
}
