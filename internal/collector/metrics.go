package collector

import (
	"net/http"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/skimwatch/skimwatch/internal/csp"
)

// Drop reasons beyond csp's noise reasons.
const (
	// DropNotCSP: a Reporting API batch entry of another type
	// (deprecation, intervention, ...).
	DropNotCSP = "not-csp"
	// DropInvalid: the store refused an aggregate as invalid; it is
	// logged with its key and dropped so it cannot block every later flush.
	DropInvalid = "store-invalid"
)

var dropReasons = []string{
	string(csp.NoiseExtension), string(csp.NoiseAbout), string(csp.NoiseAllowedScheme),
	string(csp.NoiseInjected), string(csp.NoiseNotWeb), DropNotCSP, DropInvalid,
}

var rejectStatuses = []int{
	http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed,
	http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
	http.StatusTooManyRequests, http.StatusServiceUnavailable,
}

// metrics are plain atomics, each exported once through a Prometheus
// registry of the collector's own (no global registry).
type metrics struct {
	accepted    atomic.Int64 // reports accepted into the queue
	persisted   atomic.Int64 // reports whose aggregates were flushed
	dropped     map[string]*atomic.Int64
	rejected    map[int]*atomic.Int64
	flushes     atomic.Int64
	flushErrors atomic.Int64
	findings    atomic.Int64
	findingErrs atomic.Int64
	pendingAggs atomic.Int64
	pruned      atomic.Int64
	shedding    atomic.Bool
	registry    *prometheus.Registry
}

func newMetrics(c *Collector) *metrics {
	m := &metrics{dropped: map[string]*atomic.Int64{}, rejected: map[int]*atomic.Int64{}, registry: prometheus.NewRegistry()}
	counter := func(name, help string, v *atomic.Int64, labels prometheus.Labels) {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "skimwatch", Subsystem: "collector", Name: name, Help: help, ConstLabels: labels,
		}, func() float64 { return float64(v.Load()) }))
	}
	gauge := func(name, help string, f func() float64) {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "skimwatch", Subsystem: "collector", Name: name, Help: help,
		}, f))
	}
	counter("reports_accepted_total", "Reports accepted into the queue.", &m.accepted, nil)
	counter("reports_persisted_total", "Accepted reports whose aggregates were written to the store.", &m.persisted, nil)
	for _, r := range dropReasons {
		m.dropped[r] = new(atomic.Int64)
		counter("reports_dropped_total", "Reports dropped, by reason.", m.dropped[r], prometheus.Labels{"reason": r})
	}
	for _, s := range rejectStatuses {
		m.rejected[s] = new(atomic.Int64)
		counter("requests_rejected_total", "Requests rejected, by HTTP status.", m.rejected[s], prometheus.Labels{"status": strconv.Itoa(s)})
	}
	counter("flushes_total", "Successful flushes to the store.", &m.flushes, nil)
	counter("flush_errors_total", "Failed flush attempts (retried).", &m.flushErrors, nil)
	counter("findings_total", "Findings written to the store.", &m.findings, nil)
	counter("aggregates_pruned_total", "Aggregates deleted past retention (--retain).", &m.pruned, nil)
	counter("finding_errors_total", "Failed finding evaluations or writes (retried).", &m.findingErrs, nil)
	gauge("queue_depth", "Requests waiting for the aggregator.", func() float64 { return float64(len(c.queue)) })
	gauge("pending_aggregates", "Distinct aggregates not yet in the store.", func() float64 { return float64(m.pendingAggs.Load()) })
	gauge("shedding", "1 while the collector answers 503 because the store is behind.", func() float64 {
		if m.shedding.Load() {
			return 1
		}
		return 0
	})
	return m
}

func (m *metrics) drop(reason string, n int) {
	if n <= 0 {
		return
	}
	if c, ok := m.dropped[reason]; ok {
		c.Add(int64(n))
	}
}

// Stats is a snapshot of the collector's counters.
type Stats struct {
	Accepted      int64            `json:"accepted"`
	Persisted     int64            `json:"persisted"`
	Dropped       map[string]int64 `json:"dropped"`
	Rejected      map[int]int64    `json:"rejected"`
	Flushes       int64            `json:"flushes"`
	FlushErrors   int64            `json:"flush_errors"`
	Findings      int64            `json:"findings"`
	FindingErrors int64            `json:"finding_errors"`
	Pending       int64            `json:"pending_aggregates"`
	QueueDepth    int              `json:"queue_depth"`
}

// Stats returns the current counters.
func (c *Collector) Stats() Stats {
	m := c.m
	s := Stats{
		Accepted: m.accepted.Load(), Persisted: m.persisted.Load(),
		Dropped: map[string]int64{}, Rejected: map[int]int64{},
		Flushes: m.flushes.Load(), FlushErrors: m.flushErrors.Load(),
		Findings: m.findings.Load(), FindingErrors: m.findingErrs.Load(),
		Pending: m.pendingAggs.Load(), QueueDepth: len(c.queue),
	}
	for k, v := range m.dropped {
		if n := v.Load(); n > 0 {
			s.Dropped[k] = n
		}
	}
	for k, v := range m.rejected {
		if n := v.Load(); n > 0 {
			s.Rejected[k] = n
		}
	}
	return s
}

// TotalDropped sums Dropped.
func (s Stats) TotalDropped() int64 {
	var n int64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// TotalRejected sums Rejected.
func (s Stats) TotalRejected() int64 {
	var n int64
	keys := make([]int, 0, len(s.Rejected))
	for k := range s.Rejected {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		n += s.Rejected[k]
	}
	return n
}

// MetricsHandler serves the Prometheus text format, for a listener of its
// own (Serve's metrics listener), loopback by default.
func (c *Collector) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(c.m.registry, promhttp.HandlerOpts{})
}
