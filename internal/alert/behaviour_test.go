package alert_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/postgres"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

// hookRig is a notifier on a fresh SQLite file with one signed webhook sink
// and its receiver.
type hookRig struct {
	c    *clock
	st   *sqlite.DB
	n    *alert.Notifier
	recv *webhookReceiver
}

func newHookRig(t *testing.T, opts alert.Options) *hookRig {
	c := &clock{t: t0}
	st := openStore(t, filepath.Join(t.TempDir(), "skimwatch.db"), c)
	recv := newWebhookReceiver(t, secret)
	hook, err := alert.NewWebhook("hook", recv.URL, secret, nil)
	must(t, err)
	return &hookRig{c: c, st: st, n: newNotifier(t, st, c, []alert.Sink{hook}, opts), recv: recv}
}

// observe runs one Observe and one delivery round.
func (r *hookRig) observe(t *testing.T, runs ...alert.Run) {
	t.Helper()
	for _, rn := range runs {
		must(t, r.n.Observe(t.Context(), rn))
	}
	must(t, r.n.DeliverDue(t.Context()))
}

func (r *hookRig) types() []string {
	var out []string
	for _, a := range r.recv.alerts.all() {
		out = append(out, a.Type)
	}
	return out
}

func TestIncidents(t *testing.T) {
	exfil := func(at time.Time) []finding.Finding { return tamper(at)[:1] }
	tests := []struct {
		name string
		opts alert.Options
		// play drives the rig; want is the alert types the webhook gets.
		play func(t *testing.T, r *hookRig)
		want []string
	}{
		{"an incomplete run resolves nothing, however long the finding is missing from it", alert.Options{SilenceAfter: 100},
			func(t *testing.T, r *hookRig) {
				r.observe(t, run(r.c.Now(), true, exfil(r.c.Now())))
				for range 5 {
					r.c.Advance(time.Minute)
					r.observe(t, run(r.c.Now(), false, nil))
				}
			}, []string{alert.TypeIncident}},
		{"a streak of incomplete runs broken by a complete one does not alert", alert.Options{SilenceAfter: 3},
			func(t *testing.T, r *hookRig) {
				for _, complete := range []bool{false, false, true, false, false, true} {
					r.c.Advance(time.Minute)
					r.observe(t, run(r.c.Now(), complete, nil))
				}
			}, nil},
		{"a finding that comes back after its resolution is a new incident and alerts again", alert.Options{},
			func(t *testing.T, r *hookRig) {
				r.observe(t, run(r.c.Now(), true, exfil(r.c.Now())))
				r.c.Advance(time.Minute)
				r.observe(t, run(r.c.Now(), true, nil))
				r.c.Advance(time.Minute)
				r.observe(t, run(r.c.Now(), true, exfil(r.c.Now())))
			}, []string{alert.TypeIncident, alert.TypeResolved, alert.TypeIncident}},
		{"a finding below the minimum severity does not alert", alert.Options{MinSeverity: finding.High},
			func(t *testing.T, r *hookRig) {
				f := finding.Finding{Severity: finding.Medium, Kind: verdict.KindHeaderChanged, Source: "check", URL: checkout,
					Message: "The Referrer-Policy header changed."}
				r.observe(t, run(r.c.Now(), true, []finding.Finding{f}))
			}, nil},
		{"findings on one site within the window arrive as one alert when the window ends", alert.Options{Window: 30 * time.Second},
			func(t *testing.T, r *hookRig) {
				r.observe(t, run(r.c.Now(), true, []finding.Finding{highScript}))
				r.c.Advance(10 * time.Second)
				other := alert.Run{Site: "shop", Target: "https://shop.example/register", Detector: "check", At: r.c.Now(), Complete: true,
					Findings: []finding.Finding{{Severity: finding.High, Kind: verdict.KindFormFields, Source: "check",
						URL: "https://shop.example/register", Message: "The registration form has new card fields."}}}
				r.observe(t, other)
				r.c.Advance(19 * time.Second)
				must(t, r.n.Tick(t.Context(), ""))
				must(t, r.n.DeliverDue(t.Context()))
				if got := r.types(); len(got) != 0 {
					t.Errorf("before the window ended: %v", got)
				}
				r.c.Advance(time.Second)
				must(t, r.n.Tick(t.Context(), ""))
				must(t, r.n.DeliverDue(t.Context()))
				if got := r.recv.alerts.all(); len(got) == 1 && len(got[0].Items) != 2 {
					t.Errorf("grouped alert has %d items, want 2", len(got[0].Items))
				}
			}, []string{alert.TypeIncident}},
		{"a critical does not wait for the window, and takes what waits with it", alert.Options{Window: 30 * time.Second},
			func(t *testing.T, r *hookRig) {
				r.observe(t, run(r.c.Now(), true, []finding.Finding{highScript}))
				r.c.Advance(5 * time.Second)
				r.observe(t, run(r.c.Now(), true, append([]finding.Finding{highScript}, exfil(r.c.Now())...)))
				must(t, r.n.Tick(t.Context(), ""))
				must(t, r.n.DeliverDue(t.Context()))
				if got := r.recv.alerts.all(); len(got) != 1 || len(got[0].Items) < 2 {
					t.Errorf("got %d alerts (%+v), want one at once holding the critical and the waiting high", len(got), got)
				}
			}, []string{alert.TypeIncident}},
		{"an unacknowledged critical is re-sent each time the resend interval passes, until acknowledged", alert.Options{Resend: time.Hour},
			func(t *testing.T, r *hookRig) {
				r.observe(t, run(r.c.Now(), true, tamper(r.c.Now())))
				for range 2 {
					r.c.Advance(59 * time.Minute)
					must(t, r.n.Tick(t.Context(), ""))
					r.c.Advance(time.Minute)
					must(t, r.n.Tick(t.Context(), ""))
				}
				must(t, r.n.DeliverDue(t.Context()))
				key := r.recv.alerts.all()[0].Items[0].Key
				must(t, r.n.Acknowledge(t.Context(), "shop", key, "owner@shop.example"))
				r.c.Advance(5 * time.Hour)
				must(t, r.n.Tick(t.Context(), ""))
				must(t, r.n.DeliverDue(t.Context()))
				for _, a := range r.recv.alerts.all()[1:] {
					// Only the critical one is re-sent, not the high one beside it.
					if len(a.Items) != 1 || a.Items[0].Kind != verdict.KindCardExfil {
						t.Errorf("reminder items %v, want only %s", kinds(a), verdict.KindCardExfil)
					}
				}
			}, []string{alert.TypeIncident, alert.TypeReminder, alert.TypeReminder}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newHookRig(t, tt.opts)
			tt.play(t, r)
			if got := r.types(); !slices.Equal(got, tt.want) {
				t.Errorf("webhook got %v, want exactly %v", got, tt.want)
			}
		})
	}
}

func TestAcknowledgeAnUnknownIncident(t *testing.T) {
	r := newHookRig(t, alert.Options{})
	if err := r.n.Acknowledge(t.Context(), "shop", "no-such-key", "me"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

// TestTwoProcessesAlertOnce runs two notifiers, each on its own handle to
// one database (as two worker processes would), observing the same tamper
// and delivering at the same time: the store's optimistic lock lets one
// alert through, and the delivery claim lets it be sent once.
func TestTwoProcessesAlertOnce(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T, c *clock) func() store.AlertStore
	}{
		{"SQLite, two handles on one file", func(t *testing.T, c *clock) func() store.AlertStore {
			path := filepath.Join(t.TempDir(), "skimwatch.db")
			return func() store.AlertStore { return openStore(t, path, c) }
		}},
		{"PostgreSQL, two pools on one database", func(t *testing.T, c *clock) func() store.AlertStore {
			dsn := storetest.PostgresDSN(t)
			return func() store.AlertStore {
				db, err := postgres.Open(t.Context(), dsn, postgres.Options{Now: c.Now})
				must(t, err)
				t.Cleanup(func() { db.Close() })
				return db
			}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := &clock{t: t0}
			open := b.open(t, c)
			recv := newWebhookReceiver(t, secret)
			hook, err := alert.NewWebhook("hook", recv.URL, secret, nil)
			must(t, err)
			var ns []*alert.Notifier
			for range 2 {
				ns = append(ns, newNotifier(t, open(), c, []alert.Sink{hook}, alert.Options{}))
			}
			for range 5 {
				var wg sync.WaitGroup
				for _, n := range ns {
					wg.Go(func() {
						must(t, n.Observe(t.Context(), run(c.Now(), true, tamper(c.Now()))))
						must(t, n.DeliverDue(t.Context()))
					})
				}
				wg.Wait()
				c.Advance(time.Minute)
			}
			if got := recv.alerts.all(); len(got) != 1 || len(got[0].Items) != 2 {
				t.Errorf("webhook got %d alerts, want one with both findings", len(got))
			}
		})
	}
}

// TestASinkThatIsDown shows that a sink that hangs does not hold up
// Observe, that the failed attempt is recorded and retried with back-off,
// and that a sink that stays down fails the delivery for good, with every
// attempt kept.
func TestASinkThatIsDown(t *testing.T) {
	t.Run("Observe returns while a delivery hangs, and the timed-out attempt is retried after its back-off", func(t *testing.T) {
		var healthy atomic.Bool
		arrived := make(chan struct{}, 16)
		var got atomic.Int32
		stop := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if !healthy.Load() {
				arrived <- struct{}{}
				// Hang until the sender gives up (or the test ends).
				select {
				case <-req.Context().Done():
				case <-stop:
				}
				return
			}
			got.Add(1)
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(stop) })
		c := &clock{t: t0}
		st := openStore(t, filepath.Join(t.TempDir(), "skimwatch.db"), c)
		hook, err := alert.NewWebhook("hook", srv.URL, secret, nil)
		must(t, err)
		n := newNotifier(t, st, c, []alert.Sink{hook}, alert.Options{SendTimeout: 2 * time.Second,
			Retry: alert.Retry{First: 30 * time.Second, Max: time.Hour, Attempts: 5}})
		must(t, n.Observe(t.Context(), run(c.Now(), true, tamper(c.Now()))))
		done := make(chan error, 1)
		go func() { done <- n.DeliverDue(t.Context()) }()
		<-arrived
		// The sink holds the delivery now; detection goes on.
		r := run(c.Now(), false, nil)
		must(t, n.Observe(t.Context(), r))
		select {
		case <-done:
			t.Fatal("the delivery round ended before Observe was checked; the sink did not hang")
		default:
		}
		must(t, <-done)
		ds, err := st.Deliveries(t.Context(), store.DeliveryQuery{})
		must(t, err)
		if len(ds) != 1 || ds[0].Status != store.DeliveryPending || ds[0].Attempts != 1 || !ds[0].NextAttempt.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("after the hang: %+v, want one pending delivery, 1 attempt, next at +30s", ds)
		}
		healthy.Store(true)
		c.Advance(29 * time.Second)
		must(t, n.DeliverDue(t.Context()))
		if got.Load() != 0 {
			t.Fatal("retried before its back-off ended")
		}
		c.Advance(time.Second)
		must(t, n.DeliverDue(t.Context()))
		as, err := st.DeliveryAttempts(t.Context(), ds[0].ID)
		must(t, err)
		if got.Load() != 1 || len(as) != 2 || !strings.Contains(as[0].Error, "deadline exceeded") || as[1].Error != "" {
			t.Errorf("received %d, attempts %+v; want one arrival, a timed-out attempt then a delivered one", got.Load(), as)
		}
	})
	t.Run("a sink that stays down fails the delivery after the last attempt, and every attempt is kept", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		url := srv.URL
		srv.Close() // nothing listens there now: connection refused
		c := &clock{t: t0}
		st := openStore(t, filepath.Join(t.TempDir(), "skimwatch.db"), c)
		hook, err := alert.NewWebhook("hook", url, secret, nil)
		must(t, err)
		n := newNotifier(t, st, c, []alert.Sink{hook}, alert.Options{Retry: alert.Retry{First: time.Second, Max: 4 * time.Second, Attempts: 4}})
		must(t, n.Observe(t.Context(), run(c.Now(), true, tamper(c.Now()))))
		var waits []time.Duration
		for range 10 {
			must(t, n.DeliverDue(t.Context()))
			ds, err := st.Deliveries(t.Context(), store.DeliveryQuery{})
			must(t, err)
			if ds[0].Status != store.DeliveryPending {
				break
			}
			waits = append(waits, ds[0].NextAttempt.Sub(c.Now()))
			c.Advance(ds[0].NextAttempt.Sub(c.Now()))
		}
		ds, err := st.Deliveries(t.Context(), store.DeliveryQuery{Status: store.DeliveryFailed})
		must(t, err)
		if len(ds) != 1 || ds[0].Attempts != 4 || !strings.Contains(ds[0].LastError, "connection refused") {
			t.Fatalf("failed deliveries %+v, want one after 4 attempts, connection refused", ds)
		}
		if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(waits, want) {
			t.Errorf("back-off %v, want %v", waits, want)
		}
		as, err := st.DeliveryAttempts(t.Context(), ds[0].ID)
		must(t, err)
		if len(as) != 4 {
			t.Errorf("%d attempts kept, want 4", len(as))
		}
	})
	t.Run("a receiver that refuses the alert (HTTP 400) fails it at once", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
		t.Cleanup(srv.Close)
		c := &clock{t: t0}
		st := openStore(t, filepath.Join(t.TempDir(), "skimwatch.db"), c)
		hook, err := alert.NewWebhook("hook", srv.URL, secret, nil)
		must(t, err)
		n := newNotifier(t, st, c, []alert.Sink{hook}, alert.Options{})
		must(t, n.Observe(t.Context(), run(c.Now(), true, tamper(c.Now()))))
		must(t, n.DeliverDue(t.Context()))
		ds, err := st.Deliveries(t.Context(), store.DeliveryQuery{})
		must(t, err)
		if ds[0].Status != store.DeliveryFailed || ds[0].Attempts != 1 || ds[0].LastError != "permanent delivery failure: HTTP 400" {
			t.Errorf("delivery %+v, want failed after 1 attempt with HTTP 400", ds[0])
		}
	})
}

func TestLargeTamper(t *testing.T) {
	r := newHookRig(t, alert.Options{})
	var fs []finding.Finding
	big := strings.Repeat("x", 10_000)
	for i := range 300 {
		fs = append(fs, finding.Finding{Severity: finding.High, Kind: verdict.KindScriptNew, Source: "check", URL: checkout,
			Message: fmt.Sprintf("A new script https://evil.example/s%03d.js runs on the checkout.", i), Evidence: map[string]any{"body": big}})
	}
	fs = append(fs, tamper(r.c.Now())[0])
	r.observe(t, run(r.c.Now(), true, fs))
	got := r.recv.alerts.all()
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want 1", len(got))
	}
	a := got[0]
	t.Run("three hundred findings arrive as one alert listing the fifty most severe and counting the rest", func(t *testing.T) {
		if len(a.Items) != alert.MaxItems || a.More != 251 || a.Items[0].Kind != verdict.KindCardExfil {
			t.Errorf("items %d more %d first %s; want %d, 251, the critical %s first", len(a.Items), a.More, a.Items[0].Kind, alert.MaxItems, verdict.KindCardExfil)
		}
		if !strings.Contains(a.Texts[alert.English].Title, "301 finding(s)") {
			t.Errorf("title %q does not count all 301", a.Texts[alert.English].Title)
		}
	})
	t.Run("evidence too large for an alert is left out with a note", func(t *testing.T) {
		if _, ok := a.Items[1].Evidence["left_out"]; !ok || a.Items[1].Evidence["body"] != nil {
			t.Errorf("evidence %v, want it left out", a.Items[1].Evidence)
		}
	})
}

func TestDetectorKeys(t *testing.T) {
	// The collector's message carries counts that grow between flushes; its
	// key (directive, blocked origin, source file) does not.
	collectorRun := func(at time.Time, count int, keys []string) alert.Run {
		f := finding.Finding{Severity: finding.High, Kind: "csp.script-new-origin", Source: "collector", Time: at,
			Message: fmt.Sprintf("Customers' browsers reported a script from https://evil.example (%d report(s)).", count)}
		return alert.Run{Site: "shop", Target: "collector", Detector: "collector", At: at, Complete: true,
			Findings: []finding.Finding{f}, Keys: keys}
	}
	tests := []struct {
		name string
		keys []string
		want int
	}{
		{"findings with the key their detector stored them under are one incident, whatever their message", []string{"k-script-src-evil"}, 1},
		// Three incidents, and each later run resolves the one before.
		{"without keys, a message that changes makes a new incident and resolves the last at every run", nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newHookRig(t, alert.Options{})
			for i := range 3 {
				r.observe(t, collectorRun(r.c.Now(), 3+i, tt.keys))
				r.c.Advance(time.Minute)
			}
			if got := len(r.recv.alerts.all()); got != tt.want {
				t.Errorf("got %d alerts, want %d", got, tt.want)
			}
		})
	}
	t.Run("a run with keys for some findings only is refused", func(t *testing.T) {
		r := newHookRig(t, alert.Options{})
		rn := run(r.c.Now(), true, tamper(r.c.Now()))
		rn.Keys = []string{"only-one"}
		if err := r.n.Observe(t.Context(), rn); err == nil {
			t.Error("Observe took 1 key for 2 findings")
		}
	})
}

// TestRunDeliversInTheBackground: with Run going, Observe's alert arrives
// without anyone calling DeliverDue, and a grouped alert arrives when its
// window ends on the clock, without another run.
func TestRunDeliversInTheBackground(t *testing.T) {
	// reads counts the notifier's reads of the clock. Each round of Run
	// reads it once to tick and once to claim deliveries, and sends what it
	// claimed before the next round's tick: five reads after a point span
	// at least one whole round begun after it.
	var (
		reads atomic.Int64
		c     *clock
	)
	now := func() time.Time { reads.Add(1); return c.Now() }
	r := newHookRig(t, alert.Options{Window: 30 * time.Second, TickEvery: 10 * time.Millisecond, Now: now})
	c = r.c
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.n.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	}()
	must(t, r.n.Observe(t.Context(), run(r.c.Now(), true, []finding.Finding{highScript})))
	wait := func(n, tries int) bool {
		for range tries {
			if len(r.recv.alerts.all()) >= n {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	// Whole rounds of Run pass before the clock reaches the window's end.
	for base, end := reads.Load(), time.Now().Add(time.Minute); reads.Load() < base+5; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("Run read the clock %d times in a minute, want 5 (a whole round)", reads.Load()-base)
		}
	}
	if n := len(r.recv.alerts.all()); n != 0 {
		t.Fatalf("%d alerts went out before their grouping window ended", n)
	}
	r.c.Advance(30 * time.Second)
	if !wait(1, 300) {
		t.Fatal("no alert 3s after the window ended")
	}
	if got := r.types(); !slices.Equal(got, []string{alert.TypeIncident}) {
		t.Errorf("got %v, want one incident", got)
	}
}

func TestQuietRunsWriteNothing(t *testing.T) {
	r := newHookRig(t, alert.Options{})
	r.observe(t, run(r.c.Now(), false, nil)) // a silence incident starts counting
	r.c.Advance(time.Minute)
	r.observe(t, run(r.c.Now(), true, nil)) // and stops
	version := func() int64 {
		incs, err := r.st.Incidents(t.Context(), store.IncidentQuery{Target: checkout})
		must(t, err)
		if len(incs) != 1 {
			t.Fatalf("%d incidents, want the one silence incident", len(incs))
		}
		return incs[0].Version
	}
	before := version()
	for range 5 {
		r.c.Advance(time.Minute)
		r.observe(t, run(r.c.Now(), true, nil))
	}
	if after := version(); after != before {
		t.Errorf("five clean runs rewrote the silence incident: version %d -> %d", before, after)
	}
}

// highScript is a high finding: it waits out the grouping window, where a
// critical would not.
var highScript = finding.Finding{Severity: finding.High, Kind: verdict.KindScriptNew, Source: "check", URL: checkout,
	Message: "A script that was not approved now runs: https://cdn.example/new.js."}
