package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

var guideNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func memStore(t *testing.T) store.Store {
	t.Helper()
	st, err := open.Open(context.Background(), "sqlite::memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// recordRun files a fim verify or scan run of site, as the CLI and the
// service do, at time at.
func recordRun(t *testing.T, st store.Store, site, command string, at time.Time, complete bool, worst finding.Severity) {
	t.Helper()
	r := &finding.Report{Command: command, Targets: []string{"/srv/shop"}, Complete: complete}
	if worst > 0 {
		r.Findings = []finding.Finding{{Severity: worst, Kind: "fim.modified", Message: "changed", Path: "index.php"}}
	}
	ev := record.RunEvent("test", r, nil)
	ev.Time = at
	if err := record.Put(context.Background(), st, site, nil, nil, []store.Event{ev}); err != nil {
		t.Fatal(err)
	}
}

// statuses is a guideline report's five answers, in order.
func statuses(g *audit.GuidelineReport) []audit.Status {
	var out []audit.Status
	for _, m := range g.Measures {
		out = append(out, m.Status)
	}
	return out
}

// kindsAt lists "severity kind URL-path" of a measure's evidence, the
// shop's origin cut off.
func kindsAt(evs []audit.MeasureEvidence, origin string) []string {
	var out []string
	for _, e := range evs {
		out = append(out, strings.TrimSpace(e.Severity+" "+e.Kind+" "+strings.TrimPrefix(e.URL, origin)))
	}
	return out
}

func TestGuidelineOfTheExposedLabShop(t *testing.T) {
	srv, _ := labShop(t, lab.AuditExposed, false)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(g), []audit.Status{audit.NotMet, audit.NotMet, audit.NotMet, audit.Unknown, audit.Unknown}; !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name           string
		measure        int
		evidence       []string
		advice         []string
		reasonContains string
	}{
		{"the admin measure is not met because of the admin login at its default path", audit.MeasureAdmin,
			[]string{"medium audit.admin-reachable /admin/login"}, nil, "default path"},
		{"the exposure measure is not met because of .git, the installer and the listing", audit.MeasureExposure,
			[]string{"critical audit.git-exposed /.git/HEAD", "critical audit.git-exposed /.git/config",
				"high audit.installer-exposed /install.php", "medium audit.directory-listing /upload/"}, nil, "web root"},
		{"the vulnerability measure is not met because of cookies, the missing CSP and plain http, with framing as advice", audit.MeasureVulnerabilities,
			[]string{"medium audit.cookie-flags /", "medium audit.cookie-flags /shopping/payment",
				"medium audit.csp-missing /", "medium audit.csp-missing /shopping/payment",
				"medium audit.plain-http /", "medium audit.plain-http /shopping/payment"},
			[]string{"low audit.framing-allowed /", "low audit.framing-allowed /shopping/payment"}, "injected script"},
		{"the malware measure is unknown without a store", audit.MeasureMalware, nil, nil, "No store was given"},
		{"the card-testing measure is unknown because we never try a payment", audit.MeasureCardTesting, nil, nil, "never tries a payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := g.Measures[tc.measure-1]
			if m.Number != tc.measure {
				t.Fatalf("measure %d at position %d", m.Number, tc.measure)
			}
			if got := kindsAt(m.Evidence, srv.URL); !reflect.DeepEqual(got, tc.evidence) {
				t.Errorf("evidence %q, want %q", got, tc.evidence)
			}
			if got := kindsAt(m.Advice, srv.URL); !reflect.DeepEqual(got, tc.advice) {
				t.Errorf("advice %q, want %q", got, tc.advice)
			}
			if !strings.Contains(m.Reason.EN, tc.reasonContains) {
				t.Errorf("reason %q does not say %q", m.Reason.EN, tc.reasonContains)
			}
			if m.Reason.JA == "" || m.Todo.JA == "" || m.Todo.EN == "" || m.Title.JA == "" || m.Limits.JA == "" {
				t.Errorf("measure %d lacks a Japanese or English text: %+v", m.Number, m)
			}
			for _, e := range m.Evidence {
				if len(e.Key) != 64 {
					t.Errorf("evidence %s has no store key: %q", e.Kind, e.Key)
				}
			}
		})
	}
	if len(g.Unmapped) != 0 {
		t.Errorf("unmapped findings: %v", g.Unmapped)
	}
}

func TestGuidelineEvidenceKeysAreTheStoreKeys(t *testing.T) {
	srv, _ := labShop(t, lab.AuditExposed, false)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	st := memStore(t)
	if err := record.Put(context.Background(), st, "shop", rep.Findings, nil, nil); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, f := range stored {
		keys[f.Key] = true
	}
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range g.Measures {
		for _, e := range append(m.Evidence, m.Advice...) {
			n++
			if !keys[e.Key] {
				t.Errorf("%s %s: key %s is not a stored finding's key", e.Kind, e.URL, e.Key)
			}
		}
	}
	if n != len(rep.Findings) {
		t.Errorf("%d findings in the guideline report, %d in the audit", n, len(rep.Findings))
	}
}

func TestGuidelineOfTheHardenedLabShop(t *testing.T) {
	srv, _ := labShop(t, lab.AuditHardened, true)
	o := fast(srv)
	o.Advisories = fixtureDB(t)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", o)
	if err != nil {
		t.Fatal(err)
	}
	st := memStore(t)
	recordRun(t, st, "shop", "fim verify", guideNow.Add(-2*time.Hour), true, 0)
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{History: st, Site: "shop", Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(g), []audit.Status{audit.Unknown, audit.Met, audit.Met, audit.Met, audit.Unknown}; !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	for _, m := range g.Measures[:3] {
		if len(m.Evidence) != 0 || len(m.Advice) != 0 {
			t.Errorf("measure %d: evidence %v advice %v, want none", m.Number, m.Evidence, m.Advice)
		}
	}
	if !strings.Contains(g.Measures[0].Reason.EN, "cannot be seen") {
		t.Errorf("the admin measure's reason %q does not say what cannot be seen", g.Measures[0].Reason.EN)
	}
	if ev := g.Measures[3].Evidence; len(ev) != 1 || ev[0].Kind != "fim verify" || ev[0].Event != 1 {
		t.Errorf("malware evidence %+v, want the fim verify run (event 1)", ev)
	}
}

func TestGuidelineMalwareMeasureReadsTheSitesRuns(t *testing.T) {
	type run struct {
		command  string
		ago      time.Duration
		complete bool
		worst    finding.Severity
	}
	for _, tc := range []struct {
		name     string
		noStore  bool
		site     string
		runs     []run
		want     audit.Status
		reason   string
		evidence string
	}{
		{"without a store it is unknown", true, "shop", nil, audit.Unknown, "No store was given", ""},
		{"without a site name it is unknown", false, "", []run{{"scan", time.Hour, true, 0}}, audit.Unknown, "No site name", ""},
		{"a site never verified is unknown, not failed", false, "shop", nil, audit.Unknown, "no record", ""},
		{"another site's runs do not count", false, "other", []run{{"scan", time.Hour, true, 0}}, audit.Unknown, "no record", ""},
		{"a clean scan yesterday meets it", false, "shop", []run{{"scan", 24 * time.Hour, true, 0}}, audit.Met, "found nothing at high", "scan"},
		{"a clean fim verify six days ago meets it", false, "shop", []run{{"fim verify", 6 * 24 * time.Hour, true, finding.Medium}}, audit.Met, "found nothing at high", "fim verify"},
		{"only incomplete runs do not meet it", false, "shop", []run{{"scan", time.Hour, false, 0}, {"fim verify", time.Hour, false, 0}}, audit.NotMet, "None of the 2", ""},
		{"a last complete run eight days ago does not meet it", false, "shop", []run{{"fim verify", 8 * 24 * time.Hour, true, 0}, {"scan", time.Hour, false, 0}}, audit.NotMet, "more than 7 days ago", "fim verify"},
		{"a latest run that found malware does not meet it", false, "shop", []run{{"scan", 48 * time.Hour, true, 0}, {"scan", time.Hour, true, finding.Critical}}, audit.NotMet, "found changes or malware at critical", "scan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memStore(t)
			for _, r := range tc.runs {
				recordRun(t, st, "shop", r.command, guideNow.Add(-r.ago), r.complete, r.worst)
			}
			o := audit.GuidelineOptions{History: st, Site: tc.site, Now: guideNow}
			if tc.noStore {
				o.History = nil
			}
			g, err := audit.Guideline(context.Background(), &finding.Report{Command: "audit", Complete: true}, o)
			if err != nil {
				t.Fatal(err)
			}
			m := g.Measures[audit.MeasureMalware-1]
			if m.Status != tc.want || !strings.Contains(m.Reason.EN, tc.reason) {
				t.Errorf("status %q reason %q, want %q saying %q", m.Status, m.Reason.EN, tc.want, tc.reason)
			}
			if tc.evidence != "" && (len(m.Evidence) != 1 || m.Evidence[0].Kind != tc.evidence) {
				t.Errorf("evidence %+v, want one %s run", m.Evidence, tc.evidence)
			}
		})
	}
}

func TestGuidelineListsLowFindingsAsAdviceAndLeavesInformationOut(t *testing.T) {
	rep := &finding.Report{Command: "audit", Complete: true, Targets: []string{"https://shop.test/"}, Details: map[string]any{"advisories": map[string]any{"loaded": true}}, Findings: []finding.Finding{
		{Severity: finding.Info, Kind: "audit.platform", Source: "audit", Message: "The shop runs EC-CUBE 4.", URL: "https://shop.test/"},
		{Severity: finding.Low, Kind: audit.KindFramingAllowed, Source: "audit", Message: "framing", URL: "https://shop.test/"},
	}}
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	m := g.Measures[audit.MeasureVulnerabilities-1]
	if m.Status != audit.Met || len(m.Evidence) != 0 || len(m.Advice) != 1 || m.Advice[0].Kind != audit.KindFramingAllowed {
		t.Errorf("status %s, evidence %v, advice %v; want met with the framing finding as the only advice", m.Status, m.Evidence, m.Advice)
	}
	if len(g.Unmapped) != 0 {
		t.Errorf("unmapped %v", g.Unmapped)
	}
}

func TestGuidelineOfAnIncompleteAuditClaimsNothingMet(t *testing.T) {
	srv, _ := labShop(t, lab.AuditHardened, true)
	opts := fast(srv)
	opts.MaxRequests = 5
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range g.Measures {
		if m.Status == audit.Met {
			t.Errorf("measure %d is met after an incomplete audit", m.Number)
		}
	}
	if r := g.Measures[audit.MeasureExposure-1].Reason.EN; !strings.Contains(r, "did not finish") {
		t.Errorf("exposure reason %q does not say the audit did not finish", r)
	}
}

func TestMeasureOfKinds(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want int
	}{
		{"audit.admin-reachable", audit.MeasureAdmin},
		{"audit.dir.admin-default-path", audit.MeasureAdmin},
		{"audit.git-exposed", audit.MeasureExposure},
		{"audit.sql-dump-exposed", audit.MeasureExposure},
		{"audit.debug-toolbar", audit.MeasureExposure},
		{"audit.dir.world-writable", audit.MeasureExposure},
		{"audit.dir.advisory-composer", audit.MeasureVulnerabilities},
		{"audit.advisory-jquery", audit.MeasureVulnerabilities},
		{"audit.tls-old-protocol", audit.MeasureVulnerabilities},
		{"csp.lint.unsafe-inline", audit.MeasureVulnerabilities},
		// The kinds of the versions, libraries and audit DIR work (branch
		// auditver), by name, before they are merged here.
		{"audit.platform", audit.MeasureVulnerabilities},
		{"audit.js-library", audit.MeasureVulnerabilities},
		{"audit.vulnerable-component", audit.MeasureVulnerabilities},
		{"audit.admin-default-path", audit.MeasureAdmin},
		{"audit.webroot-writable", audit.MeasureExposure},
		{"audit.world-writable", audit.MeasureExposure},
		{"audit.php-setting", audit.MeasureExposure},
		{"audit.secret-readable", audit.MeasureExposure},
		{"check.card-exfil", 0},
	} {
		t.Run(fmt.Sprintf("%s counts against measure %d", tc.kind, tc.want), func(t *testing.T) {
			if got := audit.MeasureOf(tc.kind); got != tc.want {
				t.Errorf("MeasureOf(%q) = %d, want %d", tc.kind, got, tc.want)
			}
		})
	}
}

// normalised runs the exposed lab shop's audit with its origin rewritten
// to a fixed one, so that the golden files (and the store keys in them)
// do not depend on the test server's port.
func normalisedExposedReport(t *testing.T) *finding.Report {
	t.Helper()
	srv, _ := labShop(t, lab.AuditExposed, false)
	opts := fast(srv)
	opts.Now = func() time.Time { return guideNow }
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte(srv.URL), []byte("http://shop.test"))
	var out finding.Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	out.Details = map[string]any{"requests": 26}
	return &out
}

func TestGuidelineGoldenFiles(t *testing.T) {
	rep := normalisedExposedReport(t)
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow, Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, lang, format, golden string
	}{
		{"the Japanese HTML sheet matches its golden file", "ja", "html", "testdata/guideline-exposed.ja.html"},
		{"the English HTML sheet matches its golden file", "en", "html", "testdata/guideline-exposed.en.html"},
		{"the bilingual text report matches its golden file", "both", "text", "testdata/guideline-exposed.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			langs, err := audit.ParseLangs(tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if tc.format == "html" {
				err = audit.WriteGuidelineHTML(&buf, g, langs)
			} else {
				err = audit.WriteGuidelineText(&buf, g, langs)
			}
			if err != nil {
				t.Fatal(err)
			}
			testsupport.Golden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestGuidelineHTMLEscapesWhatTheShopSent(t *testing.T) {
	rep := &finding.Report{Command: "audit", Complete: true, Targets: []string{`http://shop.test/"><script>alert(1)</script>`},
		Findings: []finding.Finding{{Severity: finding.High, Kind: audit.KindInstallerExposed, Source: "audit", Message: "m",
			URL: `http://shop.test/install.php?<img src=x onerror=alert(1)>`}}}
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := audit.WriteGuidelineHTML(&buf, g, []string{audit.LangEN}); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "<script>alert") || strings.Contains(s, "<img src=x") {
		t.Errorf("the sheet carries the shop's markup unescaped:\n%s", s)
	}
}

func TestGuidelineMalwareMeasureReadsPastTheFirstThousandRuns(t *testing.T) {
	st := memStore(t)
	r := &finding.Report{Command: "scan", Targets: []string{"/srv/shop"}, Complete: false}
	var evs []store.Event
	for i := range 1000 {
		ev := record.RunEvent("test", r, nil)
		ev.Time = guideNow.Add(-time.Duration(2000-i) * time.Minute)
		evs = append(evs, ev)
	}
	if err := record.Put(context.Background(), st, "shop", nil, nil, evs); err != nil {
		t.Fatal(err)
	}
	// The one complete run is the 1001st of its type.
	recordRun(t, st, "shop", "scan", guideNow.Add(-time.Minute), true, 0)
	g, err := audit.Guideline(context.Background(), &finding.Report{Command: "audit", Complete: true}, audit.GuidelineOptions{History: st, Site: "shop", Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	if m := g.Measures[audit.MeasureMalware-1]; m.Status != audit.Met || len(m.Evidence) != 1 || m.Evidence[0].Event != 1001 {
		t.Errorf("status %s evidence %+v, want met on event 1001", m.Status, m.Evidence)
	}
}

func TestGuidelineWithoutAdvisoriesLeavesTheVulnerabilityMeasureUnknown(t *testing.T) {
	srv, _ := labShop(t, lab.AuditHardened, true)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	g, err := audit.Guideline(context.Background(), rep, audit.GuidelineOptions{Now: guideNow})
	if err != nil {
		t.Fatal(err)
	}
	m := g.Measures[audit.MeasureVulnerabilities-1]
	if m.Status != audit.Unknown || !strings.Contains(m.Reason.EN, "No advisories were loaded") {
		t.Errorf("vulnerability measure %v (%q), want unknown because no advisories were loaded", m.Status, m.Reason.EN)
	}
	if exposure := g.Measures[audit.MeasureExposure-1]; exposure.Status != audit.Met {
		t.Errorf("exposure measure %v, want met: it does not depend on advisories", exposure.Status)
	}
}
