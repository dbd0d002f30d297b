// Command skimwatch catches web skimming. See the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/skimwatch/skimwatch/internal/cli"
	"github.com/skimwatch/skimwatch/internal/finding"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:])
	stop()
	if err == nil {
		return
	}
	var ee *finding.ExitError
	if errors.As(err, &ee) {
		if !errors.Is(ee, finding.ErrFindings) && ee.Err != nil {
			fmt.Fprintln(os.Stderr, "skimwatch:", ee.Err)
		}
		os.Exit(ee.Code)
	}
	fmt.Fprintln(os.Stderr, "skimwatch:", err)
	os.Exit(finding.ExitIncomplete)
}
