package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// A River job runs at least once: a worker that dies after it filed a run's
// record, but before River marked the job completed (it does so after Work
// returns, in batches), leaves the job to be rescued and run again. So a
// run's findings, check runs and events are filed together with a
// store.JobRecord naming its job and attempt, in one store transaction
// (a worker dies before all of it or after), and an attempt after the first
// looks for an earlier complete record before it runs the detector: when
// there is one, that record's result is handed on (to the job's output and
// the Alerter, as the first attempt would have, in case it died before
// doing so) and the job completes, with nothing filed twice. An earlier
// incomplete record is a real retry, run again as before.
//
// Completing the job in the record's transaction (river.JobCompleteTx)
// would close the window too, but the store is not the queue: the SQLite
// queue is a file of its own, and on PostgreSQL the store has its own pool
// and may be another database.

// jobRef names the queued job a Work call runs; ok is false for a run
// outside a queue (a test calling Work directly), which has nothing to
// guard against running twice.
func jobRef(row *rivertype.JobRow) (ref store.JobRef, ok bool) {
	if row == nil || row.ID == 0 || row.CreatedAt.IsZero() {
		return store.JobRef{}, false
	}
	return store.JobRef{ID: row.ID, Created: row.CreatedAt}, true
}

// recorded returns the result an earlier attempt of the job filed
// complete; ok is false when there is none and the detector must run. An
// error (the store could not be read) fails the attempt, so that River
// tries again later rather than risk a second record.
//
// handOnRecorded, below, is what a worker calls first.
func (m *Monitor) recorded(ctx context.Context, row *rivertype.JobRow) (res RunResult, ok bool, err error) {
	ref, queued := jobRef(row)
	if !queued || row.Attempt <= 1 {
		return RunResult{}, false, nil
	}
	recs, err := m.store.JobRecords(ctx, ref)
	if err != nil {
		return RunResult{}, false, fmt.Errorf("read the record of job %d's earlier attempts: %w", ref.ID, err)
	}
	for _, r := range recs {
		if r.Complete && r.Attempt < row.Attempt {
			res, err := storedResult(r)
			if err != nil {
				return RunResult{}, false, err
			}
			m.log.Info("job already recorded complete by an earlier attempt; handing its record on", "job", ref.ID,
				"attempt", row.Attempt, "recorded_by_attempt", r.Attempt, "site", res.Site, "target", res.Target)
			return res, true, nil
		}
	}
	return RunResult{}, false, nil
}

// handOnRecorded finishes the job with an earlier attempt's complete
// record when there is one; done says the worker has nothing left to do
// and returns err.
func (m *Monitor) handOnRecorded(ctx context.Context, row *rivertype.JobRow) (done bool, err error) {
	res, ok, err := m.recorded(ctx, row)
	if err != nil {
		return true, err
	}
	if !ok {
		return false, nil
	}
	return true, m.finish(ctx, ctx, res)
}

func storedResult(r store.JobRecord) (RunResult, error) {
	var res RunResult
	if err := json.Unmarshal(r.Result, &res); err != nil {
		return RunResult{}, fmt.Errorf("the record of job %d attempt %d: result: %w", r.Job.ID, r.Attempt, err)
	}
	return res, nil
}

// file records one run of row's job: fs (the findings to file; the
// collector's are filed already), check runs and events, together with the
// job's record, in one transaction. It returns the result to hand on: the
// run's own, or, when another attempt of the job filed a complete record
// first (one taken for dead that was still running), that one's, with this
// run's record left out. A run outside a queue is filed as the CLI files
// its runs.
func (m *Monitor) file(ctx context.Context, row *rivertype.JobRow, res RunResult, rep *finding.Report, fs []finding.Finding, runs []store.CheckRun, events []store.Event) RunResult {
	ref, queued := jobRef(row)
	if !queued {
		if err := record.Put(ctx, m.store, res.Site, fs, runs, events); err != nil {
			rep.MarkIncomplete("findings not saved to the store: " + err.Error())
		}
		return withKeys(result(res, rep))
	}
	run, err := record.Run(res.Site, fs, runs, events)
	if err != nil {
		rep.MarkIncomplete("findings not saved to the store: " + err.Error())
		return withKeys(result(res, rep))
	}
	out := withKeys(result(res, rep))
	// Values of a RunResult always marshal.
	b, _ := json.Marshal(out)
	kept, filed, err := m.store.FileJobRecord(ctx, store.JobRecord{Job: ref, Attempt: row.Attempt, Kind: row.Kind,
		Site: res.Site, Complete: out.Complete, Result: b}, run)
	if err != nil {
		rep.MarkIncomplete("findings not saved to the store: " + err.Error())
		return withKeys(result(res, rep))
	}
	if !filed {
		earlier, err := storedResult(kept)
		if err != nil {
			rep.MarkIncomplete(err.Error())
			return withKeys(result(res, rep))
		}
		m.log.Info("job recorded complete by another attempt meanwhile; this run's record is left out", "job", ref.ID,
			"attempt", row.Attempt, "recorded_by_attempt", kept.Attempt, "site", res.Site, "target", res.Target)
		return earlier
	}
	return out
}

// withKeys names each finding by its store key when the detector did not:
// Finding.Subject, part of the key, is not kept in JSON, so a result read
// back from a job record would otherwise key its findings differently.
func withKeys(res RunResult) RunResult {
	if len(res.Keys) == len(res.Findings) {
		return res
	}
	res.Keys = make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		k, err := record.Key(f)
		if err != nil {
			// result left out the findings that cannot be masked, so this
			// does not happen; without keys the Alerter keys them itself.
			res.Keys = nil
			return res
		}
		res.Keys = append(res.Keys, k)
	}
	return res
}

// jobRecordRetention is how long job records are kept: a day, or longer
// when this service's rescue_after lets a job's attempts span more (each of
// maxAttempts may run until it is rescued, and then waits its back-off).
func (m *Monitor) jobRecordRetention() time.Duration {
	return max(store.JobRecordRetention, maxAttempts*(m.opts.RescueAfter+time.Hour))
}
