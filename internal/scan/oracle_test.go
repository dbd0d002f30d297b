package scan

import (
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// requireYara returns the yara tool as the oracle engine, or skips (fails
// under CI=true) when it is missing.
func requireYara(t testing.TB) *toolEngine {
	t.Helper()
	e, err := newToolEngine()
	testsupport.Need(t, "the yara oracle", err)
	return e
}
