// Package collector receives the CSP violation reports that real customers'
// browsers send, aggregates them in memory, flushes the aggregates to the
// store every interval, and raises a finding when browsers report a script
// source or destination the site's approved inventory lacks.
//
// The data path is: handler (auth by site key, limits, decode, filter) ->
// bounded queue -> one aggregator goroutine -> store, one transaction per
// flush. Every report is counted under exactly one outcome: accepted,
// dropped (with a reason) or rejected (with an HTTP status).
//
// Durability: a clean shutdown loses nothing accepted (see Run for the
// order). A crash loses at most the reports accepted since the last
// successful flush, that is one FlushInterval. A store outage keeps
// aggregates in memory, retried every interval with the same batch ID so a
// retried flush never counts twice; past MaxPending aggregates the handler
// sheds load with 503 and Retry-After instead of growing or dropping.
package collector

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Store is what the collector needs from a store; store.Store satisfies it.
type Store interface {
	MergeReportAggregates(ctx context.Context, batchID string, aggs []store.ReportAggregate) error
	ReportAggregates(ctx context.Context, q store.AggregateQuery) ([]store.ReportAggregate, error)
	PruneReportAggregates(ctx context.Context, before time.Time) (int64, error)
	ApprovedSources(ctx context.Context, site string) ([]store.ApprovedSource, error)
	PutFinding(ctx context.Context, key string, f finding.Finding) (created bool, err error)
}

var _ Store = (store.Store)(nil)

// Site is a monitored site and its collector key (a secret that appears in
// the report URL /r/{key}).
type Site struct {
	Name string
	Key  string
	// Origins are the site's own origins (scheme://host[:port]), where its
	// pages are. Origins approved in the store (store.DirectiveSiteOrigin)
	// are added to them. A report whose document is elsewhere is kept as
	// evidence of forgery and never approves or suppresses anything; with
	// no origins at all, reports cannot be checked, and 'self' approves
	// nothing.
	Origins []string
}

// DefaultRetain is how long report aggregates are kept by default.
const DefaultRetain = 90 * 24 * time.Hour

// ErrConfig is wrapped by every invalid option.
var ErrConfig = errors.New("invalid collector configuration")

// Options configure a Collector. Zero values take the defaults shown.
type Options struct {
	Sites []Site

	// MaxBody caps a request body (64 KiB); larger bodies get 413.
	MaxBody int64
	// QueueSize bounds the queue between handlers and the aggregator
	// (4096 requests); a full queue answers 503.
	QueueSize int
	// FlushInterval is how often aggregates go to the store (5s), and so
	// the most a crash can lose.
	FlushInterval time.Duration
	// FlushTimeout bounds one flush transaction (10s).
	FlushTimeout time.Duration
	// ShutdownTimeout bounds the final drain and flush (30s).
	ShutdownTimeout time.Duration
	// MaxPending caps distinct aggregates held unflushed (100000); beyond
	// it, during a store outage, handlers answer 503.
	MaxPending int

	// SiteRate and SiteBurst limit requests per site (1000/s, burst 2000);
	// ClientRate and ClientBurst per client network, an IPv4 /24 or IPv6
	// /56 (20/s, burst 40). Over the limit: 429 with Retry-After. The
	// client limit is checked first, so requests it refuses cost the site
	// nothing: one network cannot spend a site's budget.
	SiteRate    rate.Limit
	SiteBurst   int
	ClientRate  rate.Limit
	ClientBurst int
	// NewClientReserve is a per-site budget beyond SiteRate that only
	// client networks not seen before may spend (SiteRate/10, burst
	// SiteBurst/10, at least 1): when known networks have used up the
	// site's budget, a new customer's report still gets in.
	NewClientReserve rate.Limit
	// MaxTrackedClients bounds the per-client limiter table (100000); when
	// full, the least recently used network is forgotten.
	MaxTrackedClients int

	// Retain is how long report aggregates (and the samples they hold) are
	// kept after they were last seen (90 days); older ones are deleted at
	// start and every hour. Findings and the event log are kept: they are
	// the record, and a finding keeps its counts and samples as evidence.
	// Negative keeps aggregates for ever.
	Retain time.Duration

	// MinClients is how many distinct clients must report something before
	// it is raised as High (2). Below it the finding is raised as Medium
	// with evidence single_source=true: one browser (or one forger with the
	// site key, which is public in the page) cannot raise a High finding,
	// yet a skimmer shown to a single customer is not missed either.
	MinClients int
	// TrustedProxies are the reverse proxies or load balancers in front of
	// the collector. Only for requests from them is X-Forwarded-For read
	// to find the browser's address; empty means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// Journal is a file where aggregates the store would not take at
	// shutdown are written, and from which New reloads them to retry.
	// Empty: such aggregates are reported lost (Run returns ErrUnflushed).
	Journal string

	// ClientKey keys the client hash (HMAC of the client network). Random per
	// process when nil; set it to count the same client as one across
	// restarts and across collectors that share a store.
	ClientKey []byte

	Decode    csp.Limits
	Normalize csp.NormalizeOptions
	Noise     csp.NoiseFilter

	// OnNewFinding, when set, is called from the flush with a site on
	// which the flush wrote a finding the store did not have yet, so that
	// it can be alerted on at once rather than at the next evaluation. It
	// must not block: the next flush waits for it.
	OnNewFinding func(site string)

	// Now is the clock (time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 5 * time.Second
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 10 * time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 100000
	}
	if o.SiteRate <= 0 {
		o.SiteRate = 1000
	}
	if o.SiteBurst <= 0 {
		o.SiteBurst = 2000
	}
	if o.ClientRate <= 0 {
		o.ClientRate = 20
	}
	if o.ClientBurst <= 0 {
		o.ClientBurst = 40
	}
	if o.NewClientReserve <= 0 {
		o.NewClientReserve = max(o.SiteRate/10, 1)
	}
	if o.MaxTrackedClients <= 0 {
		o.MaxTrackedClients = 100000
	}
	if o.MinClients <= 0 {
		o.MinClients = 2
	}
	if o.Retain == 0 {
		o.Retain = DefaultRetain
	}
	if o.MinClients > csp.MaxClientHashes {
		return o, fmt.Errorf("%w: MinClients %d exceeds the %d distinct clients an aggregate can count", ErrConfig, o.MinClients, csp.MaxClientHashes)
	}
	if o.ClientKey == nil {
		o.ClientKey = make([]byte, 32)
		rand.Read(o.ClientKey)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if len(o.Sites) == 0 {
		return o, fmt.Errorf("%w: no sites", ErrConfig)
	}
	names := map[string]bool{}
	for _, s := range o.Sites {
		if s.Name == "" {
			return o, fmt.Errorf("%w: site without a name", ErrConfig)
		}
		if len(s.Key) < 16 {
			return o, fmt.Errorf("%w: site %q: key is %d characters, want at least 16 (use skimwatch collect keygen)", ErrConfig, s.Name, len(s.Key))
		}
		for _, origin := range s.Origins {
			if _, err := csp.ParseSiteOrigin(origin); err != nil {
				return o, fmt.Errorf("%w: site %q: %w", ErrConfig, s.Name, err)
			}
		}
		if names[s.Name] {
			return o, fmt.Errorf("%w: site %q given twice", ErrConfig, s.Name)
		}
		names[s.Name] = true
	}
	return o, nil
}

// Collector is one CSP report endpoint. Create it with New, mount Handler
// (or call Serve), and run Run until shutdown.
type Collector struct {
	opts  Options
	store Store
	log   *slog.Logger

	sites     map[[32]byte]string
	siteLimit map[string]siteLimit
	clients   *clientLimits

	// intakeMu guards closed: handlers enqueue under the read lock, Run
	// closes intake under the write lock, so nothing is enqueued after the
	// final drain.
	intakeMu sync.RWMutex
	closed   bool
	queue    chan intake

	m           *metrics
	corsHeaders []header
	// bodies are request body buffers, reused: a report is read whole and
	// decoded, and its buffer is garbage the moment it is decoded.
	bodies sync.Pool

	// Owned by the Run goroutine.
	agg     *csp.Aggregator
	pending []*batch
	// journalLoaded: pending began with the journal's batches, so the
	// journal is removed once they are in the store.
	journalLoaded bool
	candidates    map[candidateKey]*candidate
	// origins are each site's own origins: configured (configured), plus
	// those approved in the store, refreshed every flush.
	configured map[string][]string
	origins    map[string]map[string]bool
}

// intake is one accepted request's worth of events.
type intake struct {
	site   string
	client string
	at     time.Time
	events []csp.Event
}

// New checks opts and returns a collector writing to st.
func New(st Store, opts Options) (*Collector, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrConfig)
	}
	c := &Collector{
		opts:        o,
		store:       st,
		log:         o.Logger,
		sites:       map[[32]byte]string{},
		siteLimit:   map[string]siteLimit{},
		queue:       make(chan intake, o.QueueSize),
		agg:         csp.NewAggregator(),
		candidates:  map[candidateKey]*candidate{},
		configured:  map[string][]string{},
		origins:     map[string]map[string]bool{},
		corsHeaders: corsHeaders(),
	}
	for _, s := range o.Sites {
		h := sha256.Sum256([]byte(s.Key))
		if _, dup := c.sites[h]; dup {
			return nil, fmt.Errorf("%w: site %q reuses another site's key", ErrConfig, s.Name)
		}
		c.sites[h] = s.Name
		c.origins[s.Name] = map[string]bool{}
		for _, raw := range s.Origins {
			o, _ := csp.ParseSiteOrigin(raw)
			c.configured[s.Name] = append(c.configured[s.Name], o)
			c.origins[s.Name][o] = true
		}
		c.siteLimit[s.Name] = siteLimit{
			main:    rate.NewLimiter(o.SiteRate, o.SiteBurst),
			reserve: rate.NewLimiter(o.NewClientReserve, max(o.SiteBurst/10, 1)),
		}
	}
	if o.Journal != "" {
		bs, err := readJournal(o.Journal)
		if err != nil {
			return nil, err
		}
		if len(bs) > 0 {
			c.pending, c.journalLoaded = bs, true
			o.Logger.Info("reloaded aggregates from the journal", "journal", o.Journal, "batches", len(bs))
		}
	}
	c.m = newMetrics(c)
	c.clients = newClientLimits(o.MaxTrackedClients, o.ClientRate, o.ClientBurst, csp.NewClientHasher(o.ClientKey))
	return c, nil
}

// siteFor maps a key from the URL to its site. The lookup is by SHA-256 of
// the key, so its timing tells nothing about the key itself; the final
// compare is constant-time as well.
func (c *Collector) siteFor(key string) (string, bool) {
	h := sha256.Sum256([]byte(key))
	name, ok := c.sites[h]
	if !ok {
		return "", false
	}
	for k := range c.sites {
		if subtle.ConstantTimeCompare(k[:], h[:]) == 1 {
			return name, true
		}
	}
	return "", false
}

// enqueue hands events to the aggregator without blocking; false means the
// queue is full or intake is closed, and the handler answers 503.
func (c *Collector) enqueue(it intake) bool {
	c.intakeMu.RLock()
	defer c.intakeMu.RUnlock()
	if c.closed {
		return false
	}
	select {
	case c.queue <- it:
		return true
	default:
		return false
	}
}
