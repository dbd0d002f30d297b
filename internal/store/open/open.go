// Package open opens a store.Store from a DSN. It is apart from package
// store so that store need not import its backends.
package open

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/postgres"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

// Open parses dsn with store.ParseDSN and opens that backend, applying any
// pending migrations. A nil logger logs nothing.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (store.Store, error) {
	d, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger.Debug("opening store", "dsn", d.Redacted())
	switch d.Backend {
	case store.BackendSQLite:
		s, err := sqlite.Open(ctx, d.Path, sqlite.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", d.Redacted(), err)
		}
		return s, nil
	case store.BackendPostgres:
		s, err := postgres.Open(ctx, d.URL, postgres.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", d.Redacted(), err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("open store: backend %q is not built in", d.Backend)
}
