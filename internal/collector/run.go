package collector

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/store"
)

// batch is one flush's aggregates under the ID that makes its retries
// idempotent. A failed batch is retried unchanged, with the same ID.
type batch struct {
	id      string
	aggs    []csp.Aggregate
	reports int64
}

// ErrUnflushed is returned by Run when the final flush could not write
// everything accepted, and it could not be journaled either: reports are lost.
var ErrUnflushed = errors.New("accepted reports not written to the store")

// ErrJournaled is returned by Run when the store was down at shutdown and
// the aggregates went to the journal instead: nothing is lost, but the store
// is behind until the next start.
var ErrJournaled = errors.New("accepted reports kept in the journal")

// Run is the aggregator: it takes accepted reports from the queue and
// flushes aggregates every FlushInterval until ctx is cancelled. Then,
// in this order and on purpose:
//
//  1. intake closes: handlers still running answer 503 from here on, so no
//     report is accepted that the final flush would not see. (Serve stops
//     the HTTP server before cancelling ctx, so normally none is running);
//  2. the queue is drained into the aggregator;
//  3. a final flush (and finding pass) runs, retried until ShutdownTimeout;
//     if the store still fails, the aggregates go to the journal;
//  4. Run returns, and only then may the caller close the store.
//
// Run returns nil when everything accepted is in the store; an error
// wrapping ErrJournaled when it is in the journal instead; an error
// wrapping ErrUnflushed, saying how many reports, when it is lost.
func (c *Collector) Run(ctx context.Context) error {
	t := time.NewTicker(c.opts.FlushInterval)
	defer t.Stop()
	// The queue is drained on a short tick rather than received from
	// one request at a time: a parked receiver costs every handler a
	// goroutine wake-up (a futex call), which at tens of thousands of
	// reports a second cost a third of the collector's throughput. The
	// queue holds QueueSize requests, far more than arrive in one tick.
	drain := time.NewTicker(drainInterval)
	defer drain.Stop()
	c.refreshOrigins()
	c.prune()
	retention := time.NewTicker(pruneInterval)
	defer retention.Stop()
	for {
		select {
		case <-retention.C:
			c.prune()
		case <-drain.C:
			c.drainQueue()
		case <-t.C:
			c.drainQueue()
			c.flush()
		case <-ctx.Done():
			return c.shutdown()
		}
	}
}

// drainInterval is how often the aggregator empties the queue.
const drainInterval = 5 * time.Millisecond

// pruneInterval is how often aggregates past Options.Retain are deleted.
const pruneInterval = time.Hour

// prune deletes aggregates last seen longer than Retain ago. A failure is
// logged and retried at the next interval: nothing is lost by pruning late.
func (c *Collector) prune() {
	if c.opts.Retain < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FlushTimeout)
	defer cancel()
	n, err := c.store.PruneReportAggregates(ctx, c.opts.Now().Add(-c.opts.Retain))
	if err != nil {
		c.log.Warn("cannot delete aggregates past retention; will retry", "retain", c.opts.Retain, "error", err)
		return
	}
	if n > 0 {
		c.m.pruned.Add(n)
		c.log.Info("deleted aggregates past retention", "aggregates", n, "retain", c.opts.Retain)
	}
}

func (c *Collector) drainQueue() {
	for {
		select {
		case it := <-c.queue:
			c.add(it)
		default:
			return
		}
	}
}

func (c *Collector) shutdown() error {
	c.intakeMu.Lock()
	c.closed = true
	c.intakeMu.Unlock()
	c.drainQueue()
	deadline := time.Now().Add(c.opts.ShutdownTimeout)
	backoff := 100 * time.Millisecond
	for {
		c.flush()
		if len(c.pending) == 0 && c.agg.Len() == 0 && len(c.candidates) == 0 {
			break
		}
		if time.Now().Add(backoff).After(deadline) {
			return c.spill()
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
	return nil
}

// spill writes what the store would not take to the journal, for the next
// start to retry; without a journal it reports the loss. Findings the store
// would not take are never dropped quietly: each is logged, and Run fails.
func (c *Collector) spill() error {
	lost := c.unwrittenFindings()
	if len(c.pending) == 0 && c.agg.Len() == 0 {
		return lost
	}
	if g := c.agg.Drain(); len(g) > 0 {
		c.pending = append(c.pending, newBatch(g))
	}
	var reports int64
	aggs := 0
	for _, b := range c.pending {
		reports += b.reports
		aggs += len(b.aggs)
	}
	if c.opts.Journal == "" {
		c.log.Error("final flush failed and no journal is set: reports lost", "reports", reports)
		return errors.Join(fmt.Errorf("%w: %d reports in %d aggregates (the store kept failing for %s and no journal is set)", ErrUnflushed, reports, aggs, c.opts.ShutdownTimeout), lost)
	}
	if err := writeJournal(c.opts.Journal, c.pending); err != nil {
		return errors.Join(fmt.Errorf("%w: %d reports in %d aggregates: the store kept failing and the journal could not be written: %v", ErrUnflushed, reports, aggs, err), lost)
	}
	c.log.Warn("store unavailable at shutdown: aggregates written to the journal", "journal", c.opts.Journal, "reports", reports)
	// A journaled batch is evaluated again when it is replayed, so its
	// findings come back then.
	return errors.Join(fmt.Errorf("%w: %d reports in %d aggregates kept in the journal %s, retried at the next start", ErrJournaled, reports, aggs, c.opts.Journal), lost)
}

// unwrittenFindings logs every candidate finding the store did not take
// and returns an error wrapping ErrUnflushed that counts them, or nil.
// Their aggregates are in the store, so nothing re-raises them by itself.
func (c *Collector) unwrittenFindings() error {
	if len(c.candidates) == 0 {
		return nil
	}
	for k := range c.candidates {
		kind, _, _ := findingKind(k.family, k.kind)
		c.log.Error("finding not written to the store at shutdown", "site", k.site, "kind", kind, "directive", k.family, "blocked", k.blocked, "source_file", k.sourceFile)
	}
	return fmt.Errorf("%w: %d finding(s) not written to the store (each is in the log)", ErrUnflushed, len(c.candidates))
}

func (c *Collector) add(it intake) {
	own := c.origins[it.site]
	for _, e := range it.events {
		if len(own) > 0 && !own[e.DocumentOrigin] {
			// A report from a page that is not the site's: kept apart
			// as evidence of forgery, never merged with the site's own.
			e = csp.MarkForeign(e)
		}
		c.agg.Add(it.site, e, it.client, it.at)
	}
	c.updatePending()
}

// refreshOrigins reloads each site's own origins: the configured ones and
// those approved in the store. On a store error the last known set stays.
func (c *Collector) refreshOrigins() {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FlushTimeout)
	defer cancel()
	for site := range c.origins {
		approved, err := c.store.ApprovedSources(ctx, site)
		if err != nil {
			c.log.Warn("cannot read the site's origins; keeping the last known", "site", site, "error", err)
			continue
		}
		c.setOrigins(site, approved)
	}
}

func (c *Collector) setOrigins(site string, approved []store.ApprovedSource) {
	set := map[string]bool{}
	for _, o := range c.configured[site] {
		set[o] = true
	}
	for _, a := range approved {
		if a.Directive != store.DirectiveSiteOrigin {
			continue
		}
		if o, err := csp.ParseSiteOrigin(a.Value); err == nil {
			set[o] = true
		}
	}
	c.origins[site] = set
}

func (c *Collector) updatePending() {
	n := c.agg.Len()
	for _, b := range c.pending {
		n += len(b.aggs)
	}
	c.m.pendingAggs.Store(int64(n))
	c.m.shedding.Store(n >= c.opts.MaxPending)
}

func newBatch(aggs []csp.Aggregate) *batch {
	b := &batch{id: newBatchID(), aggs: aggs}
	for _, g := range aggs {
		b.reports += g.Count
	}
	return b
}

// flush writes the pending batches (retries, oldest first, each under its
// own ID) and then the aggregator's contents as a new batch, then evaluates
// findings.
func (c *Collector) flush() {
	defer c.updatePending()
	c.refreshOrigins()
	for len(c.pending) > 0 {
		if !c.write(c.pending[0]) {
			return
		}
		c.pending = c.pending[1:]
	}
	if c.journalLoaded {
		// Everything the journal held is in the store now. (Were it
		// reloaded anyway, the store would skip its batch IDs.)
		if err := os.Remove(c.opts.Journal); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("cannot remove the replayed journal", "journal", c.opts.Journal, "error", err)
		} else {
			c.journalLoaded = false
		}
	}
	if c.agg.Len() > 0 {
		b := newBatch(c.agg.Drain())
		if !c.write(b) {
			c.pending = append(c.pending, b)
			return
		}
	}
	c.evaluate()
}

// write merges one batch in one transaction. A panic inside the store (a
// driver bug, a killed connection) counts as a failure, and the batch is
// retried with the same ID, so one that did commit is not counted twice.
func (c *Collector) write(b *batch) (ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FlushTimeout)
	defer cancel()
	rows := make([]store.ReportAggregate, len(b.aggs))
	for i, g := range b.aggs {
		rows[i] = toStore(g)
	}
	err := c.merge(ctx, b.id, rows)
	if errors.Is(err, store.ErrInvalid) {
		// One bad row fails the whole batch. Find it row by row, drop only
		// what the store refuses, and keep the rest under a new ID (the old
		// one was never applied).
		var keep []csp.Aggregate
		for i, r := range rows {
			if r.Validate() != nil {
				c.log.Warn("dropping an aggregate the store refuses", "site", r.Site, "directive", r.Directive, "blocked", r.Blocked, "error", r.Validate())
				c.m.drop(DropInvalid, int(r.Count))
				b.reports -= r.Count
				continue
			}
			keep = append(keep, b.aggs[i])
		}
		if len(keep) == len(b.aggs) {
			c.m.flushErrors.Add(1)
			c.log.Error("flush failed", "error", err)
			return false
		}
		b.id, b.aggs = newBatchID(), keep
		if len(keep) == 0 {
			return true
		}
		return c.write(b)
	}
	if err != nil {
		c.m.flushErrors.Add(1)
		c.log.Warn("flush failed; will retry", "batch", b.id, "aggregates", len(rows), "error", err)
		return false
	}
	c.m.flushes.Add(1)
	c.m.persisted.Add(b.reports)
	for _, g := range b.aggs {
		c.consider(g)
	}
	return true
}

func (c *Collector) merge(ctx context.Context, id string, rows []store.ReportAggregate) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store panicked during merge: %v", p)
		}
	}()
	return c.store.MergeReportAggregates(ctx, id, rows)
}

func newBatchID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// toStore converts an aggregate to the store's row, with the first sample
// event as JSON (bounded by store.MaxSampleBytes).
func toStore(g csp.Aggregate) store.ReportAggregate {
	r := store.ReportAggregate{
		Site: g.Site, Directive: g.Directive, Blocked: g.Blocked, SourceFile: g.SourceFile,
		DocumentPath: g.DocumentPath, Disposition: g.Disposition, Kind: kindOf(g.Directive, g.BlockedKind),
		Count: g.Count, Clients: g.Clients, ClientHashes: g.ClientHashes, FirstSeen: g.FirstSeen, LastSeen: g.LastSeen,
	}
	if len(g.Samples) > 0 {
		r.Sample = sampleJSON(g.Samples[0])
	}
	return r
}

func sampleJSON(e csp.Event) string {
	b, _ := json.Marshal(e)
	for n := 1024; len(b) > store.MaxSampleBytes && n >= 64; n /= 2 {
		for _, p := range []*string{&e.DocumentURL, &e.BlockedURL, &e.SourceFile, &e.UserAgent, &e.DocumentPath} {
			if len(*p) > n {
				*p = (*p)[:n]
			}
		}
		b, _ = json.Marshal(e)
	}
	if len(b) > store.MaxSampleBytes {
		return ""
	}
	return string(b)
}

// kindOf names what an aggregate is about, in the store's vocabulary.
// storedKind is the csp.Kind of a stored aggregate's Kind, which kindOf
// wrote: a URL's is the directive's subject ("script", "connect"), any
// other the csp.Kind itself.
func storedKind(kind string) csp.Kind {
	switch k := csp.Kind(kind); k {
	case csp.KindInline, csp.KindEval, csp.KindWasmEval, csp.KindTrustedTypesSink, csp.KindTrustedTypesPolicy,
		csp.KindData, csp.KindBlob, csp.KindSelf, csp.KindScheme, csp.KindEmpty:
		return k
	}
	return csp.KindURL
}

func kindOf(directive string, k csp.Kind) string {
	if k != csp.KindURL {
		return string(k)
	}
	if r, ok := csp.DirectiveRuleFor(csp.DirectiveFamily(directive)); ok {
		return r.Subject
	}
	return "other"
}
