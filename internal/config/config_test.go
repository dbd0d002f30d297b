package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// The smallest config in issue 9, which must keep its meaning as the format
// grows.
const smallest = `sites:
  - name: shop
    payment_origins: [https://pay.example]
    pages:
      - url: https://shop.example/checkout
        every: 5m
alerts:
  - webhook: ${SKIMWATCH_WEBHOOK_URL}
`

func TestSmallestConfigMeansWhatItSays(t *testing.T) {
	c, err := ParseWith(strings.NewReader(smallest), env(map[string]string{"SKIMWATCH_WEBHOOK_URL": "https://hooks.example/x"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sites) != 1 || c.Sites[0].Name != "shop" {
		t.Fatalf("sites = %+v", c.Sites)
	}
	s := c.Sites[0]
	if len(s.PaymentOrigins) != 1 || s.PaymentOrigins[0] != "https://pay.example" {
		t.Errorf("payment origins = %v", s.PaymentOrigins)
	}
	if len(s.Pages) != 1 || s.Pages[0].URL != "https://shop.example/checkout" || s.Pages[0].Every.D() != 5*time.Minute {
		t.Errorf("pages = %+v", s.Pages)
	}
	if s.Pages[0].Timeout.D() != DefaultPageTimeout {
		t.Errorf("page timeout = %s, want the default %s", s.Pages[0].Timeout, DefaultPageTimeout)
	}
	if len(c.Alerts) != 1 || c.Alerts[0].Webhook == nil || c.Alerts[0].Webhook.URL != "https://hooks.example/x" {
		t.Errorf("alerts = %+v", c.Alerts)
	}
	if c.Listen != DefaultListen || c.MetricsListen != DefaultMetricsListen {
		t.Errorf("listen %s, metrics %s: want the loopback defaults", c.Listen, c.MetricsListen)
	}
}

func TestParseRefuses(t *testing.T) {
	vars := env(map[string]string{"SKIMWATCH_WEBHOOK_URL": "https://hooks.example/x"})
	tests := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"an unknown key, naming its line", "sites:\n  - name: shop\n    colour: red\n", 3, "sites[0].colour: unknown key"},
		{"an unknown top-level key", "site: []\n", 1, "site: unknown key"},
		{"a variable that is not set", "sites:\n  - name: ${NOPE}\n", 2, "${NOPE} is not set"},
		{"a collector key written inline", "sites:\n  - name: shop\n    collector_key: s3cret\n", 3, "must not be written in the config"},
		{"a secret reference naming both a file and a variable", "sites:\n  - name: shop\n    collector_key: {file: /k, env: K}\n", 3, "exactly one of file or env"},
		{"a slack URL written inline", "sites: [{name: s}]\nalerts:\n  - slack: {url: https://hooks.slack.example/T}\n", 3, "must not be written"},
		{"a page that is not http(s)", "sites:\n  - name: s\n    pages:\n      - url: ftp://x/\n", 4, "want an http(s) URL"},
		{"an interval below the minimum", "sites:\n  - name: s\n    pages:\n      - url: https://x/\n        every: 10ms\n", 4, "must be at least 1s"},
		{"a duration that does not parse", "sites:\n  - name: s\n    every: soon\n", 3, "want a duration"},
		{"two sites with one name", "sites:\n  - name: s\n  - name: s\n", 3, "another site has this name"},
		{"a payment origin that is not an origin", "sites:\n  - name: s\n    payment_origins: [pay]\n", 2, "want scheme://host[:port]"},
		{"an alert with two sinks", "sites: [{name: s}]\nalerts:\n  - webhook: https://a/\n    syslog: {network: udp, address: 127.0.0.1:514}\n", 3, "exactly one of"},
		{"a syslog network other than udp or tcp", "sites: [{name: s}]\nalerts:\n  - syslog: {network: quic, address: 127.0.0.1:514}\n", 3, "want udp or tcp"},
		{"a timeout above the most a job may run", "sites:\n  - name: s\n    pages:\n      - url: https://x/\n        timeout: 1h\n", 4, "at most 10m0s"},
		{"a key given twice", "sites:\n  - name: a\n    name: b\n", 3, "key given twice"},
		{"two documents", "sites: [{name: s}]\n---\nsites: []\n", 3, "more than one YAML document"},
		{"one web root watched twice", "sites:\n  - name: a\n    web_roots: [{path: /srv/shop, baseline: /b, watch: true}]\n  - name: b\n    web_roots:\n      - {path: /srv/shop/, baseline: /c, watch: true}\n", 6, "already watched"},
		{"a differential mode that is not auto, always or never", "sites:\n  - name: s\n    pages:\n      - url: https://x/\n        differential: sometimes\n", 4, `sites[0].pages[0].differential "sometimes": want one of auto, always, never`},
		{"a site's differential mode that is not one", "sites:\n  - name: s\n    differential: yes\n", 2, `sites[0].differential "yes"`},
		{"a negative grouping window", "sites: [{name: s}]\nalerting:\n  window: -5s\n", 3, `alerting.window "-5s": must not be negative`},
		{"a negative resend time", "sites: [{name: s}]\nalerting:\n  resend: -1h\n", 3, `alerting.resend "-1h0m0s": must not be negative`},
		{"silence after no incomplete run", "sites: [{name: s}]\nalerting:\n  silence_after: 0\n", 3, `alerting.silence_after "0": must be at least 1`},
		{"an unknown alerting key", "sites: [{name: s}]\nalerting:\n  quiet: true\n", 3, "alerting.quiet: unknown key"},
		{"rules on a web root that is not scanned", "sites:\n  - name: s\n    web_roots:\n      - {path: /srv/shop, baseline: /b, rules: [/r.yar]}\n", 4, "sites[0].web_roots[0].rules: rules are used by the signature scan: set scan: true too"},
		{"a dwell as long as the check's timeout", "sites:\n  - name: s\n    pages:\n      - {url: https://x/, timeout: 20s, dwell: 20s}\n", 4, `sites[0].pages[0].dwell "20s": must be at least 0 and shorter than the timeout`},
		{"a dashboard CSP site that is not configured", "sites: [{name: s}]\ndashboard:\n  csp_site: nope\n", 3, `dashboard.csp_site "nope": no site has this name`},
		{"a dashboard CSP site without a collector key", "sites: [{name: s}]\ndashboard:\n  csp_site: s\n", 3, `dashboard.csp_site "s": the site has no collector_key`},
		{"watch given as a word other than true or false", "sites:\n  - name: s\n    web_roots: [{path: /srv/shop, baseline: /b, watch: always}]\n", 3, "`always` into bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith(strings.NewReader(tt.yaml), vars)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want one wrapping ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			var e *Error
			if errors.As(err, &e) && e.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", e.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("err = %v: no line number", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, yaml string
		check      func(t *testing.T, c Config)
	}{
		{"secrets by file and by variable", "sites:\n  - name: s\n    collector_key: {file: /etc/skimwatch/key}\nalerts:\n  - slack: {url: {env: SLACK_URL}}\n", func(t *testing.T, c Config) {
			if c.Sites[0].CollectorKey.File != "/etc/skimwatch/key" || c.Alerts[0].Slack.URL.Env != "SLACK_URL" {
				t.Errorf("got %+v %+v", c.Sites[0].CollectorKey, c.Alerts[0].Slack.URL)
			}
		}},
		{"a watched web root beside a verified one", "sites:\n  - name: s\n    web_roots:\n      - {path: /srv/a, baseline: /a, watch: true}\n      - {path: /srv/b, baseline: /b}\n", func(t *testing.T, c Config) {
			if w := c.Sites[0].WebRoots; !w[0].Watch || w[1].Watch {
				t.Errorf("watch = %v, %v; want true, false", w[0].Watch, w[1].Watch)
			}
		}},
		{"retention in days", "sites: [{name: s}]\nretention: {reports: 30d, deliveries: 7d}\n", func(t *testing.T, c Config) {
			if c.Retention.Reports.D() != 30*24*time.Hour || c.Retention.Deliveries.D() != 7*24*time.Hour {
				t.Errorf("retention = %+v", c.Retention)
			}
		}},
		{"delivered alerts kept 90 days by default", "sites: [{name: s}]\n", func(t *testing.T, c Config) {
			if c.Retention.Deliveries.D() != DefaultDeliveries || DefaultDeliveries != 90*24*time.Hour {
				t.Errorf("delivery retention = %s, want 90 days", c.Retention.Deliveries)
			}
		}},
		{"a dollar sign that is not a variable", "sites:\n  - name: s\n    web_roots: [{path: /srv/$shop, baseline: /b}]\n", func(t *testing.T, c Config) {
			if c.Sites[0].WebRoots[0].Path != "/srv/$shop" {
				t.Errorf("path = %q", c.Sites[0].WebRoots[0].Path)
			}
		}},
		{"a page inheriting its site's differential mode, another its own, a flow the default", "sites:\n  - name: s\n    differential: never\n    pages:\n      - url: https://x/a\n      - url: https://x/b\n        differential: always\n  - name: t\n    flows: [{file: /f.yaml}]\n", func(t *testing.T, c Config) {
			if got := []string{c.Sites[0].Pages[0].Differential, c.Sites[0].Pages[1].Differential, c.Sites[1].Flows[0].Differential}; got[0] != "never" || got[1] != "always" || got[2] != "auto" {
				t.Errorf("differential = %v, want never, always, auto", got)
			}
		}},
		{"alerting timings, 0 turning the resend off", "sites: [{name: s}]\nalerting:\n  window: 10s\n  resend: 0s\n  silence_after: 5\n", func(t *testing.T, c Config) {
			a := c.Alerting
			if a.Window == nil || a.Window.D() != 10*time.Second || a.Resend == nil || a.Resend.D() != 0 || a.SilenceAfter == nil || *a.SilenceAfter != 5 {
				t.Errorf("alerting = %+v", a)
			}
		}},
		{"no alerting section, leaving the alert package's defaults", "sites: [{name: s}]\n", func(t *testing.T, c Config) {
			if a := c.Alerting; a.Window != nil || a.Resend != nil || a.SilenceAfter != nil {
				t.Errorf("alerting = %+v, want nothing set", a)
			}
		}},
		{"a webhook in its full form", "sites: [{name: s}]\nalerts:\n  - webhook: {url: https://h.example/, secret: {env: HOOK_KEY}}\n", func(t *testing.T, c Config) {
			if w := c.Alerts[0].Webhook; w.URL != "https://h.example/" || w.Secret.Env != "HOOK_KEY" {
				t.Errorf("webhook = %+v", w)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseWith(strings.NewReader(tt.yaml), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(smallest)
	f.Add("sites:\n  - name: s\n    collector_key: {file: /k}\n")
	f.Add("sites: [{name: &a s}]\nalerts: [*a]\n")
	f.Add("sites:\n  - name: ${A}${B\n")
	f.Add("sites:\n  - name: s\n    audit: {url: https://x/, every: 24h, rate: 0.5, max_requests: 9}\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseWith(strings.NewReader(in), env(map[string]string{"SKIMWATCH_WEBHOOK_URL": "https://h.example/"}))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		// What parses must also validate on its own, with no secret inline.
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}

// The reference's complete example must stay a valid config.
func TestSERVEDocExampleParses(t *testing.T) {
	doc, err := os.ReadFile("../../docs/SERVE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Complete example")
	if !ok {
		t.Fatal("docs/SERVE.md has no complete example")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	c, err := ParseWith(strings.NewReader(example), env(map[string]string{"SKIMWATCH_WEBHOOK_URL": "https://hooks.example/x"}))
	if err != nil {
		t.Fatalf("the example does not parse: %v", err)
	}
	if len(c.Sites) != 1 || len(c.Sites[0].Pages) != 2 || len(c.Alerts) != 5 || c.Sites[0].CollectorKey == nil {
		t.Errorf("the example parsed to %+v", c)
	}
}

func TestRescueAfter(t *testing.T) {
	const page = "sites:\n  - name: s\n    pages:\n      - {url: https://x/, timeout: 30s}\n"
	tests := []struct {
		name, yaml, wantErr string
		want                time.Duration
	}{
		{"left out, it is 0 (the monitor's default)", page, "", 0},
		{"the longest timeout plus the margin is accepted", page + "rescue_after: 75s\n", "", 75 * time.Second},
		{"shorter than the longest timeout plus the margin is refused, naming the least", page + "rescue_after: 60s\n",
			`rescue_after "1m0s": must be at least 1m15s`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseWith(strings.NewReader(tt.yaml), nil)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.RescueAfter.D() != tt.want {
				t.Errorf("rescue_after = %s, want %s", c.RescueAfter, tt.want)
			}
		})
	}
}
