package monitor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/webroot"
)

// Job arguments carry everything a job needs, so that a worker process on
// another machine runs it without the config file. They are also the
// unique key: one set of arguments is never queued or running twice.

// CheckArgs is one browser check of a page (URL) or a flow (Flow, a file).
type CheckArgs struct {
	Site           string        `json:"site"`
	URL            string        `json:"url,omitempty"`
	Flow           string        `json:"flow,omitempty"`
	PaymentOrigins []string      `json:"payment_origins,omitempty"`
	ShopOrigins    []string      `json:"shop_origins,omitempty"`
	Baseline       string        `json:"baseline"`
	NoProbe        bool          `json:"no_probe,omitempty"`
	Timeout        time.Duration `json:"timeout"`
	// Differential is auto, always or never (checkrun.Differential); a job
	// queued before the key existed has none, which is auto.
	Differential string `json:"differential,omitempty"`
	// Dwell overrides the check's dwell (config dwell); 0 keeps it.
	Dwell time.Duration `json:"dwell,omitempty"`
}

func (CheckArgs) Kind() string { return "skimwatch.check" }

func (a CheckArgs) target() string {
	if a.Flow != "" {
		return "flow:" + a.Flow
	}
	return a.URL
}

func (a CheckArgs) differential() string {
	if a.Differential == "" {
		return config.DefaultDifferential
	}
	return a.Differential
}

// FimArgs is one fim verify of a web root.
type FimArgs struct {
	Site     string `json:"site"`
	Path     string `json:"path"`
	Baseline string `json:"baseline"`
	Pub      string `json:"pub,omitempty"`
	// Scan runs signatures on added and modified files, with the bundled
	// rules and Rules (the user's files or folders).
	Scan    bool          `json:"scan,omitempty"`
	Rules   []string      `json:"rules,omitempty"`
	Timeout time.Duration `json:"timeout"`
}

func (FimArgs) Kind() string { return "skimwatch.fim" }

// SiteArgs is a site's housekeeping: hand what the collector raised since
// the last run to the Alerter, and prune old report aggregates and the
// site's old delivered alert deliveries.
type SiteArgs struct {
	Site string `json:"site"`
	// Every is the interval; the collector's findings of the last one (and
	// a little more, so that none falls between two runs) are evaluated.
	Every time.Duration `json:"every"`
	// Retain is how long report aggregates are kept; 0 keeps them.
	Retain time.Duration `json:"retain"`
	// RetainDeliveries is how long the site's delivered alert deliveries
	// and their attempts are kept; 0 keeps them.
	RetainDeliveries time.Duration `json:"retain_deliveries,omitempty"`
}

func (SiteArgs) Kind() string { return "skimwatch.site" }

// recordTimeout bounds writing a run's record after its own time ran out:
// the record of a timed-out check must still be written.
const recordTimeout = 30 * time.Second

type checkWorker struct {
	river.WorkerDefaults[CheckArgs]
	m *Monitor
}

func (w *checkWorker) Timeout(j *river.Job[CheckArgs]) time.Duration { return j.Args.Timeout }

func (w *checkWorker) Work(ctx context.Context, j *river.Job[CheckArgs]) error {
	if done, err := w.m.handOnRecorded(ctx, j.JobRow); done {
		return err
	}
	a := j.Args
	res := RunResult{Site: a.Site, Target: a.target(), Detector: DetectorCheck, At: w.m.now()}
	// Whether the check runs its differential passes depends on the
	// baseline as it is now; one that cannot be read counts as none, so
	// auto errs on the side of the costlier, more thorough check. The
	// verdict below reads it again after the check, so that an approval
	// made while the check ran applies to it.
	// (The read after the check reports a baseline it cannot read.)
	t, err := a.checkTarget(nil)
	approved, _ := w.m.loadBaseline(ctx, a, t.Name)
	var obs *observation.Observation
	if err == nil {
		t.Differential = checkrun.Differential(a.differential(), approved, t)
		obs, err = w.check(ctx, a, t)
	}
	if err != nil {
		obs = &observation.Observation{Target: res.Target, Incomplete: []string{err.Error()}}
	}
	// The job's own context may be spent (that is how a timeout ends a
	// check); its record is written regardless.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	rep := &finding.Report{Tool: "skimwatch", Command: "check", Complete: true, Started: res.At}
	pol := verdict.Options{PaymentOrigins: a.PaymentOrigins, ShopOrigins: a.ShopOrigins, Site: a.Site}
	base, err := w.m.loadBaseline(rctx, a, obs.Target)
	if err != nil {
		rep.MarkIncomplete("baseline: " + err.Error())
	}
	if reason := stopped(ctx, "check", a.Timeout); reason != "" {
		rep.MarkIncomplete(reason)
	}
	checkrun.Evaluate(rep, []*observation.Observation{obs}, base, pol)
	rep.Finished = w.m.now()
	if err := w.m.propose(rctx, a, base, obs, rep, pol); err != nil {
		w.m.log.Warn("pending baseline not written", "site", a.Site, "target", res.Target, "err", err)
	}
	// Saved before the run's record, which closes the job: a worker that
	// dies between the two leaves nothing for the next attempt to save.
	if err := checkrun.SaveSources(rctx, w.m.store, []*observation.Observation{obs}); err != nil {
		// The findings stand without it; only their diffs are missing.
		w.m.log.Warn("script sources not saved", "site", a.Site, "target", res.Target, "err", err)
	}
	observed := []*observation.Observation{obs}
	return w.m.finish(ctx, rctx, w.m.file(rctx, j.JobRow, res, rep, rep.Findings, checkrun.Runs(observed), checkrun.Events("skimwatch serve", rep, observed)))
}

func (w *checkWorker) check(ctx context.Context, a CheckArgs, t checkrun.Target) (*observation.Observation, error) {
	if w.m.browser == nil {
		return nil, errors.New("this process runs no browser")
	}
	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = a.PaymentOrigins
	opts.ShopOrigins = a.ShopOrigins
	opts.Probe = !a.NoProbe
	opts.Logger = w.m.log.With("site", a.Site)
	opts.Timeout = a.Timeout
	opts.Dwell = checkDwell(opts.Dwell, a.Dwell, w.m.opts.Dwell)
	return checkrun.Run(ctx, w.m.browser, []checkrun.Target{t}, opts)[0], nil
}

// checkTarget is what the job checks: its page or its flow (read from the
// flow file), with the differential passes when the mode asks for them
// against base, the approved baseline (nil: none yet).
func (a CheckArgs) checkTarget(base *inventory.Baseline) (checkrun.Target, error) {
	t := checkrun.Target{Name: a.URL, Target: pagecheck.Target{URL: a.URL}}
	if a.Flow != "" {
		f, err := os.Open(a.Flow)
		if err != nil {
			return checkrun.Target{}, fmt.Errorf("flow: %w", err)
		}
		flow, err := pagecheck.ParseFlow(f)
		f.Close()
		if err != nil {
			return checkrun.Target{}, fmt.Errorf("flow %s: %w", a.Flow, err)
		}
		t = checkrun.Target{Name: "flow:" + flow.Name, Target: pagecheck.Target{Flow: flow}}
	}
	t.Differential = checkrun.Differential(a.differential(), base, t)
	return t, nil
}

// stopped says why a job's context ended before the job did, or "".
func stopped(ctx context.Context, what string, timeout time.Duration) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("the %s ran out of its %s", what, timeout)
	case ctx.Err() != nil:
		return fmt.Sprintf("the %s was stopped (shutdown) before it finished", what)
	}
	return ""
}

// loadInventory reads an approved baseline; none yet is nil, not an error.
func loadInventory(path string) (*inventory.Baseline, error) {
	b, err := inventory.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// PendingPath is where the inventory of the first clean check waits for a
// person to approve it (by renaming it to path).
func PendingPath(path string) string {
	return strings.TrimSuffix(path, ".json") + ".pending.json"
}

// proposeBaseline adds a target's first clean check to the pending
// baseline, which a person approves by renaming it to the baseline's path.
// A target already pending is left as it is: what the person reviews must
// not change under them.
func (m *Monitor) proposeBaseline(path string, o *observation.Observation, pol verdict.Options) error {
	m.pendingMu.Lock()
	defer m.pendingMu.Unlock()
	pending := PendingPath(path)
	b, err := inventory.Load(pending)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b = inventory.New(m.now())
	case err != nil:
		return err
	case b.Page(o.Target) != nil:
		return nil
	}
	if err := checkrun.Approve(b, []*observation.Observation{o}, pol, m.now()); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(pending), 0o700); err != nil {
		return fmt.Errorf("baseline directory: %w", err)
	}
	return b.Save(pending)
}

type fimWorker struct {
	river.WorkerDefaults[FimArgs]
	m *Monitor
}

func (w *fimWorker) Timeout(j *river.Job[FimArgs]) time.Duration { return j.Args.Timeout }

func (w *fimWorker) Work(ctx context.Context, j *river.Job[FimArgs]) error {
	if done, err := w.m.handOnRecorded(ctx, j.JobRow); done {
		return err
	}
	a := j.Args
	res := RunResult{Site: a.Site, Target: a.Path, Detector: DetectorFim, At: w.m.now()}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	rep, err := w.verify(ctx, a)
	if err != nil {
		rep = &finding.Report{Tool: "skimwatch", Command: "fim verify", Targets: []string{a.Path}, Complete: true}
		rep.MarkIncomplete(err.Error())
	}
	if reason := stopped(ctx, "verify", a.Timeout); reason != "" {
		rep.MarkIncomplete(reason)
	}
	ev := record.RunEvent("skimwatch serve", rep, scanCounts(rep))
	return w.m.finish(ctx, rctx, w.m.file(rctx, j.JobRow, res, rep, rep.Findings, nil, []store.Event{ev}))
}

func (w *fimWorker) verify(ctx context.Context, a FimArgs) (*finding.Report, error) {
	man, err := webroot.LoadBaseline(a.Baseline, a.Pub)
	if err != nil {
		return nil, fmt.Errorf("refusing baseline %s: %w", a.Baseline, err)
	}
	rep, err := fim.Verify(ctx, a.Path, man, fim.VerifyOptions{WalkOptions: fim.WalkOptions{Logger: w.m.log}})
	if err != nil {
		return nil, err
	}
	if a.Scan {
		if err := webroot.ScanChangedWith(ctx, rep, w.m.scanOptions(a, w.m.verifyMemo(a.Path))); err != nil {
			rep.MarkIncomplete("signature scan: " + err.Error())
		}
		rep.Sort()
	}
	return rep, nil
}

type siteWorker struct {
	river.WorkerDefaults[SiteArgs]
	m *Monitor
}

func (w *siteWorker) Work(ctx context.Context, j *river.Job[SiteArgs]) error {
	if done, err := w.m.handOnRecorded(ctx, j.JobRow); done {
		return err
	}
	a := j.Args
	now := w.m.now()
	res := RunResult{Site: a.Site, Target: a.Site, Detector: DetectorCollector, At: now}
	rep := &finding.Report{Tool: "skimwatch", Command: "collector evaluate", Targets: []string{a.Site}, Complete: true}
	// A little overlap so a finding raised as the last run read is not
	// missed; the Alerter keys findings, so seeing one twice is harmless.
	since := now.Add(-a.Every - a.Every/2)
	found, err := w.m.store.Findings(ctx, store.FindingQuery{Site: a.Site, Since: since})
	if err != nil {
		rep.MarkIncomplete("read findings: " + err.Error())
	}
	for _, f := range found {
		if f.Source == DetectorCollector {
			rep.Findings = append(rep.Findings, f.Finding)
			// The collector's messages count reports, so its findings
			// are known by their store keys, not their text.
			res.Keys = append(res.Keys, f.Key)
		}
	}
	// The event names the origins customers' browsers reported in this
	// period, so an incident's window can cite the run that saw the
	// attacker's origin. A period without reports has nothing to name and
	// files nothing: a run every minute would otherwise fill the log.
	aggs, err := w.m.store.ReportAggregates(ctx, store.AggregateQuery{Site: a.Site, Since: since})
	if err != nil {
		rep.MarkIncomplete("read report aggregates: " + err.Error())
	}
	var events []store.Event
	if len(aggs) > 0 || len(rep.Findings) > 0 {
		events = append(events, record.RunEvent("skimwatch serve", rep, collector.EvaluationFacts(aggs, since)))
	}
	if a.Retain > 0 {
		if _, err := w.m.store.PruneReportAggregates(ctx, now.Add(-a.Retain)); err != nil {
			rep.MarkIncomplete("retention: " + err.Error())
		}
	}
	if a.RetainDeliveries > 0 {
		if _, err := w.m.store.PruneDeliveries(ctx, a.Site, now.Add(-a.RetainDeliveries)); err != nil {
			rep.MarkIncomplete("alert delivery retention: " + err.Error())
		}
	}
	if _, err := w.m.store.PruneJobRecords(ctx, now.Add(-w.m.jobRecordRetention())); err != nil {
		rep.MarkIncomplete("job record retention: " + err.Error())
	}
	// The collector filed the findings; the run files its event and the
	// job's record, last, so that they say how the whole run went.
	return w.m.finish(ctx, ctx, w.m.file(ctx, j.JobRow, res, rep, nil, nil, events))
}

// finish completes a run with its result (see file): the result becomes
// the job's output (kept whatever the job's outcome) and is handed to the
// Alerter. An incomplete run is returned as an error, so River retries it
// with back-off.
func (m *Monitor) finish(jobCtx, rctx context.Context, res RunResult) error {
	if err := river.RecordOutput(jobCtx, res); err != nil {
		m.log.Warn("run output not recorded", "site", res.Site, "target", res.Target, "err", err)
	}
	m.tell(rctx, res)
	if !res.Complete {
		return fmt.Errorf("incomplete run of %s on %s: %s", res.Detector, res.Target, strings.Join(res.Incomplete, "; "))
	}
	return nil
}

// result fills res from rep. The result is kept in the queue's database and
// goes out in alerts: card numbers are masked as the store masks them,
// whatever a detector put in a message or its evidence. res.Keys, when set,
// name rep.Findings in order and stay aligned with what is kept.
func result(res RunResult, rep *finding.Report) RunResult {
	res.Complete = rep.Complete
	res.Incomplete = rep.Incomplete
	keys := res.Keys
	res.Keys = nil
	for i, f := range rep.Findings {
		masked, err := store.MaskFinding(f)
		if err != nil {
			res.Complete = false
			res.Incomplete = append(res.Incomplete, "a finding could not be masked and was left out: "+err.Error())
			continue
		}
		res.Findings = append(res.Findings, masked)
		if len(keys) == len(rep.Findings) {
			res.Keys = append(res.Keys, keys[i])
		}
	}
	return res
}

// tell hands a run to the Alerter, if there is one.
func (m *Monitor) tell(ctx context.Context, res RunResult) {
	if m.alerter == nil {
		return
	}
	if err := m.alerter.Observe(ctx, res); err != nil {
		// Delivery is the alerter's to retry; detection goes on.
		m.log.Error("alerter refused a run", "site", res.Site, "target", res.Target, "err", err)
	}
}

// checkDwell is a check's dwell: the process's override (tests), else the
// job's own (the page's config), else the check's default.
func checkDwell(def, job, process time.Duration) time.Duration {
	switch {
	case process > 0:
		return process
	case job > 0:
		return job
	}
	return def
}
