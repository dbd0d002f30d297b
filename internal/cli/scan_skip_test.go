package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// writeModuleRules writes a rule file in which two rules use modules the
// engine lacks (one directly, one through the other) and one uses math.
func writeModuleRules(t *testing.T) (rules, clean string) {
	t.Helper()
	dir := t.TempDir()
	rules = filepath.Join(dir, "collection.yar")
	src := "import \"dotnet\"\nimport \"math\"\n\n" +
		"rule packed_exe {\n  condition:\n    uint16(0) == 0x5a4d and dotnet.number_of_streams > 8\n}\n" +
		"rule packed_dropper { condition: packed_exe and filesize < 100 }\n" +
		"rule flat_text { meta: severity = \"low\" condition: math.entropy(0, filesize) < 1.0 }\n"
	if err := os.WriteFile(rules, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	clean = filepath.Join(dir, "www")
	if err := os.MkdirAll(clean, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clean, "a.txt"), []byte("aaaa"), 0o644); err != nil {
		t.Fatal(err)
	}
	return rules, clean
}

func TestScanUnsupportedModuleErrorNamesTheFix(t *testing.T) {
	needScanner(t)
	rules, clean := writeModuleRules(t)
	_, stderr, code := runCLI(t, "scan", "--no-default-rules", "--rules", rules, clean)
	if code != finding.ExitIncomplete {
		t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
	}
	for _, want := range []string{
		rules + ":6:29: ",
		`rule "packed_exe" uses dotnet.number_of_streams, but module "dotnet" is not supported`,
		"--skip-unsupported-imports",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "SkipUnsupportedImports") {
		t.Errorf("stderr %q names the API field, not the flag", stderr)
	}
}

func TestScanSummarySaysWhichRulesWereSkipped(t *testing.T) {
	needScanner(t)
	rules, clean := writeModuleRules(t)
	t.Run("the table says how many rules were skipped and why", func(t *testing.T) {
		out, stderr, code := runCLI(t, "scan", "--no-default-rules", "--skip-unsupported-imports", "--rules", rules, clean)
		if code != 0 {
			t.Fatalf("exit %d; stderr %s", code, stderr)
		}
		want := "Not a full scan: 2 of 3 rules skipped (--skip-unsupported-imports): " +
			`1 because module "dotnet" is not supported; 1 because it depends on a skipped rule`
		if !strings.Contains(out, want) {
			t.Errorf("stdout %q lacks %q", out, want)
		}
		if !strings.Contains(out, "flat_text") {
			t.Errorf("stdout %q lacks the math rule's finding", out)
		}
	})
	t.Run("the JSON details count the skipped rules by reason and list them", func(t *testing.T) {
		out, stderr, code := runCLI(t, "scan", "--format", "json", "--no-default-rules", "--skip-unsupported-imports", "--rules", rules, clean)
		if code != 0 {
			t.Fatalf("exit %d; stderr %s", code, stderr)
		}
		var r struct {
			Details struct {
				Skipped struct {
					Count   int            `json:"count"`
					Reasons map[string]int `json:"reasons"`
					Rules   []struct {
						Rule   string `json:"rule"`
						File   string `json:"file"`
						Line   int    `json:"line"`
						Reason string `json:"reason"`
					} `json:"rules"`
				} `json:"skipped_rules"`
			} `json:"details"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		s := r.Details.Skipped
		if s.Count != 2 || s.Reasons[`module "dotnet" is not supported`] != 1 || s.Reasons["depends on a skipped rule"] != 1 {
			t.Errorf("skipped_rules = %+v", s)
		}
		if len(s.Rules) != 2 || s.Rules[0].Rule != "packed_exe" || s.Rules[0].Line != 6 || s.Rules[0].File != rules ||
			s.Rules[1].Rule != "packed_dropper" || s.Rules[1].Line != 8 {
			t.Errorf("skipped rules = %+v", s.Rules)
		}
	})
	t.Run("SARIF carries the skipped rules as a warning, so a partial scan never reads as a full one", func(t *testing.T) {
		out, stderr, code := runCLI(t, "scan", "--format", "sarif", "--no-default-rules", "--skip-unsupported-imports", "--rules", rules, clean)
		if code != 0 {
			t.Fatalf("exit %d; stderr %s", code, stderr)
		}
		var log struct {
			Runs []struct {
				Invocations []struct {
					Notifications []struct {
						Level   string `json:"level"`
						Message struct {
							Text string `json:"text"`
						} `json:"message"`
					} `json:"toolExecutionNotifications"`
				} `json:"invocations"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(out), &log); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		var found bool
		for _, inv := range log.Runs[0].Invocations {
			for _, n := range inv.Notifications {
				found = found || n.Level == "warning" && strings.HasPrefix(n.Message.Text, "Not a full scan: 2 of 3 rules skipped")
			}
		}
		if !found {
			t.Errorf("no warning notification about the skipped rules in\n%s", out)
		}
	})
	t.Run("a run that skipped nothing says nothing about it", func(t *testing.T) {
		out, _, _ := runCLI(t, "scan", "--skip-unsupported-imports", clean)
		if strings.Contains(out, "skipped") {
			t.Errorf("stdout %q mentions skipped rules", out)
		}
	})
}

func TestScanConsoleModulePrintsToStderr(t *testing.T) {
	needScanner(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "log.yar")
	os.WriteFile(rules, []byte("import \"console\"\nimport \"hash\"\nrule logs { condition: console.log(\"md5=\", hash.md5(0, filesize)) and false }\n"), 0o644)
	target := filepath.Join(dir, "a.txt")
	os.WriteFile(target, []byte("abc"), 0o644)
	out, stderr, code := runCLI(t, "scan", "--no-default-rules", "--rules", rules, target)
	if code != 0 {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	if want := "md5=900150983cd24fb0d6963f7d28e17f72\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	if strings.Contains(out, "md5=") {
		t.Errorf("stdout %q has the console line; it belongs on stderr", out)
	}
}
