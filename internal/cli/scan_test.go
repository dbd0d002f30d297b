package cli

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/scan"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// needScanner skips (fails under CI=true) when the scanner has no engine.
func needScanner(t *testing.T) {
	t.Helper()
	_, err := scan.New(scan.Options{})
	testsupport.Need(t, "the signature scanner's engine", err)
}

const scanSamples = "../scan/testdata/samples"

var reportTimes = regexp.MustCompile(`"(started|finished)": "[^"]*"`)

// normaliseScanJSON removes what changes between runs: times and version.
func normaliseScanJSON(b []byte) []byte {
	b = reportTimes.ReplaceAll(b, []byte(`"$1": "TIME"`))
	return regexp.MustCompile(`"version": "[^"]*"`).ReplaceAll(b, []byte(`"version": "VERSION"`))
}

func TestScanJSONMatchesGolden(t *testing.T) {
	needScanner(t)
	out, stderr, code := runCLI(t, "scan", "--format", "json", "--workers", "1",
		scanSamples+"/js_card_field_harvest", scanSamples+"/php_eval_request", scanSamples+"/svg_embedded_script")
	if code != finding.ExitFindings {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// One finding per positive sample: the bundled rules name each file once.
	positives, _ := filepath.Glob(scanSamples + "/*/positive*")
	want := 0
	for _, p := range positives {
		switch filepath.Base(filepath.Dir(p)) {
		case "js_card_field_harvest", "php_eval_request", "svg_embedded_script":
			want++
		}
	}
	if len(r.Findings) != want || want == 0 || !r.Complete {
		t.Errorf("%d findings, want %d: report = %+v", len(r.Findings), want, r)
	}
	testsupport.Golden(t, filepath.Join("testdata", "scan", "report.golden.json"), normaliseScanJSON([]byte(out)))
}

func TestScanExitCodes(t *testing.T) {
	needScanner(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.MkdirAll(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "low.yar"), []byte(`rule shop_todo { meta: severity = "low" description = "a TODO marker" strings: $a = "TODO" condition: $a }`+"\n"), 0o644)
	os.WriteFile(filepath.Join(rules, "ext.yar"), []byte(`rule env_is_prod { meta: severity = "critical" condition: env == "prod" }`+"\n"), 0o644)
	bad := filepath.Join(dir, "bad.yar")
	os.WriteFile(bad, []byte("rule fine { condition: true }\n\nrule broken {\n  strings: $a = \"x\"\n  condition: $b\n}\n"), 0o644)
	clean := filepath.Join(dir, "clean")
	os.MkdirAll(clean, 0o755)
	os.WriteFile(filepath.Join(clean, "app.js"), []byte("console.log('hello');\n"), 0o644)
	todo := filepath.Join(dir, "todo")
	os.MkdirAll(todo, 0o755)
	os.WriteFile(filepath.Join(todo, "app.js"), []byte("// TODO: tidy\n"), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{"a clean tree exits 0", []string{"scan", clean}, 0, "", "No findings."},
		{"a skimmer exits 1 at the default fail-on", []string{"scan", scanSamples + "/js_obfuscated_loader/positive.js"}, 1, "", "js_obfuscated_loader"},
		{"a low finding exits 0 at the default fail-on", []string{"scan", "--rules", rules, "-d", "env=dev", todo}, 0, "", "shop_todo"},
		{"a low finding exits 1 with --fail-on low", []string{"scan", "--rules", rules, "-d", "env=dev", "--fail-on", "low", todo}, 1, "", "shop_todo"},
		{"-d sets an external the rules read", []string{"scan", "--no-default-rules", "--rules", rules, "-d", "env=prod", clean}, 1, "", "env_is_prod"},
		{"a malformed rule prints file:line and exits 2", []string{"scan", "--rules", bad, clean}, 2, bad + ":", ""},
		{"a missing path exits 2", []string{"scan", filepath.Join(dir, "nope")}, 2, "could not be completed", "INCOMPLETE"},
		{"no path exits 2", []string{"scan"}, 2, "nothing to scan", ""},
		{"--db without --query exits 2", []string{"scan", "--db", "sqlite:x.db"}, 2, "--db needs --query", ""},
		{"an unknown format exits 2", []string{"scan", "--format", "xml", clean}, 2, "unknown format", ""},
		{"a bad -d exits 2", []string{"scan", "-d", "1bad=2", clean}, 2, "not a valid identifier", ""},
		{"an unreachable database exits 2", []string{"scan", "--db", "sqlite:" + filepath.Join(dir, "missing.db"), "--query", "SELECT 1"}, 2, "scan:", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, stderr)
			}
			if tc.code == 2 && strings.HasSuffix(tc.stderr, ".yar:") && !regexp.MustCompile(regexp.QuoteMeta(tc.stderr)+`\d+:\d+: `).MatchString(stderr) {
				t.Errorf("stderr %q does not start the error with file:line:column", stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout %q lacks %q", out, tc.stdout)
			}
		})
	}
}

func TestScanSARIFNamesTheRule(t *testing.T) {
	needScanner(t)
	out, _, code := runCLI(t, "scan", "--format", "sarif", scanSamples+"/php_upload_backdoor/positive.php")
	if code != 1 || !strings.Contains(out, `"ruleId": "scan.match/php_upload_backdoor"`) {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestScanDBThroughTheCommand(t *testing.T) {
	needScanner(t)
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	skimmer, err := os.ReadFile(scanSamples + "/js_websocket_exfil/positive.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE cms_block (block_id INTEGER PRIMARY KEY, content TEXT)",
		"INSERT INTO cms_block (content) VALUES ('<p>Free shipping over 5,000 yen</p>')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("INSERT INTO cms_block (content) VALUES (?)", string(skimmer)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, stderr, code := runCLI(t, "scan", "--db", "sqlite://"+path, "--query", "SELECT block_id, content FROM cms_block", "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || r.Findings[0].Path != "db:cms_block#row=2&column=content" || r.Findings[0].Rule != "js_websocket_exfil" {
		t.Errorf("findings = %+v", r.Findings)
	}
}
