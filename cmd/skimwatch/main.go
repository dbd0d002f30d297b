// Command skimwatch catches web skimming. See the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/skimwatch/skimwatch/internal/cli"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:])
	stop()
	if code := exitCode(os.Stderr, err); code != 0 {
		os.Exit(code)
	}
}

// exitCode prints err (if any) and returns the process's exit code. Error
// messages often quote paths and URLs from the attacker's side, so they are
// escaped like every other text output.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var ee *finding.ExitError
	if errors.As(err, &ee) {
		if !errors.Is(ee, finding.ErrFindings) && ee.Err != nil {
			fmt.Fprintln(stderr, "skimwatch:", termtext.Escape(ee.Err.Error()))
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "skimwatch:", termtext.Escape(err.Error()))
	return finding.ExitIncomplete
}
