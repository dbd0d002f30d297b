package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/incident/report"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// incidentLoader reads a stored incident by its ID.
type incidentLoader func(ctx context.Context, s store.Store, id string) (*incident.Incident, error)

// maxIncidentFile caps an incident file: a million affected orders fit.
const maxIncidentFile = 1 << 30

// newIncidentReportCmd builds `incident report`. load reads an incident by
// --id; with nil only --incident FILE is offered.
func newIncidentReportCmd(app *App, load incidentLoader) *cobra.Command {
	var (
		id, file, out, langs, formats, shopFile, baseline string
		timeout                                           time.Duration
		dsn                                               *string
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write an incident's notices and reports (customers, the PPC, card brands, PCI DSS) as HTML and PDF",
		Long: "report writes, in Japanese and English, what an incident obliges the shop to write:\n" +
			"the customer notice with a mail-merge CSV and a web notice, the preliminary and final\n" +
			"reports to the Personal Information Protection Commission, a summary for the acquirer\n" +
			"and card brands, and the PCI DSS evidence pack (6.4.3: the approved script inventory from\n" +
			"the store, with who approved each script and why, or from a --baseline file;\n" +
			"11.6.1 alerts and event log from the store).\n\n" +
			"What only the shop knows (its contact desk, the vulnerability, the measures) comes from\n" +
			"--shop FILE (YAML); whatever is missing is marked in the documents for the shop to fill in.\n" +
			"PDFs are printed by Chromium with no network.\n\n" +
			"Exit codes: 0 written; 2 usage error or nothing could be written.",
		Example: "  skimwatch incident report --id inc-1 --shop shop.yaml --baseline shop.json --out notices\n" +
			"  skimwatch incident report --incident inc-1.json --lang ja --format html --out notices",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("--out DIR is required")
			}
			if (id == "") == (file == "") {
				return usageErr("give one of --id ID and --incident FILE")
			}
			if id != "" && load == nil {
				return usageErr("--id needs the incident store, which this build lacks; give --incident FILE (the incident as JSON)")
			}
			ls, err := listFlag("--lang", langs, report.Langs)
			if err != nil {
				return err
			}
			fs, err := listFlag("--format", formats, report.Formats)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()

			in := &report.Input{Issued: time.Now()}
			if shopFile != "" {
				if in.Shop, err = readShop(shopFile); err != nil {
					return err
				}
			}
			if baseline != "" {
				b, err := inventory.Load(baseline)
				if err != nil {
					return usageErr("--baseline: %w", err)
				}
				in.Scripts = report.ScriptsFromBaseline(b)
			}
			s, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			if id != "" {
				if in.Incident, err = load(ctx, s, id); err != nil {
					return err
				}
			} else if in.Incident, err = readIncident(file); err != nil {
				return err
			}
			if baseline == "" {
				// The store keeps each item with who approved it and why.
				items, _, err := s.InventoryItems(ctx, store.InventoryQuery{Site: in.Incident.Site, Kind: store.ItemScript, Status: store.ItemApproved})
				if err != nil {
					return fmt.Errorf("reading the approved inventory: %w", err)
				}
				in.Scripts = report.ScriptsFromInventory(items)
			}
			if err := gatherEvidence(ctx, s, in); err != nil {
				return err
			}

			opts := report.WriteOptions{Langs: ls, Formats: fs}
			if slices.Contains(fs, "pdf") {
				b, err := browser.Launch(ctx, browser.Options{Logger: app.Logger})
				if err != nil {
					return fmt.Errorf("PDFs need Chromium (or ask for --format html): %w", err)
				}
				defer b.Close()
				opts.Renderer = document.NewRenderer(b, app.Logger)
			}
			paths, err := report.Write(ctx, out, in, opts)
			for _, p := range paths {
				fmt.Fprintln(app.Stdout, termtext.Escape(p))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "skimwatch: %d file(s) written to %s; search them for the marks to fill in before sending\n",
				len(paths), termtext.Escape(out))
			return nil
		},
	}
	dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&id, "id", "", "the stored incident's ID")
	cmd.Flags().StringVar(&file, "incident", "", "read the incident from this JSON file instead of the store")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the documents to (created if missing)")
	cmd.Flags().StringVar(&langs, "lang", strings.Join(report.Langs, ","), "languages, comma-separated: ja, en")
	cmd.Flags().StringVar(&formats, "format", strings.Join(report.Formats, ","), "formats, comma-separated: html, pdf")
	cmd.Flags().StringVar(&shopFile, "shop", "", "YAML file with what only the shop knows (name, contact, cause, measures ...)")
	cmd.Flags().StringVar(&baseline, "baseline", "", "approved baseline file for PCI DSS 6.4.3 (default: the store's approved inventory, with its authorisations)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

// listFlag splits a comma-separated flag and checks every value is known.
func listFlag(name, v string, known []string) ([]string, error) {
	var out []string
	for _, x := range strings.Split(v, ",") {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		if !slices.Contains(known, x) {
			return nil, usageErr("%s: %q (want %s)", name, x, strings.Join(known, ", "))
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil, usageErr("%s: nothing given (want %s)", name, strings.Join(known, ", "))
	}
	return out, nil
}

func readShop(path string) (report.Shop, error) {
	f, err := os.Open(path)
	if err != nil {
		return report.Shop{}, usageErr("--shop: %w", err)
	}
	defer f.Close()
	s, err := report.ParseShop(f)
	if err != nil {
		return report.Shop{}, usageErr("--shop %s: %w", path, err)
	}
	return s, nil
}

func readIncident(path string) (*incident.Incident, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr("--incident: %w", err)
	}
	defer f.Close()
	var inc incident.Incident
	dec := json.NewDecoder(io.LimitReader(f, maxIncidentFile))
	if err := dec.Decode(&inc); err != nil {
		return nil, usageErr("--incident %s: %w", path, err)
	}
	if inc.ID == "" || inc.Site == "" {
		return nil, usageErr("--incident %s: no incident ID or site", path)
	}
	return &inc, nil
}

// gatherEvidence reads the site's alerts and event-log entries of the
// incident's period from the store, for the PCI DSS evidence pack.
func gatherEvidence(ctx context.Context, s store.Store, in *report.Input) error {
	site := in.Incident.Site
	from, to := report.Period(in)
	incs, err := s.Incidents(ctx, store.IncidentQuery{Site: site})
	if err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	ds, err := s.Deliveries(ctx, store.DeliveryQuery{})
	if err != nil {
		return fmt.Errorf("reading alert deliveries: %w", err)
	}
	in.Alerts = report.AlertsFrom(incs, ds, site, from, to)
	const page = 5000
	for after := int64(0); ; {
		evs, err := s.Events(ctx, store.EventQuery{Site: site, AfterSeq: after, Limit: page})
		if err != nil {
			return fmt.Errorf("reading the event log: %w", err)
		}
		for _, e := range evs {
			if !e.Time.Before(from) && (to.IsZero() || !e.Time.After(to)) {
				in.Events = append(in.Events, e)
			}
		}
		if len(evs) < page {
			return nil
		}
		after = evs[len(evs)-1].Seq
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reading the event log: %w", err)
		}
	}
}
