package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// TestScanSaveAndLoadRules saves the rules once and scans the samples with
// them: the JSON report is the one a compiling run gives.
func TestScanSaveAndLoadRules(t *testing.T) {
	needScanner(t)
	dir := t.TempDir()
	saved := filepath.Join(dir, "rules.skr")
	out, stderr, code := runCLI(t, "scan", "--save-rules", saved)
	if code != 0 || out != "" {
		t.Fatalf("--save-rules alone: exit %d, stdout %q, stderr %q; want exit 0 and nothing scanned", code, out, stderr)
	}
	if _, err := os.Stat(saved); err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "--format", "json", "--workers", "1", scanSamples}
	want, _, wantCode := runCLI(t, args...)
	got, stderr, code := runCLI(t, append([]string{"scan", "--load-rules", saved}, args[1:]...)...)
	if code != wantCode || code != finding.ExitFindings {
		t.Fatalf("exit %d with loaded rules, %d compiled, want 1; stderr: %s", code, wantCode, stderr)
	}
	if g, w := string(normaliseScanJSON([]byte(got))), string(normaliseScanJSON([]byte(want))); g != w {
		t.Errorf("report with loaded rules differs from the compiled one:\n%s\nwant\n%s", g, w)
	}

	refusals := []struct {
		name, stderr string
		args         []string
	}{
		{"saving and loading at once is a usage error", "give either --save-rules or --load-rules", []string{"scan", "--save-rules", saved, "--load-rules", saved, dir}},
		{"a damaged file names the fault", "corrupt", []string{"scan", "--load-rules", filepath.Join(dir, "damaged.skr"), dir}},
	}
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 4
	if err := os.WriteFile(filepath.Join(dir, "damaged.skr"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != finding.ExitIncomplete || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.stderr)
			}
		})
	}
}
