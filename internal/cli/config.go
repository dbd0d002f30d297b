package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/service"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newConfigCmd) }

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the service's config file (docs/SERVE.md)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a config file; every problem is printed with its line",
		Long: "check reads FILE as `skimwatch serve` would, with ${VAR} taken from this\n" +
			"environment, then reads what it names (flow files, fim baselines and keys,\n" +
			"web roots, secrets) as the jobs will, and prints each problem with its line.\n" +
			"Exit codes: 0 valid, 2 not.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := config.Load(args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			if err := service.CheckReferences(c); err != nil {
				return usageErr("%s: %w", args[0], err)
			}
			pages := 0
			for _, s := range c.Sites {
				pages += len(s.Pages) + len(s.Flows)
			}
			fmt.Fprintf(app.Stdout, "%s: valid: %d site(s), %d page(s) and flow(s), %d alert sink(s)\n", termtext.Escape(args[0]), len(c.Sites), pages, len(c.Alerts))
			return nil
		},
	})
	return cmd
}
