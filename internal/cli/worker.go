package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/service"
	"github.com/skimwatch/skimwatch/internal/store"
)

func init() { register(newWorkerCmd) }

func newWorkerCmd(app *App) *cobra.Command {
	var (
		chromium    string
		concurrency int
		configFile  string
		name        string
		dsn         *string
	)
	cmd := &cobra.Command{
		Use:   "worker --store postgres://...",
		Short: "Run only job workers on the PostgreSQL queue that serve schedules into",
		Long: "worker runs browser checks and other jobs queued by `skimwatch serve` in the\n" +
			"same PostgreSQL database, on any number of machines. Jobs carry what they\n" +
			"need; give it serve's --config so that its runs raise alerts through the\n" +
			"same sinks (SIGHUP re-reads them). Baseline files named in the config\n" +
			"must be readable at the same path on every worker machine. See docs/SERVE.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := store.DSNFromEnv(*dsn)
			if _, err := store.ParseDSN(d); err != nil {
				return usageErr("--store: %w", err)
			}
			opts := service.WorkerOptions{Logger: app.Logger, Chromium: chromium, Concurrency: concurrency}
			opts.Monitor.ID = name
			if configFile != "" {
				cfg, err := config.Load(configFile)
				if err != nil {
					return usageErr("--config: %w", err)
				}
				opts.Config = &cfg
				// SIGHUP re-reads the config's alert sinks, as serve does,
				// so that both send queued alerts through the same sinks.
				hup := make(chan os.Signal, 1)
				signal.Notify(hup, syscall.SIGHUP)
				defer signal.Stop(hup)
				reload := make(chan config.Config)
				go watchHUP(cmd.Context(), app, configFile, hup, reload)
				opts.Reload = reload
			}
			err := service.Work(cmd.Context(), d, opts)
			if err != nil {
				return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&chromium, "chromium", "", "Chromium binary (default: $SKIMWATCH_CHROMIUM, then chromium in PATH)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 2, "checks run at once")
	cmd.Flags().StringVar(&configFile, "config", "", "serve's config file, read only for its alert sinks: without it, the runs of this worker alert nobody")
	cmd.Flags().StringVar(&name, "name", "", "this worker's name in the queue (the worker of each run in /api/runs; default host name and start time)")
	dsn = storeFlag(cmd)
	return cmd
}
