package audit_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// debianWordPress is the real PHP tree of Debian's wordpress package
// (scripts/deps.sh installs it).
const debianWordPress = "/usr/share/wordpress"

// TestAuditDirOfDebiansWordPressMatchesWhatWordPressRegisters audits a real
// tree and checks the bundled libraries against an oracle the audit does
// not read: the versions WordPress itself registers for its scripts in
// wp-includes/script-loader.php, and the package version dpkg knows.
func TestAuditDirOfDebiansWordPressMatchesWhatWordPressRegisters(t *testing.T) {
	_, err := os.Stat(debianWordPress + "/wp-includes/script-loader.php")
	testsupport.Need(t, "Debian's wordpress package", err)
	loader, err := os.ReadFile(debianWordPress + "/wp-includes/script-loader.php")
	if err != nil {
		t.Fatal(err)
	}
	registered := func(handle string) string {
		t.Helper()
		re := regexp.MustCompile(`\$scripts->add\(\s*'` + regexp.QuoteMeta(handle) + `',\s*"[^"]*",\s*array\([^)]*\),\s*'([^']+)'`)
		if m := re.FindSubmatch(loader); m != nil {
			return string(m[1])
		}
		re = regexp.MustCompile(`'` + regexp.QuoteMeta(handle) + `'\s*=>\s*'([^']+)'`)
		if m := re.FindSubmatch(loader); m != nil {
			return string(m[1])
		}
		t.Fatalf("script-loader.php registers no version for %s", handle)
		return ""
	}
	want := []string{
		"jquery@" + registered("jquery-core"),
		"jquery-migrate@" + registered("jquery-migrate"),
		"jquery-ui@" + registered("jquery-ui-core"),
		"moment@" + registered("moment"),
	}
	slices.Sort(want)

	rep, err := audit.RunDir(context.Background(), debianWordPress, audit.DirOptions{Advisories: fixtureDB(t), WebUser: "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete {
		t.Fatalf("incomplete: %v", rep.Incomplete)
	}
	var libs []string
	var wp string
	for _, f := range rep.Findings {
		switch f.Kind {
		case audit.KindLibrary:
			libs = append(libs, f.Evidence["library"].(string)+"@"+f.Evidence["version"].(string))
		case audit.KindPlatform:
			wp = f.Evidence["version"].(string)
		}
	}
	slices.Sort(libs)
	if !slices.Equal(libs, want) {
		t.Errorf("bundled libraries %v, WordPress registers %v", libs, want)
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "wordpress").Output(); err == nil {
		// 6.1.9+dfsg1-0+deb12u1: the upstream version is before the +.
		upstream, _, _ := strings.Cut(string(out), "+")
		if wp != upstream {
			t.Errorf("WordPress %q, dpkg says %q", wp, out)
		}
	}
	// Nothing in the fixture covers these versions, and the package's tree
	// is root's and not world-writable.
	if n := rep.AtOrAbove(finding.Low); n != 0 {
		t.Errorf("%d findings at or above low on Debian's tree", n)
	}
}

// BenchmarkRunDirDebianWordPress: one audit DIR of Debian's WordPress tree
// with the fixture's advisories (go test -bench RunDir ./internal/audit).
func BenchmarkRunDirDebianWordPress(b *testing.B) {
	if _, err := os.Stat(debianWordPress); err != nil {
		b.Skipf("Debian's wordpress package is missing: %v", err)
	}
	db := fixtureDB(b)
	for b.Loop() {
		if _, err := audit.RunDir(context.Background(), debianWordPress, audit.DirOptions{Advisories: db, WebUser: "nobody"}); err != nil {
			b.Fatal(err)
		}
	}
}
