package lab

import (
	"bytes"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

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

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
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
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if deliberate, run go test -update", path)
	}
}
