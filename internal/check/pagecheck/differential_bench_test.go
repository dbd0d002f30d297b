package pagecheck

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDifferential measures what the differential probe adds to one
// check of the lab's token checkout: a plain check and a differential one,
// alternated so that noise on the shared machine hits both alike. The
// figure to quote is extra-cpu-s/check, the CPU time (this process plus
// every browser process) of the added passes.
//
//	go test ./internal/check/pagecheck -run '^$' -bench BenchmarkDifferential -benchtime 3x
func BenchmarkDifferential(b *testing.B) {
	br := startBrowser(b)
	l := startLab(b)
	url := l.ShopURL() + benchPage
	opts := labOptions(b, l)
	opts.Dwell = benchDwell
	opts.KeyDelayMin, opts.KeyDelayMax = DefaultOptions().KeyDelayMin, DefaultOptions().KeyDelayMax
	opts.Identity = nil // each check draws its own customer
	ctx := context.Background()
	if err := bareLoad(ctx, br, url); err != nil {
		b.Fatal(err)
	}
	var plainCPU, diffCPU float64
	var plainWall, diffWall time.Duration
	for b.Loop() {
		c0, t0 := cpuSeconds(br), time.Now()
		o, err := Check(ctx, br, Target{URL: url}, opts)
		if err != nil || !o.Complete {
			b.Fatalf("plain check: %v %q", err, o.Incomplete)
		}
		plainCPU += cpuSeconds(br) - c0
		plainWall += time.Since(t0)
		c0, t0 = cpuSeconds(br), time.Now()
		o, err = CheckDifferential(ctx, br, Target{URL: url}, opts)
		if err != nil || !o.Complete {
			b.Fatalf("differential check: %v %q", err, o.Incomplete)
		}
		diffCPU += cpuSeconds(br) - c0
		diffWall += time.Since(t0)
		if len(o.Disguised) != 0 {
			b.Fatalf("the clean checkout has disguised sends: %+v", o.Disguised)
		}
	}
	n := float64(b.N)
	b.ReportMetric(plainCPU/n, "plain-cpu-s/check")
	b.ReportMetric(diffCPU/n, "differential-cpu-s/check")
	b.ReportMetric((diffCPU-plainCPU)/n, "extra-cpu-s/check")
	b.ReportMetric(plainWall.Seconds()/n, "plain-s/check")
	b.ReportMetric(diffWall.Seconds()/n, "differential-s/check")
}
