package yara

import (
	"fmt"
	"strings"
)

// OracleVersion is the release of the yara tool whose semantics this engine
// follows (see DIFFERENCES.md) and against which the differential tests
// (here and in internal/scan) were written.
const OracleVersion = "4.2.3"

// OracleVersionEnv, set to 1, lets the differential tests run under CI
// against a yara of another release (they then log the difference only).
const OracleVersionEnv = "SKIMWATCH_YARA_ANY_VERSION"

// SameOracleRelease reports whether version (the output of `yara
// --version`) is OracleVersion's major.minor release: patch releases do not
// change matching semantics, minor ones have (4.3 added syntax).
func SameOracleRelease(version string) bool {
	got := strings.SplitN(strings.TrimSpace(version), ".", 3)
	want := strings.SplitN(OracleVersion, ".", 3)
	return len(got) >= 2 && got[0] == want[0] && got[1] == want[1]
}

// CheckOracleVersion is the differential tests' policy for the yara they
// found: msg is for the test log, and fail is set for another release under
// CI=true unless OracleVersionEnv=1, because a deliberate difference of
// another release would read as an engine bug. getenv is os.Getenv.
func CheckOracleVersion(version string, getenv func(string) string) (msg string, fail bool) {
	got := strings.TrimSpace(version)
	if SameOracleRelease(got) {
		return fmt.Sprintf("yara oracle version %s (tests written for %s)", got, OracleVersion), false
	}
	msg = fmt.Sprintf("yara oracle version %q; the differential tests were written for %s (set %s=1 to accept another release)", got, OracleVersion, OracleVersionEnv)
	return msg, getenv("CI") == "true" && getenv(OracleVersionEnv) != "1"
}
