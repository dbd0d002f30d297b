// Package postgres is the shared Store for many machines: any number of
// collectors and workers write to one PostgreSQL database through pgx/v5.
//
// Aggregates and findings are merged in SQL (INSERT ... ON CONFLICT DO
// UPDATE), so concurrent writers on different machines need no lock beyond
// the row's. Event appends take a table lock, because each one must read the
// chain's head before it writes.
package postgres

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations when
// several processes start at once.
const migrationLock = 0x736b696d // "skim"

// Options configures Open. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Now is the clock for times the caller leaves zero (default time.Now).
	Now func() time.Time
	// MaxConns caps the pool (default: pgxpool's, max(4, CPUs)).
	MaxConns int32
}

// DB is the PostgreSQL Store.
type DB struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
}

var _ store.Store = (*DB)(nil)

// Open connects to the database named by url (a postgres:// URL; parameters
// pgx does not know, such as search_path, are sent as run-time settings),
// checks that it answers and applies pending migrations.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, fmt.Errorf("postgres: %w: the connection URL does not parse", store.ErrInvalid)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	d := &DB{pool: pool, log: opts.Logger.With("store", "postgres"), now: opts.Now}
	if err := d.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Exec runs a statement directly. It exists for tests that must tamper with
// rows behind the Store's back.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := d.pool.Exec(ctx, query, args...)
	return err
}

func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: list migrations: %w", err)
	}
	slices.Sort(names)
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL)`); err != nil {
			return err
		}
		versions := make([]int, len(names))
		for i, name := range names {
			num, _, _ := strings.Cut(filepath.Base(name), "_")
			v, err := strconv.Atoi(num)
			if err != nil {
				return fmt.Errorf("migration %s does not start with a version number", name)
			}
			versions[i] = v
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&current); err != nil {
			return err
		}
		if latest := slices.Max(versions); current > latest {
			return fmt.Errorf("database schema is version %d, newer than this skimwatch knows (%d): upgrade skimwatch", current, latest)
		}
		for i, name := range names {
			v := versions[i]
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_version WHERE version = $1", v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			d.log.Info("applying migration", "version", v)
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version (version, applied) VALUES ($1, $2)", v, store.Timestamp(d.now())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

func utc(t time.Time) time.Time { return t.UTC() }

// UpsertSite creates a site or replaces its key hash.
func (d *DB) UpsertSite(ctx context.Context, name string, keyHash []byte) error {
	if err := store.ValidateSite(name, keyHash); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	_, err := d.pool.Exec(ctx, `INSERT INTO sites (name, key_hash, created) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET key_hash = excluded.key_hash`, name, keyHash, store.Timestamp(d.now()))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("postgres: upsert site %q: %w: key hash already belongs to another site", name, store.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("postgres: upsert site %q: %w", name, err)
	}
	return nil
}

// SiteByKeyHash returns the site with this key hash, or store.ErrNotFound.
func (d *DB) SiteByKeyHash(ctx context.Context, keyHash []byte) (store.Site, error) {
	var s store.Site
	err := d.pool.QueryRow(ctx, "SELECT name, key_hash, created FROM sites WHERE key_hash = $1", keyHash).
		Scan(&s.Name, &s.KeyHash, &s.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Site{}, fmt.Errorf("postgres: site by key hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Site{}, fmt.Errorf("postgres: site by key hash: %w", err)
	}
	s.Created = utc(s.Created)
	return s, nil
}

// Sites lists all sites by name.
func (d *DB) Sites(ctx context.Context) ([]store.Site, error) {
	rows, _ := d.pool.Query(ctx, "SELECT name, key_hash, created FROM sites ORDER BY name")
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Site, error) {
		var s store.Site
		err := r.Scan(&s.Name, &s.KeyHash, &s.Created)
		s.Created = utc(s.Created)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: sites: %w", err)
	}
	return out, nil
}

// mergeAggregates is store.ReportAggregate.Merge in SQL, for a whole batch
// in one statement: the rows arrive as parallel arrays (client hashes as one
// JSON array per row, since SQL arrays cannot be ragged). The batch holds
// each key once (store.PrepareAggregates folds them), which ON CONFLICT DO
// UPDATE requires. The LIMIT is store.MaxClientHashes; the constant below
// stops the build if they differ.
const mergeAggregates = `INSERT INTO report_aggregates AS r (digest, site, directive, blocked, source_file,
	document_path, disposition, kind, count, client_hashes, first_seen, last_seen, sample)
SELECT x.digest, x.site, x.directive, x.blocked, x.source_file, x.document_path, x.disposition, x.kind, x.count,
	ARRAY(SELECT e FROM jsonb_array_elements_text(x.hashes::jsonb) WITH ORDINALITY AS t(e, i) ORDER BY i),
	x.first_seen, x.last_seen, x.sample
FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::bigint[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[])
	AS x(digest, site, directive, blocked, source_file, document_path, disposition, kind, count, hashes,
	first_seen, last_seen, sample)
ORDER BY x.digest
ON CONFLICT (digest) DO UPDATE SET
	count = r.count + excluded.count,
	first_seen = LEAST(r.first_seen, excluded.first_seen),
	last_seen = GREATEST(r.last_seen, excluded.last_seen),
	client_hashes = ARRAY(SELECT DISTINCT h COLLATE "C" FROM unnest(r.client_hashes || excluded.client_hashes) AS h
		ORDER BY h COLLATE "C" LIMIT 64),
	kind = CASE WHEN r.kind = '' THEN excluded.kind ELSE r.kind END,
	sample = CASE WHEN r.sample = '' THEN excluded.sample ELSE r.sample END`

const _ = uint(store.MaxClientHashes-64) + uint(64-store.MaxClientHashes)

// MergeReportAggregates merges a batch in one transaction and one round trip.
func (d *DB) MergeReportAggregates(ctx context.Context, batchID string, aggs []store.ReportAggregate) error {
	prepared, err := store.PrepareAggregates(aggs)
	if err != nil {
		return fmt.Errorf("postgres: merge aggregates: %w", err)
	}
	if len(prepared) == 0 {
		return nil
	}
	type row struct {
		digest []byte
		a      store.ReportAggregate
	}
	rows := make([]row, len(prepared))
	for i, a := range prepared {
		rows[i] = row{a.Key().Digest(), a}
	}
	// Rows locked in one order by every writer cannot deadlock (the
	// statement also orders by digest; sorting here keeps that true
	// whatever plan the server picks for the unnest).
	slices.SortFunc(rows, func(x, y row) int { return bytes.Compare(x.digest, y.digest) })
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if batchID != "" {
			tag, err := tx.Exec(ctx, "INSERT INTO report_batches (id, applied) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
				batchID, store.Timestamp(d.now()))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				d.log.Debug("skipping a batch already merged", "batch", batchID)
				return nil
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM report_batches WHERE applied < $1",
			store.Timestamp(d.now().Add(-store.BatchRetention))); err != nil {
			return err
		}
		n := len(rows)
		var (
			digests                                 = make([][]byte, n)
			sites, directives, blocked, sourceFiles = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			docPaths, dispositions, kinds, hashes   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			samples                                 = make([]string, n)
			counts                                  = make([]int64, n)
			firsts, lasts                           = make([]time.Time, n), make([]time.Time, n)
		)
		for i, r := range rows {
			a := r.a
			h, err := json.Marshal(nonNil(a.ClientHashes))
			if err != nil {
				return err
			}
			digests[i], sites[i], directives[i], blocked[i] = r.digest, a.Site, a.Directive, a.Blocked
			sourceFiles[i], docPaths[i], dispositions[i], kinds[i] = a.SourceFile, a.DocumentPath, a.Disposition, a.Kind
			counts[i], hashes[i], firsts[i], lasts[i], samples[i] = a.Count, string(h), a.FirstSeen, a.LastSeen, a.Sample
		}
		_, err := tx.Exec(ctx, mergeAggregates, digests, sites, directives, blocked, sourceFiles, docPaths,
			dispositions, kinds, counts, hashes, firsts, lasts, samples)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: merge %d aggregates: %w", len(prepared), err)
	}
	return nil
}

// args numbers query parameters as they are added.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
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

// ReportAggregates returns aggregates matching q, newest LastSeen first.
func (d *DB) ReportAggregates(ctx context.Context, q store.AggregateQuery) ([]store.ReportAggregate, error) {
	var where []string
	var a args
	if q.Site != "" {
		where = append(where, "site = "+a.add(q.Site))
	}
	if !q.Since.IsZero() {
		where = append(where, "last_seen >= "+a.add(store.Timestamp(q.Since)))
	}
	if q.Blocked != "" {
		where = append(where, "blocked = "+a.add(q.Blocked))
	}
	if q.DocumentPrefix != "" {
		where = append(where, "starts_with(document_path, "+a.add(q.DocumentPrefix)+")")
	}
	rows, _ := d.pool.Query(ctx, `SELECT site, directive, kind, blocked, source_file, document_path, disposition,
		count, client_hashes, first_seen, last_seen, sample FROM report_aggregates`+whereClause(where)+
		` ORDER BY last_seen DESC, site, directive, blocked, source_file, document_path, disposition`+limitClause(q.Limit), a...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ReportAggregate, error) {
		var x store.ReportAggregate
		err := r.Scan(&x.Site, &x.Directive, &x.Kind, &x.Blocked, &x.SourceFile, &x.DocumentPath, &x.Disposition,
			&x.Count, &x.ClientHashes, &x.FirstSeen, &x.LastSeen, &x.Sample)
		x.FirstSeen, x.LastSeen = utc(x.FirstSeen), utc(x.LastSeen)
		x.Clients = len(x.ClientHashes)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: report aggregates: %w", err)
	}
	return out, nil
}

// PruneReportAggregates deletes aggregates last seen before before.
func (d *DB) PruneReportAggregates(ctx context.Context, before time.Time) (int64, error) {
	tag, err := d.pool.Exec(ctx, "DELETE FROM report_aggregates WHERE last_seen < $1", store.Timestamp(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune report aggregates: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ApproveSource adds a source to a site's approved inventory.
func (d *DB) ApproveSource(ctx context.Context, s store.ApprovedSource) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("postgres: approve source: %w", err)
	}
	if s.Time.IsZero() {
		s.Time = d.now()
	}
	_, err := d.pool.Exec(ctx, `INSERT INTO approved_sources (digest, site, directive, value, origin, time)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING`,
		s.Digest(), s.Site, s.Directive, s.Value, s.Origin, store.Timestamp(s.Time))
	if err != nil {
		return fmt.Errorf("postgres: approve source: %w", err)
	}
	return nil
}

// ApprovedSources lists a site's approved sources.
func (d *DB) ApprovedSources(ctx context.Context, site string) ([]store.ApprovedSource, error) {
	rows, _ := d.pool.Query(ctx, `SELECT site, directive, value, origin, time FROM approved_sources
		WHERE site = $1 ORDER BY directive, value`, site)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ApprovedSource, error) {
		var s store.ApprovedSource
		err := r.Scan(&s.Site, &s.Directive, &s.Value, &s.Origin, &s.Time)
		s.Time = utc(s.Time)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: approved sources: %w", err)
	}
	return out, nil
}

// putFinding keeps the row's content on the most recent sighting, so that a
// finding replayed out of order does not roll its message back. xmax = 0
// holds only for a row this statement inserted.
const putFinding = `INSERT INTO findings AS f (site, key, severity, kind, message, evidence, source, url, path,
	rule, count, first_seen, last_seen)
VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, 1, $11, $11)
ON CONFLICT (site, key) DO UPDATE SET
	count = f.count + 1,
	first_seen = LEAST(f.first_seen, excluded.first_seen),
	last_seen = GREATEST(f.last_seen, excluded.last_seen),
	severity = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.severity ELSE f.severity END,
	kind = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.kind ELSE f.kind END,
	message = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.message ELSE f.message END,
	evidence = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.evidence ELSE f.evidence END,
	source = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.source ELSE f.source END,
	url = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.url ELSE f.url END,
	path = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.path ELSE f.path END,
	rule = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.rule ELSE f.rule END
RETURNING (xmax = 0)`

// PutFinding upserts a finding by (f.Site, key).
func (d *DB) PutFinding(ctx context.Context, key string, f finding.Finding) (bool, error) {
	p, err := d.prepareFinding(key, f)
	if err != nil {
		return false, fmt.Errorf("postgres: put finding: %w", err)
	}
	created, err := putFindingIn(ctx, d.pool, p)
	if err != nil {
		return false, fmt.Errorf("postgres: put finding %q: %w", p.f.Kind, err)
	}
	return created, nil
}

// Findings returns stored findings matching q (see store.FindingsSQL).
func (d *DB) Findings(ctx context.Context, q store.FindingQuery) ([]store.StoredFinding, error) {
	var a args
	query := store.FindingsSQL(q, a.add, func(t time.Time) any { return store.Timestamp(t) }, "f.evidence::text")
	rows, _ := d.pool.Query(ctx, query, a...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.StoredFinding, error) {
		var f store.StoredFinding
		var sev int
		var ev, state string
		var dState, dReason, dActor *string
		var dTime, dSeen *time.Time
		var dSev *int
		if err := r.Scan(&f.Site, &f.Key, &sev, &f.Kind, &f.Message, &ev, &f.Source, &f.URL, &f.Path, &f.Rule,
			&f.Count, &f.FirstSeen, &f.LastSeen, &state, &dState, &dReason, &dActor, &dTime, &dSev, &dSeen); err != nil {
			return f, err
		}
		f.Severity = finding.Severity(sev)
		f.FirstSeen, f.LastSeen = utc(f.FirstSeen), utc(f.LastSeen)
		f.Time = f.LastSeen
		f.State = store.FindingState(state)
		if dState != nil {
			f.Decision = &store.FindingDecision{Site: f.Site, Key: f.Key, State: store.FindingState(*dState),
				Reason: *dReason, Actor: *dActor, Time: utc(*dTime), Severity: finding.Severity(*dSev), LastSeen: utc(*dSeen)}
		}
		if err := json.Unmarshal([]byte(ev), &f.Evidence); err != nil {
			return f, fmt.Errorf("stored evidence of %q: %w", f.Key, err)
		}
		return f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: findings: %w", err)
	}
	return out, nil
}

// AppendEvent appends to the hash-chained log. SHARE ROW EXCLUSIVE conflicts
// with itself, so appenders on every connection and machine take turns
// reading the head and writing after it, while readers go on; the UNIQUE
// prev_hash column refuses a fork even if that were ever bypassed.
func (d *DB) AppendEvent(ctx context.Context, e store.Event) (store.Event, error) {
	e, err := store.PrepareEvent(e, d.now)
	if err != nil {
		return store.Event{}, fmt.Errorf("postgres: append event: %w", err)
	}
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if err := lockEvents(ctx, tx); err != nil {
			return err
		}
		e, err = appendEvent(ctx, tx, e)
		return err
	})
	if err != nil {
		return store.Event{}, fmt.Errorf("postgres: append event %q: %w", e.Type, err)
	}
	return e, nil
}

const eventColumns = `SELECT seq, time, site, type, actor, data, prev_hash, hash FROM events`

func scanEvent(r pgx.Row) (store.Event, error) {
	var e store.Event
	var data string
	err := r.Scan(&e.Seq, &e.Time, &e.Site, &e.Type, &e.Actor, &data, &e.PrevHash, &e.Hash)
	e.Time, e.Data = utc(e.Time), json.RawMessage(data)
	return e, err
}

// Events returns events matching q in Seq order.
func (d *DB) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	var where []string
	var a args
	if q.Site != "" {
		where = append(where, "site = "+a.add(q.Site))
	}
	if q.Type != "" {
		where = append(where, "type = "+a.add(q.Type))
	}
	if q.AfterSeq > 0 {
		where = append(where, "seq > "+a.add(q.AfterSeq))
	}
	if q.BeforeSeq > 0 {
		where = append(where, "seq < "+a.add(q.BeforeSeq))
	}
	order := " ORDER BY seq"
	if q.Newest {
		order += " DESC"
	}
	rows, _ := d.pool.Query(ctx, eventColumns+whereClause(where)+order+limitClause(q.Limit), a...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: events: %w", err)
	}
	return out, nil
}

// VerifyEvents walks the whole chain, streaming rows from one snapshot.
func (d *DB) VerifyEvents(ctx context.Context) (int, error) {
	var v store.ChainVerifier
	rows, err := d.pool.Query(ctx, eventColumns+" ORDER BY seq")
	if err != nil {
		return 0, fmt.Errorf("postgres: verify events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return v.N(), fmt.Errorf("postgres: verify events: %w", err)
		}
		if err := v.Next(e); err != nil {
			return v.N(), err
		}
	}
	if err := rows.Err(); err != nil {
		return v.N(), fmt.Errorf("postgres: verify events: %w", err)
	}
	return v.N(), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PutCheckRun records a check run and its honey values; see store.Store.
func (d *DB) PutCheckRun(ctx context.Context, r store.CheckRun) error {
	p, err := d.prepareCheckRun(r)
	if err != nil {
		return fmt.Errorf("postgres: put check run: %w", err)
	}
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return putCheckRun(ctx, tx, p) })
	if err != nil {
		return fmt.Errorf("postgres: put check run %s: %w", p.r.CheckID, err)
	}
	return nil
}

// CheckRunsByHoney returns the runs that typed value; see store.Store.
func (d *DB) CheckRunsByHoney(ctx context.Context, value string) ([]store.CheckRun, error) {
	rows, _ := d.pool.Query(ctx, `SELECT r.check_id, r.site, r.target, r.started, r.honey::text
		FROM check_honey h JOIN check_runs r ON r.check_id = h.check_id
		WHERE h.value = $1 ORDER BY r.started DESC, r.check_id`, store.HoneyKey(value))
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CheckRun, error) {
		var r store.CheckRun
		var honey string
		if err := row.Scan(&r.CheckID, &r.Site, &r.Target, &r.Time, &honey); err != nil {
			return r, err
		}
		r.Time = utc(r.Time)
		if err := json.Unmarshal([]byte(honey), &r.Honey); err != nil {
			return r, fmt.Errorf("stored honey values of %s: %w", r.CheckID, err)
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: check runs by honey: %w", err)
	}
	if out == nil {
		out = []store.CheckRun{}
	}
	return out, nil
}
