// Package testsupport is what skimwatch's tests share: golden files with one
// -update flag, and one rule for tests that need a real component
// (Chromium, yara, PostgreSQL, MariaDB) that a developer may lack.
//
// Only test files import it.
package testsupport

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is the one -update flag of every test binary that compares golden
// files; a flag is process-wide by nature, so it lives here and nowhere else.
var update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Updating reports whether the test runs with -update, for tests that
// write generated files (a fuzz seed corpus) other than one golden file.
func Updating() bool { return *update }

// Golden compares got with the golden file at path (relative to the test's
// package directory), or rewrites the file when the test runs with -update.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (if the change is right, run go test with -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// EnvCI names the variable that turns a missing component from a skip into
// a failure: in CI every component is installed, so a missing one is a
// broken pipeline, not a developer's laptop.
const EnvCI = "CI"

// Need stops a test that needs a real component: under -short it skips, and
// when err says the component is missing it skips with err as the reason,
// except under CI=true, where it fails. With err nil and without -short it
// returns and the test goes on.
func Need(t testing.TB, component string, err error) {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s; skipped with -short", component)
	}
	if err == nil {
		return
	}
	if os.Getenv(EnvCI) == "true" {
		t.Fatalf("CI=true but %s is missing: %v", component, err)
	}
	t.Skipf("skipping: %s is missing: %v", component, err)
}
