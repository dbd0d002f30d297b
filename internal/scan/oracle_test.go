package scan

import (
	"os"
	"testing"
)

// requireYara returns the yara tool as the oracle engine, or skips (fails
// under CI=true) when it is missing.
func requireYara(t testing.TB) *toolEngine {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: the yara oracle is not used with -short")
	}
	e, err := newToolEngine()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v, and CI=true requires it", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return e
}
