package alert_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// TestReconfigure replaces the sinks and timings of a running notifier, as
// a SIGHUP reload does, with deliveries still queued.
func TestReconfigure(t *testing.T) {
	c := &clock{t: t0}
	st := openStore(t, filepath.Join(t.TempDir(), "skimwatch.db"), c)
	oldRecv, keptBefore, keptAfter, added := newWebhookReceiver(t, secret), newWebhookReceiver(t, secret),
		newWebhookReceiver(t, secret), newWebhookReceiver(t, secret)
	hook := func(name string, r *webhookReceiver) alert.Sink {
		s, err := alert.NewWebhook(name, r.URL, secret, nil)
		must(t, err)
		return s
	}
	n := newNotifier(t, st, c, []alert.Sink{hook("old", oldRecv), hook("kept", keptBefore)}, alert.Options{})
	// Queued under the old config, not yet sent.
	must(t, n.Observe(t.Context(), run(c.Now(), true, tamper(c.Now()))))
	must(t, n.Reconfigure(alert.Options{Sinks: []alert.Sink{hook("kept", keptAfter), hook("new", added)},
		Window: 30 * time.Second, Resend: 24 * time.Hour, SendTimeout: 5 * time.Second}))
	must(t, n.DeliverDue(t.Context()))

	t.Run("a queued delivery whose sink was removed fails at once, saying so", func(t *testing.T) {
		ds, err := st.Deliveries(t.Context(), store.DeliveryQuery{})
		must(t, err)
		for _, d := range ds {
			if d.Sink != "old" {
				continue
			}
			if d.Status != store.DeliveryFailed || d.Attempts != 1 || !strings.Contains(d.LastError, `no sink named "old" is configured any more`) {
				t.Errorf("delivery to the removed sink: %+v", d)
			}
		}
		if got := oldRecv.alerts.all(); len(got) != 0 {
			t.Errorf("the removed sink still received %d alerts", len(got))
		}
	})
	t.Run("a queued delivery whose sink name is kept goes through the new sink of that name", func(t *testing.T) {
		if got := keptAfter.alerts.all(); len(got) != 1 || got[0].Type != alert.TypeIncident {
			t.Errorf("the reloaded sink received %+v, want the one queued incident alert", got)
		}
		if got := keptBefore.alerts.all(); len(got) != 0 {
			t.Errorf("the replaced sink received %d alerts", len(got))
		}
	})
	t.Run("an added sink gets nothing queued before it existed", func(t *testing.T) {
		if got := added.alerts.all(); len(got) != 0 {
			t.Errorf("the added sink received %d alerts queued before the reload", len(got))
		}
	})
	t.Run("a new alert waits out the reloaded grouping window, then goes to the new sinks only", func(t *testing.T) {
		other := alert.Run{Site: "shop", Target: "https://shop.example/register", Detector: "check", At: c.Now(), Complete: true,
			Findings: []finding.Finding{{Severity: finding.High, Kind: verdict.KindFormFields, Source: "check",
				URL: "https://shop.example/register", Message: "The registration form has new card fields."}}}
		must(t, n.Observe(t.Context(), other))
		must(t, n.DeliverDue(t.Context()))
		if got := len(added.alerts.all()); got != 0 {
			t.Fatalf("sent before the 30s window of the reloaded config ended (%d alerts)", got)
		}
		c.Advance(30 * time.Second)
		must(t, n.Tick(t.Context(), ""))
		must(t, n.DeliverDue(t.Context()))
		if got := added.alerts.all(); len(got) != 1 {
			t.Errorf("the added sink received %d alerts, want 1", len(got))
		}
		if got := keptAfter.alerts.all(); len(got) != 2 {
			t.Errorf("the kept sink received %d alerts, want 2", len(got))
		}
		if got := oldRecv.alerts.all(); len(got) != 0 {
			t.Errorf("the removed sink received %d alerts", len(got))
		}
	})
	t.Run("a config with two sinks of one name is refused and the running one kept", func(t *testing.T) {
		err := n.Reconfigure(alert.Options{Sinks: []alert.Sink{hook("twin", added), hook("twin", added)}})
		if err == nil || !strings.Contains(err.Error(), `"twin"`) {
			t.Fatalf("err %v, want a refusal naming the twin sink", err)
		}
		c.Advance(time.Minute)
		must(t, n.Observe(t.Context(), run(c.Now(), true, nil))) // resolves the checkout
		must(t, n.DeliverDue(t.Context()))
		if got := added.alerts.all(); len(got) != 2 || got[1].Type != alert.TypeResolved {
			t.Errorf("after the refused reload the added sink has %+v, want the resolution too", got)
		}
	})
}
