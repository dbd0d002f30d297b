// Command benchcmd measures the collector against a bare net/http handler on
// loopback: sustained reports per second, p50/p99 latency and the server's
// peak memory, with the same bodies, the same client and the same server
// timeouts. Run it through scripts/bench-collector.sh (make bench-collector).
//
// Each server runs in a child process of its own, so that its peak RSS
// (VmHWM) is its own and not the load generator's.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

const siteKey = "bench-site-key-0123456789abcdef"

func main() {
	serve := flag.String("serve", "", "internal: run a server (bare or collector) and print its address")
	db := flag.String("db", "", "internal: SQLite file for -serve collector")
	workers := flag.Int("workers", 16, "concurrent connections")
	duration := flag.Duration("duration", 3*time.Second, "measuring time per server and round (after warm-up)")
	rounds := flag.Int("rounds", 3, "rounds, alternating bare and collector; medians are reported")
	maxReq := flag.Int("max-requests", 500000, "cap on requests per server")
	flush := flag.Duration("flush-interval", time.Second, "collector flush interval")
	profile := flag.String("cpuprofile", "", "write each server's CPU profile to this prefix plus -MODE-ROUND.prof (to see where the time goes)")
	shed := flag.Bool("shed", false, "measure shedding a flood (every request refused with 429) instead of serving reports:\n"+
		"bare, the collector serving, the collector closing each refused connection (as before), and keeping it")
	flag.Parse()
	if *serve != "" {
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench server:", err)
				os.Exit(1)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		if err := runServer(*serve, *db, *flush); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	modes := []string{"bare", "collector"}
	if *shed {
		modes = []string{"bare", "collector", "shed-close", "shed"}
	}
	if err := runBench(modes, *workers, *rounds, *duration, *maxReq, *flush, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// serverResult is what a server child prints when it stops.
type serverResult struct {
	PeakRSSKiB int64            `json:"peak_rss_kib"`
	Stats      *collector.Stats `json:"stats,omitempty"`
	Stored     int64            `json:"stored"`
	Err        string           `json:"error,omitempty"`
}

func runServer(mode, dbPath string, flush time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	var res serverResult
	switch mode {
	case "bare":
		srv := collector.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 64<<10))
			w.WriteHeader(http.StatusNoContent)
		}), collector.ServerTimeouts{})
		go srv.Serve(ln)
		<-ctx.Done()
		srv.Shutdown(context.Background())
	case "collector", "shed", "shed-close":
		st, err := sqlite.Open(context.Background(), dbPath, sqlite.Options{})
		if err != nil {
			return err
		}
		o := collector.Options{
			Sites: []collector.Site{{Name: "bench", Key: siteKey}}, FlushInterval: flush,
			// One generator on one IP: lift the per-client and per-site
			// limits, which would otherwise (rightly) answer 429.
			SiteRate: 1e9, SiteBurst: 1e9, ClientRate: 1e9, ClientBurst: 1e9,
		}
		if mode != "collector" {
			// A flood: the one client gets one report in, then 429s.
			o.ClientRate, o.ClientBurst = 1e-9, 1
		}
		c, err := collector.New(st, o)
		if err != nil {
			return err
		}
		if mode == "shed-close" {
			err = serveClosingRejections(ctx, c, ln)
		} else {
			err = c.Serve(ctx, ln, nil, collector.ServerTimeouts{})
		}
		if err != nil {
			res.Err = err.Error()
		}
		s := c.Stats()
		res.Stats = &s
		rows, err := st.ReportAggregates(context.Background(), store.AggregateQuery{Site: "bench"})
		if err != nil {
			return err
		}
		for _, r := range rows {
			res.Stored += r.Count
		}
		st.Close()
	default:
		return fmt.Errorf("unknown server %q", mode)
	}
	res.PeakRSSKiB = peakRSS()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// serveClosingRejections serves c as the collector did before shedding was
// measured: every refused request's connection closed, so the client must
// reconnect for its next one. Kept to compare against.
func serveClosingRejections(ctx context.Context, c *collector.Collector, ln net.Listener) error {
	h := c.Handler()
	srv := collector.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(closeOnError{w}, r)
	}), collector.ServerTimeouts{})
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan error, 1)
	go func() { ran <- c.Run(runCtx) }()
	go srv.Serve(ln)
	<-ctx.Done()
	srv.Shutdown(context.Background())
	stop()
	return <-ran
}

type closeOnError struct{ http.ResponseWriter }

func (w closeOnError) WriteHeader(status int) {
	if status >= 400 {
		w.Header().Set("Connection", "close")
	}
	w.ResponseWriter.WriteHeader(status)
}

func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var n int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &n)
			return n
		}
	}
	return -1
}

// bodies are realistic reports: both formats, a few dozen distinct
// aggregates (what one shop with a skimmer produces), card-free.
func bodies() []struct{ ct, body string } {
	var out []struct{ ct, body string }
	for i := range 24 {
		blocked := fmt.Sprintf("https://evil%d.example/c.php?d=%d", i%8, i)
		doc := fmt.Sprintf("https://shop.example/checkout/step%d?token=%d", i%3, i)
		if i%2 == 0 {
			out = append(out, struct{ ct, body string }{"application/csp-report", fmt.Sprintf(
				`{"csp-report":{"document-uri":%q,"referrer":"","violated-directive":"connect-src","effective-directive":"connect-src","original-policy":"default-src 'self'; connect-src 'self'; report-uri /r","disposition":"report","blocked-uri":%q,"line-number":1,"column-number":58,"source-file":"https://shop.example/js/app.js","status-code":200,"script-sample":""}}`,
				doc, blocked)})
		} else {
			out = append(out, struct{ ct, body string }{"application/reports+json", fmt.Sprintf(
				`[{"age":97,"body":{"blockedURL":%q,"disposition":"report","documentURL":%q,"effectiveDirective":"script-src-elem","originalPolicy":"default-src 'self'; report-to skimwatch","referrer":"","sample":"","statusCode":200},"type":"csp-violation","url":%q,"user_agent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36 bench-%d"}]`,
				blocked, doc, doc, i)})
		}
	}
	return out
}

type result struct {
	mode     string
	requests int64
	errors   int64
	non204   int64
	elapsed  time.Duration
	p50, p99 time.Duration
	server   serverResult
}

func runBench(modes []string, workers, rounds int, duration time.Duration, maxReq int, flush time.Duration, profile string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-collector-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The machine is shared and noisy: alternate the servers over several
	// rounds and compare medians, so that a burst of someone else's load
	// hits all alike.
	byMode := map[string][]result{}
	for round := range rounds {
		for _, mode := range modes {
			prof := ""
			if profile != "" {
				prof = fmt.Sprintf("%s-%s-%d.prof", profile, mode, round)
			}
			r, err := measure(self, mode, filepath.Join(dir, fmt.Sprintf("bench-%s-%d.db", mode, round)), workers, duration, maxReq, flush, prof)
			if err != nil {
				return fmt.Errorf("%s: %w", mode, err)
			}
			if s := r.server.Stats; s != nil && s.Accepted != r.server.Stored {
				return fmt.Errorf("accounting mismatch: accepted %d, stored %d", s.Accepted, r.server.Stored)
			}
			if r.server.Err != "" {
				return fmt.Errorf("%s: %s", mode, r.server.Err)
			}
			byMode[mode] = append(byMode[mode], r)
		}
	}
	// Each round's servers ran one after another: the ratio within a round
	// is the fairest comparison on a shared machine.
	paired := map[string][]float64{}
	for _, mode := range modes[1:] {
		for i := range rounds {
			paired[mode] = append(paired[mode], byMode[mode][i].rate()/byMode["bare"][i].rate())
		}
		slices.Sort(paired[mode])
	}
	unsorted := map[string][]int{}
	for _, mode := range modes {
		unsorted[mode] = rates(byMode[mode])
		slices.SortFunc(byMode[mode], func(a, b result) int { return cmp.Compare(a.rate(), b.rate()) })
	}
	for _, mode := range modes {
		fmt.Printf("rounds (requests/s) %-10s %v\n", mode, unsorted[mode])
	}
	fmt.Printf("workers=%d rounds=%d duration=%s max-requests=%d flush-interval=%s cores=%d; median round shown\n\n", workers, rounds, duration, maxReq, flush, numCPU())
	fmt.Printf("%-10s %10s %12s %9s %9s %12s %8s %8s\n", "server", "requests", "requests/s", "p50", "p99", "peak RSS", "errors", "non-204")
	for _, mode := range modes {
		r := byMode[mode][rounds/2]
		fmt.Printf("%-10s %10d %12.0f %9s %9s %9.1f MiB %8d %8d\n", mode, r.requests, r.rate(),
			r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), float64(r.server.PeakRSSKiB)/1024, r.errors, r.non204)
	}
	fmt.Println()
	for _, mode := range modes[1:] {
		p := paired[mode]
		fmt.Printf("%s/bare throughput: ratio of medians %.2f; per-round ratios %.2f, median %.2f\n", mode,
			byMode[mode][rounds/2].rate()/byMode["bare"][rounds/2].rate(), p, p[len(p)/2])
	}
	if rs := byMode["collector"]; rs != nil {
		coll := rs[rounds/2]
		if s := coll.server.Stats; s != nil {
			fmt.Printf("(aim for collector: >= 0.80)\ncollector accounting (incl. warm-up): measured 204s=%d accepted=%d persisted=%d stored=%d flushes=%d flush_errors=%d dropped=%d rejected=%d\n",
				coll.requests-coll.errors-coll.non204, s.Accepted, s.Persisted, coll.server.Stored, s.Flushes, s.FlushErrors, s.TotalDropped(), s.TotalRejected())
		}
	}
	return nil
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func rates(rs []result) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = int(r.rate())
	}
	return out
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func measure(self, mode, db string, workers int, duration time.Duration, maxReq int, flush time.Duration, profile string) (result, error) {
	cmd := exec.Command(self, "-serve", mode, "-db", db, "-flush-interval", flush.String(), "-cpuprofile", profile)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer cmd.Process.Kill()
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if err != nil {
		return result{}, fmt.Errorf("server did not start: %w", err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	url := "http://" + addr + "/r/" + siteKey

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}, Timeout: 10 * time.Second}
	bs := bodies()
	// Warm up connections and the server for a second, unmeasured.
	load(client, url, bs, workers, time.Second, maxReq)
	r := load(client, url, bs, workers, duration, maxReq)
	r.mode = mode
	client.CloseIdleConnections()

	cmd.Process.Signal(syscall.SIGTERM)
	if err := json.NewDecoder(rd).Decode(&r.server); err != nil {
		return result{}, fmt.Errorf("server result: %w", err)
	}
	return r, cmd.Wait()
}

func load(client *http.Client, url string, bs []struct{ ct, body string }, workers int, duration time.Duration, maxReq int) result {
	var (
		n, errs, non204 atomic.Int64
		mu              sync.Mutex
		lat             []time.Duration
		wg              sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(duration)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			for i := w; time.Now().Before(deadline); i += workers {
				if n.Add(1) > int64(maxReq) {
					n.Add(-1)
					break
				}
				b := bs[i%len(bs)]
				t0 := time.Now()
				resp, err := client.Post(url, b.ct, strings.NewReader(b.body))
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if resp.StatusCode != http.StatusNoContent {
					non204.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{requests: n.Load(), errors: errs.Load(), non204: non204.Load(), elapsed: time.Since(start)}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[len(lat)*99/100]
	}
	return r
}
