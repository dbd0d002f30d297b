package scan

import (
	"os"
	"os/exec"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
	"github.com/skimwatch/skimwatch/internal/yara"
)

// requireYara returns the yara tool as the oracle engine, or skips (fails
// under CI=true) when it is missing.
func requireYara(t testing.TB) *toolEngine {
	t.Helper()
	e, err := newToolEngine()
	testsupport.Need(t, "the yara oracle", err)
	out, err := exec.Command(e.bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", e.bin, err)
	}
	msg, fail := yara.CheckOracleVersion(string(out), os.Getenv)
	if fail {
		t.Fatal(msg)
	}
	t.Log(msg)
	return e
}
