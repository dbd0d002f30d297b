package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

// Retry is the delivery back-off: attempt k (from 1) that fails waits
// First*2^(k-1), capped at Max, before the next; after Attempts attempts
// the delivery fails for good (and stays in the store with every attempt).
type Retry struct {
	First    time.Duration // default 5s
	Max      time.Duration // default 10m
	Attempts int           // default 10
}

func (r Retry) withDefaults() Retry {
	if r.First <= 0 {
		r.First = 5 * time.Second
	}
	if r.Max <= 0 {
		r.Max = 10 * time.Minute
	}
	if r.Attempts <= 0 {
		r.Attempts = 10
	}
	return r
}

// next returns when to try again after the given number of failed
// attempts, or zero when there are to be no more.
func (r Retry) next(now time.Time, attempts int) time.Time {
	if attempts >= r.Attempts {
		return time.Time{}
	}
	wait := r.First
	for i := 1; i < attempts && wait < r.Max; i++ {
		wait *= 2
	}
	return now.Add(min(wait, r.Max))
}

// ErrPermanent marks a sink error that retrying cannot fix (a webhook that
// answers 400 or 410, an address the mail server refuses): the delivery
// fails at once.
var ErrPermanent = errors.New("permanent delivery failure")

// Deliver makes one attempt at delivery d through sink, bounded by timeout,
// and records it in st with its outcome and, after a failure, when to try
// again. It is the one unit of delivery work: Notifier.Run calls it for
// claimed deliveries, and a job queue can call it the same way.
func Deliver(ctx context.Context, st store.AlertStore, sink Sink, d store.Delivery, retry Retry, timeout time.Duration, now func() time.Time) (store.Delivery, error) {
	retry = retry.withDefaults()
	start := now()
	var a Alert
	err := json.Unmarshal(d.Payload, &a)
	if err != nil {
		err = fmt.Errorf("%w: stored alert does not decode: %v", ErrPermanent, err)
	} else if sink == nil {
		// Removed from the config since the alert was queued.
		err = fmt.Errorf("%w: no sink named %q is configured any more; the delivery is not retried", ErrPermanent, d.Sink)
	} else {
		sctx, cancel := context.WithTimeout(ctx, timeout)
		err = sink.Send(sctx, a)
		cancel()
	}
	end := now()
	attempt := store.DeliveryAttempt{DeliveryID: d.ID, At: start, Duration: end.Sub(start)}
	next := time.Time{}
	if err != nil {
		attempt.Error = err.Error()
		if !errors.Is(err, ErrPermanent) {
			next = retry.next(end, d.Attempts+1)
		}
	}
	got, rerr := st.RecordDeliveryAttempt(ctx, attempt, next)
	if rerr != nil {
		return got, fmt.Errorf("alert: record attempt at %s: %w", d.ID, rerr)
	}
	if err != nil {
		return got, fmt.Errorf("alert: deliver %s to %s: %w", d.AlertID, d.Sink, err)
	}
	return got, nil
}

// deliveryLease is how long a claimed delivery is left to its sender before
// another worker may take it: longer than any one attempt.
func (n *Notifier) deliveryLease() time.Duration { return 2*n.cur().opts.SendTimeout + 30*time.Second }

// DeliverDue sends every delivery due now, each sink's in parallel, and
// returns when this batch is done. Failures are recorded, logged and
// retried later; only a store error is returned.
func (n *Notifier) DeliverDue(ctx context.Context) error {
	for {
		ds, err := n.cur().opts.Store.ClaimDeliveries(ctx, n.cur().opts.Now(), n.deliveryLease(), 32)
		if err != nil {
			return fmt.Errorf("alert: claim deliveries: %w", err)
		}
		if len(ds) == 0 {
			return nil
		}
		// One set for the batch: a reload meanwhile applies to the next.
		set := n.cur()
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Go(func() {
				got, err := Deliver(ctx, set.opts.Store, set.sinks[d.Sink], d, set.opts.Retry, set.opts.SendTimeout, set.opts.Now)
				if err != nil {
					n.log.Warn("alert delivery failed", "sink", d.Sink, "alert", d.AlertID, "attempt", got.Attempts,
						"status", got.Status, "next", got.NextAttempt, "err", err)
				}
			})
		}
		wg.Wait()
	}
}

// Wake asks Run to deliver now rather than at its next tick.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run delivers queued alerts and queues those that fall due (grouping
// windows, reminders) until ctx ends. Start one per process.
func (n *Notifier) Run(ctx context.Context) error {
	every := n.cur().opts.TickEvery
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if e := n.cur().opts.TickEvery; e != every {
			every = e
			t.Reset(every)
		}
		if err := n.Tick(ctx, ""); err != nil && ctx.Err() == nil {
			n.log.Error("alert tick failed", "err", err)
		}
		if err := n.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("alert delivery round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-n.wake:
		}
	}
}
