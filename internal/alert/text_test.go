package alert_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// hostileRun is a tamper whose page-supplied strings try to rewrite the
// terminal, reorder text, inject markup, a Slack mention and a mail header.
func hostileRun(at time.Time) alert.Run {
	f := finding.Finding{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", Time: at,
		URL:      "https://shop.example/checkout?\x1b[2K<script>alert(1)</script>",
		Message:  "Sent to <!channel> https://evil.example/\u202egpj.php\r\nBcc: victim@example.com",
		Evidence: map[string]any{"destination": "https://evil.example/<b>"}}
	return alert.Run{Site: "shop", Target: checkout, Detector: "check", At: at, Complete: true, Findings: []finding.Finding{f}}
}

func TestTexts(t *testing.T) {
	r := newHookRig(t, alert.Options{})
	r.observe(t, run(r.c.Now(), true, tamper(r.c.Now())))
	r.c.Advance(time.Hour)
	r.observe(t, run(r.c.Now(), true, nil))
	got := r.recv.alerts.all()
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	var b strings.Builder
	for _, a := range got {
		for _, lang := range []string{alert.English, alert.Japanese} {
			b.WriteString("== " + a.Type + " " + lang + "\n" + a.Texts[lang].Title + "\n" + a.Texts[lang].Body + "\n")
		}
	}
	t.Run("the texts say what was found, on which page, since when and what to do first, in English and Japanese", func(t *testing.T) {
		testsupport.Golden(t, filepath.Join("testdata", "texts.golden"), []byte(b.String()))
	})
}

func TestPageTextIsEscapedInEverySink(t *testing.T) {
	ctx := t.Context()
	c := &clock{t: t0}
	rc := newReceivers(t)
	n := newNotifier(t, openStore(t, filepath.Join(t.TempDir(), "skimwatch.db"), c), c, rc.sinks, alert.Options{})
	must(t, n.Observe(ctx, hostileRun(c.Now())))
	must(t, n.DeliverDue(ctx))
	settle(t, &rc.udp, 1)
	hooks := rc.hook.alerts.all()
	if len(hooks) != 1 {
		t.Fatalf("webhook got %d alerts, want 1", len(hooks))
	}
	raw := func(s string) bool { return strings.ContainsAny(s, "\x1b\u202e\r") }
	tests := []struct {
		name string
		ok   bool
		got  string
	}{
		{"the webhook's alert keeps the page's values exactly (JSON escapes them)", hooks[0].Items[0].Page == hostileRun(t0).Findings[0].URL, hooks[0].Items[0].Page},
		{"the texts hold no raw control or bidirectional character", !raw(hooks[0].Texts[alert.English].Body) && !raw(hooks[0].Texts[alert.Japanese].Body), hooks[0].Texts[alert.English].Body},
		{"the Slack text escapes markup, so no mention or link is made", len(rc.slack.texts.all()) == 1 &&
			!strings.ContainsAny(rc.slack.texts.all()[0], "<>") && strings.Contains(rc.slack.texts.all()[0], "&lt;!channel&gt;"), strings.Join(rc.slack.texts.all(), "|")},
		{"the mail has no injected header and its body no raw control character", len(rc.mails.all()) == 1 &&
			!raw(strings.ReplaceAll(rc.mails.all()[0].Body, "\r\n", "\n")) && !strings.Contains(rc.mails.all()[0].Body, "\nBcc:"), fmt.Sprintf("%+v", rc.mails.all())},
		{"each syslog message is one line with no raw control character", len(rc.udp.all()) == 1 && len(rc.tcp.all()) == 1 &&
			!raw(rc.udp.all()[0]+rc.tcp.all()[0]) && !strings.Contains(rc.udp.all()[0]+rc.tcp.all()[0], "\n"), strings.Join(rc.udp.all(), "|")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("failed; got %q", tt.got)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"a1","type":"incident"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := alert.Sign(secret, now.Unix(), body)
	tests := []struct {
		name      string
		secret    []byte
		ts, sig   string
		body      []byte
		wantError bool
	}{
		{"a request signed with the secret verifies", secret, ts, sig, body, false},
		{"a changed body does not verify", secret, ts, sig, []byte(`{"id":"a1","type":"resolved"}`), true},
		{"another secret does not verify", []byte("another-secret-of-16+"), ts, sig, body, true},
		{"a replay outside the tolerance does not verify", secret, strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10),
			alert.Sign(secret, now.Add(-10*time.Minute).Unix(), body), body, true},
		{"a timestamp moved to now without re-signing does not verify", secret, strconv.FormatInt(now.Unix()+1, 10), sig, body, true},
		{"a timestamp that is no number does not verify", secret, "soon", sig, body, true},
		{"a signature without its version prefix does not verify", secret, ts, strings.TrimPrefix(sig, "v1="), body, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := alert.Verify(tt.secret, tt.ts, tt.sig, tt.body, now, 5*time.Minute)
			if (err != nil) != tt.wantError || (err != nil && !errors.Is(err, alert.ErrBadSignature)) {
				t.Errorf("Verify = %v, want error %v (ErrBadSignature)", err, tt.wantError)
			}
		})
	}
}

// FuzzVerify: Verify parses attacker-supplied headers; it must never panic,
// and must accept only what Sign produced for the same body and time.
func FuzzVerify(f *testing.F) {
	f.Add("1800000000", "v1=00", []byte(`{}`))
	f.Add("-1", "", []byte(nil))
	f.Add("99999999999999999999", "v1=", []byte("x"))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		if alert.Verify(secret, ts, sig, body, now, time.Hour) == nil {
			n, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || sig != alert.Sign(secret, n, body) {
				t.Fatalf("accepted ts %q sig %q", ts, sig)
			}
		}
		good := alert.Sign(secret, now.Unix(), body)
		if err := alert.Verify(secret, strconv.FormatInt(now.Unix(), 10), good, body, now, time.Hour); err != nil {
			t.Fatalf("refused its own signature: %v", err)
		}
	})
}
