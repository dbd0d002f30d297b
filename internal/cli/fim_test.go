package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/scan"
)

// runCLI runs skimwatch with args and returns stdout, stderr and the exit
// code main would use.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb}
	root := NewRootCommand(app)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	code := 0
	if err != nil {
		var ee *finding.ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		} else {
			code = finding.ExitIncomplete
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func TestFimCommandsExitCodes(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "www")
	if err := os.MkdirAll(filepath.Join(web, "js"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(web, "index.php"), []byte("<?php"), 0o644)
	os.WriteFile(filepath.Join(web, "js/app.js"), []byte("app()"), 0o644)
	key := filepath.Join(dir, "k")
	signed := filepath.Join(dir, "signed.fim")
	unsigned := filepath.Join(dir, "unsigned.fim")
	tampered := filepath.Join(dir, "tampered.fim")

	if _, stderr, code := runCLI(t, "fim", "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, "fim", "baseline", web, "--out", signed, "--key", key+".key"); code != 0 {
		t.Fatalf("baseline: %d %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, "fim", "baseline", web, "--out", unsigned); code != 0 {
		t.Fatalf("baseline: %d %s", code, stderr)
	}
	b, _ := os.ReadFile(signed)
	b[len(b)/2] ^= 0x20
	os.WriteFile(tampered, b, 0o644)

	tests := []struct {
		name     string
		before   func()
		args     []string
		code     int
		inStderr string
	}{
		{name: "a clean tree with a good signature exits 0",
			args: []string{"fim", "verify", web, "--baseline", signed, "--pub", key + ".pub"}, code: 0},
		{name: "a tampered baseline is refused with exit 2",
			args: []string{"fim", "verify", web, "--baseline", tampered, "--pub", key + ".pub"}, code: 2, inStderr: "refusing baseline"},
		{name: "an unsigned baseline with --pub is refused with exit 2",
			args: []string{"fim", "verify", web, "--baseline", unsigned, "--pub", key + ".pub"}, code: 2, inStderr: "not signed"},
		{name: "a missing baseline flag is a usage error with exit 2",
			args: []string{"fim", "verify", web}, code: 2, inStderr: "--baseline is required"},
		{name: "a modified script exits 1",
			before: func() { os.WriteFile(filepath.Join(web, "js/app.js"), []byte("app();skim()"), 0o644) },
			args:   []string{"fim", "verify", web, "--baseline", signed, "--pub", key + ".pub"}, code: 1},
		{name: "a modified script below --fail-on exits 0",
			args: []string{"fim", "verify", web, "--baseline", signed, "--fail-on", "critical"}, code: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.inStderr)
			}
		})
	}

	t.Run("json output lists the modified script", func(t *testing.T) {
		out, _, _ := runCLI(t, "fim", "verify", web, "--baseline", signed, "--format", "json")
		var r finding.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(r.Findings) != 1 || r.Findings[0].Kind != "fim.modified" || r.Findings[0].Path != "js/app.js" || !r.Complete {
			t.Errorf("report %+v", r)
		}
	})
}

func TestFimVerifyScanRunsSignaturesOnChangedFilesOnly(t *testing.T) {
	if _, err := scan.New(scan.Options{}); err != nil {
		t.Fatalf("the signature scanner cannot compile its bundled rules: %v", err)
	}
	dir := t.TempDir()
	web := filepath.Join(dir, "www")
	os.MkdirAll(web, 0o755)
	// A webshell already in the baseline is not rescanned by verify --scan:
	// only what changed since the baseline is.
	os.WriteFile(filepath.Join(web, "old.php"), []byte(`<?php eval($_POST['a']);`), 0o644)
	os.WriteFile(filepath.Join(web, "index.php"), []byte("<?php echo 1;"), 0o644)
	base := filepath.Join(dir, "b.fim")
	if _, stderr, code := runCLI(t, "fim", "baseline", web, "--out", base); code != 0 {
		t.Fatalf("baseline: %d %s", code, stderr)
	}
	os.WriteFile(filepath.Join(web, "html.php"), []byte(`<?php eval($_POST['x']);`), 0o644)
	out, stderr, code := runCLI(t, "fim", "verify", web, "--baseline", base, "--scan", "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range r.Findings {
		kinds = append(kinds, f.Kind+" "+f.Path)
	}
	want := map[string]bool{"fim.added html.php": true, "scan.match html.php": true}
	if len(kinds) != 2 || !want[kinds[0]] || !want[kinds[1]] {
		t.Errorf("findings %v, want fim.added and scan.match for html.php only", kinds)
	}
}

// TestFimVerifyScanFailureMakesTheRunIncomplete: a changed file the
// signature scan could not scan must not leave a clean-looking run. The
// file is sparse and one byte over the scanner's default size limit, so
// the scan refuses it without reading it (fim still hashes its zeros).
func TestFimVerifyScanFailureMakesTheRunIncomplete(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "www")
	if err := os.MkdirAll(web, 0o755); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "b.fim")
	if _, stderr, code := runCLI(t, "fim", "baseline", web, "--out", base); code != 0 {
		t.Fatalf("baseline: %d %s", code, stderr)
	}
	f, err := os.Create(filepath.Join(web, "huge.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(scan.DefaultMaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, stderr, code := runCLI(t, "fim", "verify", web, "--baseline", base, "--scan", "--format", "json")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (incomplete); stderr: %s", code, stderr)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "signature scan: " + filepath.Join(web, "huge.js") + " was not scanned"
	if r.Complete || !slices.ContainsFunc(r.Incomplete, func(s string) bool { return strings.HasPrefix(s, want) }) {
		t.Errorf("complete=%v incomplete=%q, want a reason starting %q", r.Complete, r.Incomplete, want)
	}
}
