package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
)

const osvFixture = "../lab/advisories"

// zipFixture packs the OSV fixture as an archive a URL could serve.
func zipFixture(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files, err := filepath.Glob(filepath.Join(osvFixture, "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixture: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAdvisoriesUpdateCopiesFromAFolderOrAURLAndSaysHowOld(t *testing.T) {
	archive := zipFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zip")
		w.Write(archive)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ name, from string }{
		{"from a folder of OSV files", osvFixture},
		{"from a URL serving a zip", srv.URL + "/osv.zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out, errOut, code := runCLI(t, "advisories", "update", "--from", tc.from, "--dir", dir)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, want := range []string{"saved 7 advisories to " + dir, "advisories: 7 from " + tc.from + ", newest modified 2026-11-02", ", fetched "} {
				if !strings.Contains(out, want) {
					t.Errorf("update output %q lacks %q", out, want)
				}
			}
			out, errOut, code = runCLI(t, "advisories", "status", "--dir", dir)
			if code != 0 || !strings.Contains(out, "advisories: 7 from "+tc.from) {
				t.Errorf("status: exit %d, %q %s", code, out, errOut)
			}
		})
	}
	t.Run("a source that holds no advisory is refused and nothing is saved", func(t *testing.T) {
		dir := t.TempDir()
		if _, _, code := runCLI(t, "advisories", "update", "--from", t.TempDir(), "--dir", dir); code != finding.ExitIncomplete {
			t.Errorf("exit %d, want %d", code, finding.ExitIncomplete)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("the data directory holds %v after a failed update", ents)
		}
	})
}

func TestAuditPrintsTheAgeOfItsAdvisoriesOnEveryReport(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // no saved advisories
	h, err := lab.NewAuditShop(lab.AuditECCUBE4)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	page := srv.URL + "/shopping"

	out, _, _ := runCLI(t, "audit", page, "--rate", "1000")
	if !strings.Contains(out, "advisories: none loaded, so no version was checked") {
		t.Errorf("table without advisories does not say so:\n%s", out)
	}
	out, _, code := runCLI(t, "audit", page, "--rate", "1000", "--advisories", osvFixture)
	if code != finding.ExitFindings || !strings.Contains(out, "advisories: 7 from "+osvFixture+", newest modified 2026-11-02") || !strings.Contains(out, "SKWLAB-2021-0101") {
		t.Errorf("table with advisories (exit %d):\n%s", code, out)
	}
	out, _, _ = runCLI(t, "audit", page, "--rate", "1000", "--advisories", osvFixture, "--format", "json")
	var rep struct {
		Details struct {
			Advisories map[string]any `json:"advisories"`
		} `json:"details"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if a := rep.Details.Advisories; a["records"] != 7.0 || a["newest_modified"] != "2026-11-02T09:00:00Z" || a["source"] != osvFixture {
		t.Errorf("JSON details.advisories = %v", a)
	}
	if _, _, code := runCLI(t, "audit", page, "--advisories", filepath.Join(t.TempDir(), "none")); code != finding.ExitIncomplete {
		t.Errorf("unreadable --advisories: exit %d, want %d", code, finding.ExitIncomplete)
	}
}

func TestAuditOfAFolderRunsTheServerSideAudit(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "composer.lock"), []byte(`{"packages":[{"name":"ec-cube/ec-cube","version":"4.0.3"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "audit", root, "--advisories", osvFixture, "--web-user", "nobody", "--format", "json")
	if code != finding.ExitFindings {
		t.Fatalf("exit %d, want %d: %s", code, finding.ExitFindings, errOut)
	}
	var rep finding.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Evidence["advisory"] != "SKWLAB-2021-0101" || rep.Findings[0].Path != "composer.lock" {
		t.Errorf("findings %+v, want SKWLAB-2021-0101 on composer.lock", rep.Findings)
	}
	if _, _, code := runCLI(t, "audit", root, "--max-files", "0"); code != finding.ExitIncomplete {
		t.Errorf("--max-files 0: exit %d, want %d", code, finding.ExitIncomplete)
	}
}

func TestAuditReadsLibrariesFromABrowserChecksInventory(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	h, err := lab.NewAuditShop(lab.AuditECCUBE4)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// A baseline whose only script is the jQuery UI file: the page's own
	// jquery.min.js must then not be reported.
	b := inventory.New(time.Now())
	b.Pages["page"] = &inventory.PageInventory{Target: srv.URL + "/shopping", Scripts: []inventory.ScriptEntry{
		{Identity: "ext", Kind: "external", URL: srv.URL + "/html/template/default/assets/js/vendor/jquery-ui-1.11.4.min.js", Fingerprints: []string{"x"}},
	}}
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	out, errOut, _ := runCLI(t, "audit", srv.URL+"/shopping", "--rate", "1000", "--advisories", osvFixture, "--inventory", path, "--format", "json")
	var rep finding.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	var libs []string
	for _, f := range rep.Findings {
		if f.Kind == "audit.js-library" {
			libs = append(libs, f.Evidence["library"].(string)+"@"+f.Evidence["version"].(string))
		}
	}
	if len(libs) != 1 || libs[0] != "jquery-ui@1.11.4" {
		t.Errorf("libraries %v, want only the inventory's jquery-ui@1.11.4", libs)
	}
	if _, _, code := runCLI(t, "audit", srv.URL+"/shopping", "--inventory", filepath.Join(t.TempDir(), "none.json")); code != finding.ExitIncomplete {
		t.Errorf("a missing --inventory: exit %d, want %d", code, finding.ExitIncomplete)
	}
}
