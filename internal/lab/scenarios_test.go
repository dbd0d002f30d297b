package lab

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	refPattern = regexp.MustCompile(`(?:src|href)="([^"#]+)"`)
	// Values that change on every request by design.
	rotating = []*regexp.Regexp{
		regexp.MustCompile(`v=[0-9a-z]+`),
		regexp.MustCompile(`[0-9a-f]{32}`),
		regexp.MustCompile(`"nonce":"[0-9a-f]+"`),
		regexp.MustCompile(`"ts":\d+`),
	}
)

// hiddenResources are fetched by loaders rather than referenced in HTML.
var hiddenResources = []string{"/static/img/logo.svg", "/media/catalog/product/banner.jpg", "/static/css/fonts.css"}

// surface is everything a page serves: its security headers, its HTML, and
// every script, stylesheet and image it references, with rotating values
// normalised. Two loads of one unchanged page give the same surface.
func surface(t *testing.T, l *Lab, path string) string {
	t.Helper()
	c := browser(t)
	status, hdr, html := get(t, c, l.ShopURL()+path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, status)
	}
	var b strings.Builder
	for _, h := range []string{"Content-Security-Policy-Report-Only", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"} {
		b.WriteString("header " + h + ": " + hdr.Get(h) + "\n")
	}
	b.WriteString(html)
	refs := hiddenResources
	for _, m := range refPattern.FindAllStringSubmatch(html, -1) {
		refs = append(refs, m[1])
	}
	for _, ref := range refs {
		u := ref
		if strings.HasPrefix(u, "/") {
			u = l.ShopURL() + u
		}
		if !strings.HasPrefix(u, "http://") || strings.HasPrefix(u, l.dead) {
			// The dead origin refuses by design (a loader whose domain is down).
			continue
		}
		status, _, body := get(t, c, u)
		if status != http.StatusOK {
			t.Errorf("%s references %s: status %d", path, ref, status)
		}
		b.WriteString("\n--- " + ref + "\n" + body)
	}
	s := b.String()
	for _, re := range rotating {
		s = re.ReplaceAllString(s, "X")
	}
	return s
}

func TestScenarioRegistry(t *testing.T) {
	all := Scenarios()
	var tamper, benign int
	seen := map[string]bool{}
	flows := FlowNames()
	for _, s := range all {
		t.Run(s.Name+" is fully described", func(t *testing.T) {
			if seen[s.Name] {
				t.Errorf("duplicate name")
			}
			seen[s.Name] = true
			if s.Title == "" || s.Technique == "" || s.Description == "" || !strings.HasPrefix(s.Page, "/") {
				t.Errorf("incomplete: %+v", s)
			}
			if s.Flow != "" && !slices.Contains(flows, s.Flow) {
				t.Errorf("flow %q is not built in (have %v)", s.Flow, flows)
			}
		})
		if s.Benign {
			benign++
		} else {
			tamper++
		}
	}
	if tamper < 12 || benign < 2 {
		t.Errorf("%d tampering scenarios and %d benign variants; want at least 12 and 2", tamper, benign)
	}
	if _, ok := lookupScenario(""); !ok {
		t.Errorf(`"" does not resolve to clean`)
	}
}

// TestEveryScenarioServesItsTamper checks, without a browser, that each
// tampering scenario changes what its page serves, in the way it claims, and
// that the benign variants never point at the attacker or the lookalike CDN.
func TestEveryScenarioServesItsTamper(t *testing.T) {
	l := startLab(t, Options{})
	marks := map[string]string{
		"fake-card-form":         `id="cc_number"`,
		"registration-leak":      l.AttackerOrigin() + "/api/reg",
		"first-party-append":     l.AttackerOrigin() + "/api/collect",
		"lookalike-cdn":          `<script src="` + l.CDNOrigin() + cdnLibraryPath,
		"tag-manager":            l.AttackerOrigin() + "/tm/event",
		"svg-payload":            "<metadata>",
		"image-exif":             "cfg:",
		"css-payload":            "--font-cache:",
		"db-block":               l.AttackerOrigin() + "/block",
		"beacon-unload":          "navigator.sendBeacon('" + l.AttackerOrigin(),
		"websocket-exfil":        "new WebSocket('ws://",
		"image-beacon":           l.AttackerOrigin() + "/pixel.gif",
		"fetch-nocors-keepalive": l.AttackerOrigin() + "/api/v2/metrics",
		"first-party-collector":  "fetch('/media/x.php'",
		"localstorage-later":     "localStorage.setItem(key",
		"encoded-exfil":          "^ 0x5a",
		"delayed-debounce":       "setTimeout(send, 4000)",
		"anti-bot":               "navigator.webdriver",
		"trusted-input-only":     "e.isTrusted",
		"dialog-blocker":         "alert('",
		"checkout-url-only":      "checkout|onepage|payment|order",
		"token-form-hijack":      "window.LabPay.createToken = function",
		"second-visit":           "localStorage.getItem('_yt_pv')",
		"headers-weakened":       "header X-Frame-Options: \n",
		"blob-worker":            "new Worker(URL.createObjectURL(new Blob(",
		"service-worker":         "navigator.serviceWorker.register('/sw.js')",
		"popup-window":           "window.open('" + l.AttackerOrigin(),
		"blank-target-submit":    "f.target = '_blank'",
		"path-exfil":             "'" + l.AttackerOrigin() + "/js/' + hex(",
		"cookie-to-shop":         "document.cookie = '_gcl_'",
		"vendor-exfil":           "t=event&ec=checkout",
		"foreign-hosted-fields":  l.AttackerOrigin() + "/hosted-fields.html",
		"handoff-foreign":        "form.action = '" + l.AttackerOrigin() + "/pay'",
		"keyed-cipher":           "k9#Qv!2pL0zR7xTw",
		"dead-loader":            `<script src="` + l.dead + `/js/jquery-migrate-3.4.1.min.js"></script>`,
	}

	cleanSurface := map[string]string{}
	for _, s := range Scenarios() {
		if _, ok := cleanSurface[s.Page]; !ok {
			cleanSurface[s.Page] = surface(t, l, s.Page)
		}
	}
	t.Run("an unchanged page serves the same surface twice", func(t *testing.T) {
		for page, want := range cleanSurface {
			if got := surface(t, l, page); got != want {
				t.Errorf("%s: surface changed between two clean loads", page)
			}
		}
	})

	for _, s := range Scenarios() {
		if s.Benign {
			t.Run(s.Name+" stays away from the attacker", func(t *testing.T) {
				if err := l.SetScenario(s.Name); err != nil {
					t.Fatal(err)
				}
				got := surface(t, l, s.Page)
				for _, bad := range []string{l.AttackerOrigin(), l.CDNOrigin(), "eval(", "new Function"} {
					if strings.Contains(got, bad) {
						t.Errorf("benign %s serves %q", s.Name, bad)
					}
				}
			})
			continue
		}
		t.Run(s.Name+" serves its tamper on "+s.Page, func(t *testing.T) {
			mark, ok := marks[s.Name]
			if !ok {
				t.Fatalf("test has no mark for scenario %s", s.Name)
			}
			if err := l.SetScenario(s.Name); err != nil {
				t.Fatal(err)
			}
			got := surface(t, l, s.Page)
			if got == cleanSurface[s.Page] {
				t.Fatalf("surface of %s equals clean", s.Page)
			}
			if !strings.Contains(got, mark) {
				t.Errorf("surface lacks %q", mark)
			}
			if strings.Contains(cleanSurface[s.Page], mark) {
				t.Errorf("clean surface already has %q", mark)
			}
		})
	}
	if err := l.SetScenario("clean"); err != nil {
		t.Fatal(err)
	}
}

func TestReminifyKeepsCodeAndBanner(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"indentation and blank lines go", "a();\n\n    b();\n", "a();\nb();\n"},
		{"whole-line comments go", "// why\nx = 1;\n  // more\n", "x = 1;\n"},
		{"banners stay", "/*! lib v1 */\nf();\n", "/*! lib v1 */\nf();\n"},
		{"lines are never joined", "return\nx\n", "return\nx\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := reminify(tc.in); got != tc.want {
				t.Errorf("reminify(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
