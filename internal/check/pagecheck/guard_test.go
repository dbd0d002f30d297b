package pagecheck

import (
	"net/url"
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
		{"a GET navigation with no honey goes through", true, false,
			outgoing{Method: "GET", URL: testShop + "/cart", Type: "Document", Step: 3}, ""},
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
