package monitor

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func cpuSeconds(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkServiceCheck runs b.N browser checks of the lab's token checkout
// one after another through the queue, and reports the CPU time they cost
// this process and Chromium together (Chromium's counts once it has exited,
// so the browser is started and closed inside the measurement; its start
// is shared by all b.N checks). Dwell is the product default, not a test's.
//
//	go test ./internal/monitor -run '^$' -bench BenchmarkServiceCheck -benchtime 10x
func BenchmarkServiceCheck(b *testing.B) {
	_, err := browser.FindChromium("")
	testsupport.Need(b, "Chromium", err)
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	dir := b.TempDir()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(dir, "store.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	alerts := newRecordingAlerter()
	selfBefore, childBefore := cpuSeconds(syscall.RUSAGE_SELF), cpuSeconds(syscall.RUSAGE_CHILDREN)
	start := time.Now()
	br, err := browser.Launch(ctx, browser.Options{MaxConcurrent: 1})
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(ctx, Options{Queue: filepath.Join(dir, "queue.db"), Store: st, Browser: br, Alerter: alerts, Work: true, MaxWorkers: 1, PollInterval: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		b.Fatal(err)
	}
	job := Job{Every: time.Minute, Args: CheckArgs{Site: "lab", URL: l.ShopURL() + "/checkout/token", PaymentOrigins: []string{l.PSPOrigin(), l.PSPAPIOrigin()},
		Baseline: filepath.Join(dir, "lab.json"), Timeout: 2 * time.Minute}}
	b.ResetTimer()
	incomplete := 0
	for i := range b.N {
		// The Alerter hears of a run just before River marks its job
		// completed; until then the page's next check is (rightly) refused.
		for {
			skipped, err := m.Enqueue(ctx, job)
			if err != nil {
				b.Fatal(err)
			}
			if !skipped {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		r, ok := alerts.nth(ctx, i, 3*time.Minute)
		if !ok {
			runs, _ := m.Runs(ctx, 5)
			b.Fatalf("check %d did not finish; runs %+v; alerter %+v", i, runs, alerts.runs)
		}
		if !r.Complete {
			incomplete++
		}
	}
	b.StopTimer()
	if err := m.Stop(ctx); err != nil {
		b.Fatal(err)
	}
	br.Close()
	wall := time.Since(start)
	self, child := cpuSeconds(syscall.RUSAGE_SELF)-selfBefore, cpuSeconds(syscall.RUSAGE_CHILDREN)-childBefore
	b.ReportMetric((self+child)/float64(b.N), "cpu-s/check")
	b.ReportMetric(child/float64(b.N), "chromium-cpu-s/check")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/check")
	b.ReportMetric(float64(incomplete), "incomplete")
}
