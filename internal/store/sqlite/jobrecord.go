package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// preparedFinding is a finding validated, masked and ready to write.
type preparedFinding struct {
	key  string
	f    finding.Finding
	seen int64
	ev   string
}

func (d *DB) prepareFinding(key string, f finding.Finding) (preparedFinding, error) {
	if err := store.ValidateFinding(key, f); err != nil {
		return preparedFinding{}, err
	}
	f, err := store.MaskFinding(f)
	if err != nil {
		return preparedFinding{}, err
	}
	if f.Time.IsZero() {
		f.Time = d.now()
	}
	ev, err := json.Marshal(evidence(f.Evidence))
	if err != nil {
		return preparedFinding{}, fmt.Errorf("%q: evidence: %w", f.Kind, err)
	}
	return preparedFinding{key: key, f: f, seen: micros(f.Time), ev: string(ev)}, nil
}

// putFinding upserts p in the caller's write transaction.
func putFinding(ctx context.Context, tx *sql.Tx, p preparedFinding) (created bool, err error) {
	f, key, seen := p.f, p.key, p.seen
	var last int64
	err = tx.QueryRowContext(ctx, "SELECT last_seen FROM findings WHERE site = ? AND key = ?", f.Site, key).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO findings (site, key, severity, kind, message, evidence, source,
			url, path, rule, count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			f.Site, key, int(f.Severity), f.Kind, f.Message, p.ev, f.Source, f.URL, f.Path, f.Rule, seen, seen)
		return err == nil, err
	case err != nil:
		return false, err
	}
	// The row's content follows the most recent sighting, so a finding
	// replayed out of order does not roll its message back.
	if seen >= last {
		_, err = tx.ExecContext(ctx, `UPDATE findings SET severity = ?, kind = ?, message = ?, evidence = ?,
			source = ?, url = ?, path = ?, rule = ?, count = count + 1, last_seen = ?,
			first_seen = min(first_seen, ?) WHERE site = ? AND key = ?`,
			int(f.Severity), f.Kind, f.Message, p.ev, f.Source, f.URL, f.Path, f.Rule, seen, seen, f.Site, key)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE findings SET count = count + 1, first_seen = min(first_seen, ?)
			WHERE site = ? AND key = ?`, seen, f.Site, key)
	}
	return false, err
}

// preparedCheckRun is a check run validated and ready to write.
type preparedCheckRun struct {
	r     store.CheckRun
	honey string
}

func (d *DB) prepareCheckRun(r store.CheckRun) (preparedCheckRun, error) {
	if r.Time.IsZero() {
		r.Time = d.now()
	}
	r, err := store.PrepareCheckRun(r)
	if err != nil {
		return preparedCheckRun{}, err
	}
	honey, err := json.Marshal(honeyMap(r.Honey))
	if err != nil {
		return preparedCheckRun{}, fmt.Errorf("%s: %w", r.CheckID, err)
	}
	return preparedCheckRun{r: r, honey: string(honey)}, nil
}

// putCheckRun writes p in the caller's write transaction.
func putCheckRun(ctx context.Context, tx *sql.Tx, p preparedCheckRun) error {
	r := p.r
	// Replacing the run cascades to its old honey rows.
	if _, err := tx.ExecContext(ctx, "DELETE FROM check_runs WHERE check_id = ?", r.CheckID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO check_runs (check_id, site, target, started, honey) VALUES (?, ?, ?, ?, ?)",
		r.CheckID, r.Site, r.Target, micros(r.Time), p.honey); err != nil {
		return err
	}
	for _, v := range r.Honey {
		if _, err := tx.ExecContext(ctx, "INSERT INTO check_honey (value, check_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
			store.HoneyKey(v), r.CheckID); err != nil {
			return err
		}
	}
	return nil
}

// appendEvent seals e after the log's head and inserts it. The caller's
// transaction holds the write lock (BEGIN IMMEDIATE), which makes reading
// the head and inserting after it one atomic step.
func appendEvent(ctx context.Context, tx *sql.Tx, e store.Event) (store.Event, error) {
	var prev store.Event
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").Scan(&prev.Seq, &prev.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e, err
	}
	e = e.Seal(prev)
	_, err = tx.ExecContext(ctx, `INSERT INTO events (seq, time, site, type, actor, data, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, micros(e.Time), e.Site, e.Type, e.Actor, string(e.Data), e.PrevHash, e.Hash)
	return e, err
}

// FileJobRecord files run and r in one write transaction; see
// store.JobRecordStore.
func (d *DB) FileJobRecord(ctx context.Context, r store.JobRecord, run store.RunRecord) (store.JobRecord, bool, error) {
	r, err := store.PrepareJobRecord(r, d.now)
	if err != nil {
		return store.JobRecord{}, false, fmt.Errorf("sqlite: file job record: %w", err)
	}
	fail := func(err error) (store.JobRecord, bool, error) {
		return store.JobRecord{}, false, fmt.Errorf("sqlite: file job record of job %d attempt %d: %w", r.Job.ID, r.Attempt, err)
	}
	findings := make([]preparedFinding, len(run.Findings))
	for i, kf := range run.Findings {
		if findings[i], err = d.prepareFinding(kf.Key, kf.Finding); err != nil {
			return fail(err)
		}
	}
	checkRuns := make([]preparedCheckRun, len(run.CheckRuns))
	for i, cr := range run.CheckRuns {
		if checkRuns[i], err = d.prepareCheckRun(cr); err != nil {
			return fail(err)
		}
	}
	events := make([]store.Event, len(run.Events))
	for i, e := range run.Events {
		if events[i], err = store.PrepareEvent(e, d.now); err != nil {
			return fail(err)
		}
	}
	var kept store.JobRecord
	filed := false
	err = d.tx(ctx, func(tx *sql.Tx) error {
		kept, filed = store.JobRecord{}, false
		rows, err := jobRecords(ctx, tx, r.Job, true)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			kept = rows[0]
			return nil
		}
		for _, p := range findings {
			if _, err := putFinding(ctx, tx, p); err != nil {
				return fmt.Errorf("put finding %q: %w", p.f.Kind, err)
			}
		}
		for _, p := range checkRuns {
			if err := putCheckRun(ctx, tx, p); err != nil {
				return fmt.Errorf("put check run %s: %w", p.r.CheckID, err)
			}
		}
		r.Seqs = make([]int64, 0, len(events))
		for _, e := range events {
			e, err := appendEvent(ctx, tx, e)
			if err != nil {
				return fmt.Errorf("append event %q: %w", e.Type, err)
			}
			r.Seqs = append(r.Seqs, e.Seq)
		}
		seqs, _ := json.Marshal(r.Seqs) // a slice of int64 always marshals
		_, err = tx.ExecContext(ctx, `INSERT INTO job_records (job_id, job_created, attempt, kind, site, complete, result, seqs, recorded)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Job.ID, micros(r.Job.Created), r.Attempt, r.Kind, r.Site, r.Complete,
			string(r.Result), string(seqs), micros(r.Time))
		if err != nil {
			return err
		}
		kept, filed = r, true
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return kept, filed, nil
}

// JobRecords returns job's records, oldest attempt first.
func (d *DB) JobRecords(ctx context.Context, job store.JobRef) ([]store.JobRecord, error) {
	out, err := jobRecords(ctx, d.reader, job, false)
	if err != nil {
		return nil, fmt.Errorf("sqlite: job records of job %d: %w", job.ID, err)
	}
	return out, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func jobRecords(ctx context.Context, q queryer, job store.JobRef, completeOnly bool) ([]store.JobRecord, error) {
	query := `SELECT job_id, job_created, attempt, kind, site, complete, result, seqs, recorded
		FROM job_records WHERE job_id = ? AND job_created = ?`
	if completeOnly {
		query += " AND complete"
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY attempt", job.ID, micros(job.Created))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.JobRecord{}
	for rows.Next() {
		var r store.JobRecord
		var created, recorded int64
		var result, seqs string
		if err := rows.Scan(&r.Job.ID, &created, &r.Attempt, &r.Kind, &r.Site, &r.Complete, &result, &seqs, &recorded); err != nil {
			return nil, err
		}
		r.Job.Created, r.Time, r.Result = fromMicros(created), fromMicros(recorded), json.RawMessage(result)
		if err := json.Unmarshal([]byte(seqs), &r.Seqs); err != nil {
			return nil, fmt.Errorf("stored event numbers of attempt %d: %w", r.Attempt, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PruneJobRecords deletes records filed before before.
func (d *DB) PruneJobRecords(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.writer.ExecContext(ctx, "DELETE FROM job_records WHERE recorded < ?", micros(before))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune job records: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune job records: %w", err)
	}
	return n, nil
}
