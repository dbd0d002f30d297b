package pagecheck

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// benchDwell is the dwell of both the check and the bare load it is
// compared with.
const benchDwell = 2 * time.Second

// benchPage is the lab's token-type checkout: card fields on the shop's
// own page, the heaviest page a check types into.
const benchPage = "/checkout/token"

// cpuSeconds is the CPU time of this process plus every process of the
// browser, including reaped renderers (their time moves to the parent's
// cutime/cstime).
func cpuSeconds(b *browser.Browser) float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	total := tv(ru.Utime) + tv(ru.Stime)
	tick := 100.0 // USER_HZ on Linux
	for _, pid := range b.Processes() {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(st)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		// Fields after the command: state is f[0]; utime, stime,
		// cutime, cstime are fields 14-17 of stat, f[11..14] here.
		for _, i := range []int{11, 12, 13, 14} {
			if i < len(f) {
				v, _ := strconv.ParseFloat(f[i], 64)
				total += v / tick
			}
		}
	}
	return total
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// rssBytes is the resident memory of all the browser's processes.
func rssBytes(b *browser.Browser) int64 {
	var total int64
	for _, pid := range b.Processes() {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					total += kb << 10
				}
			}
		}
	}
	return total
}

// peakRSS samples rssBytes until stop is called, and returns the peak.
func peakRSS(b *browser.Browser) (stop func() int64) {
	var mu sync.Mutex
	var peak int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r := rssBytes(b); r > 0 {
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// bareLoad is the baseline: a fresh tab loads the page, waits for its load
// event, and stays for the dwell, with no capture at all.
func bareLoad(ctx context.Context, b *browser.Browser, url string) error {
	tab, err := b.NewTab(ctx, browser.TabOptions{})
	if err != nil {
		return err
	}
	defer tab.Close()
	s := tab.Page()
	loaded, cancel := s.Subscribe(page.LoadEventFired.Method)
	defer cancel()
	if _, err := cdp.Call(ctx, s, page.Enable, page.EnableParams{}); err != nil {
		return err
	}
	if _, err := cdp.Call(ctx, s, page.Navigate, page.NavigateParams{URL: url}); err != nil {
		return err
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		return ctx.Err()
	}
	time.Sleep(benchDwell)
	return nil
}

func BenchmarkCheck(b *testing.B) {
	br := startBrowser(b)
	l := startLab(b)
	url := l.ShopURL() + benchPage
	opts := labOptions(b, l)
	opts.Dwell = benchDwell
	opts.KeyDelayMin, opts.KeyDelayMax = DefaultOptions().KeyDelayMin, DefaultOptions().KeyDelayMax
	if os.Getenv("SKIMWATCH_BENCH_LOG") != "" {
		// Per-phase timings of every check (log lines "phase").
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx := context.Background()
	// Warm up: the first load pays for process start and disk cache.
	if err := bareLoad(ctx, br, url); err != nil {
		b.Fatal(err)
	}

	// One check against one bare load of the same page, interleaved so
	// that noise on the shared machine hits both alike.
	b.Run("one-vs-bare", func(b *testing.B) {
		var bare, check, cpu, bareCPU time.Duration
		var typing time.Duration
		stop := peakRSS(br)
		for b.Loop() {
			t0, bc0 := time.Now(), cpuSeconds(br)
			if err := bareLoad(ctx, br, url); err != nil {
				b.Fatal(err)
			}
			bare += time.Since(t0)
			bareCPU += time.Duration((cpuSeconds(br) - bc0) * float64(time.Second))
			c0 := cpuSeconds(br)
			t1 := time.Now()
			o, err := Check(ctx, br, Target{URL: url}, opts)
			if err != nil {
				b.Fatal(err)
			}
			check += time.Since(t1)
			cpu += time.Duration((cpuSeconds(br) - c0) * float64(time.Second))
			if !o.Complete {
				b.Fatalf("check incomplete: %q", o.Incomplete)
			}
			typing += typingTime(o, &opts)
		}
		n := float64(b.N)
		b.ReportMetric(bare.Seconds()/n, "bare-s/op")
		b.ReportMetric(check.Seconds()/n, "check-s/op")
		b.ReportMetric(check.Seconds()/bare.Seconds(), "check/bare")
		b.ReportMetric((check-bare-typing).Seconds()/n, "overhead-excl-typing-s/op")
		b.ReportMetric(cpu.Seconds()/n, "cpu-s/check")
		b.ReportMetric(bareCPU.Seconds()/n, "cpu-s/bare")
		b.ReportMetric(float64(stop())/(1<<20), "peak-rss-MiB")
	})

	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("concurrent=%d", n), func(b *testing.B) {
			stop := peakRSS(br)
			c0 := cpuSeconds(br)
			start := time.Now()
			checks := 0
			for b.Loop() {
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for range n {
					wg.Go(func() {
						o, err := Check(ctx, br, Target{URL: url}, opts)
						if err == nil && !o.Complete {
							err = fmt.Errorf("incomplete: %q", o.Incomplete)
						}
						errs <- err
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				checks += n
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(checks)/elapsed.Minutes(), "checks/min")
			b.ReportMetric((cpuSeconds(br)-c0)/float64(checks), "cpu-s/check")
			b.ReportMetric(float64(stop())/(1<<20), "peak-rss-MiB")
		})
	}
}

// typingTime is the expected human-paced part of one check: the mean key
// delay per character typed, the mean pause after each field, and the
// pauses before and during the submit click (see probe.go). It is taken
// off to show what capture itself costs.
func typingTime(o *observation.Observation, opts *Options) time.Duration {
	if o.Probe == nil {
		return 0
	}
	meanKey := (opts.KeyDelayMin + opts.KeyDelayMax) / 2
	var d time.Duration
	for _, f := range o.Probe.Filled {
		d += time.Duration(utf8.RuneCountInString(o.Probe.Values[f.Class])) * meanKey
		d += 165 * time.Millisecond
	}
	if o.Probe.Submitted {
		d += 800*time.Millisecond + 80*time.Millisecond
	}
	return d
}
