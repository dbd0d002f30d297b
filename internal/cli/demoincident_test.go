package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
)

// The demo's last step, fed two observations as its real checks would
// give them (clean, then with a new script from the attacker), without
// starting Chromium.
func TestDemoScopePrintsTheWindowAndCounts(t *testing.T) {
	const page = "http://127.0.0.1:8080/checkout/link"
	obs := func(scripts ...observation.Script) *observation.Observation {
		return &observation.Observation{Target: page, Complete: true, Scripts: scripts,
			Pages: []observation.Page{{URL: page}}}
	}
	app := obs(observation.Script{URL: "http://127.0.0.1:8080/app.js", Kind: observation.ScriptExternal, SHA256: strings.Repeat("1", 64), DocumentURL: page})
	evil := observation.Script{URL: "http://127.0.0.4:9000/skim.js", Kind: observation.ScriptExternal, SHA256: strings.Repeat("e", 64), DocumentURL: page}
	attacked := obs(app.Scripts[0], evil)
	pol := verdict.Options{Site: "lab"}
	base := inventory.New(time.Now())
	if err := checkrun.Approve(base, []*observation.Observation{app}, pol, time.Now()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	dir := filepath.Join(t.TempDir(), "notices")
	inc := demoScope(t.Context(), &App{Stdout: &out}, &out, page, app, attacked, base, pol, demoNotices{Dir: dir, ShopURL: "http://127.0.0.1:8080"})
	if inc == nil {
		t.Fatalf("no incident:\n%s", out.String())
	}
	for _, want := range []string{
		"Exposure started after 2020-12-08 03:00:00Z (check) and no later than 2020-12-08 03:30:00Z (check)",
		"Exposure ended   at or after 2021-01-26 14:30:00Z (check) and before 2021-01-26 15:00:00Z (check)",
		"event-log citations behind the window verify against the hash chain",
		"Wrote 14 files in html",
		dir,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if inc.Counts.Orders < 4000 {
		t.Errorf("%d affected orders, want the seven weeks' worth (over 4,000 at 90 a day)", inc.Counts.Orders)
	}
	t.Run("the notices it wrote carry the scoped incident's figures and period", func(t *testing.T) {
		for _, tc := range []struct{ file, want string }{
			{"customer-notice.ja.html", "2020年12月8日 ～ 2021年1月27日"},
			{"customer-notice.en.html", strconv.Itoa(inc.Counts.Orders)},
			{"ppc-preliminary.ja.html", strconv.Itoa(inc.Counts.Customers)},
			{"ppc-preliminary.ja.html", "2021年2月1日"}, // five days from the seed's discovery
			{"pci-evidence.en.html", inc.ChainHead},
		} {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.want) {
				t.Errorf("%s lacks %q", tc.file, tc.want)
			}
		}
		csv, err := os.ReadFile(filepath.Join(dir, "customers.ja.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if rows := strings.Count(string(csv), "\n") - 1; rows != len(inc.Customers) {
			t.Errorf("mail-merge CSV has %d rows, want one per customer (%d)", rows, len(inc.Customers))
		}
	})
}
