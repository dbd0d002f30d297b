package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAuditKeyDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Audit
	}{
		{"an audit with only every and max_requests audits the site's first page at the polite rate",
			"sites:\n  - name: s\n    pages: [{url: https://shop.example/pay}]\n    audit: {every: 24h, max_requests: 60}\n",
			Audit{URL: "https://shop.example/pay", Every: Duration(24 * time.Hour), MaxRequests: 60, Rate: DefaultAuditRate, Timeout: Duration(DefaultAuditTimeout), Line: 4}},
		{"an empty audit takes every default",
			"sites:\n  - name: s\n    pages: [{url: https://shop.example/pay}]\n    audit: {}\n",
			Audit{URL: "https://shop.example/pay", Every: Duration(DefaultAuditEvery), MaxRequests: DefaultAuditMaxRequests, Rate: DefaultAuditRate, Timeout: Duration(DefaultAuditTimeout), Line: 4}},
		{"an audit of its own URL on a site without pages",
			"sites:\n  - name: s\n    audit:\n      url: http://127.0.0.1:8080/shopping/payment\n      every: 7d\n      rate: 2\n      ca_file: /etc/ssl/lab.pem\n",
			Audit{URL: "http://127.0.0.1:8080/shopping/payment", Every: Duration(7 * 24 * time.Hour), MaxRequests: DefaultAuditMaxRequests, Rate: 2, Timeout: Duration(DefaultAuditTimeout), CAFile: "/etc/ssl/lab.pem", Line: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseWith(strings.NewReader(tc.yaml), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Sites[0].Audit; got == nil || *got != tc.want {
				t.Errorf("audit = %+v, want %+v", got, tc.want)
			}
		})
	}
	c, err := ParseWith(strings.NewReader("sites:\n  - name: s\n"), env(nil))
	if err != nil || c.Sites[0].Audit != nil {
		t.Errorf("a site without the key is not audited: %+v, %v", c.Sites[0].Audit, err)
	}
}

func TestAuditKeyRefuses(t *testing.T) {
	site := "sites:\n  - name: s\n    pages: [{url: https://shop.example/pay}]\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"an interval under an hour", site + "    audit: {every: 5m}\n", `line 4: sites[0].audit.every "5m0s": must be at least 1h0m0s`},
		{"a budget of thousands of requests", site + "    audit: {max_requests: 5000}\n", `sites[0].audit.max_requests "5000": want 1 to 1000`},
		{"a negative budget", site + "    audit: {max_requests: -1}\n", `sites[0].audit.max_requests "-1"`},
		{"a rate above 50 per second", site + "    audit: {rate: 100}\n", `sites[0].audit.rate "100": want above 0 and at most 50`},
		{"a timeout above the most a job may run", site + "    audit: {timeout: 1h}\n", `sites[0].audit.timeout "1h0m0s": must be above 0 and at most 10m0s`},
		{"no URL on a site without pages", "sites:\n  - name: s\n    audit: {every: 24h}\n", `sites[0].audit.url: required when the site has no pages`},
		{"a URL that is not http(s)", "sites:\n  - name: s\n    audit: {url: ftp://shop.example/}\n", `sites[0].audit.url "ftp://shop.example/": want an http(s) URL`},
		{"an unknown key inside audit", site + "    audit: {evry: 24h}\n", `sites[0].audit.evry: unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWith(strings.NewReader(tc.yaml), env(nil))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
