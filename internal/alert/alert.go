// Package alert turns detector runs into alerts people act on: one alert per
// incident (not per run), findings on one site grouped, resolutions and
// recoveries announced, unacknowledged criticals re-sent, and a target that
// keeps coming back incomplete alerted as silence.
//
// Observe records what a run means for the site's incidents and queues the
// alerts in the store; it never talks to a sink. Delivery (Deliver, driven
// by Notifier.Run or, later, a job queue) sends queued alerts with timeouts
// and retries with back-off, and records every attempt. So a slow or dead
// sink never holds up detection, and a restart neither repeats an alert nor
// loses one.
package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Run is one detector run over one target, as the monitor hands it over.
type Run struct {
	Site     string
	Target   string
	Detector string
	At       time.Time
	// Complete is false when the run could not see everything; such a run
	// never resolves anything and counts towards silence.
	Complete   bool
	Incomplete []string
	Findings   []finding.Finding
	// Keys, when set, holds each finding's store key (what the detector
	// passed to store.PutFinding), in the order of Findings. When empty,
	// a finding's key is store.KeyOf(f), as record.Put files it; the
	// collector, whose messages carry counts, must pass its keys.
	Keys []string
}

// Sink sends one alert somewhere. Send must honour ctx's deadline.
type Sink interface {
	// Name identifies the sink in the store; it must be unique and stable
	// across restarts, so that queued deliveries find their sink again.
	Name() string
	Send(ctx context.Context, a Alert) error
}

// Options configures New. Store is required; zero values elsewhere take the
// defaults named.
type Options struct {
	Store  store.AlertStore
	Sinks  []Sink
	Logger *slog.Logger
	Now    func() time.Time
	// Window groups a site's new incidents into one alert: the alert goes
	// out Window after the first of them (default 30s; negative: at once).
	Window time.Duration
	// Resend is how long an unacknowledged critical waits before it is
	// re-sent (default 1h; negative: never).
	Resend time.Duration
	// SilenceAfter is how many incomplete runs in a row of one target
	// alert as silence (default 3).
	SilenceAfter int
	// MinSeverity is the lowest severity that alerts (default Medium).
	MinSeverity finding.Severity
	// Retry is the delivery back-off (see Retry for its defaults).
	Retry Retry
	// SendTimeout bounds one attempt at one sink (default 10s).
	SendTimeout time.Duration
	// TickEvery is how often Run looks for grouped alerts that are due,
	// reminders and deliveries to retry (default 1s).
	TickEvery time.Duration
}

// Notifier decides and queues alerts. It is safe for concurrent use, and
// several Notifiers (in several processes) may share one store: the store's
// optimistic lock lets only one of them announce an incident.
type Notifier struct {
	log  *slog.Logger
	wake chan struct{}
	// set holds the options and sinks; Reconfigure replaces them whole
	// while runs and deliveries go on, each reading one set.
	set atomic.Pointer[settings]
}

type settings struct {
	opts  Options
	sinks map[string]Sink
}

// cur is the settings in force now.
func (n *Notifier) cur() *settings { return n.set.Load() }

// New checks opts and returns a Notifier.
func New(opts Options) (*Notifier, error) {
	set, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	n := &Notifier{log: set.opts.Logger.With("component", "alert"), wake: make(chan struct{}, 1)}
	n.set.Store(set)
	return n, nil
}

// Reconfigure replaces the sinks and the rules' timings (a reloaded
// config) without stopping anything. Alerts queued from now on go to the
// new sinks; a delivery already queued keeps its sink by name, and is sent
// through the new sink of that name, or fails for good with that reason
// when no sink has the name any more. Store, Logger and Now stay those
// New was given (opts' are ignored). On error nothing changes.
func (n *Notifier) Reconfigure(opts Options) error {
	old := n.cur().opts
	opts.Store, opts.Logger, opts.Now = old.Store, old.Logger, old.Now
	set, err := newSettings(opts)
	if err != nil {
		return err
	}
	n.set.Store(set)
	n.log.Info("alert settings replaced", "sinks", slices.Sorted(maps.Keys(set.sinks)))
	n.Wake()
	return nil
}

func newSettings(opts Options) (*settings, error) {
	if opts.Store == nil {
		return nil, errors.New("alert: no store")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Window == 0 {
		opts.Window = 30 * time.Second
	}
	if opts.Resend == 0 {
		opts.Resend = time.Hour
	}
	if opts.SilenceAfter <= 0 {
		opts.SilenceAfter = 3
	}
	if opts.MinSeverity == 0 {
		opts.MinSeverity = finding.Medium
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 10 * time.Second
	}
	if opts.TickEvery <= 0 {
		opts.TickEvery = time.Second
	}
	opts.Retry = opts.Retry.withDefaults()
	set := &settings{opts: opts, sinks: map[string]Sink{}}
	for _, s := range opts.Sinks {
		if _, dup := set.sinks[s.Name()]; dup || s.Name() == "" {
			return nil, fmt.Errorf("alert: sink name %q is empty or used twice", s.Name())
		}
		set.sinks[s.Name()] = s
	}
	return set, nil
}

// conflictRetries bounds how often a decision is redone after another
// process changed the same incidents.
const conflictRetries = 5

// Observe records what run r means for its site's incidents and queues the
// alerts that are due now. It returns once that is in the store: it never
// waits on a sink.
func (n *Notifier) Observe(ctx context.Context, r Run) error {
	if r.Site == "" || r.Target == "" || r.Detector == "" {
		return fmt.Errorf("alert: run without site, target or detector (%q, %q, %q)", r.Site, r.Target, r.Detector)
	}
	if len(r.Keys) > 0 && len(r.Keys) != len(r.Findings) {
		return fmt.Errorf("alert: run of %s has %d keys for %d findings", r.Target, len(r.Keys), len(r.Findings))
	}
	if r.At.IsZero() {
		r.At = n.cur().opts.Now()
	}
	err := retryConflicts(func() error { return n.observe(ctx, r) })
	if err != nil {
		return fmt.Errorf("alert: observe %s on %s: %w", r.Detector, r.Target, err)
	}
	if err := n.Tick(ctx, r.Site); err != nil {
		return err
	}
	n.Wake()
	return nil
}

func retryConflicts(fn func() error) error {
	var err error
	for range conflictRetries {
		if err = fn(); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

// silenceKey is the incident key of a target that cannot be seen, made by
// the one finding-key rule.
func silenceKey(detector, target string) string {
	return store.FindingKey(finding.Finding{Source: detector, Kind: KindSilence, URL: target})
}

// KindSilence is the finding kind of a silence incident.
const KindSilence = "alert.silence"

func (n *Notifier) observe(ctx context.Context, r Run) error {
	st := n.cur().opts.Store
	live, err := st.Incidents(ctx, store.IncidentQuery{Site: r.Site, Target: r.Target, Detector: r.Detector,
		Statuses: []string{store.IncidentWatching, store.IncidentOpen, store.IncidentResolved}})
	if err != nil {
		return err
	}
	byKey := map[string]store.Incident{}
	for _, inc := range live {
		byKey[inc.Key] = inc
	}
	var changed []store.Incident
	seen := map[string]bool{}
	for i, f := range r.Findings {
		if f.Severity < n.cur().opts.MinSeverity {
			continue
		}
		if f.Site == "" {
			f.Site = r.Site
		}
		if f.Time.IsZero() {
			f.Time = r.At
		}
		// Masked before the key is made, as the store does, so that the
		// key is the stored finding's.
		if f, err = store.MaskFinding(f); err != nil {
			return err
		}
		key := store.KeyOf(f)
		if len(r.Keys) > 0 {
			key = r.Keys[i]
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		inc, ok := byKey[key]
		if !ok {
			// Not live for this target: a closed one (or one raised by
			// another target) keeps its row, and so its version.
			old, err := st.Incidents(ctx, store.IncidentQuery{Site: r.Site, Key: key})
			if err != nil {
				return err
			}
			if len(old) == 1 && old[0].Status != store.IncidentClosed {
				inc, ok = old[0], true
			} else {
				inc = store.Incident{Site: r.Site, Key: key, Kind: store.IncidentFinding, Status: store.IncidentOpen,
					Target: r.Target, Detector: r.Detector, Opened: f.Time}
				if len(old) == 1 {
					inc.Version = old[0].Version
				}
			}
		}
		if ok && inc.Status == store.IncidentResolved {
			// Back before its resolution was announced: the incident goes on.
			inc.Status, inc.Resolved = store.IncidentOpen, time.Time{}
		}
		inc.Finding, inc.LastSeen = f, f.Time
		changed = append(changed, inc)
	}
	sk := silenceKey(r.Detector, r.Target)
	if r.Complete {
		for _, inc := range live {
			if inc.Kind == store.IncidentFinding && inc.Status == store.IncidentOpen && !seen[inc.Key] {
				inc.Status, inc.Resolved = store.IncidentResolved, r.At
				changed = append(changed, inc)
			}
		}
		if inc, ok := byKey[sk]; ok {
			switch {
			case inc.Status == store.IncidentOpen && !inc.Announced.IsZero():
				inc.Status, inc.Resolved = store.IncidentResolved, r.At
				changed = append(changed, inc)
			case inc.Streak > 0 && inc.Status != store.IncidentResolved:
				// Seen again before anyone was told it could not be seen.
				inc.Status, inc.Streak = store.IncidentWatching, 0
				changed = append(changed, inc)
			}
		}
	} else {
		inc, ok := byKey[sk]
		if !ok || inc.Status == store.IncidentResolved {
			old, err := st.Incidents(ctx, store.IncidentQuery{Site: r.Site, Key: sk})
			if err != nil {
				return err
			}
			version := int64(0)
			if len(old) == 1 {
				version = old[0].Version
			}
			inc = store.Incident{Site: r.Site, Key: sk, Kind: store.IncidentSilence, Status: store.IncidentWatching,
				Target: r.Target, Detector: r.Detector, Version: version}
		}
		if inc.Streak == 0 {
			inc.Opened = r.At
		}
		inc.Streak++
		inc.LastSeen = r.At
		inc.Finding = finding.Finding{Severity: finding.High, Kind: KindSilence, Source: r.Detector, Site: r.Site, URL: r.Target,
			Message:  fmt.Sprintf("%d runs in a row of %s on %s could not finish.", inc.Streak, r.Detector, r.Target),
			Evidence: map[string]any{"incomplete": r.Incomplete, "streak": inc.Streak}, Time: r.At}
		if inc.Status == store.IncidentWatching && inc.Streak >= n.cur().opts.SilenceAfter {
			inc.Status = store.IncidentOpen
		}
		changed = append(changed, inc)
	}
	if len(changed) == 0 {
		return nil
	}
	return st.SaveIncidents(ctx, changed, nil)
}

// Acknowledge marks an incident as seen by someone, which stops its
// reminders. ErrNotFound (wrapped) when the site has no such incident.
func (n *Notifier) Acknowledge(ctx context.Context, site, key, by string) error {
	return retryConflicts(func() error {
		got, err := n.cur().opts.Store.Incidents(ctx, store.IncidentQuery{Site: site, Key: key})
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("alert: incident %s of %s: %w", key, site, store.ErrNotFound)
		}
		inc := got[0]
		inc.Acknowledged, inc.AckBy = n.cur().opts.Now(), by
		return n.cur().opts.Store.SaveIncidents(ctx, []store.Incident{inc}, nil)
	})
}

// Tick queues every alert that is due on site ("" for every site): new
// incidents whose grouping window has ended, resolutions, recoveries and
// reminders. Observe calls it for its run's site; Run calls it every
// TickEvery for windows that end and reminders that fall due between runs.
func (n *Notifier) Tick(ctx context.Context, site string) error {
	err := retryConflicts(func() error { return n.tick(ctx, site) })
	if err != nil {
		return fmt.Errorf("alert: tick: %w", err)
	}
	return nil
}

func (n *Notifier) tick(ctx context.Context, site string) error {
	live, err := n.cur().opts.Store.Incidents(ctx, store.IncidentQuery{Site: site, Statuses: []string{store.IncidentOpen, store.IncidentResolved}})
	if err != nil {
		return err
	}
	now := n.cur().opts.Now()
	bySite := map[string][]store.Incident{}
	var sites []string
	for _, inc := range live {
		if _, ok := bySite[inc.Site]; !ok {
			sites = append(sites, inc.Site)
		}
		bySite[inc.Site] = append(bySite[inc.Site], inc)
	}
	for _, s := range sites {
		for _, typ := range []string{TypeIncident, TypeSilence, TypeResolved, TypeRecovered, TypeReminder} {
			due := n.due(typ, bySite[s], now)
			if len(due) == 0 {
				continue
			}
			if err := n.queue(ctx, typ, s, due, now); err != nil {
				return err
			}
			// Incidents queued here changed version; read them again for
			// the next type (a new incident resolved at once is announced,
			// then resolved).
			fresh, err := n.cur().opts.Store.Incidents(ctx, store.IncidentQuery{Site: s, Statuses: []string{store.IncidentOpen, store.IncidentResolved}})
			if err != nil {
				return err
			}
			bySite[s] = fresh
		}
	}
	return nil
}

// due picks the incidents an alert of type typ is due for at now.
func (n *Notifier) due(typ string, incs []store.Incident, now time.Time) []store.Incident {
	var out []store.Incident
	first := time.Time{}
	for _, inc := range incs {
		var ok bool
		switch typ {
		case TypeIncident:
			ok = inc.Kind == store.IncidentFinding && inc.Announced.IsZero()
		case TypeSilence:
			ok = inc.Kind == store.IncidentSilence && inc.Status == store.IncidentOpen && inc.Announced.IsZero()
		case TypeResolved:
			ok = inc.Kind == store.IncidentFinding && inc.Status == store.IncidentResolved && !inc.Announced.IsZero()
		case TypeRecovered:
			ok = inc.Kind == store.IncidentSilence && inc.Status == store.IncidentResolved && !inc.Announced.IsZero()
		case TypeReminder:
			last := inc.Announced
			if inc.Reminded.After(last) {
				last = inc.Reminded
			}
			ok = n.cur().opts.Resend > 0 && inc.Status == store.IncidentOpen && inc.Finding.Severity == finding.Critical &&
				!inc.Announced.IsZero() && inc.Acknowledged.IsZero() && !now.Before(last.Add(n.cur().opts.Resend))
		}
		if ok {
			out = append(out, inc)
			if first.IsZero() || inc.Opened.Before(first) {
				first = inc.Opened
			}
		}
	}
	// New findings wait out the window from the first of them, so that
	// what one tamper changes arrives as one alert; but a critical (the
	// card leaving for an attacker, a web-root skimmer) goes at once, with
	// whatever else is waiting: it means "stop taking payments now".
	if typ == TypeIncident && len(out) > 0 && n.cur().opts.Window > 0 && now.Before(first.Add(n.cur().opts.Window)) &&
		!slices.ContainsFunc(out, func(inc store.Incident) bool { return inc.Finding.Severity == finding.Critical }) {
		return nil
	}
	return out
}

// queue builds one alert of type typ about incs, and in one store write
// marks the incidents and queues a delivery to every sink.
func (n *Notifier) queue(ctx context.Context, typ, site string, incs []store.Incident, now time.Time) error {
	set := n.cur()
	a := newAlert(typ, site, incs, now)
	payload, err := a.MarshalJSON()
	if err != nil {
		return err
	}
	for i := range incs {
		switch typ {
		case TypeIncident, TypeSilence:
			incs[i].Announced = now
		case TypeResolved, TypeRecovered:
			incs[i].Status = store.IncidentClosed
		case TypeReminder:
			incs[i].Reminded = now
		}
	}
	var ds []store.Delivery
	for _, name := range slices.Sorted(maps.Keys(set.sinks)) {
		ds = append(ds, store.Delivery{ID: a.ID + "/" + name, AlertID: a.ID, Sink: name, Site: site, Payload: payload, Created: now})
	}
	if err := n.cur().opts.Store.SaveIncidents(ctx, incs, ds); err != nil {
		return err
	}
	n.log.Info("alert queued", "type", typ, "site", site, "alert", a.ID, "incidents", len(incs), "sinks", len(ds))
	return nil
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
