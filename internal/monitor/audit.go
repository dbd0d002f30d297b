package monitor

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/riverqueue/river"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// DetectorAudit is the audit's RunResult.Detector.
const DetectorAudit = "audit"

// AuditArgs is one remote audit of a site (skimwatch audit URL).
type AuditArgs struct {
	Site        string        `json:"site"`
	URL         string        `json:"url"`
	MaxRequests int           `json:"max_requests"`
	Rate        float64       `json:"rate"`
	Timeout     time.Duration `json:"timeout"`
	CAFile      string        `json:"ca_file,omitempty"`
}

func (AuditArgs) Kind() string { return "skimwatch.audit" }

// auditJob is the site's scheduled audit, if its config has one.
func auditJob(s config.Site) (Job, bool) {
	a := s.Audit
	if a == nil {
		return Job{}, false
	}
	return Job{Every: a.Every.D(), Args: AuditArgs{Site: s.Name, URL: a.URL, MaxRequests: a.MaxRequests,
		Rate: a.Rate, Timeout: a.Timeout.D(), CAFile: a.CAFile}}, true
}

type auditWorker struct {
	river.WorkerDefaults[AuditArgs]
	m *Monitor
}

func (w *auditWorker) Timeout(j *river.Job[AuditArgs]) time.Duration { return j.Args.Timeout }

// Work audits the site, files the findings and the run in the store as
// `skimwatch audit --store` does, and hands the run to the Alerter.
func (w *auditWorker) Work(ctx context.Context, j *river.Job[AuditArgs]) error {
	if done, err := w.m.handOnRecorded(ctx, j.JobRow); done {
		return err
	}
	a := j.Args
	res := RunResult{Site: a.Site, Target: a.URL, Detector: DetectorAudit, At: w.m.now()}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	rep, err := w.audit(ctx, a)
	if err != nil {
		rep = &finding.Report{Tool: "skimwatch", Command: "audit", Targets: []string{a.URL}, Complete: true, Started: res.At}
		rep.MarkIncomplete(err.Error())
	}
	if reason := stopped(ctx, "audit", a.Timeout); reason != "" {
		rep.MarkIncomplete(reason)
	}
	ev := record.RunEvent("skimwatch serve", rep, nil)
	return w.m.finish(ctx, rctx, w.m.file(rctx, j.JobRow, res, rep, rep.Findings, nil, []store.Event{ev}))
}

func (w *auditWorker) audit(ctx context.Context, a AuditArgs) (*finding.Report, error) {
	opts := audit.Options{MaxRequests: a.MaxRequests, Rate: a.Rate, Logger: w.m.log.With("site", a.Site), Now: w.m.now}
	if a.CAFile != "" {
		b, err := os.ReadFile(a.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		opts.RootCAs = x509.NewCertPool()
		if !opts.RootCAs.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", a.CAFile)
		}
	}
	return audit.Run(ctx, a.URL, opts)
}
