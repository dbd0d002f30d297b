package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
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
	d, err := config.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a duration such as 24h or 7d, or an RFC 3339 time", s)
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: a duration back from now cannot be negative", s)
	}
	return now.Add(-d), nil
}

// siteStore is the pair of flags every detector command uses to keep what it
// found: --store (opt-in: nothing is written unless it or $SKIMWATCH_STORE
// is set) and --site, the name findings are filed under.
type siteStore struct {
	dsn  *string
	site string
}

func addSiteStore(cmd *cobra.Command) *siteStore {
	s := &siteStore{dsn: storeFlag(cmd)}
	cmd.Flags().StringVar(&s.site, "site", "", "site name the findings are filed under")
	return s
}

// enabled reports whether the user asked for the findings to be kept.
func (s *siteStore) enabled() bool {
	return *s.dsn != "" || os.Getenv(store.EnvStore) != ""
}

// save upserts the findings and appends events (each a record of what one
// run saw) to the hash-chained log. A failure marks the report incomplete
// rather than failing silently: the run happened, but its record did not.
func (s *siteStore) save(ctx context.Context, app *App, r *finding.Report, events ...store.Event) {
	s.saveRuns(ctx, app, r, nil, events...)
}

// saveRuns is save plus the check runs (honey values only) that let a
// leaked honey value name its check.
func (s *siteStore) saveRuns(ctx context.Context, app *App, r *finding.Report, runs []store.CheckRun, events ...store.Event) {
	if !s.enabled() {
		return
	}
	if err := s.putAll(ctx, app, r.Findings, events, runs); err != nil {
		r.MarkIncomplete("findings not saved to the store: " + err.Error())
	}
}

// saveSources keeps the source of every script the checks saw, so that a
// changed script's finding can be shown as a diff. The findings stand
// without it, so a failure is a warning, not an incomplete run.
func (s *siteStore) saveSources(ctx context.Context, app *App, obs []*observation.Observation) {
	if !s.enabled() {
		return
	}
	st, err := openStore(ctx, app, *s.dsn)
	if err == nil {
		err = checkrun.SaveSources(ctx, st, obs)
		st.Close()
	}
	if err != nil {
		app.Logger.Warn("script sources not saved to the store", "err", err)
	}
}

func (s *siteStore) put(ctx context.Context, app *App, fs []finding.Finding, events []store.Event) error {
	return s.putAll(ctx, app, fs, events, nil)
}

func (s *siteStore) putAll(ctx context.Context, app *App, fs []finding.Finding, events []store.Event, runs []store.CheckRun) error {
	st, err := openStore(ctx, app, *s.dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	return record.Put(ctx, st, s.site, fs, runs, events)
}
