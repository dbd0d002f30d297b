package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// storeFlag registers --store on a command that reads or writes the store.
// The flag's own default is empty and openStore resolves it with
// store.DSNFromEnv (flag, else $SKIMWATCH_STORE, else the embedded SQLite
// file), so that a PostgreSQL password in the environment never shows up
// in --help.
func storeFlag(cmd *cobra.Command) *string {
	dsn := new(string)
	cmd.Flags().StringVar(dsn, "store", "",
		"store DSN: sqlite://PATH, sqlite::memory: or postgres://... (default $"+store.EnvStore+", else "+store.DefaultDSN()+")")
	return dsn
}

// openStore opens the store named by a --store value. A DSN that does not
// parse is a usage error (exit 2); so is a store that cannot be opened,
// since nothing the command was asked for could be done.
func openStore(ctx context.Context, app *App, dsn string) (store.Store, error) {
	s, err := open.Open(ctx, store.DSNFromEnv(dsn), app.Logger)
	if errors.Is(err, store.ErrInvalid) {
		return nil, usageErr("--store: %w", err)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseSince reads a --since value: a duration back from now ("90m", "24h",
// "7d") or an RFC 3339 time. An empty value means no limit (zero time).
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return time.Time{}, fmt.Errorf("--since %q: want a duration such as 24h or 7d, or an RFC 3339 time", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return time.Time{}, fmt.Errorf("--since %q: want a duration such as 24h or 7d, or an RFC 3339 time", s)
		}
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: a duration back from now cannot be negative", s)
	}
	return now.Add(-d), nil
}
