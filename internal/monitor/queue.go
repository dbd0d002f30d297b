package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, as the store uses
)

// queue is what the monitor uses of a River client; river.Client[*sql.Tx]
// (SQLite) and river.Client[pgx.Tx] (PostgreSQL) both have it.
type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// openQueue opens the queue named by dsn: postgres:// or postgresql:// for
// PostgreSQL, else a SQLite file path (sqlite://PATH also accepted). The
// schema is migrated up first. close releases the database once the client
// has stopped.
func openQueue(ctx context.Context, dsn string, cfg *river.Config) (q queue, close func(), err error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("open queue: %w", err)
		}
		driver := riverpgxv5.New(pool)
		if err := migrate(ctx, driver); err != nil {
			pool.Close()
			return nil, nil, err
		}
		c, err := river.NewClient(driver, cfg)
		if err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("queue client: %w", err)
		}
		return c, pool.Close, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("queue directory: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, nil, fmt.Errorf("open queue: %w", err)
	}
	// SQLite runs one writer at a time; River's driver documentation asks
	// for one connection so its parallel maintenance never sees SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	closeDB := func() { _ = db.Close() }
	driver := riversqlite.New(db)
	if err := migrate(ctx, driver); err != nil {
		closeDB()
		return nil, nil, err
	}
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("queue client: %w", err)
	}
	return c, closeDB, nil
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	return nil
}
