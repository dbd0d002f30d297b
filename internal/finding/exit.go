package finding

import (
	"errors"
	"strconv"
)

// Exit codes shared by every command that produces a Report. They are part of
// the public contract: CI pipelines branch on them.
const (
	ExitClean      = 0 // nothing at or above --fail-on
	ExitFindings   = 1 // findings at or above --fail-on
	ExitIncomplete = 2 // the run could not be completed (or a usage error)
)

// ExitError carries a process exit code up to main, the only place that
// calls os.Exit.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + strconv.Itoa(e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ErrFindings is wrapped by the ExitError returned when findings reach the
// fail-on threshold; main prints nothing more for it.
var ErrFindings = errors.New("findings at or above the fail-on severity")

// ExitFor returns the exit error a command should return for a finished
// report: incomplete wins over findings, because a partial run proves nothing.
func ExitFor(r *Report, failOn Severity) error {
	if !r.Complete {
		return &ExitError{Code: ExitIncomplete, Err: errors.New("the run could not be completed: " + joinReasons(r.Incomplete))}
	}
	if r.AtOrAbove(failOn) > 0 {
		return &ExitError{Code: ExitFindings, Err: ErrFindings}
	}
	return nil
}

func joinReasons(rs []string) string {
	if len(rs) == 0 {
		return "unknown reason"
	}
	s := rs[0]
	for _, r := range rs[1:] {
		s += "; " + r
	}
	return s
}
