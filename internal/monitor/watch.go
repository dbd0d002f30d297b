package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/webroot"
)

// Watch is one web root watched with inotify in the scheduling process
// (config `watch: true`); Every is the root's verify interval.
type Watch struct {
	Args  FimArgs
	Every time.Duration
}

// Watches lists the web roots a config watches.
func Watches(cfg config.Config) []Watch {
	var out []Watch
	for _, s := range cfg.Sites {
		for _, w := range s.WebRoots {
			if w.Watch {
				out = append(out, Watch{Every: w.Every.D(), Args: FimArgs{Site: s.Name, Path: w.Path, Baseline: w.Baseline, Pub: w.Pub, Scan: w.Scan, Rules: w.Rules, Timeout: w.Timeout.D()}})
			}
		}
	}
	return out
}

// watchLimitedTarget is the target under which the watch reports folders
// it could not watch: only the watch knows of them, so under the root's own
// target every periodic verify would resolve them and the next change
// reopen them.
func watchLimitedTarget(root string) string { return root + " (inotify)" }

// watchLoop runs the watcher of one web root until ctx ends. Each change
// hands the Alerter a complete run of the fim detector on the root holding
// everything the watch knows to differ from the baseline, as the periodic
// verify does, so the two agree on what is open and a restored file
// resolves at once. The watch starts again when the baseline file changes
// (a new approval), and after an error, after a pause.
func (m *Monitor) watchLoop(ctx context.Context, w Watch) {
	log := m.log.With("site", w.Args.Site, "root", w.Args.Path)
	pause := min(max(w.Every, time.Second), time.Minute)
	for ctx.Err() == nil {
		stamp := fileStamp(w.Args.Baseline)
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.watch(wctx, w.Args, log) }()
		t := time.NewTicker(baselineCheck)
		var err error
		restart := false
		for !restart {
			select {
			case err = <-done:
				restart = true
			case <-t.C:
				if fileStamp(w.Args.Baseline) != stamp {
					log.Info("the fim baseline changed; watching against the new one")
					cancel()
					err = <-done
					restart = true
				}
			}
		}
		t.Stop()
		cancel()
		if err == nil {
			continue
		}
		// The periodic verify goes on meanwhile, and its runs say
		// whether the root can be read at all.
		log.Error("fim watch stopped; starting it again", "after", pause, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// baselineCheck is how often a watch looks whether its baseline file was
// replaced: one stat, so an approval takes effect in seconds.
const baselineCheck = 2 * time.Second

// fileStamp tells a replaced file from the one read before.
func fileStamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "missing"
	}
	return fmt.Sprint(fi.ModTime().UnixNano(), fi.Size())
}

func (m *Monitor) watch(ctx context.Context, a FimArgs, log *slog.Logger) error {
	man, err := webroot.LoadBaseline(a.Baseline, a.Pub)
	if err != nil {
		return fmt.Errorf("refusing baseline %s: %w", a.Baseline, err)
	}
	// No sweep of its own: the periodic verify job is the sweep (an
	// overflowed inotify queue still makes the watch re-verify at once).
	opts := fim.WatchOptions{Sweep: -1, WalkOptions: fim.WalkOptions{Logger: log}}
	// The watch hands on every deviation at each change; the memo keeps a
	// deploy of n files from scanning n files n times.
	memo := webroot.NewScanMemo()
	opts.Current = func(fs []finding.Finding) { m.watchRun(ctx, a, fs, memo) }
	return fim.Watch(ctx, a.Path, man, opts, func(finding.Finding) {})
}

// watchRun records what the watch sees now and hands it to the Alerter.
func (m *Monitor) watchRun(ctx context.Context, a FimArgs, fs []finding.Finding, memo *webroot.ScanMemo) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	at := m.now()
	rep := &finding.Report{Tool: "skimwatch", Command: "fim watch", Targets: []string{a.Path}, Complete: true, Started: at}
	limited := &finding.Report{Complete: true}
	for _, f := range fs {
		if f.Kind == fim.KindWatchLimited {
			limited.Findings = append(limited.Findings, f)
			continue
		}
		rep.Findings = append(rep.Findings, f)
	}
	if a.Scan {
		// As the verify job does, or its scan findings and the watch's
		// runs would resolve each other's.
		if err := webroot.ScanChangedWith(rctx, rep, m.scanOptions(a, memo)); err != nil {
			rep.MarkIncomplete("signature scan: " + err.Error())
		}
		rep.Sort()
	}
	rep.Finished = m.now()
	record.Report(rctx, m.store, a.Site, rep, nil, record.RunEvent("skimwatch serve", rep, scanCounts(rep)))
	m.tell(rctx, result(RunResult{Site: a.Site, Target: a.Path, Detector: DetectorFim, At: at}, rep))
	m.tell(rctx, result(RunResult{Site: a.Site, Target: watchLimitedTarget(a.Path), Detector: DetectorFim, At: at}, limited))
}

// scanOptions are the signature scan of a's root: the bundled rules and
// a's, compiled once in this process and reused between runs (a nil cache,
// as in tests that build a bare Monitor, compiles them), and memo.
func (m *Monitor) scanOptions(a FimArgs, memo *webroot.ScanMemo) webroot.ScanOptions {
	return webroot.ScanOptions{Logger: m.log, RuleFiles: a.Rules, Cache: m.rules, Memo: memo}
}

// verifyMemo is the scan memo of the periodic verify of root in this
// process: a root whose changes stay unapproved is not rescanned whole at
// every interval.
func (m *Monitor) verifyMemo(root string) *webroot.ScanMemo {
	m.memoMu.Lock()
	defer m.memoMu.Unlock()
	if m.verifyMemos == nil {
		m.verifyMemos = map[string]*webroot.ScanMemo{}
	}
	if m.verifyMemos[root] == nil {
		m.verifyMemos[root] = webroot.NewScanMemo()
	}
	return m.verifyMemos[root]
}

// scanCounts are what a run's event says of its signature scan: how many
// files it scanned and how many earlier scans it reused, so that the event
// log shows what a deploy cost.
func scanCounts(rep *finding.Report) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"scanned_files", "reused_scans"} {
		if v, ok := rep.Details[k]; ok {
			out[k] = v
		}
	}
	return out
}
