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
	"github.com/skimwatch/skimwatch/internal/audit"
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

// TestTextsNameFindingsInTheReadersLanguage: each item's line starts with
// the kind's title in the alert's language and keeps the kind after it for
// searching; the first step follows the family of the most severe item,
// audit findings included.
func TestTextsNameFindingsInTheReadersLanguage(t *testing.T) {
	r := newHookRig(t, alert.Options{})
	at := r.c.Now()
	env := finding.Finding{Severity: finding.Critical, Kind: audit.KindEnvExposed, Source: "audit", Time: at,
		URL: "https://shop.example/.env", Message: "The environment file /.env is served to anyone."}
	r.observe(t, alert.Run{Site: "shop", Target: "https://shop.example/", Detector: "audit", At: at, Complete: true, Findings: []finding.Finding{env}})
	got := r.recv.alerts.all()
	if len(got) != 1 || len(got[0].Items) != 1 {
		t.Fatalf("got %d alerts, want 1 with 1 item: %+v", len(got), got)
	}
	t.Run("the item carries the kind's English title for receivers", func(t *testing.T) {
		if got[0].Items[0].Title != "Environment file (.env) exposed" {
			t.Errorf("item title %q", got[0].Items[0].Title)
		}
	})
	t.Run("an alert of weaknesses alone is not called skimming", func(t *testing.T) {
		for lang, want := range map[string]string{alert.English: "Security weaknesses on shop: 1 finding(s), highest critical",
			alert.Japanese: "shop でセキュリティ上の弱点: 検出 1 件（最高の重大度 緊急）"} {
			if title := got[0].Texts[lang].Title; title != want {
				t.Errorf("%s title %q, want %q", lang, title, want)
			}
		}
	})
	for _, tt := range []struct {
		name, lang, line, step string
	}{
		{"the English text names the exposed .env file and keeps its kind", alert.English,
			"[critical] Environment file (.env) exposed (audit.env-exposed)\n", "What to do first: The shop has a weakness an attacker can use"},
		{"the Japanese text names it in Japanese and keeps its kind", alert.Japanese,
			"[緊急] 環境設定ファイル（.env）が公開状態 (audit.env-exposed)\n", "まずすること: ショップに、攻撃者の侵入口になり得る弱点があります"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := got[0].Texts[tt.lang].Body
			if !strings.HasPrefix(body, tt.line) {
				t.Errorf("body starts %q, want %q", body, tt.line)
			}
			if !strings.Contains(body, tt.step) {
				t.Errorf("body %q lacks the audit first step %q", body, tt.step)
			}
		})
	}
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
