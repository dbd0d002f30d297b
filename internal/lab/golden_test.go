package lab

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// TestCleanPagesGolden pins what the clean shop serves, with ports and
// per-request values normalised: other packages take baselines from these
// pages, so any change to them must be deliberate.
func TestCleanPagesGolden(t *testing.T) {
	l := startLab(t, Options{})
	names := strings.NewReplacer(
		l.ShopURL(), "{SHOP}", l.PSPOrigin(), "{PSP}", l.PSPAPIOrigin(), "{PSP_API}",
		l.ThirdPartyOrigin(), "{THIRD_PARTY}", l.CDNOrigin(), "{CDN}", l.AttackerOrigin(), "{ATTACKER}")
	for _, tc := range []struct{ name, path string }{
		{"the link-type confirm page", "/checkout/link"},
		{"the token-type checkout page", "/checkout/token"},
		{"the registration page", "/register"},
	} {
		t.Run(tc.name+" is unchanged", func(t *testing.T) {
			status, hdr, html := get(t, browser(t), l.ShopURL()+tc.path)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			var b strings.Builder
			for _, h := range []string{"Content-Security-Policy-Report-Only", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"} {
				b.WriteString(h + ": " + hdr.Get(h) + "\n")
			}
			b.WriteString("\n" + html)
			got := names.Replace(b.String())
			for _, re := range rotating {
				got = re.ReplaceAllString(got, "X")
			}
			golden(t, strings.Trim(strings.ReplaceAll(tc.path, "/", "-"), "-")+".html", []byte(got))
		})
	}
}

// golden compares got with testdata/golden/NAME (testsupport.Golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testsupport.Golden(t, filepath.Join("testdata", "golden", name), got)
}
