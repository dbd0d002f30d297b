package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

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

// FileJobRecord appends events and files r in one write transaction; see
// store.JobRecordStore.
func (d *DB) FileJobRecord(ctx context.Context, r store.JobRecord, events []store.Event) (store.JobRecord, bool, error) {
	r, err := store.PrepareJobRecord(r, d.now)
	if err != nil {
		return store.JobRecord{}, false, fmt.Errorf("sqlite: file job record: %w", err)
	}
	prepared := make([]store.Event, len(events))
	for i, e := range events {
		if prepared[i], err = store.PrepareEvent(e, d.now); err != nil {
			return store.JobRecord{}, false, fmt.Errorf("sqlite: file job record of job %d: %w", r.Job.ID, err)
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
		r.Seqs = make([]int64, 0, len(prepared))
		for _, e := range prepared {
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
		return store.JobRecord{}, false, fmt.Errorf("sqlite: file job record of job %d attempt %d: %w", r.Job.ID, r.Attempt, err)
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
