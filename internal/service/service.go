// Package service assembles `skimwatch serve` and `skimwatch worker`: the
// store, the monitor's scheduler and workers, the CSP collector endpoint,
// the JSON API and /metrics, and the order in which they start and stop.
package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/termtext"
	"github.com/skimwatch/skimwatch/internal/web"
)

// CollectorFlush is how often serve's collector writes what it received
// and evaluates it: a new skimmer origin reported by a browser is a finding
// within it, and alerted on at once. It is also the most a crash can lose.
const CollectorFlush = time.Second

// compiledRulesDir, in the data directory, keeps the signature rules the
// fim jobs compiled, so that a restarted process loads them.
const compiledRulesDir = "compiled-rules"

// Roles of a serve process.
const (
	// RoleAll runs everything in one process.
	RoleAll = "all"
	// RoleCollector runs only the collector endpoint (and /healthz),
	// stateless apart from the store, so any number can sit behind a load
	// balancer.
	RoleCollector = "collector"
)

// Options configure Serve.
type Options struct {
	Role    string
	Logger  *slog.Logger
	Alerter monitor.Alerter
	// Reload delivers configs to apply (SIGHUP in the CLI): the schedule
	// is replaced; running jobs go on.
	Reload <-chan config.Config
	// Listening, when set, is told the bound addresses (tests listen on
	// port 0).
	Listening func(api, metrics net.Addr)
	// Monitor overrides monitor options the config does not hold (tests
	// use short dwells and polls). Queue, Store, Browser, Alerter, Logger
	// and Work are set by Serve.
	Monitor monitor.Options
	// Collector overrides collector options the config does not hold
	// (tests set MinClients). Sites, Logger, Retain and OnNewFinding are
	// set by Serve; FlushInterval defaults to CollectorFlush.
	Collector collector.Options
	// StopTimeout is how long running checks get to finish at shutdown
	// before they are cancelled (and recorded incomplete); default 60s.
	StopTimeout time.Duration
	// Alerts overrides the alert rules' timings (grouping window, resend,
	// silence threshold, tick) when Alerter is nil; Store, Sinks and Logger
	// are set by Serve from the config.
	Alerts alert.Options
	// Dashboard overrides dashboard options (tests lower the password
	// hashing cost); Store, Logger, Runs and Sinks are set by Serve.
	Dashboard web.Options
}

// WithDataDir fills in the data directory when the config names none: the
// directory of the default embedded store, so that the baselines and the
// queue sit beside it rather than in whatever directory serve started in.
// A relative one is made absolute against the directory serve started in:
// jobs carry their baseline's path to workers, which may run elsewhere.
func WithDataDir(cfg config.Config) config.Config {
	if cfg.DataDir == "" {
		if d, err := store.ParseDSN(store.DefaultDSN()); err == nil && d.Path != "" {
			cfg.DataDir = filepath.Dir(d.Path)
		}
	}
	if cfg.DataDir != "" && !filepath.IsAbs(cfg.DataDir) {
		if abs, err := filepath.Abs(cfg.DataDir); err == nil {
			cfg.DataDir = abs
		}
	}
	return cfg
}

// StoreDSN is the store a config names: its store key, else
// $SKIMWATCH_STORE, else the embedded SQLite file in data_dir (else the
// default one).
func StoreDSN(cfg config.Config) string {
	if cfg.Store != "" {
		return cfg.Store
	}
	if env := strings.TrimSpace(os.Getenv(store.EnvStore)); env != "" {
		return env
	}
	if cfg.DataDir != "" {
		return "sqlite://" + filepath.Join(cfg.DataDir, "skimwatch.db")
	}
	return store.DefaultDSN()
}

// QueueDSN is where the job queue lives: in the store's own PostgreSQL
// database, or a SQLite file of its own beside the SQLite store (so River's
// polling never waits on the store's writers, or they on it).
func QueueDSN(storeDSN string) (string, error) {
	d, err := store.ParseDSN(storeDSN)
	if err != nil {
		return "", err
	}
	if d.Backend == store.BackendPostgres {
		return d.URL, nil
	}
	if d.Path == "" || d.Path == ":memory:" {
		return "", errors.New("the service needs a store on disk or in PostgreSQL, not in memory")
	}
	return filepath.Join(filepath.Dir(d.Path), "queue.db"), nil
}

// Serve runs a serve process until ctx ends. Start order: store, collector
// sites, listeners, browser, monitor (workers, then schedule), HTTP.
// Shutdown order, each step waiting for the one before:
//  1. the scheduler stops queueing, the fim watchers stop, and the
//     workers stop taking jobs; running checks get StopTimeout, then are
//     cancelled and record themselves incomplete (monitor.Stop);
//  2. the HTTP servers stop accepting and finish open requests, so no
//     report is accepted after the collector's last flush;
//  3. the collector drains its queue and makes its final flush;
//  4. the browser closes (no check uses it any more);
//  5. the store closes, last, because steps 1 to 3 write to it.
func Serve(ctx context.Context, cfg config.Config, opts Options) (err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Role == "" {
		opts.Role = RoleAll
	}
	if opts.Role != RoleAll && opts.Role != RoleCollector {
		return fmt.Errorf("role %q: want %s or %s", opts.Role, RoleAll, RoleCollector)
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = time.Minute
	}
	cfg = WithDataDir(cfg)
	if err := CheckReferences(cfg); err != nil {
		// Not fatal: the other sites are still watched, and each job
		// that cannot read its file reports itself incomplete.
		log.Warn("the config names files or secrets that cannot be read", "err", err)
	}
	dsn := StoreDSN(cfg)
	st, err := open.Open(ctx, dsn, log)
	if err != nil {
		return err
	}
	defer st.Close() // 5

	// A flush that raises a new finding has the site evaluated at once
	// (the monitor exists by the time the collector runs).
	var mon *monitor.Monitor
	co := opts.Collector
	co.OnNewFinding = func(site string) {
		if mon != nil {
			mon.EvaluateSoon(site)
		}
	}
	col, err := newCollector(ctx, st, cfg, co, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	mln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("metrics listen: %w", err)
	}
	defer mln.Close()
	for _, l := range []net.Listener{ln, mln} {
		if tcp, ok := l.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
			log.Warn("listening beyond loopback; put TLS in front of it", "addr", l.Addr().String())
		}
	}

	// reloadAlerts applies a reloaded config's alert sinks and timings; nil
	// when the caller gave its own Alerter.
	var reloadAlerts func(config.Config) error
	// b is the process's Chromium, nil when no job needs one; the
	// dashboard's PDF exports print in it too.
	var b *browser.Browser
	if opts.Role == RoleAll {
		if hasChecks(cfg) {
			b, err = browser.Launch(ctx, browser.Options{ExecPath: cfg.Chromium, MaxConcurrent: cfg.Concurrency, Logger: log})
			if err != nil {
				return fmt.Errorf("start Chromium: %w", err)
			}
			defer b.Close() // 4
		}
		queue, err := QueueDSN(dsn)
		if err != nil {
			return err
		}
		alerter := opts.Alerter
		if alerter == nil {
			a, stopAlerts, reload, err := startAlerts(ctx, st, &cfg, opts.Alerts, log)
			if err != nil {
				return fmt.Errorf("alerts: %w", err)
			}
			defer stopAlerts() // 3b: after the workers, before the store
			alerter, reloadAlerts = a, reload
		}
		mo := opts.Monitor
		mo.Queue, mo.Store, mo.Browser, mo.Alerter, mo.Logger, mo.Work = queue, st, b, alerter, log, true
		mo.MaxWorkers = max(mo.MaxWorkers, cfg.Concurrency)
		queueTimings(&mo, cfg)
		if mo.RulesDir == "" && cfg.DataDir != "" {
			mo.RulesDir = filepath.Join(cfg.DataDir, compiledRulesDir)
		}
		if mon, err = monitor.New(ctx, mo); err != nil {
			return err
		}
		if err := mon.Start(ctx); err != nil {
			mon.Stop(context.WithoutCancel(ctx))
			return err
		}
		mon.Schedule(ctx, cfg)
	}

	mux := http.NewServeMux()
	api := &api{store: st, monitor: mon}
	mux.HandleFunc("GET /healthz", api.healthz)
	// The dashboard and its API run where the monitor runs; collectors
	// behind a load balancer stay stateless and answer only /r/ and
	// /healthz.
	var dash *web.Server
	if opts.Role == RoleAll {
		do := opts.Dashboard
		if b != nil && do.Documents == nil {
			do.Documents = document.NewRenderer(b, log)
		}
		if dash, err = newDashboard(ctx, st, &cfg, mon, do, log); err != nil {
			mon.Stop(context.WithoutCancel(ctx))
			return err
		}
		api.routes(mux, dash)
		mux.Handle("/", dash.Handler())
	}
	if col != nil {
		mux.Handle("/r/", col.Handler())
	}
	srv := collector.NewServer(mux, collector.ServerTimeouts{})
	mmux := http.NewServeMux()
	if col != nil {
		mmux.Handle("GET /metrics", col.MetricsHandler())
	} else {
		// No collector: the process's own metrics, so that /metrics
		// answers (and monitoring sees the process) whatever the config.
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		mmux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	msrv := collector.NewServer(mmux, collector.ServerTimeouts{})

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runErr := make(chan error, 1)
	if col != nil {
		go func() { runErr <- col.Run(runCtx) }()
	} else {
		runErr <- nil
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	go func() { serveErr <- msrv.Serve(mln) }()
	// Logged before Listening, so whoever waits for the listener finds it.
	if dash != nil {
		if link, err := dash.SetupLink(ctx, "http://"+loopbackAddr(ln.Addr())); err != nil {
			log.Error("cannot make the dashboard's set-up link", "err", err)
		} else if link != "" {
			// The one way in on a first run: there is no default password.
			log.Warn("the dashboard has no users yet; open this one-time link on this machine within an hour to create the admin", "link", link)
		}
	}
	if opts.Listening != nil {
		opts.Listening(ln.Addr(), mln.Addr())
	}
	log.Info("serving", "role", opts.Role, "api", ln.Addr().String(), "metrics", mln.Addr().String())

	var serr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case serr = <-serveErr:
			break loop
		case c := <-opts.Reload:
			if reloadAlerts != nil {
				// Before the schedule: the new jobs' runs alert through
				// the new sinks.
				if err := reloadAlerts(c); err != nil {
					log.Error("alert sinks not reloaded; the running ones are kept", "err", err)
				}
			}
			if mon != nil {
				mon.Schedule(ctx, WithDataDir(c))
				log.Info("config reloaded; running jobs go on", "sites", len(c.Sites), "alert_sinks", len(c.Alerts))
			}
		}
	}
	if errors.Is(serr, http.ErrServerClosed) {
		serr = nil
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.StopTimeout)
	defer cancel()
	if mon != nil { // 1
		serr = errors.Join(serr, mon.Stop(stopCtx))
	}
	shCtx, cancel2 := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel2()
	for _, s := range []*http.Server{srv, msrv} { // 2
		if e := s.Shutdown(shCtx); e != nil {
			s.Close()
		}
	}
	stopRun() // 3
	return errors.Join(serr, <-runErr)
}

// queueTimings applies the config's rescue_after: how long a job may run
// before it is taken for dead, and so the longest a job may run. Options
// a test set are kept.
func queueTimings(mo *monitor.Options, cfg config.Config) {
	if cfg.RescueAfter > 0 && mo.RescueAfter == 0 {
		mo.RescueAfter = cfg.RescueAfter.D()
		mo.JobTimeout = cfg.RescueAfter.D() - config.RescueMargin
	}
}

func hasChecks(cfg config.Config) bool {
	for _, s := range cfg.Sites {
		if len(s.Pages)+len(s.Flows) > 0 {
			return true
		}
	}
	return false
}

// newCollector registers the sites that have a collector key and returns
// the collector for them, or nil when none has one.
func newCollector(ctx context.Context, st store.Store, cfg config.Config, co collector.Options, log *slog.Logger) (*collector.Collector, error) {
	var sites []collector.Site
	for _, s := range cfg.Sites {
		if s.CollectorKey == nil {
			continue
		}
		key, err := s.CollectorKey.Resolve()
		if err != nil {
			return nil, fmt.Errorf("site %s: collector key: %w", s.Name, err)
		}
		if err := st.UpsertSite(ctx, s.Name, store.HashKey(key)); err != nil {
			return nil, fmt.Errorf("register site %s: %w", s.Name, err)
		}
		sites = append(sites, collector.Site{Name: s.Name, Key: key})
	}
	if len(sites) == 0 {
		return nil, nil
	}
	co.Sites, co.Logger, co.Retain = sites, log, cfg.Retention.Reports.D()
	if co.FlushInterval <= 0 {
		co.FlushInterval = CollectorFlush
	}
	c, err := collector.New(st, co)
	if err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	return c, nil
}

// newDashboard builds the dashboard on the process's store, monitor and
// alert sinks.
func newDashboard(ctx context.Context, st store.Store, cfg *config.Config, mon *monitor.Monitor, do web.Options, log *slog.Logger) (*web.Server, error) {
	do.Store, do.Logger, do.Runs = st, log, mon.Runs
	var err error
	if name := cfg.Dashboard.CSPSite; name != "" && do.CSPReportURI == "" {
		// Config validation made sure the site exists with a key, and
		// newCollector serves it on this same listener.
		for _, s := range cfg.Sites {
			if s.Name == name && s.CollectorKey != nil {
				key, err := s.CollectorKey.Resolve()
				if err != nil {
					return nil, fmt.Errorf("dashboard: csp_site %s: collector key: %w", name, err)
				}
				do.CSPReportURI = "/r/" + url.PathEscape(key)
			}
		}
	}
	if do.Sinks, err = sinks(cfg); err != nil {
		return nil, fmt.Errorf("dashboard: alert sinks: %w", err)
	}
	d, err := web.New(ctx, do)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

// loopbackAddr is addr as a browser on this machine reaches it: a wildcard
// listen address becomes 127.0.0.1 (or ::1), because the set-up link works
// only from loopback.
func loopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	ip := net.IPv4(127, 0, 0, 1)
	if tcp.IP.To4() == nil {
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// api is the service's part of the JSON API. Every response is written by
// termtext.WriteJSON, so stored text from attackers' pages is escaped.
type api struct {
	store   store.Store
	monitor *monitor.Monitor
}

// maxRows caps one API listing.
const maxRows = 1000

// routes registers the service's API routes, which need the dashboard's
// sign-in or an API token like every other /api/ route. (/healthz stays
// open: load balancers and monitoring call it.)
func (a *api) routes(mux *http.ServeMux, dash *web.Server) {
	mux.Handle("GET /api/runs", dash.Protect(web.RoleViewer, http.HandlerFunc(a.runs)))
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	if err := a.store.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "store: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (a *api) runs(w http.ResponseWriter, r *http.Request) {
	if a.monitor == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "this process runs no monitor (role collector)"})
		return
	}
	n, err := limit(r.URL.Query().Get("limit"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	runs, err := a.monitor.Runs(r.Context(), cmp.Or(n, 100))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func limit(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > maxRows {
		return 0, fmt.Errorf("limit: want 1 to %d", maxRows)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = termtext.WriteJSON(w, v)
}

// WorkerOptions configure Work.
type WorkerOptions struct {
	Logger *slog.Logger
	// Config, when given, names the alert sinks (the serve process's
	// config); without it the worker's runs alert nobody.
	Config  *config.Config
	Alerter monitor.Alerter
	// Reload delivers configs to apply (SIGHUP): their alert sinks and
	// timings replace the running ones; running jobs go on.
	Reload      <-chan config.Config
	Chromium    string
	Concurrency int
	StopTimeout time.Duration
	Monitor     monitor.Options
}

// Work runs only job workers on the PostgreSQL queue in the store at dsn,
// until ctx ends; the jobs carry everything they need, so a worker needs
// no config. Shutdown: workers stop (running checks get StopTimeout), then
// the browser, then the store.
func Work(ctx context.Context, dsn string, opts WorkerOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, err := store.ParseDSN(dsn)
	if err != nil {
		return err
	}
	if d.Backend != store.BackendPostgres {
		return errors.New("a worker shares the queue with serve, so it needs a postgres:// store")
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = time.Minute
	}
	st, err := open.Open(ctx, dsn, log)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := browser.Launch(ctx, browser.Options{ExecPath: opts.Chromium, MaxConcurrent: max(1, opts.Concurrency), Logger: log})
	if err != nil {
		return fmt.Errorf("start Chromium: %w", err)
	}
	defer b.Close()
	alerter := opts.Alerter
	reloadAlerts := func(config.Config) error { return nil }
	if alerter == nil {
		a, stopAlerts, reload, err := startAlerts(ctx, st, opts.Config, alert.Options{}, log)
		if err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
		defer stopAlerts()
		alerter, reloadAlerts = a, reload
	}
	mo := opts.Monitor
	mo.Queue, mo.Store, mo.Browser, mo.Alerter, mo.Logger, mo.Work = d.URL, st, b, alerter, log, true
	mo.MaxWorkers = max(mo.MaxWorkers, opts.Concurrency, 1)
	if opts.Config != nil {
		queueTimings(&mo, *opts.Config)
	}
	if mo.RulesDir == "" && opts.Config != nil {
		if dir := WithDataDir(*opts.Config).DataDir; dir != "" {
			mo.RulesDir = filepath.Join(dir, compiledRulesDir)
		}
	}
	mon, err := monitor.New(ctx, mo)
	if err != nil {
		return err
	}
	if err := mon.Start(ctx); err != nil {
		mon.Stop(context.WithoutCancel(ctx))
		return err
	}
	log.Info("worker running")
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case c := <-opts.Reload:
			if err := reloadAlerts(c); err != nil {
				log.Error("alert sinks not reloaded; the running ones are kept", "err", err)
			} else {
				log.Info("config reloaded: alert sinks and timings replaced", "alert_sinks", len(c.Alerts))
			}
		}
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.StopTimeout)
	defer cancel()
	return mon.Stop(stopCtx)
}
