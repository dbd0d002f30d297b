package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// retireVersion is the retire release the cross-check was written against.
const retireVersion = "5.7.0"

// retireRepo is our jsrepository for the lab fixture: the same advisories
// as ../lab/advisories, in retire's format.
const retireRepo = "testdata/retire/jsrepository.json"

// findRetire returns a retire executable: $SKIMWATCH_RETIRE, one on PATH,
// or one npm installs into a temporary folder.
func findRetire(t *testing.T) string {
	t.Helper()
	testsupport.Need(t, "retire", nil) // skips under -short
	if p := os.Getenv("SKIMWATCH_RETIRE"); p != "" {
		return p
	}
	if p, err := exec.LookPath("retire"); err == nil {
		return p
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		testsupport.Need(t, "npm (to install retire)", err)
	}
	prefix := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "retire@"+retireVersion).CombinedOutput()
	if err != nil {
		testsupport.Need(t, "retire", errors.New("npm install retire: "+err.Error()+": "+string(out)))
	}
	return filepath.Join(prefix, "node_modules", ".bin", "retire")
}

var testScriptRe = regexp.MustCompile(`<script src="([^"]+)"`)

func TestRetireFlagsTheSameLibrariesAsTheAuditOnTheLab(t *testing.T) {
	retire := findRetire(t)
	db := fixtureDB(t)
	for _, tc := range []struct {
		name    string
		variant lab.AuditVariant
		page    string
		tls     bool
	}{
		{"EC-CUBE 4 lab shop", lab.AuditECCUBE4, "/shopping", false},
		{"Magento 2 lab shop", lab.AuditMagento2, "/checkout/", false},
		{"hardened lab shop", lab.AuditHardened, "/shopping/payment", true},
	} {
		t.Run("on the "+tc.name+" both name the same libraries and advisories", func(t *testing.T) {
			srv, _ := labShop(t, tc.variant, tc.tls)
			opts := fast(srv)
			opts.Advisories = db
			rep, err := audit.Run(context.Background(), srv.URL+tc.page, opts)
			if err != nil {
				t.Fatal(err)
			}
			ours, oursVuln := skimwatchLibraries(rep)

			// The page's scripts, found by a plain pattern of our own and
			// saved under their file names for retire.
			// Not straight in t.TempDir(), whose last folder is a number:
			// retire applies its URL pattern "/(version)/jquery.js" to
			// file paths and would read ".../001/jquery.min.js" as
			// jQuery 001 (see docs/AUDIT.md).
			dir := filepath.Join(t.TempDir(), "scripts")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(srv.URL + tc.page)
			if err != nil {
				t.Fatal(err)
			}
			html, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, m := range testScriptRe.FindAllSubmatch(html, -1) {
				r, err := srv.Client().Get(srv.URL + string(m[1]))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if err := os.WriteFile(filepath.Join(dir, path.Base(string(m[1]))), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(t.TempDir(), "retire.json")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, retire, "--path", dir, "--jsrepo", retireRepo, "--outputformat", "json", "--outputpath", out, "-v", "--cachedir", t.TempDir())
			if b, err := cmd.CombinedOutput(); err != nil {
				// 13 is retire's "vulnerabilities found".
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 13 {
					t.Fatalf("retire: %v: %s", err, b)
				}
			}
			theirs, theirsVuln := retireLibraries(t, out)
			if !reflect.DeepEqual(ours, theirs) {
				t.Errorf("libraries differ\nskimwatch: %v\n   retire: %v", ours, theirs)
			}
			if !reflect.DeepEqual(oursVuln, theirsVuln) {
				t.Errorf("advisories differ\nskimwatch: %v\n   retire: %v", oursVuln, theirsVuln)
			}
			if len(ours) == 0 {
				t.Error("no library on the page: the cross-check compared nothing")
			}
		})
	}
}

// skimwatchLibraries: "file name@version" of every library, and "file
// name@version CVE" of every advisory on one (by CVE alias, the identifier
// both files share).
func skimwatchLibraries(rep *finding.Report) (libs, vulns []string) {
	for _, f := range rep.Findings {
		switch f.Kind {
		case audit.KindLibrary:
			libs = append(libs, path.Base(f.URL)+" "+f.Evidence["library"].(string)+"@"+f.Evidence["version"].(string))
		case audit.KindVulnerable:
			if f.Evidence["ecosystem"] != "npm" {
				continue
			}
			for _, a := range f.Evidence["aliases"].([]string) {
				vulns = append(vulns, path.Base(f.URL)+" "+f.Evidence["package"].(string)+"@"+f.Evidence["version"].(string)+" "+a)
			}
		}
	}
	slices.Sort(libs)
	slices.Sort(vulns)
	return libs, vulns
}

func retireLibraries(t *testing.T, out string) (libs, vulns []string) {
	t.Helper()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data []struct {
			File    string `json:"file"`
			Results []struct {
				Component       string `json:"component"`
				Version         string `json:"version"`
				Vulnerabilities []struct {
					Identifiers struct {
						CVE []string `json:"CVE"`
					} `json:"identifiers"`
				} `json:"vulnerabilities"`
			} `json:"results"`
		} `json:"data"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("retire output: %v: %s", err, data)
	}
	if len(doc.Errors) > 0 {
		t.Fatalf("retire errors: %v", doc.Errors)
	}
	for _, d := range doc.Data {
		for _, r := range d.Results {
			id := filepath.Base(d.File) + " " + r.Component + "@" + r.Version
			libs = append(libs, id)
			for _, v := range r.Vulnerabilities {
				for _, c := range v.Identifiers.CVE {
					vulns = append(vulns, id+" "+c)
				}
			}
		}
	}
	slices.Sort(libs)
	slices.Sort(vulns)
	return libs, vulns
}
