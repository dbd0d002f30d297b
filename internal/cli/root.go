// Package cli holds skimwatch's commands, one file per command. Commands
// return errors; only main turns them into an exit code.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// App is what every command shares: where to write and how to log.
type App struct {
	Stdout io.Writer
	Stderr io.Writer
	Logger *slog.Logger
	// Verbose turns on debug logging.
	Verbose bool
}

// NewRootCommand builds the command tree.
func NewRootCommand(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "skimwatch",
		Short: "Catch web skimming on payment and registration pages",
		Long: "skimwatch watches the pages where customers type card and personal data,\n" +
			"and the servers behind them, and tells you when that data could go to an attacker.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelWarn
			if app.Verbose {
				level = slog.LevelDebug
			}
			// Logs are written to disk by whoever runs us: no card number
			// may reach them, whatever a detector put in a message.
			app.Logger = slog.New(card.LogHandler(slog.NewTextHandler(app.Stderr, &slog.HandlerOptions{Level: level})))
		},
	}
	root.SetOut(app.Stdout)
	root.SetErr(app.Stderr)
	root.PersistentFlags().BoolVarP(&app.Verbose, "verbose", "v", false, "log debug detail to stderr")
	app.Logger = slog.New(slog.DiscardHandler)

	// One line per command; each command lives in its own file.
	for _, add := range commands {
		root.AddCommand(add(app))
	}
	return root
}

// commands is appended to by each command file's init, so that files can be
// added without editing this one.
var commands []func(*App) *cobra.Command

func register(f func(*App) *cobra.Command) { commands = append(commands, f) }

// Execute runs the command tree with the process's arguments.
func Execute(ctx context.Context, args []string) error {
	app := &App{Stdout: os.Stdout, Stderr: os.Stderr}
	root := NewRootCommand(app)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// usageErr is a bad-usage error: exit code 2, with a message that says what
// was wrong.
func usageErr(format string, a ...any) error {
	return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf(format, a...)}
}
