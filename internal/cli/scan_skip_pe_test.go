package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// writePEFieldRules writes a collection whose rules use parts of pe the
// engine lacks (a field, and a loop over a module array) next to a rule it
// can run, as public collections do.
func writePEFieldRules(t *testing.T) (rules, clean string) {
	t.Helper()
	dir := t.TempDir()
	rules = filepath.Join(dir, "pe.yar")
	src := "import \"pe\"\nimport \"math\"\n\n" +
		"rule vendor_info {\n  condition:\n    pe.version_info[\"CompanyName\"] == \"x\"\n}\n" +
		"rule loop_sections {\n  condition:\n    for any s in pe.sections : (s.name == \".text\")\n}\n" +
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

// TestScanSkippedPERulesAreNamedAndCounted checks issue 13 §4 for the
// unsupported parts of a supported module, and for rules saved with
// --skip-unsupported-imports and loaded later: the error names file, line,
// column, rule, construct and flag; the summary of a scan that skipped rules
// says how many and why in the table and the JSON, also with --load-rules.
func TestScanSkippedPERulesAreNamedAndCounted(t *testing.T) {
	needScanner(t)
	rules, clean := writePEFieldRules(t)
	t.Run("an unsupported pe field names the file, line, rule, construct and flag", func(t *testing.T) {
		_, stderr, code := runCLI(t, "scan", "--no-default-rules", "--rules", rules, clean)
		if code != finding.ExitIncomplete {
			t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
		}
		for _, want := range []string{rules + ":6:5: ", `rule "vendor_info"`, `pe.version_info["CompanyName"]`, "--skip-unsupported-imports"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
		}
	})
	saved := filepath.Join(t.TempDir(), "rules.skr")
	if _, stderr, code := runCLI(t, "scan", "--no-default-rules", "--skip-unsupported-imports", "--rules", rules, "--save-rules", saved); code != 0 {
		t.Fatalf("--save-rules: exit %d; stderr %s", code, stderr)
	}
	for _, run := range []struct{ name, flag, value string }{
		{"compiled", "--rules", rules},
		{"loaded from a saved file", "--load-rules", saved},
	} {
		args := []string{"scan", run.flag, run.value}
		if run.flag == "--rules" {
			args = append(args, "--no-default-rules", "--skip-unsupported-imports")
		}
		t.Run("with rules "+run.name+", the table says 2 of 3 rules were skipped and why", func(t *testing.T) {
			out, stderr, code := runCLI(t, append(args, clean)...)
			if code != 0 {
				t.Fatalf("exit %d; stderr %s", code, stderr)
			}
			want := "Not a full scan: 2 of 3 rules skipped (--skip-unsupported-imports): " +
				"1 because iterating pe.sections with for ... in is not supported; 1 because pe.version_info is not supported"
			if !strings.Contains(out, want) {
				t.Errorf("stdout %q lacks %q", out, want)
			}
		})
		t.Run("with rules "+run.name+", the JSON details count and list the skipped rules", func(t *testing.T) {
			out, stderr, code := runCLI(t, append(append(args, "--format", "json"), clean)...)
			if code != 0 {
				t.Fatalf("exit %d; stderr %s", code, stderr)
			}
			var r struct {
				Details struct {
					Skipped struct {
						Count   int            `json:"count"`
						Total   int            `json:"total"`
						Reasons map[string]int `json:"reasons"`
						Rules   []struct {
							Rule string `json:"rule"`
							Line int    `json:"line"`
						} `json:"rules"`
					} `json:"skipped_rules"`
				} `json:"details"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			s := r.Details.Skipped
			if s.Count != 2 || s.Total != 3 || s.Reasons["pe.version_info is not supported"] != 1 || s.Reasons["iterating pe.sections with for ... in is not supported"] != 1 {
				t.Errorf("skipped_rules = %+v", s)
			}
			if len(s.Rules) != 2 || s.Rules[0].Rule != "vendor_info" || s.Rules[0].Line != 6 || s.Rules[1].Rule != "loop_sections" || s.Rules[1].Line != 10 {
				t.Errorf("skipped rules = %+v", s.Rules)
			}
		})
	}
}
