package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// JobRecordStore keeps which queue job filed which run record. A queue runs
// a job at least once: a worker that dies after it filed a run's record but
// before the queue marked the job done leaves the job to be run again. The
// attempt that runs it again looks here first and, when an earlier attempt
// already filed a complete record, hands that record on instead of running
// the detector a second time and filing a second record.
type JobRecordStore interface {
	// FileJobRecord files run (its findings as PutFinding does, its check
	// runs as PutCheckRun, its events appended to the log) and r, naming
	// the events, in one transaction: a job record is never kept without
	// its run or any of its run without it. When the job already has a
	// complete record (from any attempt), nothing is filed and that record
	// is returned with filed false, so a job is recorded complete at most
	// once even when two attempts run at the same time (one thought dead,
	// still running). Filing an attempt that is already filed is an error.
	FileJobRecord(ctx context.Context, r JobRecord, run RunRecord) (kept JobRecord, filed bool, err error)
	// JobRecords returns the records of job, oldest attempt first; none is
	// an empty list.
	JobRecords(ctx context.Context, job JobRef) ([]JobRecord, error)
	// PruneJobRecords deletes records filed before before and returns how
	// many. A queue gives up on a job long before JobRecordRetention.
	PruneJobRecords(ctx context.Context, before time.Time) (int64, error)
}

// RunRecord is what one detector run files.
type RunRecord struct {
	Findings  []KeyedFinding
	CheckRuns []CheckRun
	Events    []Event
}

// KeyedFinding is a finding and the key it is filed under (see PutFinding).
type KeyedFinding struct {
	Key     string
	Finding finding.Finding
}

// JobRecordRetention is the least time job records are kept: far longer
// than a job is retried (three attempts, seconds to minutes apart, each
// rescued after the service's rescue_after; the monitor keeps them longer
// when rescue_after makes that span longer). Every run of every page files
// one, so a week of them would be millions of rows on a large service.
const JobRecordRetention = 24 * time.Hour

// JobRef names one queue job. IDs alone are not enough: a queue whose
// database was replaced counts its IDs from 1 again, and the new job 1 must
// not be taken for the old one, so a job is its ID and its creation time.
type JobRef struct {
	ID      int64     `json:"id"`
	Created time.Time `json:"created"`
}

// JobRecord is what one attempt of a job filed.
type JobRecord struct {
	Job     JobRef `json:"job"`
	Attempt int    `json:"attempt"`
	// Kind is the job's kind (skimwatch.check, ...).
	Kind string `json:"kind"`
	Site string `json:"site"`
	// Complete says the run saw everything it was to look at; an
	// incomplete record does not stop the job being run again.
	Complete bool `json:"complete"`
	// Result is the run's result as its worker handed it on (JSON, card
	// numbers masked), so that a later attempt hands on the same.
	Result json.RawMessage `json:"result"`
	// Seqs are the events filed with the record (filled in by the store).
	Seqs []int64 `json:"seqs"`
	// Time is when it was filed (now when zero).
	Time time.Time `json:"time"`
}

// MaxJobResultBytes caps a JobRecord's Result. It is River's cap on a
// job's output, which holds the same result: a run over a freshly unpacked
// web root can name thousands of files, far more than an event's data
// holds, and a record refused for its size would leave its job never done.
const MaxJobResultBytes = 32 << 20

// PrepareJobRecord validates r and puts its times in store form, now
// standing in for a zero Time.
func PrepareJobRecord(r JobRecord, now func() time.Time) (JobRecord, error) {
	switch {
	case r.Job.ID <= 0 || r.Job.Created.IsZero():
		return r, fmt.Errorf("%w: job record: job %d created %v (want an ID and a creation time)", ErrInvalid, r.Job.ID, r.Job.Created)
	case r.Attempt < 1:
		return r, fmt.Errorf("%w: job record of job %d: attempt %d", ErrInvalid, r.Job.ID, r.Attempt)
	case r.Kind == "" || len(r.Kind) > MaxFieldBytes || strings.ContainsRune(r.Kind, 0):
		return r, fmt.Errorf("%w: job record of job %d: kind %.40q", ErrInvalid, r.Job.ID, r.Kind)
	case len(r.Site) > MaxSiteBytes || strings.ContainsRune(r.Site, 0):
		return r, fmt.Errorf("%w: job record of job %d: site too long or with a NUL byte", ErrInvalid, r.Job.ID)
	case len(r.Result) > MaxJobResultBytes:
		return r, fmt.Errorf("%w: job record of job %d: result is %d bytes (max %d)", ErrInvalid, r.Job.ID, len(r.Result), MaxJobResultBytes)
	}
	// The result goes out in alerts again: it is kept canonical and
	// masked like event data (whose own cap it may exceed).
	res, err := canonicalJSON(r.Result)
	if err != nil {
		return r, fmt.Errorf("job record of job %d: result: %w", r.Job.ID, err)
	}
	r.Result = res
	if r.Time.IsZero() {
		r.Time = now()
	}
	r.Time = Timestamp(r.Time)
	r.Job.Created = Timestamp(r.Job.Created)
	r.Seqs = nil
	return r, nil
}
