package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/webroot"
)

// Options configure a Monitor.
type Options struct {
	// Queue is the queue's DSN: postgres://... or a SQLite file path.
	Queue string
	// Store keeps findings, check runs and events.
	Store store.Store
	// Browser runs the checks; nil in a process that runs no checks.
	Browser *browser.Browser
	// Alerter is told about every run; nil tells no one.
	Alerter Alerter
	Logger  *slog.Logger
	// Work runs jobs in this process (MaxWorkers at once).
	Work       bool
	MaxWorkers int
	// Dwell overrides the checks' dwell (tests use short ones).
	Dwell time.Duration
	// PollInterval is how often workers look for jobs when not notified
	// (the SQLite driver has no notifications); default 1s.
	PollInterval time.Duration
	// RescueAfter is how long a job may run before it is taken as dead
	// (its process killed) and retried; default JobTimeout + 5m. It must
	// be longer than any job's timeout.
	RescueAfter time.Duration
	// JobTimeout is the longest any job may run (each job's own timeout
	// is shorter); default config.MaxTimeout. RescueAfter must exceed it.
	JobTimeout time.Duration
	// ID names this process among the queue's workers (River's client
	// ID); default host name and start time.
	ID string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// RulesDir keeps compiled signature rules between processes (see
	// webroot.RuleCache); "" keeps them in memory, for this process only.
	RulesDir string
}

// Monitor schedules jobs from a config and runs them.
type Monitor struct {
	opts    Options
	q       queue
	closeQ  func()
	store   store.Store
	browser *browser.Browser
	alerter Alerter
	log     *slog.Logger
	now     func() time.Time

	// mu guards the scheduler: a reload replaces it while jobs run on.
	mu        sync.Mutex
	stopSched context.CancelFunc
	schedDone *sync.WaitGroup
	// schedCtx and siteJobs are the running schedule's, for EvaluateSoon.
	schedCtx context.Context
	siteJobs map[string]Job

	// pendingMu serialises writes of pending baselines in this process.
	pendingMu sync.Mutex

	// rules are the compiled signature rules every scan of this process
	// reuses; verifyMemos remember the periodic verify's scans per root.
	rules       *webroot.RuleCache
	memoMu      sync.Mutex
	verifyMemos map[string]*webroot.ScanMemo
}

// maxAttempts is how many times a run is tried before River discards it;
// the next scheduled run comes anyway.
const maxAttempts = 3

// New opens (and migrates) the queue. It does not start anything.
func New(ctx context.Context, opts Options) (*Monitor, error) {
	if opts.Store == nil {
		return nil, errors.New("monitor: no store")
	}
	if opts.MaxWorkers < 1 {
		opts.MaxWorkers = 2
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = config.MaxTimeout
	}
	if opts.RescueAfter <= 0 {
		opts.RescueAfter = opts.JobTimeout + 5*time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Monitor{opts: opts, store: opts.Store, browser: opts.Browser, alerter: opts.Alerter, log: discardLogger(opts.Logger), now: opts.Now}
	m.rules = webroot.NewRuleCache(opts.RulesDir, m.log)
	workers := river.NewWorkers()
	river.AddWorker(workers, &checkWorker{m: m})
	river.AddWorker(workers, &fimWorker{m: m})
	river.AddWorker(workers, &siteWorker{m: m})
	river.AddWorker(workers, &auditWorker{m: m})
	rc := &river.Config{
		Workers:              workers,
		Logger:               m.log.With("component", "river"),
		FetchPollInterval:    opts.PollInterval,
		FetchCooldown:        min(opts.PollInterval, river.FetchCooldownDefault),
		ID:                   opts.ID,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		MaxAttempts:          maxAttempts,
	}
	if opts.Work {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}}
	}
	q, closeQ, err := openQueue(ctx, opts.Queue, rc)
	if err != nil {
		return nil, err
	}
	m.q, m.closeQ = q, closeQ
	return m, nil
}

// Start starts the workers (when Options.Work). Scheduling starts with
// Schedule.
func (m *Monitor) Start(ctx context.Context) error {
	if !m.opts.Work {
		return nil
	}
	if err := m.q.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// Schedule starts enqueueing the config's jobs at their intervals, first
// at once, replacing any earlier schedule. Jobs already queued or running
// are not touched: a reload never drops a running check.
func (m *Monitor) Schedule(ctx context.Context, cfg config.Config) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopSchedulerLocked()
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	sites := map[string]Job{}
	for _, j := range Jobs(cfg) {
		if a, ok := j.Args.(SiteArgs); ok {
			sites[a.Site] = j
		}
		wg.Go(func() { m.scheduleLoop(sctx, j) })
	}
	// The watchers run here, in the scheduling process: inotify sees only
	// this machine's files, and one watcher per root is enough.
	for _, w := range Watches(cfg) {
		wg.Go(func() { m.watchLoop(sctx, w) })
	}
	m.stopSched, m.schedDone, m.schedCtx, m.siteJobs = cancel, &wg, sctx, sites
}

// EvaluateSoon queues site's evaluation job now rather than at its next
// interval: the collector calls it when a flush raises a new finding, so
// that the finding reaches the alerter in seconds. The job is the one place
// that turns the collector's stored findings into runs. While a run of it
// is already queued or running (it may have read the findings before this
// one was written), queueing is tried again every poll interval for a few
// seconds.
func (m *Monitor) EvaluateSoon(site string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.siteJobs[site]
	if !ok || m.schedCtx == nil {
		return
	}
	ctx, poll := m.schedCtx, m.opts.PollInterval
	m.schedDone.Go(func() {
		for range evaluateTries {
			skipped, err := m.Enqueue(ctx, j)
			if err != nil && ctx.Err() == nil {
				m.log.Warn("collector evaluation not queued; the site's next interval will do it", "site", site, "err", err)
			}
			if err != nil || !skipped {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(poll):
			}
		}
	})
}

// evaluateTries bounds EvaluateSoon's attempts while a run is queued.
const evaluateTries = 10

func (m *Monitor) stopSchedulerLocked() {
	if m.stopSched != nil {
		m.stopSched()
		m.schedDone.Wait()
		m.stopSched, m.schedDone, m.schedCtx, m.siteJobs = nil, nil, nil, nil
	}
}

// Job is one scheduled job: its arguments and its interval.
type Job struct {
	Args  river.JobArgs
	Every time.Duration
}

// Jobs lists what a config schedules: a check per page and per flow, a
// verify per web root, an audit per site that asks for one, and a
// housekeeping job per site.
func Jobs(cfg config.Config) []Job {
	var jobs []Job
	for _, s := range cfg.Sites {
		baseline := s.Baseline
		if baseline == "" {
			baseline = legacyBaseline(cfg.DataDir, s.Name)
		}
		for _, p := range s.Pages {
			jobs = append(jobs, Job{Every: p.Every.D(), Args: CheckArgs{Site: s.Name, URL: p.URL, PaymentOrigins: s.PaymentOrigins,
				ShopOrigins: s.Origins, Baseline: baseline, NoProbe: p.NoProbe, Timeout: p.Timeout.D(), Differential: p.Differential,
				Dwell: p.Dwell.D()}})
		}
		for _, f := range s.Flows {
			jobs = append(jobs, Job{Every: f.Every.D(), Args: CheckArgs{Site: s.Name, Flow: f.File, PaymentOrigins: s.PaymentOrigins,
				ShopOrigins: s.Origins, Baseline: baseline, Timeout: f.Timeout.D(), Differential: f.Differential}})
		}
		for _, w := range s.WebRoots {
			jobs = append(jobs, Job{Every: w.Every.D(), Args: FimArgs{Site: s.Name, Path: w.Path, Baseline: w.Baseline, Pub: w.Pub, Scan: w.Scan, Rules: w.Rules, Timeout: w.Timeout.D()}})
		}
		if j, ok := auditJob(s); ok {
			jobs = append(jobs, j)
		}
		jobs = append(jobs, Job{Every: s.Every.D(), Args: SiteArgs{Site: s.Name, Every: s.Every.D(), Retain: cfg.Retention.Reports.D(),
			RetainDeliveries: cfg.Retention.Deliveries.D()}})
	}
	return jobs
}

// uniqueStates are the states in which a job blocks another with the same
// arguments: queued, waiting, running or waiting to retry. Completed is
// left out (River's default keeps it), or a page would be checked once and
// never again until the job cleaner ran.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

// Enqueue queues one run of j now, unless one with the same arguments is
// already queued or running; skipped reports that.
func (m *Monitor) Enqueue(ctx context.Context, j Job) (skipped bool, err error) {
	res, err := m.q.Insert(ctx, j.Args, &river.InsertOpts{
		MaxAttempts: maxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", j.Args.Kind(), err)
	}
	return res.UniqueSkippedAsDuplicate, nil
}

func (m *Monitor) scheduleLoop(ctx context.Context, j Job) {
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		if skipped, err := m.Enqueue(ctx, j); err != nil && ctx.Err() == nil {
			m.log.Error("schedule", "kind", j.Args.Kind(), "err", err)
		} else if skipped {
			m.log.Info("previous run still queued or running; not queued again", "kind", j.Args.Kind(), "args", j.Args)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop stops, in this order: the scheduler (nothing new is queued), the
// workers (running jobs get until ctx ends to finish, then are cancelled
// and record themselves incomplete), and the queue's database. The store
// and browser are the caller's, and must outlive Stop.
func (m *Monitor) Stop(ctx context.Context) error {
	m.mu.Lock()
	m.stopSchedulerLocked()
	m.mu.Unlock()
	var err error
	if m.opts.Work {
		if err = m.q.Stop(ctx); err != nil {
			// Out of patience: cancel running jobs, which record
			// themselves as incomplete.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
			err = errors.Join(err, m.q.StopAndCancel(cctx))
			cancel()
		}
	}
	m.closeQ()
	return err
}
