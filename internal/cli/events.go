package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newEventsCmd) }

func newEventsCmd(app *App) *cobra.Command {
	var (
		site, typ, format string
		expectHead        string
		after             int64
		limit             int
		verify            bool
		timeout           time.Duration
		dsn               *string
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List the hash-chained event log, or verify its chain",
		Long: "events lists every observation and decision in the event log, oldest first.\n" +
			"With --verify it walks the whole chain instead (the filters do not apply) and\n" +
			"checks that each event's hash covers its content and its predecessor's hash.\n" +
			"It prints the head (SEQ:HASH); keep it outside the store and pass it back with\n" +
			"--expect-head, since a chain cut short at its end still verifies on its own.\n\n" +
			"Exit codes: 0 listed, or the chain verified; 2 the chain is broken, the store\n" +
			"could not be read, or a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if expectHead != "" && !verify {
				return usageErr("--expect-head needs --verify")
			}
			if format != "table" && format != "json" {
				return usageErr("--format must be table or json")
			}
			if limit < 0 || after < 0 {
				return usageErr("--limit and --after must not be negative")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			s, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			if verify {
				return verifyEvents(ctx, app.Stdout, s, format, expectHead)
			}
			events, err := s.Events(ctx, store.EventQuery{Site: site, Type: typ, AfterSeq: after, Limit: limit})
			if err != nil {
				return err
			}
			if format == "json" {
				if events == nil {
					events = []store.Event{}
				}
				return writeEventsJSON(app.Stdout, map[string]any{"events": events})
			}
			return eventsTable(app.Stdout, events)
		},
	}
	dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&site, "site", "", "only this site's events")
	cmd.Flags().StringVar(&typ, "type", "", "only events of this type")
	cmd.Flags().Int64Var(&after, "after", 0, "only events after this sequence number")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many events (0: all)")
	cmd.Flags().BoolVar(&verify, "verify", false, "verify the whole chain instead of listing")
	cmd.Flags().StringVar(&expectHead, "expect-head", "", "with --verify: SEQ:HASH of a head printed earlier, which must still be in the chain (catches events cut off its end)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up on the store after this long")
	return cmd
}

// verifyEvents walks the chain. A chain can only prove what it holds: events
// cut off its end leave a shorter chain that still verifies. expectHead
// ("SEQ:HASH", printed by an earlier --verify and kept elsewhere) closes that
// gap: the event at SEQ must still be there with that hash.
func verifyEvents(ctx context.Context, w io.Writer, s store.Store, format, expectHead string) error {
	want, err := record.ParseHead(expectHead)
	if err != nil {
		return usageErr("--expect-head: %w", err)
	}
	c, err := record.VerifyChain(ctx, s, want)
	if err != nil {
		return err
	}
	ce := c.Broken
	if format == "json" {
		out := map[string]any{"intact": ce == nil, "verified": c.Verified}
		if ce != nil {
			out["broken_at"] = ce.Seq
			out["reason"] = ce.Reason
		} else if c.Head.Seq > 0 {
			out["head"] = c.Head.String()
		}
		if err := writeEventsJSON(w, out); err != nil {
			return err
		}
	} else if ce == nil {
		fmt.Fprintf(w, "Event log intact: %d event(s) verified.\n", c.Verified)
		if c.Head.Seq > 0 {
			fmt.Fprintf(w, "Head: %s (keep it elsewhere; --expect-head checks it later)\n", c.Head)
		}
	} else {
		fmt.Fprintf(w, "EVENT LOG BROKEN at seq %d: %s (%d event(s) before it verified).\n", ce.Seq, termtext.Escape(ce.Reason), c.Verified)
	}
	if ce != nil {
		return &finding.ExitError{Code: finding.ExitIncomplete, Err: ce}
	}
	return nil
}

func writeEventsJSON(w io.Writer, v any) error {
	return termtext.WriteJSON(w, v)
}

func eventsTable(w io.Writer, events []store.Event) error {
	if len(events) == 0 {
		_, err := fmt.Fprintln(w, "No events.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tSITE\tTYPE\tACTOR\tHASH\tDATA")
	for _, e := range events {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.UTC().Format(time.RFC3339), eventField(e.Site),
			termtext.Escape(e.Type), eventField(e.Actor), termtext.Escape(e.Hash[:min(12, len(e.Hash))]), shortEventData(string(e.Data), 80))
	}
	return tw.Flush()
}

func eventField(s string) string {
	if s == "" {
		return "-"
	}
	return termtext.Escape(s)
}

func shortEventData(s string, n int) string {
	s = termtext.Escape(s)
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
