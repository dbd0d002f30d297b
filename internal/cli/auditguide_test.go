package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func auditShops(t *testing.T) (*lab.AuditShops, string) {
	t.Helper()
	s, err := lab.StartAuditShops(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ca := filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(ca, s.CA.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, ca
}

func TestAuditGuidelineReportOfTheHardenedShopWithAStore(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	shops, ca := auditShops(t)
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "store.db")
	st, err := open.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A clean fim verify an hour ago, as `skimwatch fim verify --store` files it.
	ev := record.RunEvent("skimwatch fim verify", &finding.Report{Command: "fim verify", Targets: []string{"/srv/shop"}, Complete: true}, nil)
	ev.Time = time.Now().Add(-time.Hour)
	if err := record.Put(context.Background(), st, "shop", nil, nil, []store.Event{ev}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, errOut, code := runCLI(t, "audit", shops.HardenedURL()+"/shopping/payment", "--rate", "1000",
		"--report", "guideline", "--format", "json", "--ca-file", ca, "--store", dsn, "--site", "shop", "--advisories", osvFixture)
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	var g audit.GuidelineReport
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []audit.Status
	for _, m := range g.Measures {
		got = append(got, m.Status)
	}
	if want := []audit.Status{audit.Unknown, audit.Met, audit.Met, audit.Met, audit.Unknown}; !reflect.DeepEqual(got, want) || !g.Complete {
		t.Errorf("statuses %v (complete %v, %v), want %v", got, g.Complete, g.Incomplete, want)
	}
}

func TestAuditGuidelineReportOfTheExposedShopAsText(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	shops, _ := auditShops(t)
	for _, tc := range []struct {
		name  string
		lang  string
		lines []string
	}{
		{"both languages name every measure's answer", "both", []string{
			"1. [未充足 / NOT MET] 管理者画面のアクセス制限と管理者のID/パスワード管理",
			"2. [未充足 / NOT MET] データディレクトリの露見に伴う設定不備への対策",
			"3. [未充足 / NOT MET] Webアプリケーションの脆弱性対策",
			"4. [不明 / UNKNOWN] マルウェア対策としてのウイルス対策ソフトの導入、運用",
			"5. [不明 / UNKNOWN] 悪質な有効性確認、クレジットマスターへの対策",
		}},
		{"English alone says the card-testing measure cannot be seen", "en", []string{
			"5. [UNKNOWN] Defences against card testing (malicious validity checks and credit-master attacks)",
			"   Why: skimwatch never tries a payment",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "audit", shops.ExposedURL()+"/shopping/payment", "--rate", "1000", "--report", "guideline", "--lang", tc.lang)
			// The guideline report keeps the audit's exit codes.
			if code != finding.ExitFindings {
				t.Fatalf("exit %d, want 1; stderr: %s", code, errOut)
			}
			for _, l := range tc.lines {
				if !strings.Contains(out, "\n"+l) {
					t.Errorf("no line %q in\n%s", l, out)
				}
			}
		})
	}
}

func TestAuditGuidelineFlagsRefuse(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a PDF without --out is refused", []string{"--report", "guideline", "--format", "pdf"}, "--format pdf needs --out"},
		{"SARIF is not a guideline format", []string{"--report", "guideline", "--format", "sarif"}, "table, json, html or pdf"},
		{"an unknown report is refused", []string{"--report", "pci"}, "want findings or guideline"},
		{"an unknown language is refused", []string{"--report", "guideline", "--lang", "fr"}, "want ja, en or both"},
		{"a CA file without a certificate is refused", []string{"--ca-file", "/dev/null"}, "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, append([]string{"audit", "http://127.0.0.1:1/"}, tc.args...)...)
			if code != finding.ExitIncomplete || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

func TestAuditGuidelineReportAsPDF(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	pdftotext, err := exec.LookPath("pdftotext")
	testsupport.Need(t, "pdftotext (poppler-utils)", err)
	shops, _ := auditShops(t)
	pdf := filepath.Join(t.TempDir(), "guideline.pdf")
	_, errOut, code := runCLI(t, "audit", shops.ExposedURL()+"/shopping/payment", "--rate", "1000",
		"--report", "guideline", "--format", "pdf", "--lang", "ja", "--out", pdf)
	if code != finding.ExitFindings {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	text, err := exec.Command(pdftotext, pdf, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	// Text extraction may break lines anywhere; compare without spaces.
	flat := strings.Join(strings.Fields(string(text)), "")
	for _, want := range []string{"管理者画面のアクセス制限と管理者のID/パスワード管理", "未充足", "不明", "audit.git-exposed"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF does not say %q:\n%s", want, text)
		}
	}
}

func TestConfigCheckValidatesTheAuditKey(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		code       int
		want       string
	}{
		{"a daily audit of the site's page is valid", "sites:\n  - name: shop\n    pages: [{url: https://shop.example/pay}]\n    audit: {every: 24h, max_requests: 60}\n", 0, "valid: 1 site(s)"},
		{"an audit every five minutes is refused with its line", "sites:\n  - name: shop\n    pages: [{url: https://shop.example/pay}]\n    audit: {every: 5m}\n", finding.ExitIncomplete, `line 4: sites[0].audit.every "5m0s": must be at least 1h0m0s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := runCLI(t, "config", "check", path)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d, output %q; want %d and %q", code, out+errOut, tc.code, tc.want)
			}
		})
	}
}
