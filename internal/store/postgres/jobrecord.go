package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// preparedFinding is a finding validated, masked and ready to write.
type preparedFinding struct {
	key string
	f   finding.Finding
	ev  string
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
	ev := f.Evidence
	if ev == nil {
		ev = map[string]any{}
	}
	evJSON, err := json.Marshal(ev)
	if err != nil {
		return preparedFinding{}, fmt.Errorf("%q: evidence: %w", f.Kind, err)
	}
	return preparedFinding{key: key, f: f, ev: string(evJSON)}, nil
}

// rowQueryer is a pool or a transaction.
type rowQueryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// putFindingIn upserts p in one statement, on its own or in a transaction.
func putFindingIn(ctx context.Context, q rowQueryer, p preparedFinding) (created bool, err error) {
	f := p.f
	err = q.QueryRow(ctx, putFinding, f.Site, p.key, int(f.Severity), f.Kind, f.Message, p.ev,
		f.Source, f.URL, f.Path, f.Rule, store.Timestamp(f.Time)).Scan(&created)
	return created, err
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
	if r.Honey == nil {
		r.Honey = map[string]string{}
	}
	hj, err := json.Marshal(r.Honey)
	if err != nil {
		return preparedCheckRun{}, fmt.Errorf("%s: %w", r.CheckID, err)
	}
	return preparedCheckRun{r: r, honey: string(hj)}, nil
}

// putCheckRun writes p in the caller's transaction.
func putCheckRun(ctx context.Context, tx pgx.Tx, p preparedCheckRun) error {
	r := p.r
	// Replacing the run cascades to its old honey rows.
	if _, err := tx.Exec(ctx, "DELETE FROM check_runs WHERE check_id = $1", r.CheckID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO check_runs (check_id, site, target, started, honey) VALUES ($1, $2, $3, $4, $5)",
		r.CheckID, r.Site, r.Target, r.Time, p.honey); err != nil {
		return err
	}
	for _, v := range r.Honey {
		if _, err := tx.Exec(ctx, "INSERT INTO check_honey (value, check_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			store.HoneyKey(v), r.CheckID); err != nil {
			return err
		}
	}
	return nil
}

// lockEvents takes the event log's append lock. SHARE ROW EXCLUSIVE
// conflicts with itself, so appenders on every connection and machine take
// turns reading the head and writing after it, while readers go on.
func lockEvents(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
	return err
}

// appendEvent seals e after the log's head and inserts it; the caller's
// transaction holds lockEvents.
func appendEvent(ctx context.Context, tx pgx.Tx, e store.Event) (store.Event, error) {
	var prev store.Event
	err := tx.QueryRow(ctx, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").Scan(&prev.Seq, &prev.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return e, err
	}
	e = e.Seal(prev)
	_, err = tx.Exec(ctx, `INSERT INTO events (seq, time, site, type, actor, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Seq, e.Time, e.Site, e.Type, e.Actor, string(e.Data), e.PrevHash, e.Hash)
	return e, err
}

// FileJobRecord files run and r in one transaction; see
// store.JobRecordStore. The event log's lock is taken first, even with no
// events to append: it is what makes two attempts of one job, on two
// machines, file one after the other, so the second sees the first's
// complete record. Other writers of findings and check runs never wait
// for it while holding their rows, so it cannot deadlock with them.
func (d *DB) FileJobRecord(ctx context.Context, r store.JobRecord, run store.RunRecord) (store.JobRecord, bool, error) {
	r, err := store.PrepareJobRecord(r, d.now)
	if err != nil {
		return store.JobRecord{}, false, fmt.Errorf("postgres: file job record: %w", err)
	}
	fail := func(err error) (store.JobRecord, bool, error) {
		return store.JobRecord{}, false, fmt.Errorf("postgres: file job record of job %d attempt %d: %w", r.Job.ID, r.Attempt, err)
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
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		kept, filed = store.JobRecord{}, false
		if err := lockEvents(ctx, tx); err != nil {
			return err
		}
		rows, err := jobRecords(ctx, tx, r.Job, true)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			kept = rows[0]
			return nil
		}
		for _, p := range findings {
			if _, err := putFindingIn(ctx, tx, p); err != nil {
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
		_, err = tx.Exec(ctx, `INSERT INTO job_records (job_id, job_created, attempt, kind, site, complete, result, seqs, recorded)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.Job.ID, r.Job.Created, r.Attempt, r.Kind, r.Site, r.Complete,
			string(r.Result), r.Seqs, r.Time)
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
	out, err := jobRecords(ctx, d.pool, job, false)
	if err != nil {
		return nil, fmt.Errorf("postgres: job records of job %d: %w", job.ID, err)
	}
	return out, nil
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func jobRecords(ctx context.Context, q queryer, job store.JobRef, completeOnly bool) ([]store.JobRecord, error) {
	query := `SELECT job_id, job_created, attempt, kind, site, complete, result, seqs, recorded
		FROM job_records WHERE job_id = $1 AND job_created = $2`
	if completeOnly {
		query += " AND complete"
	}
	rows, _ := q.Query(ctx, query+" ORDER BY attempt", job.ID, store.Timestamp(job.Created))
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.JobRecord, error) {
		var jr store.JobRecord
		var result string
		err := r.Scan(&jr.Job.ID, &jr.Job.Created, &jr.Attempt, &jr.Kind, &jr.Site, &jr.Complete, &result, &jr.Seqs, &jr.Time)
		jr.Job.Created, jr.Time, jr.Result = utc(jr.Job.Created), utc(jr.Time), json.RawMessage(result)
		return jr, err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []store.JobRecord{}
	}
	return out, nil
}

// PruneJobRecords deletes records filed before before.
func (d *DB) PruneJobRecords(ctx context.Context, before time.Time) (int64, error) {
	tag, err := d.pool.Exec(ctx, "DELETE FROM job_records WHERE recorded < $1", before)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune job records: %w", err)
	}
	return tag.RowsAffected(), nil
}
