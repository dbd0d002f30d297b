// Package monitor runs every detector on a schedule, as jobs on River: a
// browser check per page or flow, a fim verify per web root, and per site
// the evaluation of what the collector raised plus retention. The queue is
// River's SQLite driver on one machine (a file of its own beside the store)
// or PostgreSQL, which any number of worker processes share. Web roots with
// `watch: true` are also watched with inotify in the scheduling process,
// each change handed to the Alerter as a complete run of the fim detector.
//
// A run is recorded as its River job, whose output is the RunResult: a job
// that times out records an incomplete result, and one whose process dies
// records none and stays running or retryable, so no run reads as clean
// unless it finished and saw everything. Every finished run is also handed
// to the Alerter. In the store, a job is recorded complete once, whatever
// its attempts (once.go).
package monitor

import (
	"context"
	"log/slog"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// RunResult is what one run of one detector on one target saw.
type RunResult struct {
	Site       string            `json:"site"`
	Target     string            `json:"target"`
	Detector   string            `json:"detector"`
	At         time.Time         `json:"at"`
	Complete   bool              `json:"complete"`
	Incomplete []string          `json:"incomplete,omitempty"`
	Findings   []finding.Finding `json:"findings,omitempty"`
	// Keys, when set, are the findings' store keys, in order: for a
	// detector whose finding text changes from run to run (the collector
	// counts reports in it), the key is what stays the same.
	Keys []string `json:"keys,omitempty"`
}

// Alerter is told about every run, clean, dirty or incomplete: it decides
// what becomes an alert (the alert package implements it).
type Alerter interface {
	Observe(ctx context.Context, r RunResult) error
}

// Detectors, as RunResult.Detector.
const (
	DetectorCheck     = "check"
	DetectorFim       = "fim"
	DetectorCollector = "collector"
	DetectorRetention = "retention"
)

func discardLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
