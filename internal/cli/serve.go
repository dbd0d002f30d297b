package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/service"
	"github.com/skimwatch/skimwatch/internal/termtext"
	"github.com/skimwatch/skimwatch/internal/web"
)

func init() { register(newServeCmd) }

func newServeCmd(app *App) *cobra.Command {
	var configFile, role string
	var secureCookies bool
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Watch the configured sites continuously (scheduler, workers, CSP collector, API)",
		Long: "serve runs, in one process, the scheduler and job workers that check every\n" +
			"configured page, flow and web root at its interval, the CSP collector endpoint\n" +
			"(POST /r/{site-key}), the dashboard at / with its JSON API under /api/ (see\n" +
			"docs/API.md; a first run logs a one-time set-up link) and /healthz,\n" +
			"all on loopback unless the config says otherwise; /metrics has a listener of\n" +
			"its own. SIGHUP re-reads the config: the schedule, alert sinks and alerting\n" +
			"timings are replaced and running jobs go on (a config that does not validate\n" +
			"is refused and the old one kept).\n" +
			"--role collector runs only the collector and /healthz. See docs/SERVE.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile == "" {
				return usageErr("--config is required")
			}
			cfg, err := config.Load(configFile)
			if err != nil {
				return usageErr("%w", err)
			}
			ctx := cmd.Context()
			// Registered before anything starts: an early SIGHUP must not
			// take its default action and end the process.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan config.Config)
			go watchHUP(ctx, app, configFile, hup, reload)
			err = service.Serve(ctx, cfg, service.Options{Role: role, Logger: app.Logger, Reload: reload,
				Dashboard: web.Options{SecureCookies: secureCookies}})
			if err != nil {
				return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "config file (required; see docs/SERVE.md)")
	cmd.Flags().StringVar(&role, "role", service.RoleAll, "all, or collector (only the collector endpoint, for many behind a load balancer)")
	cmd.Flags().BoolVar(&secureCookies, "secure-cookies", false, "mark dashboard session cookies Secure (set it when the dashboard is reached over https, e.g. behind a TLS proxy)")
	return cmd
}

// watchHUP re-reads the config on SIGHUP and hands a valid one over.
func watchHUP(ctx context.Context, app *App, path string, hup <-chan os.Signal, reload chan<- config.Config) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		cfg, err := config.Load(path)
		if err != nil {
			fmt.Fprintf(app.Stderr, "skimwatch: config not reloaded, the running one is kept: %s\n", termtext.Escape(err.Error()))
			continue
		}
		select {
		case reload <- cfg:
		case <-ctx.Done():
			return
		}
	}
}
