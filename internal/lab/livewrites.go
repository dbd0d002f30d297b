package lab

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Writes that a probe's deny-by-default must stop although they are not
// POSTs carrying test values: GETs that change state on the server (a
// confirm page that creates a pending order, WooCommerce's ?add-to-cart=
// link) and messages on the shop's own WebSocket. Each endpoint really
// records what it does, in tables the tests read.

// Paths of the live-write variants.
const (
	// ECCubeGuestPage is EC-CUBE 4's guest entry page, themed so that its
	// button goes on to the confirm page by a GET form:
	// GET /shopping/confirm?order=... creates a pending order.
	ECCubeGuestPage = "/shopping/nonmember"
	// WooShopPage is WooCommerce's shop archive with non-AJAX
	// "Add to cart" links: GET /shop/?add-to-cart=ID adds to the cart.
	WooShopPage = "/shop/"
	// WooAddToCartLink is the selector of the first add-to-cart link.
	WooAddToCartLink = "#add-hinoki-soap"
	// LiveCartPage opens the shop's WebSocket at load and sends every
	// keystroke on it; placing the order opens a second socket.
	LiveCartPage = "/live-cart/"
	// LiveCartWorkerPage keeps the shop's socket in a dedicated worker,
	// opened at load; its #live-sync button hands the typed email to the
	// worker, which sends it on that socket and on a new one.
	LiveCartWorkerPage = "/live-cart/worker/"
	// NewWindowCheckoutPage is EC-CUBE's order form posting into a new
	// window (target="_blank"): the window's very first request is the
	// POST /shopping/checkout that creates the order.
	NewWindowCheckoutPage = "/shopping/new-window/"
	// NewWindowNewsletterPage opens the GET newsletter subscription in a
	// new window, with the typed email in its query (window.open).
	NewWindowNewsletterPage = "/newsletter/popup/"
)

// liveWrites is what the live-write endpoints did.
type liveWrites struct {
	mu       sync.Mutex
	pending  []string // order refs of pending orders a GET created
	cartAdds []string // product ids a GET added to a cart
	socket   []string // messages the shop's WebSocket received
	sockets  int      // the shop's WebSockets open now
}

// PendingOrders are the refs of the pending orders created by loading
// EC-CUBE's confirm page.
func (l *Lab) PendingOrders() []string {
	l.live.mu.Lock()
	defer l.live.mu.Unlock()
	return slices.Clone(l.live.pending)
}

// CartAddsByGET are the product ids WooCommerce's ?add-to-cart= added.
func (l *Lab) CartAddsByGET() []string {
	l.live.mu.Lock()
	defer l.live.mu.Unlock()
	return slices.Clone(l.live.cartAdds)
}

// ShopSocketsOpen is how many of the shop's WebSockets are open: once none
// is, no further message can reach ShopSocketMessages from a page that has
// gone.
func (l *Lab) ShopSocketsOpen() int {
	l.live.mu.Lock()
	defer l.live.mu.Unlock()
	return l.live.sockets
}

// ShopSocketMessages are the messages the shop's WebSocket received.
func (l *Lab) ShopSocketMessages() []string {
	l.live.mu.Lock()
	defer l.live.mu.Unlock()
	return slices.Clone(l.live.socket)
}

func (l *Lab) liveWriteRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ECCubeGuestPage, l.handleECCubeGuest)
	mux.HandleFunc("GET /shopping/confirm", l.handleECCubeConfirmGET)
	mux.HandleFunc("GET "+WooShopPage+"{$}", l.handleWooShop)
	mux.HandleFunc("GET "+LiveCartPage+"{$}", func(w http.ResponseWriter, r *http.Request) {
		l.sessionFor(w, r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, platformHTML(liveCartHTML))
	})
	mux.HandleFunc("GET /ws/cart", l.handleShopSocket)
	mux.HandleFunc("GET "+LiveCartWorkerPage+"{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, platformHTML(liveCartWorkerHTML))
	})
	mux.HandleFunc("GET /live-cart/worker.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = io.WriteString(w, liveCartWorkerJS)
	})
	mux.HandleFunc("GET "+NewWindowCheckoutPage+"{$}", func(w http.ResponseWriter, r *http.Request) {
		l.sessionFor(w, r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, platformHTML(newWindowCheckoutHTML))
	})
	mux.HandleFunc("GET "+NewWindowNewsletterPage+"{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, platformHTML(newWindowNewsletterHTML))
	})
}

func (l *Lab) handleECCubeGuest(w http.ResponseWriter, r *http.Request) {
	l.sessionFor(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The order ref is drawn per page view, as EC-CUBE's pre_order_id is.
	_, _ = io.WriteString(w, platformHTML(fmt.Sprintf(eccubeGuestHTML, html.EscapeString(randomID("po", 8)))))
}

// handleECCubeConfirmGET creates a pending order when the confirm page is
// loaded, as some EC-CUBE themes and plugins do: a GET that changes state.
func (l *Lab) handleECCubeConfirmGET(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("order")
	if ref == "" || len(ref) > 64 {
		http.Error(w, "no order", http.StatusBadRequest)
		return
	}
	l.live.mu.Lock()
	if len(l.live.pending) < maxCollected {
		l.live.pending = append(l.live.pending, ref)
	}
	l.live.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, platformHTML(`<p id="confirm">ご注文内容の確認 / Confirm your order</p>`))
}

// handleWooShop is the shop archive; with ?add-to-cart=ID it adds the
// product to the session's cart first, as WooCommerce does on any URL.
func (l *Lab) handleWooShop(w http.ResponseWriter, r *http.Request) {
	ss := l.sessionFor(w, r)
	notice := ""
	if id := r.URL.Query().Get("add-to-cart"); id != "" {
		p, ok := findProduct(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		l.store.addToCart(ss, p.ID, 1)
		l.live.mu.Lock()
		if len(l.live.cartAdds) < maxCollected {
			l.live.cartAdds = append(l.live.cartAdds, p.ID)
		}
		l.live.mu.Unlock()
		notice = `<div class="woocommerce-message" id="added">` + html.EscapeString(p.Name) + ` をカートに追加しました / added to your cart</div>`
	}
	var b strings.Builder
	b.WriteString(notice + `<ul class="products">`)
	for _, p := range catalogue() {
		fmt.Fprintf(&b, `<li class="product"><h2>%s</h2><a href="/shop/?add-to-cart=%s" id="add-%s" data-product_id="%s" class="button add_to_cart_button">カートに入れる / Add to cart</a></li>`,
			html.EscapeString(p.Name), p.ID, p.ID, p.ID)
	}
	b.WriteString(`</ul>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, platformHTML(b.String()))
}

// handleShopSocket is the shop's live-cart socket: it records every
// message, as a shop that saves the cart or places orders over it would.
func (l *Lab) handleShopSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil) // same origin only
	if err != nil {
		return // Accept has answered the request
	}
	defer conn.CloseNow()
	l.live.mu.Lock()
	l.live.sockets++
	l.live.mu.Unlock()
	// Counted closed only once the read loop has ended: every message the
	// page sent before it went has been recorded by then.
	defer func() {
		l.live.mu.Lock()
		l.live.sockets--
		l.live.mu.Unlock()
	}()
	conn.SetReadLimit(maxFormBody)
	for {
		_, msg, err := conn.Read(l.ctx)
		if err != nil {
			return
		}
		l.live.mu.Lock()
		if len(l.live.socket) < maxCollected {
			l.live.socket = append(l.live.socket, string(msg))
		}
		l.live.mu.Unlock()
		_ = conn.Write(l.ctx, websocket.MessageText, []byte(`{"ok":true,"at":"`+time.Now().Format(time.RFC3339)+`"}`))
	}
}

// eccubeGuestHTML: the entry form saves nothing itself; its button submits
// the separate confirm form, a GET carrying only the order ref.
const eccubeGuestHTML = `<form id="nonmember-form" name="nonmember">
` + `<label>姓 <input name="nonmember[name][name01]" autocomplete="family-name"></label>
<label>名 <input name="nonmember[name][name02]" autocomplete="given-name"></label>
<label>メールアドレス <input type="email" name="nonmember[email][first]" autocomplete="email"></label>
<label>電話番号 <input type="tel" name="nonmember[phone_number]" autocomplete="tel"></label>
<button type="submit" class="ec-blockBtn--action" id="to-confirm-button">次へ / Next</button>
</form>
<form id="confirm-form" method="get" action="/shopping/confirm"><input type="hidden" name="order" value="%s"></form>
<script>
document.getElementById('nonmember-form').addEventListener('submit', e => {
  e.preventDefault();
  document.getElementById('confirm-form').submit();
});
</script>`

// liveCartHTML: the socket opens at load and says hello, so it is open
// before anything is typed; every keystroke is sent on it, and placing the
// order opens a second socket that sends the whole form.
const liveCartHTML = `<form id="live-cart-form">
<label>お名前 / Name <input name="name" autocomplete="name"></label>
<label>メール / Email <input type="email" name="email" autocomplete="email"></label>
<button type="submit" id="live-place-order">注文する / Place order</button>
</form>
<script>
const sockURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/cart';
const live = new WebSocket(sockURL);
live.onopen = () => live.send(JSON.stringify({hello: 'cart'}));
document.querySelectorAll('#live-cart-form input').forEach(el => el.addEventListener('input', () => {
  if (live.readyState === 1) live.send(JSON.stringify({field: el.name, value: el.value}));
}));
document.getElementById('live-cart-form').addEventListener('submit', e => {
  e.preventDefault();
  const order = new WebSocket(sockURL);
  const data = Object.fromEntries(new FormData(e.target));
  order.onopen = () => order.send(JSON.stringify({placeOrder: data}));
});
</script>`

// newWindowCheckoutHTML is EC-CUBE's order form, opened into a new window.
var newWindowCheckoutHTML = `<form id="shopping-form" name="_shopping_order" method="post" action="/shopping/checkout" target="_blank">
` + contactFields("shopping_order[name][name02]", "shopping_order[name][name01]", "shopping_order[email]", "shopping_order[phone_number]", "shopping_order[postal_code]", "shopping_order[address][addr01]") + `
<input type="hidden" name="_shopping_order[_token]" value="9b1e4c7a2f">
<button type="submit" class="ec-blockBtn--action">注文する (新しいウィンドウ) / Order in a new window</button>
</form>`

// newWindowNewsletterHTML subscribes in a new window, by GET.
const newWindowNewsletterHTML = `<label>メールマガジン / Newsletter <input type="email" id="nl-email" autocomplete="email"></label>
<button type="button" id="nl-open">登録 / Subscribe</button>
<script>
document.getElementById('nl-open').addEventListener('click', () => {
  window.open('/newsletter/subscribe?email=' + encodeURIComponent(document.getElementById('nl-email').value), '_blank');
});
</script>`

// liveCartWorkerHTML hands the email to the worker that owns the socket.
const liveCartWorkerHTML = `<label>メール / Email <input type="email" id="live-email" autocomplete="email"></label>
<button type="button" id="live-sync">保存 / Save</button>
<script>
const cartWorker = new Worker('/live-cart/worker.js');
document.getElementById('live-sync').addEventListener('click', () => cartWorker.postMessage(document.getElementById('live-email').value));
</script>`

// liveCartWorkerJS opens the socket at once, and on each message sends the
// email on it and on a second socket.
const liveCartWorkerJS = `const sockURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/cart';
const live = new WebSocket(sockURL);
live.onopen = () => live.send(JSON.stringify({hello: 'worker'}));
onmessage = (e) => {
  if (live.readyState === 1) live.send(JSON.stringify({field: 'email', value: e.data}));
  const order = new WebSocket(sockURL);
  order.onopen = () => order.send(JSON.stringify({placeOrder: {email: e.data}}));
};`
