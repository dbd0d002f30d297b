package service

import (
	"net/http"
	"strings"
	"testing"
)

// TestDashboardReportsItsCSPToTheConfiguredSite: with dashboard.csp_site
// the dashboard's own CSP violations go to serve's collector under that
// site's key; without it, to the dashboard's local endpoint.
func TestDashboardReportsItsCSPToTheConfiguredSite(t *testing.T) {
	t.Setenv("SKIMWATCH_STORE", "")
	const key = "abcdefghijklmnopqrstuvwxyz234567"
	t.Setenv("TEST_DASH_KEY", key)
	for _, tc := range []struct{ name, extra, want string }{
		{"a configured csp_site gets the reports at its collector endpoint",
			"  - name: dash\n    collector_key: {env: TEST_DASH_KEY}\ndashboard:\n  csp_site: dash\n", "/r/" + key},
		{"without csp_site the reports go to the local endpoint", "", "/api/csp-report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(t, "data_dir: "+t.TempDir()+"\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nsites:\n  - name: shop\n"+tc.extra)
			api, _ := startServe(t, cfg, Options{})
			resp, err := http.Get(api + "/login")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "report-uri "+tc.want+";") || resp.Header.Get("Reporting-Endpoints") != `dashboard="`+tc.want+`"` {
				t.Fatalf("CSP %q, Reporting-Endpoints %q, want reports to %s", csp, resp.Header.Get("Reporting-Endpoints"), tc.want)
			}
			if tc.want != "/api/csp-report" {
				// The collector answers there (a report with no violations is
				// still a report it accepts or refuses, never a 404).
				r, err := http.Post(api+tc.want, "application/csp-report", strings.NewReader(`{"csp-report":{"document-uri":"`+api+`/","violated-directive":"script-src","blocked-uri":"https://evil.example/x.js"}}`))
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode == http.StatusNotFound || r.StatusCode >= 500 {
					t.Fatalf("the collector endpoint answered %d", r.StatusCode)
				}
			}
		})
	}
}
