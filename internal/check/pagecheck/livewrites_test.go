package pagecheck

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/lab"
)

// blockedFor returns the reason the probe gave for failing a request whose
// URL starts with prefix, "" when none was failed.
func blockedFor(o *observation.Observation, prefix string) string {
	for _, b := range o.Blocked {
		if strings.HasPrefix(b.URL, prefix) {
			return b.Reason
		}
	}
	return ""
}

// flowOf builds a flow on the lab's shop.
func flowOf(l *lab.Lab, name string, steps ...Step) *Flow {
	return &Flow{Name: name, Start: l.ShopURL() + "/", Steps: steps}
}

// TestStateChangingGETsAfterArming checks, from the lab's own tables, that
// a GET which writes is failed once the probe armed although it carries no
// test value: EC-CUBE's confirm page loaded by a GET form after the probe
// typed (it creates a pending order), and WooCommerce's ?add-to-cart= link
// clicked by a flow (it fills the cart). The escape hatch, on the same
// pages, does write: the endpoints are real, so the first half can fail.
func TestStateChangingGETsAfterArming(t *testing.T) {
	b := startBrowser(t)
	tests := []struct {
		name   string
		target func(l *lab.Lab) Target
		// wrote returns what the shop recorded.
		wrote  func(l *lab.Lab) []string
		prefix func(l *lab.Lab) string // the writing request's URL prefix
	}{
		{
			name:   "EC-CUBE's confirm page by a GET form after typing creates no pending order",
			target: func(l *lab.Lab) Target { return Target{URL: l.ShopURL() + lab.ECCubeGuestPage} },
			wrote:  (*lab.Lab).PendingOrders,
			prefix: func(l *lab.Lab) string { return l.ShopURL() + "/shopping/confirm?order=" },
		},
		{
			name: "WooCommerce's add-to-cart link clicked after arming adds nothing to the cart",
			target: func(l *lab.Lab) Target {
				return Target{Flow: flowOf(l, "woo-add-to-cart", Step{Visit: lab.WooShopPage}, Step{Click: lab.WooAddToCartLink}, Step{Wait: Duration(500 * time.Millisecond)})}
			},
			wrote:  (*lab.Lab).CartAddsByGET,
			prefix: func(l *lab.Lab) string { return l.ShopURL() + "/shop/?add-to-cart=" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := startLab(t)
			opts := platformOptions(t, l)
			o, err := Check(context.Background(), b, tt.target(l), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.wrote(l); len(got) != 0 {
				t.Errorf("the shop recorded %q", got)
			}
			var seen bool
			for _, q := range o.Requests {
				if q.Method == "GET" && strings.HasPrefix(q.URL, tt.prefix(l)) {
					seen = true
					if !strings.HasPrefix(q.Failed, "blocked by skimwatch: page of the shop not loaded before") {
						t.Errorf("%s was not failed as a new page of the shop: failed %q, status %d", q.URL, q.Failed, q.Status)
					}
				}
			}
			if !seen {
				t.Errorf("no GET %s... in the observation; incomplete %q; requests %v", tt.prefix(l), o.Incomplete, requestLines(o))
			}
			if reason := blockedFor(o, tt.prefix(l)); !strings.Contains(reason, "allow: GET /") {
				t.Errorf("blocked reason %q does not say how to allow it; blocked %+v", reason, o.Blocked)
			}
		})
		t.Run(tt.name+": the escape hatch does write", func(t *testing.T) {
			t.Parallel()
			l := startLab(t)
			opts := platformOptions(t, l)
			opts.AllowFinalSubmit = true
			o, err := Check(context.Background(), b, tt.target(l), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.wrote(l); len(got) != 1 {
				t.Errorf("the shop recorded %q, want one write: the variant is broken and the deny test proves nothing; requests %v", got, requestLines(o))
			}
		})
	}
}

// TestShopWebSocketAfterArming checks the lab's live cart, whose socket to
// the shop opens at load and then carries every keystroke, and whose order
// button opens a second socket: once the probe armed, no message reaches
// the shop on either (the lab's socket table), the frames Chromium reports
// are recorded as held leaks, and both sockets are listed as blocked. The
// escape hatch, on the same page, lets the honey email and the order
// through: the socket is real.
func TestShopWebSocketAfterArming(t *testing.T) {
	b := startBrowser(t)
	t.Run("no message typed after arming reaches the shop's socket", func(t *testing.T) {
		t.Parallel()
		l := startLab(t)
		opts := platformOptions(t, l)
		o, err := Check(context.Background(), b, Target{URL: l.ShopURL() + lab.LiveCartPage}, opts)
		if err != nil {
			t.Fatal(err)
		}
		// A held frame must not leave late either, when the page goes: once
		// the shop has seen its socket close, nothing more can arrive on it.
		waitSocketsClosed(t, l)
		got := l.ShopSocketMessages()
		if !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, `"hello"`) }) {
			t.Fatalf("the socket's hello before arming never arrived (%q): the page is broken and this test proves nothing", got)
		}
		for _, m := range got {
			if strings.Contains(m, "placeOrder") || strings.Contains(m, `"field"`) {
				t.Errorf("the shop's socket received %q after the probe armed", m)
			}
		}
		socket := "ws" + strings.TrimPrefix(l.ShopURL(), "http") + "/ws/cart"
		var held bool
		for _, lk := range o.Leaks {
			if lk.Destination == socket && lk.Class == observation.FieldEmail {
				held = true
				if !lk.Blocked {
					t.Errorf("the honey email on the shop's socket is a leak not marked blocked: %+v", lk)
				}
			}
		}
		if !held {
			t.Errorf("the held frames with the honey email are not recorded as leaks; frames %d, leaks %+v", len(o.WebSockets), o.Leaks)
		}
		var old, handshake bool
		for _, bl := range o.Blocked {
			old = old || bl.URL == socket && strings.Contains(bl.Reason, "messages on a socket opened before were held")
			handshake = handshake || bl.URL == socket && strings.Contains(bl.Reason, "the handshake was failed")
		}
		if !old || !handshake {
			t.Errorf("held socket listed %v, failed handshake listed %v; blocked %+v", old, handshake, o.Blocked)
		}
		if !o.Complete {
			t.Errorf("incomplete: %q", o.Incomplete)
		}
	})
	t.Run("a dedicated worker's socket to the shop carries nothing after arming", func(t *testing.T) {
		t.Parallel()
		l := startLab(t)
		opts := platformOptions(t, l)
		flow := flowOf(l, "live-cart-worker", Step{Visit: lab.LiveCartWorkerPage}, Step{Wait: Duration(500 * time.Millisecond)},
			Step{Fill: &Fill{Selector: "#live-email", Class: observation.FieldEmail}}, Step{Click: "#live-sync"}, Step{Wait: Duration(time.Second)})
		o, err := Check(context.Background(), b, Target{Flow: flow}, opts)
		if err != nil {
			t.Fatal(err)
		}
		waitSocketsClosed(t, l)
		got := l.ShopSocketMessages()
		if !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, `"worker"`) }) {
			t.Fatalf("the worker's hello before arming never arrived (%q): the page is broken and this test proves nothing", got)
		}
		for _, m := range got {
			if strings.Contains(m, opts.Identity.Email) {
				t.Errorf("the shop's socket received %q from the worker after the probe armed", m)
			}
		}
		if !slices.ContainsFunc(o.Leaks, func(lk observation.Leak) bool {
			return lk.RequestType == "WebSocket" && lk.Class == observation.FieldEmail && lk.Blocked
		}) {
			t.Errorf("the worker's held frame is not a blocked leak; leaks %+v", o.Leaks)
		}
	})
	t.Run("the escape hatch lets the socket carry the email and the order", func(t *testing.T) {
		t.Parallel()
		l := startLab(t)
		opts := platformOptions(t, l)
		opts.AllowFinalSubmit = true
		if _, err := Check(context.Background(), b, Target{URL: l.ShopURL() + lab.LiveCartPage}, opts); err != nil {
			t.Fatal(err)
		}
		got := l.ShopSocketMessages()
		if !slices.ContainsFunc(got, func(m string) bool {
			return strings.Contains(m, "placeOrder") && strings.Contains(m, opts.Identity.Email)
		}) {
			t.Errorf("no order with the honey email on the shop's socket: %q", got)
		}
	})
}

// TestNewWindowFirstRequest checks that a new window's very first request
// is judged like the tab's: an order form posted into a new window
// (target="_blank") with the honey email, and window.open of a GET that
// subscribes with the honey email in its query. The lab's order and
// message tables prove nothing was created; the escape hatch creates both.
func TestNewWindowFirstRequest(t *testing.T) {
	b := startBrowser(t)
	tests := []struct {
		name   string
		target func(l *lab.Lab) Target
		// created reports whether the shop stored a record for email.
		created func(l *lab.Lab, email string) bool
		prefix  func(l *lab.Lab) string
		method  string
	}{
		{
			name:   "a target=_blank order form posted with the honey email",
			target: func(l *lab.Lab) Target { return Target{URL: l.ShopURL() + lab.NewWindowCheckoutPage} },
			created: func(l *lab.Lab, email string) bool {
				return slices.ContainsFunc(l.Orders(), func(o lab.Order) bool { return o.Email == email })
			},
			prefix: func(l *lab.Lab) string { return l.ShopURL() + "/shopping/checkout" },
			method: "POST",
		},
		{
			name: "window.open of a shop URL with the honey email in its query",
			target: func(l *lab.Lab) Target {
				return Target{Flow: flowOf(l, "newsletter-popup", Step{Visit: lab.NewWindowNewsletterPage},
					Step{Fill: &Fill{Selector: "#nl-email", Class: observation.FieldEmail}}, Step{Click: "#nl-open"}, Step{Wait: Duration(time.Second)})}
			},
			created: func(l *lab.Lab, email string) bool {
				return slices.ContainsFunc(l.Messages(), func(m lab.Message) bool { return m.Email == email })
			},
			prefix: func(l *lab.Lab) string { return l.ShopURL() + "/newsletter/subscribe?" },
			method: "GET",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is failed in the new window", func(t *testing.T) {
			t.Parallel()
			l := startLab(t)
			opts := platformOptions(t, l)
			opts.Dwell = 1500 * time.Millisecond
			o, err := Check(context.Background(), b, tt.target(l), opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.created(l, opts.Identity.Email) {
				t.Errorf("the shop stored the honey email %s", opts.Identity.Email)
			}
			popups := map[string]bool{}
			for _, f := range o.Frames {
				if f.Kind == "popup" {
					popups[f.ID] = true
				}
			}
			var q *observation.Request
			for i := range o.Requests {
				if o.Requests[i].Method == tt.method && strings.HasPrefix(o.Requests[i].URL, tt.prefix(l)) {
					q = &o.Requests[i]
				}
			}
			if q == nil {
				t.Fatalf("no %s %s in the observation; frames %+v; requests %v", tt.method, tt.prefix(l), o.Frames, requestLines(o))
			}
			if !popups[q.FrameID] {
				t.Errorf("%s %s was not sent from a new window (frame %q, popups %v)", q.Method, q.URL, q.FrameID, popups)
			}
			if !strings.HasPrefix(q.Failed, "blocked by skimwatch") {
				t.Errorf("%s %s was not failed: failed %q, status %d", q.Method, q.URL, q.Failed, q.Status)
			}
			if !slices.ContainsFunc(o.Leaks, func(lk observation.Leak) bool {
				return lk.Destination == q.URL && lk.Class == observation.FieldEmail && lk.Blocked
			}) {
				t.Errorf("the honey email was not found, as blocked, in %s; leaks %+v", q.URL, o.Leaks)
			}
		})
		t.Run(tt.name+" is created with the escape hatch", func(t *testing.T) {
			t.Parallel()
			l := startLab(t)
			opts := platformOptions(t, l)
			opts.Dwell = 1500 * time.Millisecond
			opts.AllowFinalSubmit = true
			o, err := Check(context.Background(), b, tt.target(l), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.created(l, opts.Identity.Email) {
				t.Errorf("nothing stored for %s: the page is broken and the test proves nothing; requests %v", opts.Identity.Email, requestLines(o))
			}
		})
	}
}

// waitSocketsClosed waits until the lab shop has seen every WebSocket of the
// checked page close, so that a frame the page still held and let go as it
// went has arrived by then; it fails when one stays open.
func waitSocketsClosed(t *testing.T, l *lab.Lab) {
	t.Helper()
	for end := time.Now().Add(time.Minute); l.ShopSocketsOpen() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d of the shop's sockets still open a minute after the check", l.ShopSocketsOpen())
		}
	}
}
