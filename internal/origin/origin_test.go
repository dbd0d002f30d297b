package origin

import (
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a page URL gives scheme and host", "https://shop.example/checkout?x=1#f", "https://shop.example"},
		{"scheme and host are lower-cased", "HTTPS://Shop.Example/", "https://shop.example"},
		{"a non-default port is kept", "http://127.0.0.1:8080/a", "http://127.0.0.1:8080"},
		{"the https default port is dropped", "https://pay.example:443/v1", "https://pay.example"},
		{"the http default port is dropped", "http://shop.example:80/", "http://shop.example"},
		{"the wss default port is dropped", "wss://ws.example:443/s", "wss://ws.example"},
		{"port 443 on http is not a default and is kept", "http://shop.example:443/", "http://shop.example:443"},
		{"an IPv6 literal keeps its brackets without a default port", "https://[::1]:443/", "https://[::1]"},
		{"an IPv6 literal keeps its port", "http://[::1]:8080/", "http://[::1]:8080"},
		{"user information is dropped", "https://user:pw@evil.example/", "https://evil.example"},
		{"a data URL has no origin", "data:text/html,hi", ""},
		{"a blob URL has no origin", "blob:https://shop.example/0b6c", ""},
		{"about:blank has no origin", "about:blank", ""},
		{"a relative reference has no origin", "/checkout", ""},
		{"a host without a scheme is not an origin", "pay.example", ""},
		{"garbage has no origin", "%zz://x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.in); got != tt.want {
				t.Fatalf("Of(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIn(t *testing.T) {
	payment := []string{"https://Pay.Example/", "https://api.pay.example:443"}
	tests := []struct {
		name string
		u    string
		want bool
	}{
		{"a URL on a payment origin matches despite case and trailing slash", "https://pay.example/tokens", true},
		{"a default port written out on either side still matches", "https://api.pay.example/v1", true},
		{"another subdomain does not match", "https://evil.pay.example/", false},
		{"another scheme does not match", "http://pay.example/", false},
		{"another port does not match", "https://pay.example:8443/", false},
		{"a URL with no origin never matches", "data:,x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := In(payment, tt.u); got != tt.want {
				t.Fatalf("In(%v, %q) = %v, want %v", payment, tt.u, got, tt.want)
			}
		})
	}
	t.Run("an empty list matches nothing", func(t *testing.T) {
		if In(nil, "https://pay.example/") {
			t.Fatal("matched against an empty list")
		}
	})
}

func TestSame(t *testing.T) {
	if !Same("https://shop.example/a", "HTTPS://shop.example:443/b") {
		t.Error("two pages of one shop are not the same origin")
	}
	if Same("https://shop.example/", "http://shop.example/") {
		t.Error("http and https are the same origin")
	}
	if Same("about:blank", "about:blank") {
		t.Error("two URLs without an origin are the same origin")
	}
}

// FuzzOf checks what every caller relies on: an origin is its own origin,
// and it is never a path, a query or a fragment.
func FuzzOf(f *testing.F) {
	for _, s := range []string{"https://a.example:443/x", "http://[::1]:80/", "data:,x", "HTTP://A/", "https://u@h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o := Of(s)
		if o == "" {
			return
		}
		if again := Of(o); again != o {
			t.Fatalf("Of(%q) = %q, but Of(%q) = %q", s, o, o, again)
		}
		if i := strings.Index(o, "://"); i < 0 || strings.ContainsAny(o[i+3:], "/?#@") {
			t.Fatalf("Of(%q) = %q is not scheme://host[:port]", s, o)
		}
	})
}
