package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/store"
)

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

// FileJobRecord appends events and files r in one transaction; see
// store.JobRecordStore. The event log's lock is taken first, even with no
// events to append: it is what makes two attempts of one job, on two
// machines, file one after the other, so the second sees the first's
// complete record.
func (d *DB) FileJobRecord(ctx context.Context, r store.JobRecord, events []store.Event) (store.JobRecord, bool, error) {
	r, err := store.PrepareJobRecord(r, d.now)
	if err != nil {
		return store.JobRecord{}, false, fmt.Errorf("postgres: file job record: %w", err)
	}
	prepared := make([]store.Event, len(events))
	for i, e := range events {
		if prepared[i], err = store.PrepareEvent(e, d.now); err != nil {
			return store.JobRecord{}, false, fmt.Errorf("postgres: file job record of job %d: %w", r.Job.ID, err)
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
		r.Seqs = make([]int64, 0, len(prepared))
		for _, e := range prepared {
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
		return store.JobRecord{}, false, fmt.Errorf("postgres: file job record of job %d attempt %d: %w", r.Job.ID, r.Attempt, err)
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
