package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newLabCmd) }

func newLabCmd(app *App) *cobra.Command {
	var opts lab.Options
	var scenario string
	var withAudit bool
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run the incident lab: a shop, its payment provider and attackers on loopback",
		Long: "lab starts a reproduction of the seed incident's shop on 127.0.0.1, with its payment\n" +
			"provider, a benign third party, a lookalike CDN and an attacker's collector, each on its\n" +
			"own origin. It prints their URLs and the tampering scenarios, and runs until interrupted.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts.Logger = app.Logger
			l, err := lab.Start(ctx, opts)
			if err != nil {
				return err
			}
			defer l.Close()
			// An unknown name fails here, before anything is printed.
			if err := l.SetScenario(scenario); err != nil {
				return err
			}
			w := app.Stdout
			fmt.Fprintf(w, "shop         %s\n", l.ShopURL())
			fmt.Fprintf(w, "psp          %s (API %s)\n", l.PSPOrigin(), l.PSPAPIOrigin())
			fmt.Fprintf(w, "third party  %s\n", l.ThirdPartyOrigin())
			fmt.Fprintf(w, "cdn          %s\n", l.CDNOrigin())
			fmt.Fprintf(w, "fraud vendor %s\n", l.FraudOrigin())
			fmt.Fprintf(w, "postcodes    %s\n", l.PostalOrigin())
			fmt.Fprintf(w, "attacker     %s\n", l.AttackerOrigin())
			fmt.Fprintf(w, "scenario     %s\n", l.Scenario())
			if withAudit {
				stop, err := startLabAuditShops(ctx, w, opts.Addr)
				if err != nil {
					return err
				}
				defer stop()
			}
			if opts.AdminEndpoint {
				fmt.Fprintf(w, "admin        curl -H 'Origin: %s' -d name=fake-card-form %s/__lab/scenario\n", l.ShopURL(), l.ShopURL())
			}
			fmt.Fprintln(w)
			if err := printScenarios(w, l.ShopURL()); err != nil {
				return err
			}
			fmt.Fprintln(w, "\nrunning; press Ctrl-C to stop")
			<-ctx.Done()
			return l.Close()
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "shop listen address (loopback only; other origins use free ports)")
	cmd.Flags().StringVar(&scenario, "scenario", "clean", "tampering scenario to start with (see `skimwatch lab scenarios`)")
	cmd.Flags().BoolVar(&opts.AdminEndpoint, "admin", false, "enable POST /__lab/scenario on the shop to switch scenarios (same-origin posts only)")
	cmd.Flags().StringVar(&opts.ReportURI, "report-uri", "", "report-uri for the shop's CSP (report-only)")
	cmd.Flags().BoolVar(&withAudit, "audit", false, "also serve the audit shops: an exposed one over http and a hardened one over https (see `skimwatch audit`)")

	cmd.AddCommand(&cobra.Command{
		Use:   "scenarios",
		Short: "List the lab's tampering scenarios and benign variants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printScenarios(app.Stdout, "")
		},
	})
	return cmd
}

// printScenarios writes one line per scenario; base prefixes the page paths.
func printScenarios(w io.Writer, base string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tKIND\tPAGE\tFLOW\tTECHNIQUE")
	for _, s := range lab.Scenarios() {
		kind := "tamper"
		if s.Benign {
			kind = "benign"
		}
		flow := s.Flow
		if flow == "" {
			flow = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termtext.Escape(s.Name), kind, termtext.Escape(base+s.Page), termtext.Escape(flow), termtext.Escape(s.Technique))
	}
	return tw.Flush()
}
