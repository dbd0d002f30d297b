// Package sqlite is the embedded Store: one file, pure Go (modernc.org/sqlite),
// no server. It is the default for a single machine.
//
// Writes go through one connection (so writers in this process queue in Go
// instead of failing with SQLITE_BUSY) and start with BEGIN IMMEDIATE (so
// writers in other processes wait on busy_timeout rather than deadlock on a
// lock upgrade). Reads use a separate pool, which WAL lets run beside the
// writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configures Open. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Now is the clock for times the caller leaves zero (default time.Now).
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process's lock
	// (default 10s).
	BusyTimeout time.Duration
	// Readers caps the read connection pool (default 4).
	Readers int
}

// DB is the SQLite Store.
type DB struct {
	writer *sql.DB
	reader *sql.DB
	path   string
	log    *slog.Logger
	now    func() time.Time
}

var _ store.Store = (*DB)(nil)

// Open opens (creating when needed) the database at path, or a private
// in-memory one for store.Memory, and applies pending migrations. The parent
// directory is created with mode 0700.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 10 * time.Second
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if path == "" || strings.ContainsAny(path, "?\x00") {
		return nil, fmt.Errorf("sqlite: %w: database path %q", store.ErrInvalid, path)
	}
	d := &DB{path: path, log: opts.Logger.With("store", "sqlite"), now: opts.Now}
	params := "?_pragma=busy_timeout(" + strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10) + ")" +
		"&_pragma=foreign_keys(1)&_txlock=immediate"
	var err error
	if path == store.Memory {
		// Every connection to :memory: is its own database, so reads and
		// writes share the one connection.
		d.writer, err = sql.Open("sqlite", ":memory:"+params)
		if err != nil {
			return nil, fmt.Errorf("sqlite: open in-memory database: %w", err)
		}
		d.writer.SetMaxOpenConns(1)
		d.writer.SetConnMaxIdleTime(0)
		d.writer.SetConnMaxLifetime(0)
		d.reader = d.writer
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("sqlite: database path %q: %w", path, err)
		}
		d.path = abs
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", abs, err)
		}
		// Create the file private: it holds site key hashes and findings, and
		// SQLite gives its -wal and -shm files the database file's mode.
		if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("sqlite: create %s: %w", abs, err)
		}
		params += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
		if d.writer, err = sql.Open("sqlite", abs+params); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
		}
		d.writer.SetMaxOpenConns(1)
		if d.reader, err = sql.Open("sqlite", abs+params+"&_pragma=query_only(1)"); err != nil {
			d.writer.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
		}
		d.reader.SetMaxOpenConns(opts.Readers)
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	err := d.writer.Close()
	if d.reader != d.writer {
		err = errors.Join(err, d.reader.Close())
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Exec runs a statement directly on the writer connection. It exists for
// tests that must tamper with rows behind the Store's back.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := d.writer.ExecContext(ctx, query, args...)
	return err
}

// migrate applies the embedded migrations newer than schema_version, each in
// its own transaction together with its version row.
func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	slices.Sort(names)
	if _, err := d.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_version: %w", err)
	}
	latest := 0
	for _, name := range names {
		v, err := migrationVersion(name)
		if err != nil {
			return err
		}
		latest = max(latest, v)
	}
	var current int
	if err := d.writer.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&current); err != nil {
		return fmt.Errorf("sqlite: read schema_version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("sqlite: database schema is version %d, newer than this skimwatch knows (%d): upgrade skimwatch", current, latest)
	}
	for _, name := range names {
		v, err := migrationVersion(name)
		if err != nil {
			return err
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("sqlite: read %s: %w", name, err)
		}
		err = d.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_version WHERE version = ?", v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			d.log.Info("applying migration", "version", v)
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, applied) VALUES (?, ?)", v, micros(d.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
	}
	return nil
}

func migrationVersion(name string) (int, error) {
	base := filepath.Base(name)
	num, _, _ := strings.Cut(base, "_")
	v, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("sqlite: migration %s does not start with a version number", name)
	}
	return v, nil
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE through _txlock).
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

func micros(t time.Time) int64 { return store.Timestamp(t).UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// UpsertSite creates a site or replaces its key hash.
func (d *DB) UpsertSite(ctx context.Context, name string, keyHash []byte) error {
	if err := store.ValidateSite(name, keyHash); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var other string
		err := tx.QueryRowContext(ctx, "SELECT name FROM sites WHERE key_hash = ? AND name <> ?", keyHash, name).Scan(&other)
		if err == nil {
			return fmt.Errorf("%w: key hash already belongs to site %q", store.ErrInvalid, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sites (name, key_hash, created) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET key_hash = excluded.key_hash`, name, keyHash, micros(d.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: upsert site %q: %w", name, err)
	}
	return nil
}

// SiteByKeyHash returns the site with this key hash, or store.ErrNotFound.
func (d *DB) SiteByKeyHash(ctx context.Context, keyHash []byte) (store.Site, error) {
	var s store.Site
	var created int64
	err := d.reader.QueryRowContext(ctx, "SELECT name, key_hash, created FROM sites WHERE key_hash = ?", keyHash).
		Scan(&s.Name, &s.KeyHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Site{}, fmt.Errorf("sqlite: site by key hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Site{}, fmt.Errorf("sqlite: site by key hash: %w", err)
	}
	s.Created = fromMicros(created)
	return s, nil
}

// Sites lists all sites by name.
func (d *DB) Sites(ctx context.Context) ([]store.Site, error) {
	rows, err := d.reader.QueryContext(ctx, "SELECT name, key_hash, created FROM sites ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("sqlite: sites: %w", err)
	}
	defer rows.Close()
	var out []store.Site
	for rows.Next() {
		var s store.Site
		var created int64
		if err := rows.Scan(&s.Name, &s.KeyHash, &created); err != nil {
			return nil, fmt.Errorf("sqlite: sites: %w", err)
		}
		s.Created = fromMicros(created)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sites: %w", err)
	}
	return out, nil
}

// MergeReportAggregates merges a batch; see store.Store.
func (d *DB) MergeReportAggregates(ctx context.Context, batchID string, aggs []store.ReportAggregate) error {
	prepared, err := store.PrepareAggregates(aggs)
	if err != nil {
		return fmt.Errorf("sqlite: merge aggregates: %w", err)
	}
	if len(prepared) == 0 {
		return nil
	}
	err = d.tx(ctx, func(tx *sql.Tx) error {
		if batchID != "" {
			res, err := tx.ExecContext(ctx, "INSERT INTO report_batches (id, applied) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
				batchID, micros(d.now()))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				d.log.Debug("skipping a batch already merged", "batch", batchID)
				return nil
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM report_batches WHERE applied < ?",
			micros(d.now().Add(-store.BatchRetention))); err != nil {
			return err
		}
		sel, err := tx.PrepareContext(ctx, `SELECT kind, count, client_hashes, first_seen, last_seen, sample
			FROM report_aggregates WHERE site = ? AND directive = ? AND blocked = ? AND source_file = ?
			AND document_path = ? AND disposition = ?`)
		if err != nil {
			return err
		}
		defer sel.Close()
		up, err := tx.PrepareContext(ctx, `INSERT INTO report_aggregates (site, directive, blocked, source_file,
			document_path, disposition, kind, count, client_hashes, first_seen, last_seen, sample)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, directive, blocked, source_file, document_path, disposition) DO UPDATE SET
			kind = excluded.kind, count = excluded.count, client_hashes = excluded.client_hashes,
			first_seen = excluded.first_seen, last_seen = excluded.last_seen, sample = excluded.sample`)
		if err != nil {
			return err
		}
		defer up.Close()
		for _, a := range prepared {
			// Read-merge-write is safe here: this is the only writer
			// connection and the transaction holds the write lock.
			var old store.ReportAggregate
			var hashes string
			var first, last int64
			err := sel.QueryRowContext(ctx, a.Site, a.Directive, a.Blocked, a.SourceFile, a.DocumentPath, a.Disposition).
				Scan(&old.Kind, &old.Count, &hashes, &first, &last, &old.Sample)
			switch {
			case err == nil:
				old.Site, old.Directive, old.Blocked = a.Site, a.Directive, a.Blocked
				old.SourceFile, old.DocumentPath, old.Disposition = a.SourceFile, a.DocumentPath, a.Disposition
				old.FirstSeen, old.LastSeen = fromMicros(first), fromMicros(last)
				if err := json.Unmarshal([]byte(hashes), &old.ClientHashes); err != nil {
					return fmt.Errorf("stored client hashes: %w", err)
				}
				a = old.Merge(a)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			hj, err := json.Marshal(nonNil(a.ClientHashes))
			if err != nil {
				return err
			}
			if _, err := up.ExecContext(ctx, a.Site, a.Directive, a.Blocked, a.SourceFile, a.DocumentPath, a.Disposition,
				a.Kind, a.Count, string(hj), micros(a.FirstSeen), micros(a.LastSeen), a.Sample); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: merge %d aggregates: %w", len(prepared), err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ReportAggregates returns aggregates matching q, newest LastSeen first.
func (d *DB) ReportAggregates(ctx context.Context, q store.AggregateQuery) ([]store.ReportAggregate, error) {
	var where []string
	var args []any
	if q.Site != "" {
		where, args = append(where, "site = ?"), append(args, q.Site)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "last_seen >= ?"), append(args, micros(q.Since))
	}
	if q.Blocked != "" {
		where, args = append(where, "blocked = ?"), append(args, q.Blocked)
	}
	if q.DocumentPrefix != "" {
		where, args = append(where, "instr(document_path, ?) = 1"), append(args, q.DocumentPrefix)
	}
	query := `SELECT site, directive, kind, blocked, source_file, document_path, disposition, count,
		client_hashes, first_seen, last_seen, sample FROM report_aggregates` + whereClause(where) +
		` ORDER BY last_seen DESC, site, directive, blocked, source_file, document_path, disposition` + limitClause(q.Limit)
	rows, err := d.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: report aggregates: %w", err)
	}
	defer rows.Close()
	var out []store.ReportAggregate
	for rows.Next() {
		var a store.ReportAggregate
		var hashes string
		var first, last int64
		if err := rows.Scan(&a.Site, &a.Directive, &a.Kind, &a.Blocked, &a.SourceFile, &a.DocumentPath, &a.Disposition,
			&a.Count, &hashes, &first, &last, &a.Sample); err != nil {
			return nil, fmt.Errorf("sqlite: report aggregates: %w", err)
		}
		if err := json.Unmarshal([]byte(hashes), &a.ClientHashes); err != nil {
			return nil, fmt.Errorf("sqlite: report aggregates: stored client hashes: %w", err)
		}
		a.Clients = len(a.ClientHashes)
		a.FirstSeen, a.LastSeen = fromMicros(first), fromMicros(last)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: report aggregates: %w", err)
	}
	return out, nil
}

// PruneReportAggregates deletes aggregates last seen before before.
func (d *DB) PruneReportAggregates(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM report_aggregates WHERE last_seen < ?", micros(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune report aggregates: %w", err)
	}
	return n, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func limitClause(n int) string {
	if n <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// ApproveSource adds a source to a site's approved inventory.
func (d *DB) ApproveSource(ctx context.Context, s store.ApprovedSource) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("sqlite: approve source: %w", err)
	}
	if s.Time.IsZero() {
		s.Time = d.now()
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO approved_sources (site, directive, value, origin, time)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (site, directive, value) DO NOTHING`,
			s.Site, s.Directive, s.Value, s.Origin, micros(s.Time))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: approve source: %w", err)
	}
	return nil
}

// ApprovedSources lists a site's approved sources.
func (d *DB) ApprovedSources(ctx context.Context, site string) ([]store.ApprovedSource, error) {
	rows, err := d.reader.QueryContext(ctx, `SELECT site, directive, value, origin, time FROM approved_sources
		WHERE site = ? ORDER BY directive, value`, site)
	if err != nil {
		return nil, fmt.Errorf("sqlite: approved sources: %w", err)
	}
	defer rows.Close()
	var out []store.ApprovedSource
	for rows.Next() {
		var s store.ApprovedSource
		var t int64
		if err := rows.Scan(&s.Site, &s.Directive, &s.Value, &s.Origin, &t); err != nil {
			return nil, fmt.Errorf("sqlite: approved sources: %w", err)
		}
		s.Time = fromMicros(t)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: approved sources: %w", err)
	}
	return out, nil
}

// PutFinding upserts a finding by (f.Site, key).
func (d *DB) PutFinding(ctx context.Context, key string, f finding.Finding) (bool, error) {
	p, err := d.prepareFinding(key, f)
	if err != nil {
		return false, fmt.Errorf("sqlite: put finding: %w", err)
	}
	var created bool
	err = d.tx(ctx, func(tx *sql.Tx) error {
		created, err = putFinding(ctx, tx, p)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: put finding %q: %w", p.f.Kind, err)
	}
	return created, nil
}

func evidence(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// Findings returns stored findings matching q (see store.FindingsSQL).
func (d *DB) Findings(ctx context.Context, q store.FindingQuery) ([]store.StoredFinding, error) {
	var args []any
	query := store.FindingsSQL(q, func(v any) string { args = append(args, v); return "?" },
		func(t time.Time) any { return micros(t) }, "f.evidence")
	rows, err := d.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: findings: %w", err)
	}
	defer rows.Close()
	var out []store.StoredFinding
	for rows.Next() {
		var f store.StoredFinding
		var sev int
		var ev, state string
		var first, last int64
		var dState, dReason, dActor sql.NullString
		var dTime, dSev, dSeen sql.NullInt64
		if err := rows.Scan(&f.Site, &f.Key, &sev, &f.Kind, &f.Message, &ev, &f.Source, &f.URL, &f.Path, &f.Rule,
			&f.Count, &first, &last, &state, &dState, &dReason, &dActor, &dTime, &dSev, &dSeen); err != nil {
			return nil, fmt.Errorf("sqlite: findings: %w", err)
		}
		f.Severity = finding.Severity(sev)
		if err := json.Unmarshal([]byte(ev), &f.Evidence); err != nil {
			return nil, fmt.Errorf("sqlite: findings: stored evidence of %q: %w", f.Key, err)
		}
		f.FirstSeen, f.LastSeen = fromMicros(first), fromMicros(last)
		f.Time = f.LastSeen
		f.State = store.FindingState(state)
		if dState.Valid {
			f.Decision = &store.FindingDecision{Site: f.Site, Key: f.Key, State: store.FindingState(dState.String),
				Reason: dReason.String, Actor: dActor.String, Time: fromMicros(dTime.Int64),
				Severity: finding.Severity(dSev.Int64), LastSeen: fromMicros(dSeen.Int64)}
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: findings: %w", err)
	}
	return out, nil
}

// AppendEvent appends to the hash-chained log. The write lock taken by BEGIN
// IMMEDIATE makes reading the head and inserting after it one atomic step,
// across goroutines and processes; the UNIQUE prev_hash column refuses a
// fork even if that assumption were ever broken.
func (d *DB) AppendEvent(ctx context.Context, e store.Event) (store.Event, error) {
	e, err := store.PrepareEvent(e, d.now)
	if err != nil {
		return store.Event{}, fmt.Errorf("sqlite: append event: %w", err)
	}
	err = d.tx(ctx, func(tx *sql.Tx) error {
		e, err = appendEvent(ctx, tx, e)
		return err
	})
	if err != nil {
		return store.Event{}, fmt.Errorf("sqlite: append event %q: %w", e.Type, err)
	}
	return e, nil
}

// Events returns events matching q in Seq order.
func (d *DB) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	var where []string
	var args []any
	if q.Site != "" {
		where, args = append(where, "site = ?"), append(args, q.Site)
	}
	if q.Type != "" {
		where, args = append(where, "type = ?"), append(args, q.Type)
	}
	if q.AfterSeq > 0 {
		where, args = append(where, "seq > ?"), append(args, q.AfterSeq)
	}
	if q.BeforeSeq > 0 {
		where, args = append(where, "seq < ?"), append(args, q.BeforeSeq)
	}
	order := " ORDER BY seq"
	if q.Newest {
		order += " DESC"
	}
	var out []store.Event
	err := d.scanEvents(ctx, `SELECT seq, time, site, type, actor, data, prev_hash, hash FROM events`+
		whereClause(where)+order+limitClause(q.Limit), args, func(e store.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: events: %w", err)
	}
	return out, nil
}

func (d *DB) scanEvents(ctx context.Context, query string, args []any, fn func(store.Event) error) error {
	rows, err := d.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e store.Event
		var t int64
		var data string
		if err := rows.Scan(&e.Seq, &t, &e.Site, &e.Type, &e.Actor, &data, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		e.Time, e.Data = fromMicros(t), json.RawMessage(data)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// VerifyEvents walks the whole chain in one read transaction.
func (d *DB) VerifyEvents(ctx context.Context) (int, error) {
	var v store.ChainVerifier
	err := d.scanEvents(ctx, `SELECT seq, time, site, type, actor, data, prev_hash, hash FROM events ORDER BY seq`, nil, v.Next)
	var ce *store.ChainError
	if errors.As(err, &ce) {
		return v.N(), ce
	}
	if err != nil {
		return v.N(), fmt.Errorf("sqlite: verify events: %w", err)
	}
	return v.N(), nil
}

// PutCheckRun records a check run and its honey values; see store.Store.
func (d *DB) PutCheckRun(ctx context.Context, r store.CheckRun) error {
	p, err := d.prepareCheckRun(r)
	if err != nil {
		return fmt.Errorf("sqlite: put check run: %w", err)
	}
	err = d.tx(ctx, func(tx *sql.Tx) error { return putCheckRun(ctx, tx, p) })
	if err != nil {
		return fmt.Errorf("sqlite: put check run %s: %w", p.r.CheckID, err)
	}
	return nil
}

// CheckRunsByHoney returns the runs that typed value; see store.Store.
func (d *DB) CheckRunsByHoney(ctx context.Context, value string) ([]store.CheckRun, error) {
	rows, err := d.reader.QueryContext(ctx, `SELECT r.check_id, r.site, r.target, r.started, r.honey
		FROM check_honey h JOIN check_runs r ON r.check_id = h.check_id
		WHERE h.value = ? ORDER BY r.started DESC, r.check_id`, store.HoneyKey(value))
	if err != nil {
		return nil, fmt.Errorf("sqlite: check runs by honey: %w", err)
	}
	defer rows.Close()
	out := []store.CheckRun{}
	for rows.Next() {
		var r store.CheckRun
		var started int64
		var honey string
		if err := rows.Scan(&r.CheckID, &r.Site, &r.Target, &started, &honey); err != nil {
			return nil, fmt.Errorf("sqlite: check runs by honey: %w", err)
		}
		r.Time = fromMicros(started)
		if err := json.Unmarshal([]byte(honey), &r.Honey); err != nil {
			return nil, fmt.Errorf("sqlite: check run %s: stored honey values: %w", r.CheckID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: check runs by honey: %w", err)
	}
	return out, nil
}

func honeyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
