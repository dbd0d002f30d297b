package cli

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/store"
)

func TestDemoAuditOutput(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	out, errOut, code := runCLI(t, "demo", "--audit")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr: %s\n%s", code, errOut, out)
	}
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	got := port.ReplaceAllString(out, "127.0.0.1:PORT")
	for _, tc := range []struct{ name, line string }{
		{"it says where the exposed shop runs", "     http://127.0.0.1:PORT (an EC-CUBE 4.0.3-like shop with an old jQuery, its installer, .git and an open admin screen)"},
		{"it lists the exposed .git as critical", "CRITICAL  audit.git-exposed           http://127.0.0.1:PORT/.git/HEAD"},
		{"it lists the leftover installer as high", "HIGH      audit.installer-exposed     http://127.0.0.1:PORT/install/"},
		{"measure 1 is not met because of the admin screen", "     1. [未充足 / NOT MET] 管理者画面のアクセス制限と管理者のID/パスワード管理 / Restricted access to the admin screens, and managed admin IDs and passwords (1 finding)"},
		{"measure 2 is not met with four exposures", "     2. [未充足 / NOT MET] データディレクトリの露見に伴う設定不備への対策 / No exposed data directories, and no misconfiguration that exposes them (4 findings)"},
		{"measure 3 is not met with ten weaknesses, four of them advisories", "     3. [未充足 / NOT MET] Webアプリケーションの脆弱性対策 / Measures against web application vulnerabilities (10 findings)"},
		{"the platform's version is matched against the lab's advisories", "CRITICAL  audit.vulnerable-component  http://127.0.0.1:PORT/composer.json"},
		{"measure 5 is always unknown", "     5. [不明 / UNKNOWN] 悪質な有効性確認、クレジットマスターへの対策 / Defences against card testing (malicious validity checks and credit-master attacks)"},
		{"the hardened shop has no finding", "4. For contrast, the same shop hardened (https://127.0.0.1:PORT, over https): 0 findings at low or above."},
		{"the hardened shop meets measure 2", "     2. [充足 / MET] データディレクトリの露見に伴う設定不備への対策 / No exposed data directories, and no misconfiguration that exposes them"},
		{"the hardened shop meets measure 3", "     3. [充足 / MET] Webアプリケーションの脆弱性対策 / Measures against web application vulnerabilities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(got, "\n"+tc.line) {
				t.Errorf("no line %q in\n%s", tc.line, got)
			}
		})
	}
	t.Run("it counts the requests the audit sent, within the default budget", func(t *testing.T) {
		m := regexp.MustCompile(`\n2\. Audited it from outside, as an attacker would look: (\d+) requests, GET only, no login tried\. Findings:\n`).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("no request count line in\n%s", got)
		}
		if n, _ := strconv.Atoi(m[1]); n < 20 || n > audit.DefaultMaxRequests {
			t.Errorf("%d requests: want the full probe list (over 20) within the default budget of %d", n, audit.DefaultMaxRequests)
		}
	})
	if errOut != "" {
		t.Errorf("stderr is not empty: %s", errOut)
	}
}
