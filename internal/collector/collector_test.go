package collector

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/postgres"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

const testKey = "k3y-for-tests-0123456789abcdef"

// faultyStore is a real SQLite store with faults switched on and off.
type faultyStore struct {
	store.Store
	fail         atomic.Bool  // every merge fails before touching the DB
	commitThen   atomic.Int32 // the next N merges commit, then report an error
	panicNext    atomic.Int32 // the next N merges panic before committing
	failFindings atomic.Bool  // every PutFinding fails
	rowsRead     atomic.Int64 // aggregates returned by ReportAggregates
	merges       atomic.Int64
	failedMerges atomic.Int64
}

func (s *faultyStore) ReportAggregates(ctx context.Context, q store.AggregateQuery) ([]store.ReportAggregate, error) {
	rows, err := s.Store.ReportAggregates(ctx, q)
	s.rowsRead.Add(int64(len(rows)))
	return rows, err
}

func (s *faultyStore) PutFinding(ctx context.Context, key string, f finding.Finding) (bool, error) {
	if s.failFindings.Load() {
		return false, errOutage
	}
	return s.Store.PutFinding(ctx, key, f)
}

var errOutage = errors.New("store unavailable (test)")

func (s *faultyStore) MergeReportAggregates(ctx context.Context, id string, aggs []store.ReportAggregate) error {
	s.merges.Add(1)
	if s.fail.Load() {
		s.failedMerges.Add(1)
		return errOutage
	}
	if s.panicNext.Load() > 0 {
		s.panicNext.Add(-1)
		s.failedMerges.Add(1)
		panic("connection killed mid-transaction (test)")
	}
	if s.commitThen.Load() > 0 {
		s.commitThen.Add(-1)
		s.failedMerges.Add(1)
		if err := s.Store.MergeReportAggregates(ctx, id, aggs); err != nil {
			return err
		}
		return fmt.Errorf("commit acknowledged too late: %w", context.DeadlineExceeded)
	}
	return s.Store.MergeReportAggregates(ctx, id, aggs)
}

func (s *faultyStore) ApprovedSources(ctx context.Context, site string) ([]store.ApprovedSource, error) {
	if s.fail.Load() {
		return nil, errOutage
	}
	return s.Store.ApprovedSources(ctx, site)
}

func newStore(t *testing.T) *faultyStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &faultyStore{Store: db}
}

func newPostgresStore(t *testing.T) *faultyStore {
	t.Helper()
	db, err := postgres.Open(context.Background(), storetest.PostgresDSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &faultyStore{Store: db}
}

// backends are the stores the fault tests run against; PostgreSQL is
// skipped without $SKIMWATCH_TEST_POSTGRES (and fails without it in CI).
var backends = []struct {
	name string
	open func(*testing.T) *faultyStore
}{
	{"sqlite", newStore},
	{"postgres", newPostgresStore},
}

func newCollector(t *testing.T, st Store, o Options) *Collector {
	t.Helper()
	if o.Sites == nil {
		o.Sites = []Site{{Name: "shop", Key: testKey}}
	}
	c, err := New(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run starts the aggregator and returns a function that stops it and
// returns Run's error.
func run(t *testing.T, c *Collector) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func legacy(blocked, directive string) string {
	return `{"csp-report":{"document-uri":"https://shop.example/checkout?t=1","effective-directive":"` + directive +
		`","blocked-uri":"` + blocked + `","disposition":"report","source-file":"https://shop.example/checkout"}}`
}

type post struct {
	key, ct, body, ip, ua string
	method                string
}

func send(h http.Handler, p post) *httptest.ResponseRecorder {
	if p.key == "" {
		p.key = testKey
	}
	if p.ct == "" {
		p.ct = "application/csp-report"
	}
	if p.method == "" {
		p.method = http.MethodPost
	}
	r := httptest.NewRequest(p.method, "/r/"+p.key, strings.NewReader(p.body))
	r.Header.Set("Content-Type", p.ct)
	if p.ip != "" {
		r.RemoteAddr = p.ip + ":5555"
	}
	r.Header.Set("User-Agent", p.ua)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// eventually polls cond: waiting for background work is not a timing
// assertion, the deadline only stops a hung test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func storedCount(t *testing.T, st Store) int64 {
	t.Helper()
	rows, err := st.ReportAggregates(context.Background(), store.AggregateQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.Count
	}
	return n
}

func TestHandler(t *testing.T) {
	good := legacy("https://evil.example/x.js?v=1", "script-src-elem")
	batch, _ := os.ReadFile("../csp/testdata/reports/chromium-156-batch.reports.json")
	tests := []struct {
		name     string
		p        post
		status   int
		accepted int64
		dropped  string
	}{
		{"a report-uri body is accepted with 204", post{body: good}, 204, 1, ""},
		{"a Reporting API batch is accepted report by report", post{ct: "application/reports+json", body: string(batch)}, 204, 4, ""},
		{"old safari's application/json is accepted", post{ct: "application/json", body: good}, 204, 1, ""},
		{"an unknown key is 404 before the body is read", post{key: "not-a-site-key-at-all", body: good}, 404, 0, ""},
		{"a form post is 415", post{ct: "application/x-www-form-urlencoded", body: "a=b"}, 415, 0, ""},
		{"garbage is 400", post{body: "\x00\x01garbage{"}, 400, 0, ""},
		{"a body over the cap is 413", post{body: `{"csp-report":{"document-uri":"` + strings.Repeat("a", 70<<10) + `"}}`}, 413, 0, ""},
		{"an extension's report is answered 204 and counted as dropped", post{body: legacy("chrome-extension", "script-src-elem")}, 204, 0, "browser-extension"},
		{"GET on a report URL is 405", post{method: http.MethodGet}, 405, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, newStore(t), Options{})
			w := send(c.Handler(), tt.p)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			s := c.Stats()
			if s.Accepted != tt.accepted {
				t.Errorf("accepted %d, want %d", s.Accepted, tt.accepted)
			}
			if tt.dropped != "" && s.Dropped[tt.dropped] != 1 {
				t.Errorf("dropped %v, want one %s", s.Dropped, tt.dropped)
			}
			if tt.status >= 400 && tt.status != 405 && s.Rejected[tt.status] != 1 {
				t.Errorf("rejected %v, want one %d", s.Rejected, tt.status)
			}
		})
	}

	t.Run("a CORS preflight is answered for a known key", func(t *testing.T) {
		c := newCollector(t, newStore(t), Options{})
		w := send(c.Handler(), post{method: http.MethodOptions})
		if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" ||
			w.Header().Get("Access-Control-Allow-Methods") != "POST" || w.Header().Get("Access-Control-Allow-Headers") != "Content-Type" ||
			w.Header().Get("Access-Control-Max-Age") == "" {
			t.Errorf("got %d %v", w.Code, w.Header())
		}
	})
	t.Run("metrics are not served on the public report endpoint", func(t *testing.T) {
		c := newCollector(t, newStore(t), Options{})
		send(c.Handler(), post{body: good})
		w := httptest.NewRecorder()
		c.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "skimwatch_collector") {
			t.Errorf("GET /metrics on the report endpoint: %d %q, want 404", w.Code, w.Body)
		}
	})
	t.Run("metrics are served in the Prometheus format", func(t *testing.T) {
		c := newCollector(t, newStore(t), Options{})
		send(c.Handler(), post{body: good})
		r := httptest.NewRequest("GET", "/metrics", nil)
		w := httptest.NewRecorder()
		c.MetricsHandler().ServeHTTP(w, r)
		for _, want := range []string{"skimwatch_collector_reports_accepted_total 1", `skimwatch_collector_requests_rejected_total{status="429"} 0`, "skimwatch_collector_queue_depth 1"} {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func TestFloodFromOneClient(t *testing.T) {
	c := newCollector(t, newStore(t), Options{ClientRate: 1, ClientBurst: 5})
	h := c.Handler()
	codes := map[int]int{}
	for range 50 {
		w := send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: "192.0.2.1"})
		codes[w.Code]++
		if w.Code == 429 && w.Header().Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	other := send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: "198.51.100.2"})
	// Outcome: the burst of 5 is accepted, the other 45 are told to retry,
	// and a second client is unaffected.
	if codes[204] != 5 || codes[429] != 45 || other.Code != 204 {
		t.Errorf("flooder got %v, other client got %d", codes, other.Code)
	}
	if s := c.Stats(); s.Accepted != 6 || s.Rejected[429] != 45 {
		t.Errorf("stats %+v", s)
	}
}

func TestFullQueueAnswers503(t *testing.T) {
	c := newCollector(t, newStore(t), Options{QueueSize: 2})
	h := c.Handler()
	var codes []int
	for i := range 4 {
		codes = append(codes, send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: fmt.Sprint("192.0.2.", i)}).Code)
	}
	// No aggregator runs, so the queue holds 2 requests; the rest get 503
	// and nothing beyond the queue is held in memory.
	if fmt.Sprint(codes) != "[204 204 503 503]" {
		t.Errorf("codes %v", codes)
	}
	if s := c.Stats(); s.Accepted != 2 || s.Rejected[503] != 2 || s.QueueDepth != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestSlowlorisIsCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("opens real sockets and waits for a timeout")
	}
	st := newStore(t)
	c := newCollector(t, st, Options{FlushInterval: 20 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Serve(ctx, ln, nil, ServerTimeouts{ReadHeader: 300 * time.Millisecond, Read: time.Second})
	}()
	addr := ln.Addr().String()

	// Ten slow clients each send a header line and then dribble.
	var slow []net.Conn
	for range 10 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /r/%s HTTP/1.1\r\nHost: x\r\n", testKey)
		slow = append(slow, conn)
	}
	// A normal client is served meanwhile.
	resp, err := http.Post("http://"+addr+"/r/"+testKey, "application/csp-report", strings.NewReader(legacy("https://evil.example/a.js", "script-src-elem")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("normal client got %d", resp.StatusCode)
	}
	// Each slow client is cut off by the server: its read ends (EOF or a
	// 408) rather than hanging until our own 5s guard.
	cut := 0
	for _, conn := range slow {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(conn, "X-Slow: 1\r\n")
		_, err := io.ReadAll(bufio.NewReader(conn))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		cut++
	}
	if cut != 10 {
		t.Errorf("%d of 10 slow clients were cut off", cut)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := storedCount(t, st); n != 1 {
		t.Errorf("stored %d reports, want the normal client's 1", n)
	}
}

func TestStoreOutageAndRecovery(t *testing.T) {
	for _, backend := range backends {
		t.Run("a "+backend.name+" outage loses nothing and counts once", func(t *testing.T) {
			st := backend.open(t)
			st.fail.Store(true)
			c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond})
			stop := run(t, c)
			h := c.Handler()
			for i := range 30 {
				if w := send(h, post{body: legacy(fmt.Sprintf("https://evil%d.example/a.js", i%3), "script-src-elem"), ip: fmt.Sprint("198.51.100.", i)}); w.Code != 204 {
					t.Fatalf("report %d: %d", i, w.Code)
				}
			}
			eventually(t, "failed flushes", func() bool { return st.failedMerges.Load() >= 3 })
			if s := c.Stats(); s.Persisted != 0 || s.Pending != 3 {
				t.Fatalf("during the outage: %+v", s)
			}
			st.fail.Store(false)
			eventually(t, "recovery", func() bool { return c.Stats().Persisted == 30 })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			// Outcome: 30 accepted, 0 lost, the failed attempts counted, and the
			// store holds exactly 30 (the retried batch was merged once).
			s := c.Stats()
			if n := storedCount(t, st); n != 30 || s.Accepted != 30 || s.FlushErrors < 3 {
				t.Errorf("stored %d, stats %+v", n, s)
			}
		})
	}
}

func TestKilledFlushIsRetriedWithoutDoubleCounting(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*faultyStore)
	}{
		{"a flush that panics before commit is retried", func(s *faultyStore) { s.panicNext.Store(2) }},
		{"a flush that committed but reported failure is not counted twice", func(s *faultyStore) { s.commitThen.Store(2) }},
	}
	for _, backend := range backends {
		for _, tt := range tests {
			t.Run(tt.name+" on "+backend.name, func(t *testing.T) {
				st := backend.open(t)
				tt.fault(st)
				c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond})
				stop := run(t, c)
				for i := range 20 {
					send(c.Handler(), post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: fmt.Sprint("203.0.113.", i)})
				}
				eventually(t, "persisted", func() bool { return c.Stats().Persisted == 20 })
				if err := stop(); err != nil {
					t.Fatal(err)
				}
				if n := storedCount(t, st); n != 20 || st.failedMerges.Load() != 2 {
					t.Errorf("stored %d of 20; %d failed merges (want 2)", n, st.failedMerges.Load())
				}
			})
		}
	}
}

func TestShedsLoadWhenTheStoreFallsBehind(t *testing.T) {
	st := newStore(t)
	st.fail.Store(true)
	c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond, MaxPending: 5, ShutdownTimeout: 300 * time.Millisecond})
	stop := run(t, c)
	h := c.Handler()
	codes := map[int]int{}
	for i := range 20 {
		codes[send(h, post{body: legacy(fmt.Sprintf("https://e%d.example/a.js", i), "script-src-elem"), ip: fmt.Sprint("10.0.0.", i)}).Code]++
		time.Sleep(2 * time.Millisecond) // let the aggregator take each one
	}
	if codes[503] == 0 || codes[204] < 5 {
		t.Errorf("codes %v: want the first 5 accepted, then 503", codes)
	}
	// With the store still down, shutdown cannot write: it says so, with
	// the number of reports, instead of exiting clean.
	err := stop()
	if !errors.Is(err, ErrUnflushed) || !strings.Contains(err.Error(), fmt.Sprintf("%d reports", codes[204])) {
		t.Errorf("shutdown error %v, want ErrUnflushed with %d reports", err, codes[204])
	}
}

func TestCleanShutdownLosesNothing(t *testing.T) {
	st := newStore(t)
	// A flush interval longer than the test: only the final flush writes.
	c := newCollector(t, st, Options{FlushInterval: time.Hour, ClientBurst: 1000})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, ln, nil, ServerTimeouts{}) }()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				body := legacy(fmt.Sprintf("https://e%d.example/a.js", j), "connect-src")
				req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/r/"+testKey, bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/csp-report")
				req.Header.Set("User-Agent", fmt.Sprint("ua-", i))
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					if resp.StatusCode == 204 {
						ok.Add(1)
					}
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := storedCount(t, st); n != ok.Load() || n != 80 {
		t.Errorf("stored %d, answered 204 to %d, sent 80", n, ok.Load())
	}
}

func TestFindings(t *testing.T) {
	for _, backend := range backends {
		t.Run("on "+backend.name, func(t *testing.T) { testFindings(t, backend.open(t)) })
	}
}

func testFindings(t *testing.T, st *faultyStore) {
	ctx := context.Background()
	if err := st.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: "script-src", Value: "https://cdn.shop.example", Origin: store.OriginBaseline}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond})
	stop := run(t, c)
	h := c.Handler()
	send(h, post{body: legacy("https://cdn.shop.example/app.js", "script-src-elem"), ip: "192.0.2.1"})
	send(h, post{body: legacy("https://evil.example/skim.js", "script-src-elem"), ip: "192.0.2.1"})
	send(h, post{body: legacy("https://collect.evil.example/c", "connect-src"), ip: "192.0.2.1"})
	send(h, post{body: legacy("https://collect.evil.example/c", "connect-src"), ip: "198.51.100.2"})
	send(h, post{body: legacy("inline", "script-src-elem"), ip: "203.0.113.3"})
	eventually(t, "findings", func() bool { return c.Stats().Findings >= 3 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	fs, err := st.Findings(ctx, store.FindingQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.StoredFinding{}
	for _, f := range fs {
		got[f.Kind] = f
	}
	tests := []struct {
		name   string
		kind   string
		sev    finding.Severity
		single bool
	}{
		{"a destination reported by two clients is high", "csp.unapproved-connect", finding.High, false},
		{"a script reported by one client is medium and marked single-source", "csp.unapproved-script", finding.Medium, true},
		{"an inline script from one client is medium and single-source", "csp.inline-script", finding.Medium, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := got[tt.kind]
			if !ok {
				t.Fatalf("no %s finding in %v", tt.kind, fs)
			}
			if f.Severity != tt.sev || f.Evidence["single_source"] != tt.single || f.Source != "collector" {
				t.Errorf("got %s single=%v source=%s", f.Severity, f.Evidence["single_source"], f.Source)
			}
		})
	}
	if len(fs) != 3 {
		t.Errorf("got %d findings, want 3 (the approved CDN raises none)", len(fs))
	}
	if f := got["csp.unapproved-script"]; f.URL != "https://evil.example/skim.js" || !strings.Contains(f.Message, "https://evil.example") {
		t.Errorf("script finding %q %q", f.URL, f.Message)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	st := newStore(t)
	tests := []struct {
		name string
		o    Options
	}{
		{"no sites", Options{Sites: []Site{}}},
		{"a short key", Options{Sites: []Site{{Name: "a", Key: "short"}}}},
		{"two sites with one key", Options{Sites: []Site{{Name: "a", Key: testKey}, {Name: "b", Key: testKey}}}},
		{"a site given twice", Options{Sites: []Site{{Name: "a", Key: testKey}, {Name: "a", Key: testKey + "x"}}}},
		{"a site origin with a path", Options{Sites: []Site{{Name: "a", Key: testKey, Origins: []string{"https://shop.example/checkout"}}}}},
		{"min clients over the hash cap", Options{Sites: []Site{{Name: "a", Key: testKey}}, MinClients: 65}},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			if _, err := New(st, tt.o); !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestJournalKeepsWhatTheStoreRefusedAtShutdown(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*faultyStore)
	}{
		{"a store down at shutdown", func(s *faultyStore) { s.fail.Store(true) }},
		{"a store that commits but never acknowledges at shutdown", func(s *faultyStore) { s.commitThen.Store(1 << 20) }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" loses nothing and counts once after a restart", func(t *testing.T) {
			st := newStore(t)
			journal := filepath.Join(t.TempDir(), "collector.journal")
			c := newCollector(t, st, Options{FlushInterval: time.Hour, ShutdownTimeout: 200 * time.Millisecond, Journal: journal})
			stop := run(t, c)
			for i := range 12 {
				send(c.Handler(), post{body: legacy(fmt.Sprintf("https://e%d.example/a.js", i%4), "script-src-elem"), ip: fmt.Sprint("192.0.2.", i)})
			}
			tt.fault(st)
			err := stop()
			if !errors.Is(err, ErrJournaled) || !strings.Contains(err.Error(), "12 reports") {
				t.Fatalf("shutdown: %v, want ErrJournaled with 12 reports", err)
			}
			if _, err := os.Stat(journal); err != nil {
				t.Fatalf("no journal: %v", err)
			}

			// The store recovers; a new collector replays the journal.
			st.fail.Store(false)
			st.commitThen.Store(0)
			c2 := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond, Journal: journal})
			stop2 := run(t, c2)
			eventually(t, "the journal replayed and removed", func() bool {
				_, err := os.Stat(journal)
				return errors.Is(err, os.ErrNotExist)
			})
			if err := stop2(); err != nil {
				t.Fatal(err)
			}
			if n := storedCount(t, st); n != 12 {
				t.Errorf("stored %d reports after the replay, want exactly 12", n)
			}
		})
	}
	t.Run("a corrupt journal stops the start instead of being ignored", func(t *testing.T) {
		journal := filepath.Join(t.TempDir(), "collector.journal")
		os.WriteFile(journal, []byte("{not json"), 0o600)
		_, err := New(newStore(t), Options{Sites: []Site{{Name: "shop", Key: testKey}}, Journal: journal})
		if !errors.Is(err, ErrJournal) {
			t.Errorf("err = %v, want ErrJournal", err)
		}
	})
}

func TestSiteRateLimit(t *testing.T) {
	c := newCollector(t, newStore(t), Options{
		Sites:    []Site{{Name: "shop", Key: testKey}, {Name: "other", Key: testKey + "-other"}},
		SiteRate: 1, SiteBurst: 3,
	})
	h := c.Handler()
	codes := map[int]int{}
	for i := range 10 {
		codes[send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: fmt.Sprint("198.18.", i, ".1")}).Code]++
	}
	other := send(h, post{key: testKey + "-other", body: legacy("https://evil.example/a.js", "script-src-elem"), ip: "198.19.1.1"})
	// Outcome: ten new clients share one site's budget of 3 plus its
	// reserve of 1 for new clients; the other site keeps its own.
	if codes[204] != 4 || codes[429] != 6 || other.Code != 204 {
		t.Errorf("site got %v, other site %d", codes, other.Code)
	}
}

func TestFindingsAreNeverDroppedSilently(t *testing.T) {
	t.Run("a finding whose source path is longer than the store's key limit is stored", func(t *testing.T) {
		st := newStore(t)
		c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond})
		stop := run(t, c)
		src := "https://shop.example/" + strings.Repeat("deep/", 150) + "app.js"
		body := `{"csp-report":{"document-uri":"https://shop.example/checkout","effective-directive":"script-src-elem",` +
			`"blocked-uri":"inline","disposition":"report","source-file":"` + src + `"}}`
		if w := send(c.Handler(), post{body: body, ip: "192.0.2.1"}); w.Code != 204 {
			t.Fatalf("status %d", w.Code)
		}
		eventually(t, "the finding", func() bool { return c.Stats().Findings+c.Stats().FindingErrors > 0 })
		if err := stop(); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		fs, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Kind != "csp.inline-script" || fs[0].Evidence["source_file"] != src {
			t.Errorf("findings %v, want one csp.inline-script naming the long source file", fs)
		}
	})
	t.Run("a finding the store will not take at shutdown makes Run fail, naming it", func(t *testing.T) {
		st := newStore(t)
		c := newCollector(t, st, Options{FlushInterval: time.Hour, ShutdownTimeout: 200 * time.Millisecond})
		stop := run(t, c)
		send(c.Handler(), post{body: legacy("https://evil.example/s.js", "script-src-elem"), ip: "192.0.2.1"})
		eventually(t, "the report queued", func() bool { return c.Stats().Accepted == 1 })
		st.failFindings.Store(true)
		err := stop()
		if !errors.Is(err, ErrUnflushed) || !strings.Contains(err.Error(), "1 finding") {
			t.Errorf("shutdown error %v, want ErrUnflushed naming 1 finding", err)
		}
	})
}

func TestOneSenderCountsAsOneClient(t *testing.T) {
	tests := []struct {
		name   string
		sends  []post
		sev    finding.Severity
		single bool
	}{
		{"one address with two User-Agents is one client", []post{{ip: "192.0.2.1", ua: "Firefox"}, {ip: "192.0.2.1", ua: "Chrome"}}, finding.Medium, true},
		{"two addresses in one IPv4 /24 are one client", []post{{ip: "192.0.2.1"}, {ip: "192.0.2.77"}}, finding.Medium, true},
		{"two /64s in one IPv6 /56 are one client", []post{{ip: "2001:db8:0:1::1"}, {ip: "2001:db8:0:2::1"}}, finding.Medium, true},
		{"two networks are two clients", []post{{ip: "192.0.2.1"}, {ip: "198.51.100.1"}}, finding.High, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond})
			stop := run(t, c)
			for _, p := range tt.sends {
				p.body = legacy("https://evil.example/s.js", "script-src-elem")
				if strings.Contains(p.ip, ":") {
					p.ip = "[" + p.ip + "]"
				}
				if w := send(c.Handler(), p); w.Code != 204 {
					t.Fatalf("status %d", w.Code)
				}
			}
			eventually(t, "the finding", func() bool { return c.Stats().Findings > 0 })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			fs, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 || fs[0].Kind != "csp.unapproved-script" || fs[0].Severity != tt.sev || fs[0].Evidence["single_source"] != tt.single {
				t.Fatalf("findings %v, want one csp.unapproved-script of severity %s, single_source=%v", fs, tt.sev, tt.single)
			}
		})
	}
}

func TestFloodFromOneNetworkLeavesRealBrowsersServed(t *testing.T) {
	tests := []struct {
		name  string
		flood func(i int) string
	}{
		{"a flood from 250 addresses of one IPv4 /24", func(i int) string { return fmt.Sprint("203.0.113.", i%250) }},
		{"a flood from 250 /64s of one IPv6 /56", func(i int) string { return fmt.Sprintf("[2001:db8:0:%x::1]", i%250) }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" leaves the site's budget to real browsers", func(t *testing.T) {
			c := newCollector(t, newStore(t), Options{SiteRate: 1, SiteBurst: 50, ClientRate: 1, ClientBurst: 5})
			h := c.Handler()
			codes := map[int]int{}
			for i := range 1000 {
				codes[send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: tt.flood(i)}).Code]++
			}
			if codes[204] != 5 || codes[429] != 995 {
				t.Errorf("the flood got %v, want its network's burst of 5 and 995 refused", codes)
			}
			for i := range 20 {
				if w := send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: fmt.Sprint("198.51.", i, ".1")}); w.Code != 204 {
					t.Errorf("real browser %d got %d", i, w.Code)
				}
			}
		})
	}
}

func TestClientLimitsForgetTheLeastRecentlyUsedNetwork(t *testing.T) {
	c := newCollector(t, newStore(t), Options{ClientRate: 0.001, ClientBurst: 2, MaxTrackedClients: 3})
	h := c.Handler()
	report := func(ip string) int {
		return send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: ip}).Code
	}
	flooder := "192.0.2.1"
	for range 3 {
		report(flooder)
	}
	report("198.51.100.1")
	report("203.0.113.1")
	if code := report(flooder); code != 429 {
		t.Fatalf("the flooder got %d with an empty bucket", code)
	}
	// The table is full; a new network evicts the least recently used one
	// (198.51.100.0/24), not the flooder, who keeps its empty bucket.
	report("198.18.0.1")
	if code := report(flooder); code != 429 {
		t.Errorf("the flooder got %d after the table filled: its bucket was reset", code)
	}
	if n := c.clients.len(); n != 3 {
		t.Errorf("tracking %d networks, want the cap of 3", n)
	}
}

func TestNewClientReserve(t *testing.T) {
	c := newCollector(t, newStore(t), Options{SiteRate: 0.001, SiteBurst: 10, ClientBurst: 100})
	h := c.Handler()
	report := func(ip string) int {
		return send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: ip}).Code
	}
	for i := range 10 {
		if code := report(fmt.Sprint("203.0.", i, ".1")); code != 204 {
			t.Fatalf("known network %d: %d", i, code)
		}
	}
	if code := report("203.0.0.1"); code != 429 {
		t.Fatalf("a known network got %d after the site's budget was spent", code)
	}
	if code := report("198.51.100.1"); code != 204 {
		t.Errorf("a never-seen browser got %d once known networks had spent the site's budget; want the reserve to take it", code)
	}
}

func reportFrom(document, blocked, directive string) string {
	return `{"csp-report":{"document-uri":"` + document + `","effective-directive":"` + directive +
		`","blocked-uri":"` + blocked + `","disposition":"report"}}`
}

func TestForgedReports(t *testing.T) {
	const skim = "https://skim.example/s.js"
	forged := reportFrom("https://skim.example/", skim, "script-src-elem")
	genuine := reportFrom("https://shop.example/checkout", skim, "script-src-elem")
	selfApproved := store.ApprovedSource{Site: "shop", Directive: "script-src", Value: "'self'", Origin: store.OriginBaseline}
	originApproved := store.ApprovedSource{Site: "shop", Directive: store.DirectiveSiteOrigin, Value: "https://shop.example", Origin: store.OriginManual}
	type sent struct{ body, ip string }
	tests := []struct {
		name     string
		origins  []string
		approved []store.ApprovedSource
		sends    []sent
		// want maps finding kinds to the evidence they must hold.
		want map[string]map[string]any
	}{
		{
			name:     "a forged report with its own document as the blocked origin does not hide three customers' reports",
			origins:  []string{"https://shop.example"},
			approved: []store.ApprovedSource{selfApproved},
			sends:    []sent{{forged, "203.0.113.9"}, {genuine, "192.0.2.1"}, {genuine, "198.51.100.1"}, {genuine, "198.18.0.1"}},
			want: map[string]map[string]any{
				"csp.unapproved-script": {"blocked": "https://skim.example", "clients": 3.0, "count": 3.0, "single_source": false},
				"csp.foreign-document":  {"document_origin": "https://skim.example", "clients": 1.0, "count": 1.0},
			},
		},
		{
			name:     "an origin approved in the store makes the site's own reports count and a forger's stand apart",
			approved: []store.ApprovedSource{selfApproved, originApproved},
			sends:    []sent{{forged, "203.0.113.9"}, {genuine, "192.0.2.1"}, {genuine, "198.51.100.1"}},
			want: map[string]map[string]any{
				"csp.unapproved-script": {"blocked": "https://skim.example", "clients": 2.0, "count": 2.0},
				"csp.foreign-document":  {"document_origin": "https://skim.example", "count": 1.0},
			},
		},
		{
			name:     "without known origins 'self' approves nothing a report claims",
			approved: []store.ApprovedSource{selfApproved},
			sends:    []sent{{forged, "203.0.113.9"}},
			want: map[string]map[string]any{
				"csp.unapproved-script": {"blocked": "https://skim.example", "clients": 1.0, "single_source": true},
			},
		},
		{
			name:     "the site's own origin is approved by 'self'",
			origins:  []string{"https://shop.example"},
			approved: []store.ApprovedSource{selfApproved},
			sends:    []sent{{reportFrom("https://shop.example/", "https://shop.example/x.js", "script-src-elem"), "192.0.2.1"}},
			want:     map[string]map[string]any{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t)
			for _, a := range tt.approved {
				if err := st.ApproveSource(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			c := newCollector(t, st, Options{FlushInterval: time.Hour, Sites: []Site{{Name: "shop", Key: testKey, Origins: tt.origins}}})
			stop := run(t, c)
			for i, p := range tt.sends {
				if w := send(c.Handler(), post{body: p.body, ip: p.ip}); w.Code != 204 {
					t.Fatalf("report %d: status %d", i, w.Code)
				}
			}
			eventually(t, "the reports queued", func() bool { return c.Stats().Accepted == int64(len(tt.sends)) })
			// The final flush evaluates everything in one pass, so the
			// forged report is the first sample of its batch.
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			fs, err := st.Findings(ctx, store.FindingQuery{Site: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]store.StoredFinding{}
			for _, f := range fs {
				got[f.Kind] = f
			}
			if len(got) != len(tt.want) {
				t.Errorf("findings %v, want kinds %v", slices.Collect(maps.Keys(got)), slices.Collect(maps.Keys(tt.want)))
			}
			for kind, ev := range tt.want {
				f, ok := got[kind]
				if !ok {
					t.Errorf("no %s finding", kind)
					continue
				}
				for k, v := range ev {
					if f.Evidence[k] != v {
						t.Errorf("%s: evidence %s = %v, want %v", kind, k, f.Evidence[k], v)
					}
				}
			}
		})
	}
}

func TestServeMetricsOnItsOwnListener(t *testing.T) {
	c := newCollector(t, newStore(t), Options{})
	var lns []net.Listener
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, lns[0], lns[1], ServerTimeouts{}) }()
	get := func(ln net.Listener) (int, string) {
		resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name    string
		ln      net.Listener
		code    int
		metrics bool
	}{
		{"the report listener does not serve metrics", lns[0], 404, false},
		{"the metrics listener serves them", lns[1], 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(tt.ln)
			if code != tt.code || strings.Contains(body, "skimwatch_collector_reports_accepted_total") != tt.metrics {
				t.Errorf("got %d %.80q", code, body)
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEvaluationReadsOnlyWhatChanged(t *testing.T) {
	for _, backend := range backends {
		t.Run("on "+backend.name+" a finding reads its own aggregates, not all of the site's", func(t *testing.T) {
			st := backend.open(t)
			ctx := context.Background()
			now := time.Now()
			var old []store.ReportAggregate
			for i := range 500 {
				old = append(old, store.ReportAggregate{Site: "shop", Directive: "img-src", Blocked: fmt.Sprintf("https://pixel%d.example", i),
					DocumentPath: "/", Disposition: "report", Count: 1, FirstSeen: now, LastSeen: now})
			}
			if err := st.Store.MergeReportAggregates(ctx, "", old); err != nil {
				t.Fatal(err)
			}
			c := newCollector(t, st, Options{FlushInterval: time.Hour})
			stop := run(t, c)
			send(c.Handler(), post{body: legacy("https://evil.example/s.js", "script-src-elem"), ip: "192.0.2.1"})
			eventually(t, "the report queued", func() bool { return c.Stats().Accepted == 1 })
			st.rowsRead.Store(0)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if c.Stats().Findings != 1 {
				t.Fatalf("stats %+v, want one finding", c.Stats())
			}
			if n := st.rowsRead.Load(); n != 1 {
				t.Errorf("evaluating one new finding read %d aggregates, want its 1 (the site has %d)", n, len(old)+1)
			}
		})
	}
}

func TestRetention(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		retain time.Duration
		kept   []string
	}{
		{"the default keeps 90 days of aggregates", 0, []string{"https://day-30.example"}},
		{"a shorter retention deletes more", 10 * 24 * time.Hour, nil},
		{"a negative retention keeps everything", -1, []string{"https://day-100.example", "https://day-30.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			ctx := context.Background()
			var rows []store.ReportAggregate
			for _, days := range []int{100, 30} {
				at := now.Add(-time.Duration(days) * 24 * time.Hour)
				rows = append(rows, store.ReportAggregate{Site: "shop", Directive: "script-src-elem", Blocked: fmt.Sprintf("https://day-%d.example", days),
					DocumentPath: "/", Disposition: "report", Count: 1, FirstSeen: at, LastSeen: at})
			}
			if err := st.MergeReportAggregates(ctx, "", rows); err != nil {
				t.Fatal(err)
			}
			if _, err := st.PutFinding(ctx, "k", finding.Finding{Severity: finding.High, Kind: "csp.unapproved-script", Message: "m", Site: "shop", Time: now.Add(-200 * 24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			c := newCollector(t, st, Options{FlushInterval: time.Hour, Retain: tt.retain, Now: func() time.Time { return now }})
			stop := run(t, c)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			got, err := st.Store.ReportAggregates(ctx, store.AggregateQuery{Site: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, r := range got {
				kept = append(kept, r.Blocked)
			}
			slices.Sort(kept)
			if !slices.Equal(kept, tt.kept) {
				t.Errorf("kept %v, want %v", kept, tt.kept)
			}
			fs, err := st.Findings(ctx, store.FindingQuery{Site: "shop"})
			if err != nil || len(fs) != 1 {
				t.Errorf("findings %v, %v: want the old finding kept", fs, err)
			}
		})
	}
}

func TestRejectionKeepsTheConnectionWhenCheap(t *testing.T) {
	c := newCollector(t, newStore(t), Options{ClientRate: 0.001, ClientBurst: 1})
	h := c.Handler()
	send(h, post{body: legacy("https://evil.example/a.js", "script-src-elem"), ip: "192.0.2.1"})
	tests := []struct {
		name   string
		length int64 // Content-Length; -1 unknown (chunked)
		key    string
		status int
		close  bool
	}{
		{"a rate-limited report of known small length keeps the connection", 0, testKey, 429, false},
		{"an unknown key with a small body keeps the connection", 0, "not-a-site-key-at-all", 404, false},
		{"a rate-limited report of unknown length closes it", -1, testKey, 429, true},
		{"a body announced over the cap closes it", 1 << 20, testKey, 429, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := legacy("https://evil.example/a.js", "script-src-elem")
			r := httptest.NewRequest(http.MethodPost, "/r/"+tt.key, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/csp-report")
			r.RemoteAddr = "192.0.2.1:5555"
			r.ContentLength = int64(len(body))
			if tt.length != 0 {
				r.ContentLength = tt.length
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || (w.Header().Get("Connection") == "close") != tt.close {
				t.Errorf("status %d, Connection %q; want %d, close=%v", w.Code, w.Header().Get("Connection"), tt.status, tt.close)
			}
		})
	}
}

// TestOnNewFindingIsCalledForNewFindingsOnly: the flush that writes a
// finding the store lacked names its site once; later flushes that only
// add reports to it do not.
func TestOnNewFindingIsCalledForNewFindingsOnly(t *testing.T) {
	st := newStore(t)
	var mu sync.Mutex
	var called []string
	c := newCollector(t, st, Options{FlushInterval: 10 * time.Millisecond, OnNewFinding: func(site string) {
		mu.Lock()
		called = append(called, site)
		mu.Unlock()
	}})
	stop := run(t, c)
	calls := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), called...) }
	h := c.Handler()
	steps := []struct {
		name, ip, blocked string
		findings          int64
		want              int
	}{
		{"a first report of a new origin names its site", "192.0.2.1", "https://evil.example/skim.js", 1, 1},
		{"another client's report of the same origin names nobody", "198.51.100.2", "https://evil.example/skim.js", 2, 1},
		{"a report of a second new origin names the site again", "192.0.2.1", "https://other.example/x.js", 3, 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			send(h, post{body: legacy(s.blocked, "script-src-elem"), ip: s.ip})
			eventually(t, "the finding pass", func() bool { return c.Stats().Findings >= s.findings })
			if got := calls(); len(got) != s.want || got[len(got)-1] != "shop" {
				t.Fatalf("OnNewFinding calls = %v, want %d naming shop", got, s.want)
			}
		})
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
