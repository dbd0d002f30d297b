package alert_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

const checkout = "https://shop.example/checkout"

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// clock is the injected clock the notifier and the store read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tamper is what the browser check reports about the lab checkout with the
// skimmer in: the test card leaves for the attacker's collector, from a new
// script. The kinds are policy's own.
func tamper(at time.Time) []finding.Finding {
	return []finding.Finding{
		{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", URL: checkout, Time: at,
			Message:  "The test card typed into the checkout was sent to https://evil.example/collect.",
			Evidence: map[string]any{"destination": "https://evil.example/collect", "encoding": "base64"}},
		{Severity: finding.High, Kind: verdict.KindScriptNew, Source: "check", URL: checkout, Time: at,
			Message:  "A new script https://evil.example/skim.js runs on the checkout.",
			Evidence: map[string]any{"script": "https://evil.example/skim.js"}},
	}
}

// seedAttack returns the findings internal/check/verdict produced on the lab's
// observation of the seed attack (its golden output), timed at, and the
// page they are about.
func seedAttack(t *testing.T, at time.Time) ([]finding.Finding, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "check", "verdict", "testdata", "seed-attack.golden.json"))
	must(t, err)
	var r finding.Report
	must(t, json.Unmarshal(b, &r))
	for i := range r.Findings {
		r.Findings[i].Time = at
	}
	return r.Findings, r.Targets[0]
}

func run(at time.Time, complete bool, fs []finding.Finding) alert.Run {
	r := alert.Run{Site: "shop", Target: checkout, Detector: "check", At: at, Complete: complete, Findings: fs}
	if !complete {
		r.Incomplete = []string{"navigation: net::ERR_CONNECTION_RESET"}
	}
	return r
}

func openStore(t *testing.T, path string, c *clock) *sqlite.DB { return openStoreTB(t, path, c) }

func openStoreTB(t testing.TB, path string, c *clock) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var secret = []byte("0123456789abcdef-test-secret")

// receivers is one of each real receiver, and the sinks that send to them.
type receivers struct {
	hook     *webhookReceiver
	slack    *slackReceiver
	mails    inbox[received]
	udp, tcp inbox[string]
	sinks    []alert.Sink
}

func newReceivers(t *testing.T) *receivers {
	r := &receivers{hook: newWebhookReceiver(t, secret), slack: newSlackReceiver(t)}
	port, pool := newSMTPServer(t, &r.mails)
	hook, err := alert.NewWebhook("hook", r.hook.URL, secret, nil)
	must(t, err)
	slack, err := alert.NewSlack("slack", r.slack.URL, nil)
	must(t, err)
	mail, err := alert.NewMail("mail", alert.MailOptions{Host: "127.0.0.1", Port: port, From: "skimwatch@shop.example",
		To: []string{"owner@shop.example"}, TLS: &tls.Config{RootCAs: pool}})
	must(t, err)
	udp, err := alert.NewSyslog("syslog-udp", alert.SyslogOptions{Network: "udp", Addr: newSyslogUDP(t, &r.udp), Hostname: "watch1"})
	must(t, err)
	tcp, err := alert.NewSyslog("syslog-tcp", alert.SyslogOptions{Network: "tcp", Addr: newSyslogTCP(t, &r.tcp), Hostname: "watch1"})
	must(t, err)
	r.sinks = []alert.Sink{hook, slack, mail, udp, tcp}
	return r
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newNotifier(t *testing.T, st store.AlertStore, c *clock, sinks []alert.Sink, opts alert.Options) *alert.Notifier {
	t.Helper()
	opts.Store, opts.Sinks = st, sinks
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Window == 0 {
		opts.Window = -1
	}
	if opts.SilenceAfter == 0 {
		opts.SilenceAfter = 3
	}
	if opts.Resend == 0 {
		opts.Resend = 24 * time.Hour
	}
	if opts.SendTimeout == 0 {
		opts.SendTimeout = 5 * time.Second
	}
	n, err := alert.New(opts)
	must(t, err)
	return n
}

// settle waits until the UDP listener has read what was sent: a datagram
// has no acknowledgement to wait on, unlike the other sinks.
func settle(t *testing.T, box *inbox[string], want int) {
	t.Helper()
	for range 200 {
		if len(box.all()) >= want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func kinds(a alert.Alert) []string {
	var out []string
	for _, it := range a.Items {
		out = append(out, it.Kind)
	}
	slices.Sort(out)
	return out
}

// TestScenarioWithRealReceivers drives the lab's story through Observe, with
// the findings internal/check/verdict made of the lab's seed attack, and checks
// what every receiver got: tamper, one critical alert; ten more runs
// with the skimmer still in, nothing; restore, one resolution; three
// incomplete runs in a row, one silence alert; a complete run, one
// recovery. The process restarts (new store handle, new notifier) between
// queueing the first alert and sending it.
func TestScenarioWithRealReceivers(t *testing.T) {
	ctx := t.Context()
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "skimwatch.db")
	rc := newReceivers(t)
	st := openStore(t, path, c)
	n := newNotifier(t, st, c, rc.sinks, alert.Options{})

	_, page := seedAttack(t, t0)
	labRun := func(at time.Time, complete bool, attacked bool) alert.Run {
		r := run(at, complete, nil)
		r.Target = page
		if attacked {
			r.Findings, _ = seedAttack(t, at)
		}
		return r
	}
	step := func(n *alert.Notifier, r alert.Run) {
		t.Helper()
		must(t, n.Observe(ctx, r))
		must(t, n.DeliverDue(ctx))
		c.Advance(5 * time.Minute)
	}
	// A clean first run: nothing to say.
	step(n, labRun(c.Now(), true, false))
	tamperedAt := c.Now()
	must(t, n.Observe(ctx, labRun(tamperedAt, true, true)))

	// Restart before the alert is sent: it was queued in the store.
	must(t, st.Close())
	st = openStore(t, path, c)
	n = newNotifier(t, st, c, rc.sinks, alert.Options{})
	must(t, n.DeliverDue(ctx))
	c.Advance(5 * time.Minute)
	for range 10 {
		step(n, labRun(c.Now(), true, true))
	}
	restoredAt := c.Now()
	step(n, labRun(restoredAt, true, false))
	silentFrom := c.Now()
	step(n, labRun(c.Now(), false, false))
	step(n, labRun(c.Now(), false, false))
	if n := len(rc.hook.alerts.all()); n != 2 {
		t.Errorf("after two incomplete runs the webhook has %d alerts, want still 2 (silence waits for the third)", n)
	}
	silenceAt := c.Now()
	step(n, labRun(silenceAt, false, false))
	// More incomplete runs after the alert add nothing.
	step(n, labRun(c.Now(), false, false))
	step(n, labRun(c.Now(), true, false))
	settle(t, &rc.udp, 4)

	got := rc.hook.alerts.all()
	if rej := rc.hook.rejected.all(); len(rej) > 0 {
		t.Errorf("webhook receiver rejected requests: %v", rej)
	}
	var types []string
	for _, a := range got {
		types = append(types, a.Type)
	}
	want := []string{alert.TypeIncident, alert.TypeResolved, alert.TypeSilence, alert.TypeRecovered}
	if !slices.Equal(types, want) {
		t.Fatalf("webhook got alerts %v, want exactly %v", types, want)
	}
	// The policy's findings at or above the default minimum, medium.
	wantKinds := []string{verdict.KindDestinationNew, verdict.KindCardFieldsNew, verdict.KindHeaderRemoved,
		verdict.KindCardExfil, verdict.KindPersonalExfil, verdict.KindScriptChanged}
	slices.Sort(wantKinds)
	t.Run("the tamper arrives as one critical alert naming its findings, the page and since when", func(t *testing.T) {
		a := got[0]
		if a.Severity != finding.Critical || !slices.Equal(kinds(a), wantKinds) {
			t.Errorf("incident alert: severity %v kinds %v, want critical %v", a.Severity, kinds(a), wantKinds)
		}
		for _, it := range a.Items {
			if it.Page != page || !it.Since.Equal(tamperedAt) {
				t.Errorf("item %s: page %q since %v, want %q since %v", it.Kind, it.Page, it.Since, page, tamperedAt)
			}
		}
		if a.Items[0].Evidence == nil {
			t.Error("incident alert items carry no evidence")
		}
	})
	t.Run("restoring the page resolves them all in one resolution", func(t *testing.T) {
		a := got[1]
		if !slices.Equal(kinds(a), wantKinds) {
			t.Errorf("resolution kinds %v, want %v", kinds(a), wantKinds)
		}
		for _, it := range a.Items {
			if !it.Resolved.Equal(restoredAt) || !it.Since.Equal(tamperedAt) {
				t.Errorf("resolved item %s: since %v resolved %v, want %v and %v", it.Kind, it.Since, it.Resolved, tamperedAt, restoredAt)
			}
		}
	})
	t.Run("three incomplete runs in a row alert once as silence, since the first of them", func(t *testing.T) {
		a := got[2]
		if !a.At.Equal(silenceAt) {
			t.Errorf("silence alerted at %v, want at the third incomplete run, %v", a.At, silenceAt)
		}
		if len(a.Items) != 1 || a.Items[0].Kind != alert.KindSilence || a.Items[0].Page != page || !a.Items[0].Since.Equal(silentFrom) {
			t.Errorf("silence alert items %+v, want one %s on %s since %v", a.Items, alert.KindSilence, page, silentFrom)
		}
		if got[3].Items[0].Kind != alert.KindSilence {
			t.Errorf("recovery is about %s, want %s", got[3].Items[0].Kind, alert.KindSilence)
		}
	})
	t.Run("the Slack-shaped receiver got the same four alerts as text in English and Japanese", func(t *testing.T) {
		texts := rc.slack.texts.all()
		if len(texts) != len(got) {
			t.Fatalf("slack got %d messages, want %d", len(texts), len(got))
		}
		for i, a := range got {
			if want := alert.SlackText(a, []string{alert.English, alert.Japanese}); texts[i] != want {
				t.Errorf("slack message %d:\n%s\nwant\n%s", i, texts[i], want)
			}
		}
		if !strings.Contains(texts[0], "まずすること") || !strings.Contains(texts[0], "What to do first") {
			t.Errorf("first slack message lacks the first steps in both languages:\n%s", texts[0])
		}
	})
	t.Run("the SMTP server got the same four alerts, each over STARTTLS", func(t *testing.T) {
		mails := rc.mails.all()
		if len(mails) != len(got) {
			t.Fatalf("smtp got %d mails, want %d", len(mails), len(got))
		}
		for i, a := range got {
			m := mails[i]
			if !m.TLS || m.MessageID != "<"+a.ID+"@skimwatch>" || m.To != "owner@shop.example" ||
				m.Subject != "[skimwatch] "+a.Texts[alert.English].Title || !strings.Contains(m.Body, a.Texts[alert.Japanese].Title) {
				t.Errorf("mail %d: TLS %v id %s to %s subject %q; want TLS, <%s@skimwatch>, the English title and the Japanese text",
					i, m.TLS, m.MessageID, m.To, m.Subject, a.ID)
			}
		}
	})
	for name, box := range map[string]*inbox[string]{"UDP": &rc.udp, "TCP": &rc.tcp} {
		t.Run("the syslog listener on "+name+" got the same four alerts as RFC 5424 messages", func(t *testing.T) {
			msgs := box.all()
			if len(msgs) != len(got) {
				t.Fatalf("syslog %s got %d messages, want %d: %q", name, len(msgs), len(got), msgs)
			}
			// Facility 13 (log audit); critical 2, high 3, an end a notice 5.
			pris := []int{13*8 + 2, 13*8 + 5, 13*8 + 3, 13*8 + 5}
			for i, a := range got {
				// Each alert comes on a connection of its own, and the
				// listener's per-connection readers can record them out of
				// order: the alert's ID finds its message.
				var m string
				for _, x := range msgs {
					if strings.Contains(x, ` id="`+a.ID+`"`) {
						m = x
					}
				}
				prefix := fmt.Sprintf("<%d>1 %s watch1 skimwatch ", pris[i], a.At.UTC().Format(time.RFC3339Nano))
				if !strings.HasPrefix(m, prefix) || !strings.Contains(m, ` [skimwatch@32473 id="`+a.ID+`" type="`+a.Type+`"`) ||
					strings.ContainsAny(m, "\n\x1b") {
					t.Errorf("syslog %s message for alert %d:\n%q\nwant prefix %q, the alert's ID and type, and one line", name, i, m, prefix)
				}
			}
		})
	}
	t.Run("every delivery is recorded as delivered at the first attempt", func(t *testing.T) {
		ds, err := st.Deliveries(ctx, store.DeliveryQuery{})
		must(t, err)
		if len(ds) != len(got)*len(rc.sinks) {
			t.Errorf("%d deliveries recorded, want %d", len(ds), len(got)*len(rc.sinks))
		}
		for _, d := range ds {
			if d.Status != store.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("delivery %s: %s after %d attempts (%s)", d.ID, d.Status, d.Attempts, d.LastError)
			}
		}
	})
}
