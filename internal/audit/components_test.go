package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
)

// osvFixture is the advisory fixture written for the lab's components.
const osvFixture = "../lab/advisories"

func fixtureDB(t testing.TB) *advisory.DB {
	t.Helper()
	db, err := advisory.Load(context.Background(), osvFixture)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// line is one finding in a form a table can pin down exactly: severity,
// kind, the path of its URL and the facts that identify it (the advisory,
// the platform or library and version, or the exposure's proof).
func line(srvURL string, f finding.Finding) string {
	u := strings.TrimPrefix(f.URL, srvURL)
	e := f.Evidence
	switch f.Kind {
	case audit.KindVulnerable:
		return fmt.Sprintf("%s %s %s %s %s@%s %s", f.Severity, f.Kind, u, e["ecosystem"], e["package"], e["version"], e["advisory"])
	case audit.KindPlatform:
		return fmt.Sprintf("%s %s %s %s %v %v", f.Severity, f.Kind, u, e["platform"], e["version"], e["confidence"])
	case audit.KindLibrary:
		return fmt.Sprintf("%s %s %s %s@%s %s", f.Severity, f.Kind, u, e["library"], e["version"], e["how"])
	case audit.KindCookieFlags:
		return fmt.Sprintf("%s %s %s %s %v", f.Severity, f.Kind, u, e["cookie"], e["missing"])
	}
	if p, ok := e["proof"]; ok {
		return fmt.Sprintf("%s %s %s %v", f.Severity, f.Kind, u, p)
	}
	return fmt.Sprintf("%s %s %s", f.Severity, f.Kind, u)
}

func lines(srvURL string, rep *finding.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, line(srvURL, f))
	}
	slices.Sort(out)
	return out
}

// exposedCommon are the findings both platform variants share: plain http,
// no CSP and no framing protection on the page and the home page, a .git
// and an admin login at /admin/.
func exposedCommon(page string) []string {
	var out []string
	for _, u := range []string{"/", page} {
		out = append(out,
			"medium audit.plain-http "+u,
			"medium audit.csp-missing "+u,
			"low audit.framing-allowed "+u,
		)
	}
	return append(out,
		"critical audit.git-exposed /.git/HEAD ref: refs/heads/master",
		"critical audit.git-exposed /.git/config [core] repositoryformatversion",
		`medium audit.admin-reachable /admin/ <input type="password" name="password">`,
	)
}

func TestAuditNamesThePlatformLibrariesAndAdvisoriesOfTheLabShops(t *testing.T) {
	const vendor = "/html/template/default/assets/js/vendor/"
	const static = "/static/version1588888888/frontend/Magento/luma/en_US/"
	tests := []struct {
		name    string
		variant lab.AuditVariant
		page    string
		want    []string
	}{
		{
			name:    "the EC-CUBE 4.0.3 shop is named from its composer.json, with its jQuery, jQuery UI and their advisories",
			variant: lab.AuditECCUBE4, page: "/shopping",
			want: append(exposedCommon("/shopping"),
				"medium audit.cookie-flags / eccube [HttpOnly SameSite]",
				"medium audit.cookie-flags /shopping eccube [HttpOnly SameSite]",
				"high audit.installer-exposed /install/ <title>EC-CUBE インストール</title>",
				"medium audit.directory-listing /upload/ <title>Index of /upload</title>",
				"info audit.platform /composer.json EC-CUBE 4.0.3 high",
				"critical audit.vulnerable-component /composer.json Packagist ec-cube/ec-cube@4.0.3 SKWLAB-2021-0101",
				"info audit.js-library "+vendor+"jquery.min.js jquery@1.12.4 banner",
				"medium audit.vulnerable-component "+vendor+"jquery.min.js npm jquery@1.12.4 SKWLAB-2019-0001",
				"medium audit.vulnerable-component "+vendor+"jquery.min.js npm jquery@1.12.4 SKWLAB-2020-0001",
				"info audit.js-library "+vendor+"jquery-ui-1.11.4.min.js jquery-ui@1.11.4 filename",
				"medium audit.vulnerable-component "+vendor+"jquery-ui-1.11.4.min.js npm jquery-ui@1.11.4 SKWLAB-2021-0002",
			),
		},
		{
			name:    "the Magento 2.3.5-p1 shop is named from its composer.json, with the jQuery it bundles and their advisories",
			variant: lab.AuditMagento2, page: "/checkout/",
			want: append(exposedCommon("/checkout/"),
				"medium audit.cookie-flags / PHPSESSID [HttpOnly SameSite]",
				"medium audit.cookie-flags /checkout/ PHPSESSID [HttpOnly SameSite]",
				"high audit.installer-exposed /setup/ <title>Magento Installation</title>",
				"medium audit.directory-listing /var/ <title>Index of /var</title>",
				"info audit.platform /composer.json Magento 2.3.5-p1 high",
				"critical audit.vulnerable-component /composer.json Packagist magento/community-edition@2.3.5-p1 SKWLAB-2022-0102",
				"info audit.js-library "+static+"jquery.js jquery@1.12.4 banner",
				"medium audit.vulnerable-component "+static+"jquery.js npm jquery@1.12.4 SKWLAB-2019-0001",
				"medium audit.vulnerable-component "+static+"jquery.js npm jquery@1.12.4 SKWLAB-2020-0001",
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, log := labShop(t, tt.variant, false)
			opts := fast(srv)
			opts.Advisories = fixtureDB(t)
			rep, err := audit.Run(context.Background(), srv.URL+tt.page, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete {
				t.Fatalf("report incomplete: %v", rep.Incomplete)
			}
			for _, f := range rep.Findings {
				if err := f.Validate(); err != nil {
					t.Error(err)
				}
			}
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := lines(srv.URL, rep); !reflect.DeepEqual(got, want) {
				t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if n := len(log.all()); n > audit.DefaultMaxRequests {
				t.Errorf("%d requests, more than the default budget", n)
			}
		})
	}
}

func TestAuditCitesTheFileBehindAPlatformVersion(t *testing.T) {
	srv, _ := labShop(t, lab.AuditECCUBE4, false)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping", fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(srv.URL + "/composer.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(body)
	i := slices.IndexFunc(rep.Findings, func(f finding.Finding) bool { return f.Kind == audit.KindPlatform })
	if i < 0 {
		t.Fatalf("no platform finding: %v", lines(srv.URL, rep))
	}
	ev := rep.Findings[i].Evidence
	want := map[string]any{
		"platform": "EC-CUBE", "generation": "4", "version": "4.0.3", "confidence": "high",
		"markers":        []string{`meta: <meta name="eccube-csrf-token"`, "path: /html/template/default/assets/", "cookie: eccube"},
		"version_from":   srv.URL + "/composer.json",
		"version_proof":  `composer.json "name": "ec-cube/ec-cube", "version": "4.0.3"`,
		"version_sha256": hex.EncodeToString(sum[:]),
	}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("platform evidence = %#v\nwant %#v", ev, want)
	}
	if d, _ := rep.Details["advisories"].(map[string]any); d["loaded"] != false {
		t.Errorf("without advisories the report says %v, want loaded false", d)
	}
	if slices.ContainsFunc(rep.Findings, func(f finding.Finding) bool { return f.Kind == audit.KindVulnerable }) {
		t.Error("without advisories nothing may be reported as vulnerable")
	}
}

func TestAuditOfTheHardenedShopNamesOnlyItsPlatformAndCurrentLibrary(t *testing.T) {
	srv, _ := labShop(t, lab.AuditHardened, true)
	opts := fast(srv)
	opts.Advisories = fixtureDB(t)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"info audit.js-library /html/template/default/assets/js/vendor/jquery-3.7.1.min.js jquery@3.7.1 filename",
		"info audit.platform /shopping/payment EC-CUBE <nil> high",
	}
	if got := lines(srv.URL, rep); !reflect.DeepEqual(got, want) || !rep.Complete {
		t.Errorf("findings\n got: %q\nwant: %q (complete %v: %v)", got, want, rep.Complete, rep.Incomplete)
	}
	d, _ := rep.Details["advisories"].(map[string]any)
	if d["loaded"] != true || d["records"] != 7 || d["source"] != osvFixture {
		t.Errorf("advisory details %v, want the fixture's 7 records", d)
	}
}

func TestAuditReadsLibrariesFromAnInventorysScriptsInsteadOfThePage(t *testing.T) {
	srv, log := labShop(t, lab.AuditECCUBE4, false)
	opts := fast(srv)
	opts.Advisories = fixtureDB(t)
	opts.Scripts = []string{srv.URL + "/html/template/default/assets/js/vendor/jquery.min.js"}
	rep, err := audit.Run(context.Background(), srv.URL+"/", opts)
	if err != nil {
		t.Fatal(err)
	}
	var libs []string
	for _, f := range rep.Findings {
		if f.Kind == audit.KindLibrary {
			libs = append(libs, line(srv.URL, f))
		}
	}
	if want := []string{"info audit.js-library /html/template/default/assets/js/vendor/jquery.min.js jquery@1.12.4 banner"}; !reflect.DeepEqual(libs, want) {
		t.Errorf("libraries %q, want %q", libs, want)
	}
	if slices.Contains(log.all(), "GET /html/template/default/assets/js/vendor/jquery-ui-1.11.4.min.js") {
		t.Error("a script of the page was read although an inventory was given")
	}
}

func TestVersionAndScriptReadsStayWithinTheRequestBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		variant lab.AuditVariant
		page    string
		max     int
		// read was requested, unread was not.
		read, unread string
	}{
		{"a budget spent by the probes leaves the EC-CUBE shop's composer.json unread", lab.AuditECCUBE4, "/shopping", 26,
			"GET /admin-dev/", "GET /composer.json"},
		{"a budget spent on composer.json leaves the EC-CUBE shop's scripts unread", lab.AuditECCUBE4, "/shopping", 27,
			"GET /composer.json", "GET /html/template/default/assets/js/vendor/jquery.min.js"},
		{"a budget spent on the Magento shop's version files leaves its scripts unread", lab.AuditMagento2, "/checkout/", 28,
			"GET /composer.json", "GET /static/version1588888888/frontend/Magento/luma/en_US/jquery.js"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, log := labShop(t, tc.variant, false)
			opts := fast(srv)
			opts.MaxRequests = tc.max
			opts.Advisories = fixtureDB(t)
			rep, err := audit.Run(context.Background(), srv.URL+tc.page, opts)
			if err != nil {
				t.Fatal(err)
			}
			reqs := log.all()
			if len(reqs) > tc.max {
				t.Errorf("the lab received %d requests, more than --max-requests %d", len(reqs), tc.max)
			}
			for _, r := range reqs {
				if !strings.HasPrefix(r, "GET ") {
					t.Errorf("the lab received %q", r)
				}
			}
			if rep.Complete || !slices.ContainsFunc(rep.Incomplete, func(s string) bool { return strings.Contains(s, "--max-requests") }) {
				t.Errorf("complete %v, reasons %v: want incomplete naming --max-requests", rep.Complete, rep.Incomplete)
			}
			if !slices.Contains(reqs, tc.read) || slices.Contains(reqs, tc.unread) {
				t.Errorf("requests %v: want %q sent and %q not", reqs, tc.read, tc.unread)
			}
		})
	}
}
