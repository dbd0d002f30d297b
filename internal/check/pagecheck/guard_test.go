package pagecheck

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/honey"
)

const (
	testShop = "https://shop.example"
	testPay  = "https://pay.example"
)

func testGuard(t *testing.T, id honey.Identity, allowWrites bool) *guard {
	t.Helper()
	rule, err := parseBlockRule("GET https://shop.example/blocked/*")
	if err != nil {
		t.Fatal(err)
	}
	g := newGuard([]string{testShop, "https://api.shop.example/"}, []string{testPay}, allowWrites, []blockRule{rule}, honey.NewMatcher(id.Values()).Find)
	allow, err := parseBlockRule("POST /cart/add")
	if err != nil {
		t.Fatal(err)
	}
	g.allowFrom(allow, 2)
	pages, err := parseBlockRule("GET /products/*")
	if err != nil {
		t.Fatal(err)
	}
	g.allowFrom(pages, 4)
	// The shop's cart page, loaded before anything was typed.
	g.decide(outgoing{Method: "GET", URL: testShop + "/cart", Type: "Document", Page: true, NetworkID: "n0"})
	return g
}

func TestGuardDecide(t *testing.T) {
	id, err := honey.NewIdentity(honey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	form := func(kv ...string) []byte {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return []byte(v.Encode())
	}
	cases := []struct {
		name   string
		armed  bool
		unsafe bool
		q      outgoing
		// want is a substring of the reason; "" means the request goes.
		want string
	}{
		{"a POST to the shop before any honey input goes through", false, false,
			outgoing{Method: "POST", URL: testShop + "/cart/add", Type: "Document", Step: 1}, ""},
		{"WooCommerce's wc-ajax checkout after input is failed", true, false,
			outgoing{Method: "POST", URL: testShop + "/?wc-ajax=checkout", Type: "XHR", Body: form("billing_email", id.Email), Step: 3},
			"state-changing request to the shop after typing honey email (POST XHR /?wc-ajax=checkout)"},
		{"Magento's payment-information REST call is failed", true, false,
			outgoing{Method: "POST", URL: testShop + "/rest/default/V1/guest-carts/abc123/payment-information", Type: "Fetch", Body: []byte(`{"email":"` + id.Email + `"}`), Step: 3},
			"POST fetch /rest/default/V1/guest-carts/abc123/payment-information"},
		{"a PUT with no honey in it is failed all the same", true, false,
			outgoing{Method: "PUT", URL: testShop + "/rest/V1/carts/mine", Type: "XHR", Step: 3}, "PUT XHR"},
		{"a DELETE is failed", true, false,
			outgoing{Method: "DELETE", URL: testShop + "/api/session", Type: "Fetch", Step: 3}, "DELETE fetch"},
		{"a method nobody knows counts as state-changing", true, false,
			outgoing{Method: "PROPPATCH", URL: testShop + "/dav", Type: "Other", Step: 3}, "PROPPATCH other"},
		{"a beacon to the shop is failed", true, false,
			outgoing{Method: "POST", URL: testShop + "/collect", Type: "Ping", Body: form("e", id.Email), Step: 3}, "POST beacon /collect"},
		{"a POST to another of the shop's origins is failed", true, false,
			outgoing{Method: "POST", URL: "https://api.shop.example/graphql", Type: "Fetch", Step: 3}, "POST fetch /graphql"},
		{"a GET form submission carrying honey is failed", true, false,
			outgoing{Method: "GET", URL: testShop + "/newsletter?" + string(form("email", id.Email)), Type: "Document", Step: 3},
			"form submission by GET carrying honey email"},
		{"a GET navigation of an iframe with no honey goes through", true, false,
			outgoing{Method: "GET", URL: testShop + "/widget", Type: "Document", Step: 3}, ""},
		{"a page of the shop not loaded before arming is failed (a confirm page that creates a pending order)", true, false,
			outgoing{Method: "GET", URL: testShop + "/shopping/confirm?order=po1", Type: "Document", Page: true, NetworkID: "n1", Step: 3},
			"page of the shop not loaded before typing honey email (GET document /shopping/confirm?order=po1): a GET can change state too; a flow lets it through with allow: GET /shopping/confirm"},
		{"an add-to-cart link is failed after arming", true, false,
			outgoing{Method: "GET", URL: testShop + "/shop/?add-to-cart=12", Type: "Document", Page: true, NetworkID: "n2", Step: 3}, "page of the shop not loaded before"},
		{"the check's own visit goes through after arming", true, false,
			outgoing{Method: "GET", URL: testShop + "/checkout", Type: "Document", Page: true, Visit: true, NetworkID: "n3", Step: 3}, ""},
		{"a page loaded before arming may be loaded again", true, false,
			outgoing{Method: "GET", URL: testShop + "/cart#top", Type: "Document", Page: true, NetworkID: "n4", Step: 3}, ""},
		{"an allow rule for GET lets a page through from its step on", true, false,
			outgoing{Method: "GET", URL: testShop + "/products/stole", Type: "Document", Page: true, NetworkID: "n5", Step: 4}, ""},
		{"an allow rule for GET does not apply before its step", true, false,
			outgoing{Method: "GET", URL: testShop + "/products/stole", Type: "Document", Page: true, NetworkID: "n6", Step: 3}, "page of the shop not loaded before"},
		{"a page of a third party goes through", true, false,
			outgoing{Method: "GET", URL: "https://evil.example/confirm?order=1", Type: "Document", Page: true, NetworkID: "n7", Step: 3}, ""},
		{"the escape hatch lets a new page of the shop through", true, true,
			outgoing{Method: "GET", URL: testShop + "/shopping/confirm?order=po1", Type: "Document", Page: true, NetworkID: "n8", Step: 3}, ""},
		{"a GET lookup carrying honey goes through (autocomplete must keep working)", true, false,
			outgoing{Method: "GET", URL: testShop + "/api/autocomplete?q=" + url.QueryEscape(id.Address), Type: "Fetch", Step: 3}, ""},
		{"an allowed cart update goes through after input", true, false,
			outgoing{Method: "POST", URL: testShop + "/cart/add", Type: "Document", Body: form("product", "x"), Step: 2}, ""},
		{"a path allow rule does not match a longer path", true, false,
			outgoing{Method: "POST", URL: testShop + "/cart/add-and-checkout", Type: "XHR", Step: 2}, "state-changing request"},
		{"a path allow rule matches on the shop's other origins too", true, false,
			outgoing{Method: "POST", URL: "https://api.shop.example/cart/add", Type: "Fetch", Step: 5}, ""},
		{"an allow rule for POST does not let a DELETE through", true, false,
			outgoing{Method: "DELETE", URL: testShop + "/cart/add", Type: "Fetch", Step: 2}, "DELETE fetch /cart/add"},
		{"an allow rule does not apply before its own step", true, false,
			outgoing{Method: "POST", URL: testShop + "/cart/add", Type: "Document", Step: 1}, "state-changing request"},
		{"an allow rule never lets the honey card reach the shop", true, false,
			outgoing{Method: "POST", URL: testShop + "/cart/add", Type: "XHR", Body: form("cc", id.CardNumber), Step: 2},
			"honey card to the shop's own origin"},
		{"the honey card to the payment origin is failed even before arming", false, false,
			outgoing{Method: "POST", URL: testPay + "/pay", Type: "Document", Body: form("card", id.CardNumber), Step: 1},
			"honey card to payment origin https://pay.example"},
		{"the link-type hand-off to the payment origin with no card goes through", true, false,
			outgoing{Method: "POST", URL: testPay + "/session", Type: "Document", Body: form("email", id.Email), Step: 3}, ""},
		{"requests to third parties are recorded, never failed", true, false,
			outgoing{Method: "POST", URL: "https://evil.example/c", Type: "XHR", Body: form("c", id.CardNumber), Step: 3}, ""},
		{"a user's block rule fails a GET at any time", false, false,
			outgoing{Method: "GET", URL: testShop + "/blocked/x", Type: "Script", Step: 0}, "matches block rule GET"},
		{"the unsafe escape hatch lets shop writes through", true, true,
			outgoing{Method: "POST", URL: testShop + "/?wc-ajax=checkout", Type: "XHR", Body: form("billing_email", id.Email), Step: 3}, ""},
		{"the escape hatch still fails the card to the payment origin", true, true,
			outgoing{Method: "POST", URL: testPay + "/pay", Type: "XHR", Body: form("card", id.CardNumber), Step: 3}, "honey card to payment origin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := testGuard(t, id, c.unsafe)
			if c.armed {
				g.arm("typing honey email")
			}
			got := g.decide(c.q)
			switch {
			case c.want == "" && got != "":
				t.Errorf("failed with %q, want it to go through", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("reason %q, want one containing %q", got, c.want)
			}
		})
	}
}

func TestGuardArming(t *testing.T) {
	g := newGuard([]string{testShop}, []string{testPay}, false, nil, nil)
	t.Run("a fresh guard is not armed", func(t *testing.T) {
		if got := g.armed(); got != "" {
			t.Errorf("armed by %q", got)
		}
	})
	t.Run("the shop's redirect before input makes its target a shop origin", func(t *testing.T) {
		g.learnRedirect(testShop+"/", "https://www.shop.example/")
		if got := g.decide(outgoing{Method: "POST", URL: "https://www.shop.example/x"}); got != "" {
			t.Fatalf("not armed yet, but failed: %q", got)
		}
		g.arm("typing honey email")
		if got := g.decide(outgoing{Method: "POST", URL: "https://www.shop.example/x"}); got == "" {
			t.Error("a POST to the redirect target went through after input")
		}
	})
	t.Run("the first reason is kept", func(t *testing.T) {
		g.arm("click step 4")
		if got := g.armed(); got != "typing honey email" {
			t.Errorf("armed by %q", got)
		}
	})
	t.Run("a redirect after input does not make a new shop origin", func(t *testing.T) {
		g.learnRedirect(testShop+"/order", "https://fake-pay.example/")
		if got := g.decide(outgoing{Method: "POST", URL: "https://fake-pay.example/c"}); got != "" {
			t.Errorf("a POST to the redirect's target was failed as the shop's: %q", got)
		}
	})
	t.Run("a redirect to the payment origin does not make it the shop's", func(t *testing.T) {
		g2 := newGuard([]string{testShop}, []string{testPay}, false, nil, nil)
		g2.learnRedirect(testShop+"/", testPay+"/")
		g2.arm("typing")
		if got := g2.decide(outgoing{Method: "POST", URL: testPay + "/session"}); got != "" {
			t.Errorf("hand-off to the payment origin failed: %q", got)
		}
	})
}

// TestGuardRedirectsOfLoadsLetThrough checks that the shop's answer to a
// page load the guard let through follows it (a redirect keeps the
// request's network id), and that a redirect of nothing let through does
// not.
func TestGuardRedirectsOfLoadsLetThrough(t *testing.T) {
	g := newGuard([]string{testShop}, nil, false, nil, nil)
	cartAdd, err := parseBlockRule("POST /cart/add")
	if err != nil {
		t.Fatal(err)
	}
	g.allowFrom(cartAdd, 0)
	g.arm("the click of step 1")
	tests := []struct {
		name string
		q    outgoing
		want string // substring of the reason; "" goes through
	}{
		{"an allowed form post to the shop goes through", outgoing{Method: "POST", URL: testShop + "/cart/add", Type: "Document", Page: true, NetworkID: "a"}, ""},
		{"the shop's redirect after it goes through too", outgoing{Method: "GET", URL: testShop + "/cart", Type: "Document", Page: true, NetworkID: "a"}, ""},
		{"a new page in another chain is failed", outgoing{Method: "GET", URL: testShop + "/cart", Type: "Document", Page: true, NetworkID: "b"}, "page of the shop not loaded before the click of step 1"},
		{"a failed load leaves nothing for its chain", outgoing{Method: "GET", URL: testShop + "/confirm", Type: "Document", Page: true, NetworkID: "b"}, "page of the shop not loaded before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := g.decide(tt.q)
			switch {
			case tt.want == "" && got != "":
				t.Errorf("failed with %q, want it to go through", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("reason %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// TestGuardShopSockets checks which WebSockets the guard holds: the shop's
// origins' (ws for http, wss for https), only once armed, never a third
// party's, none with the escape hatch; and the patterns the recorder hands
// to Chromium for them.
func TestGuardShopSockets(t *testing.T) {
	g := newGuard([]string{"http://127.0.0.1:8080", testShop}, []string{testPay}, false, nil, nil)
	if got := g.shopSocket("ws://127.0.0.1:8080/ws"); got != "" {
		t.Errorf("held before arming: %q", got)
	}
	g.arm("typing honey email")
	tests := []struct {
		url  string
		held bool
	}{
		{"ws://127.0.0.1:8080/ws/cart", true},
		{"wss://shop.example/socket", true},
		{"ws://shop.example/socket", false}, // not the origin of https://shop.example
		{"ws://127.0.0.1:8081/ws", false},   // another port is another origin
		{"wss://evil.example/ws", false},    // third parties: recorded and matched, never held
		{"wss://pay.example/ws", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s held %v", tt.url, tt.held), func(t *testing.T) {
			got := g.shopSocket(tt.url)
			if (got != "") != tt.held {
				t.Errorf("shopSocket = %q, want held %v", got, tt.held)
			}
			if tt.held && got != "WebSocket to the shop after typing honey email" {
				t.Errorf("reason %q", got)
			}
		})
	}
	t.Run("the patterns name exactly the shop's socket origins", func(t *testing.T) {
		want := []string{"ws://127.0.0.1:8080/*", "wss://shop.example/*"}
		if got := g.socketPatterns(); !slices.Equal(got, want) {
			t.Errorf("patterns %q, want %q", got, want)
		}
	})
	t.Run("an IPv6 host is escaped for URLPattern", func(t *testing.T) {
		g6 := newGuard([]string{"http://[::1]:8080"}, nil, false, nil, nil)
		if got, want := g6.socketPatterns(), []string{`ws://\[\:\:1\]:8080/*`}; !slices.Equal(got, want) {
			t.Errorf("patterns %q, want %q", got, want)
		}
	})
	t.Run("the escape hatch holds nothing", func(t *testing.T) {
		u := newGuard([]string{testShop}, nil, true, nil, nil)
		u.arm("typing")
		if got := u.shopSocket("wss://shop.example/x"); got != "" || len(u.socketPatterns()) != 0 {
			t.Errorf("held %q, patterns %q", got, u.socketPatterns())
		}
	})
}
