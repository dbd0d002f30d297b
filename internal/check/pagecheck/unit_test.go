package pagecheck

import (
	"errors"
	"testing"

	"github.com/chromedp/cdproto/network"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

func TestLooksLikeCard(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"a Luhn-valid 16-digit number is a card", "4111111111111111", true},
		{"spaces and dashes do not hide a card", "4111-1111 1111-1111", true},
		{"a card inside other text is found", "card:4242424242424242;", true},
		{"a number failing Luhn is not a card", "4111111111111112", false},
		{"a phone number is not a card", "09012345678", false},
		{"a URL-escaped card is found", "4539%201488%200343%206467", true},
		{"a base64 card is found", "NDUzOTE0ODgwMzQzNjQ2Nw==", true},
		{"a millisecond timestamp is not a card", "1732982400001", false},
		{"plain words are not a card", "SPRING-SALE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := looksLikeCard(tt.in); got != tt.want {
				t.Errorf("looksLikeCard(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestServedHas(t *testing.T) {
	html := `<form id="pay"><input name="email"></form><script>f.innerHTML='<input name="ccnum">'</script>`
	tests := []struct {
		name   string
		id     string
		fields []string
		want   bool
	}{
		{"a form whose id the server sent was served", "pay", nil, true},
		{"a form whose field names the server sent was served", "", []string{"email"}, true},
		{"a name that appears only inside a script was not served", "", []string{"ccnum"}, false},
		{"a form with no names at all counts as not served", "", []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := servedHas(stripScripts(html), tt.id, tt.fields); got != tt.want {
				t.Errorf("servedHas = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSecurityHeadersKeepsOnlyTheListedOnesInLowerCase(t *testing.T) {
	got := securityHeaders(network.Headers{
		"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY",
		"Set-Cookie": "s=1", "Server": "nginx",
	})
	if len(got) != 2 || got["content-security-policy"] != "default-src 'self'" || got["x-frame-options"] != "DENY" {
		t.Errorf("securityHeaders = %v", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		ok   bool
	}{
		{"the defaults are valid", func(*Options) {}, true},
		{"a negative dwell is rejected", func(o *Options) { o.Dwell = -1 }, false},
		{"a payment origin that is not an origin is rejected", func(o *Options) { o.PaymentOrigins = []string{"psp"} }, false},
		{"a malformed block rule is rejected", func(o *Options) { o.Block = []string{"/order"} }, false},
		{"a key delay range upside down is rejected", func(o *Options) { o.KeyDelayMin, o.KeyDelayMax = 50e6, 10e6 }, false},
		{"shop origins are accepted", func(o *Options) { o.ShopOrigins = []string{"https://api.shop.example"} }, true},
		{"a shop origin that is not an origin is rejected", func(o *Options) { o.ShopOrigins = []string{"api.shop.example"} }, false},
		{"a honey phone prefix of your own is accepted", func(o *Options) { o.HoneyPhonePrefix = "070-1234" }, true},
		{"a honey phone prefix not starting with 0 is rejected", func(o *Options) { o.HoneyPhonePrefix = "81312" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.mod(&o)
			err := o.validate()
			if (err == nil) != tt.ok {
				t.Errorf("validate() = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrOption) {
				t.Errorf("validate() = %v, which does not wrap ErrOption", err)
			}
		})
	}
}

func TestPlanNeedsExactlyOneTarget(t *testing.T) {
	for _, tt := range []struct {
		name string
		t    Target
	}{
		{"neither URL nor flow is an error", Target{}},
		{"both URL and flow is an error", Target{URL: "https://a.example/", Flow: &Flow{Start: "https://a.example/"}}},
		{"a non-http URL is an error", Target{URL: "file:///etc/passwd"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, _, err := plan(tt.t); err == nil {
				t.Error("plan succeeded")
			}
		})
	}
}

func TestResolveUnreadTakesTheSourceOfATwinWithTheSameHash(t *testing.T) {
	read := scriptRec{Script: observation.Script{Key: "s0:1", URL: "https://shop.example/app.js", SHA256: "aa", Fingerprint: "fp", Shape: "shape", Source: "app()", Length: 5}}
	tests := []struct {
		name           string
		unread         scriptRec
		wantIncomplete bool
	}{
		{"a script read elsewhere in the check completes the unread one", scriptRec{Script: observation.Script{Key: "s1:1", URL: "https://shop.example/app.js", SHA256: "aa"}, unread: true}, false},
		{"a script with no twin leaves the check incomplete", scriptRec{Script: observation.Script{Key: "s1:2", URL: "https://shop.example/other.js", SHA256: "bb"}, unread: true}, true},
		{"a script with no hash at all leaves the check incomplete", scriptRec{Script: observation.Script{Key: "s1:3"}, unread: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{scripts: []scriptRec{read, tt.unread}}
			r.resolveUnread()
			if got := len(r.incomplete) > 0; got != tt.wantIncomplete {
				t.Fatalf("incomplete = %v (%q), want %v", got, r.incomplete, tt.wantIncomplete)
			}
			if sc := r.scripts[1]; !tt.wantIncomplete && (sc.Fingerprint != "fp" || sc.Source != "app()" || sc.Length != 5 || sc.unread) {
				t.Errorf("unread script not completed from its twin: %+v", sc)
			}
		})
	}
}

func TestSameVisit(t *testing.T) {
	tests := []struct {
		name, requested, target string
		want                    bool
	}{
		{"a URL is its own visit", "https://shop.example/cart", "https://shop.example/cart", true},
		{"an empty path is the root Chromium requests", "https://shop.example/", "https://shop.example", true},
		{"the host's case and a default port do not matter", "http://shop.example/a", "HTTP://Shop.Example:80/a", true},
		{"the fragment is never sent", "https://shop.example/a", "https://shop.example/a#top", true},
		{"another path is another page", "https://shop.example/shopping/confirm?order=1", "https://shop.example/shopping", false},
		{"another query is another page", "https://shop.example/shop/?add-to-cart=1", "https://shop.example/shop/", false},
		{"another port is another origin", "http://shop.example:8080/", "http://shop.example/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameVisit(tt.requested, tt.target); got != tt.want {
				t.Errorf("sameVisit(%q, %q) = %v, want %v", tt.requested, tt.target, got, tt.want)
			}
		})
	}
}
