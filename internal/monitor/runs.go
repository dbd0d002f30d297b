package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Run is one job as the API shows it: its arguments, where it stands, and
// the result of its latest attempt. Complete is true only for a job that
// finished with a complete result; a job whose process died has no result
// and is never complete.
type Run struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	State   string `json:"state"`
	Attempt int    `json:"attempt"`
	// Worker is the process (River client ID) of the latest attempt.
	Worker   string          `json:"worker,omitempty"`
	Created  time.Time       `json:"created"`
	Finished *time.Time      `json:"finished,omitempty"`
	Args     json.RawMessage `json:"args"`
	Complete bool            `json:"complete"`
	Result   *RunResult      `json:"result,omitempty"`
	Errors   []string        `json:"errors,omitempty"`
}

// Runs lists the newest runs, at most limit (1 to 1000).
func (m *Monitor) Runs(ctx context.Context, limit int) ([]Run, error) {
	limit = min(max(limit, 1), 1000)
	res, err := m.q.JobList(ctx, river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	runs := make([]Run, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		runs = append(runs, runOf(j))
	}
	return runs, nil
}

func runOf(j *rivertype.JobRow) Run {
	r := Run{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, Created: j.CreatedAt, Finished: j.FinalizedAt, Args: j.EncodedArgs}
	if out := j.Output(); len(out) > 0 {
		var res RunResult
		if json.Unmarshal(out, &res) == nil {
			r.Result = &res
		}
	}
	if n := len(j.AttemptedBy); n > 0 {
		r.Worker = j.AttemptedBy[n-1]
	}
	r.Complete = j.State == rivertype.JobStateCompleted && r.Result != nil && r.Result.Complete
	for _, e := range j.Errors {
		r.Errors = append(r.Errors, e.Error)
	}
	return r
}
