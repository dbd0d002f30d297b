package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Platform variants: the same shop, with the checkout, registration, login
// and contact endpoints laid out as the platforms our users run lay them
// out. Each page posts where its platform posts, the way its platform's
// JavaScript does (form post, jQuery-style XHR, fetch with JSON or
// FormData, GraphQL), and each endpoint really creates what its platform
// creates: an order, an account, a message. A safe probe creates none.

// PlatformPage is one platform variant: the page a check visits and the
// request that would place the order, create the account or send the
// message.
type PlatformPage struct {
	// Name is the platform and form, e.g. "woocommerce-checkout".
	Name string
	// Page is the path (and query) of the page with the form.
	Page string
	// Method and Endpoint (path and query) are the request that creates
	// the record. It carries the honey email.
	Method, Endpoint string
	// Creates is what the endpoint creates: "order", "account",
	// "message" or "login" (a login attempt the shop records).
	Creates string
}

// PlatformPages lists the platform variants, in a stable order.
func PlatformPages() []PlatformPage {
	return []PlatformPage{
		{"woocommerce-checkout", "/checkout/", "POST", "/?wc-ajax=checkout", "order"},
		{"magento2-checkout", "/checkout/index/index/", "POST", "/rest/default/V1/guest-carts/" + magentoCartID + "/payment-information", "order"},
		{"eccube4-checkout", "/shopping", "POST", "/shopping/checkout", "order"},
		{"opencart-checkout", "/index.php?route=checkout/checkout", "POST", "/index.php?route=checkout/guest.save", "order"},
		{"prestashop-checkout", "/index.php?controller=order", "POST", "/index.php?controller=order", "order"},
		{"shopify-graphql-checkout", "/checkouts/cn/" + shopifyCheckoutToken, "POST", "/api/2025-01/graphql.json", "order"},
		{"eccube4-registration", "/entry", "POST", "/entry", "account"},
		{"woocommerce-login", "/my-account/", "POST", "/my-account/", "login"},
		{"contact-form-7", "/contact/", "POST", "/wp-json/contact-form-7/v1/contact-forms/42/feedback", "message"},
		{"newsletter-get-form", "/newsletter/", "GET", "/newsletter/subscribe", "message"},
	}
}

// The Magento guest cart and the Shopify checkout the pages use; a real
// shop draws them per visitor, which changes nothing here.
const (
	magentoCartID        = "q4Hn0v2ZbE1mXkS7cR9tW3yLpA6dJfGu"
	shopifyCheckoutToken = "Z2NwLWFzaWEtc291dGhlYXN0MTowMUo"
)

// Message is a contact message or newsletter subscription the shop received.
type Message struct {
	Form  string
	Email string
	Body  string
}

// platformLog is what the platform endpoints received beyond orders and
// accounts, which the shop's store keeps.
type platformLog struct {
	mu           sync.Mutex
	messages     []Message
	logins       []string // emails of login attempts
	autocomplete []string // queries of /api/autocomplete
	guests       map[string]map[string]string
}

func newPlatformLog() *platformLog {
	return &platformLog{guests: map[string]map[string]string{}}
}

// Messages are the contact messages and subscriptions received, oldest first.
func (l *Lab) Messages() []Message {
	l.platform.mu.Lock()
	defer l.platform.mu.Unlock()
	return slices.Clone(l.platform.messages)
}

// LoginAttempts are the emails of the login attempts that reached the shop.
func (l *Lab) LoginAttempts() []string {
	l.platform.mu.Lock()
	defer l.platform.mu.Unlock()
	return slices.Clone(l.platform.logins)
}

// AutocompleteQueries are the queries /api/autocomplete answered.
func (l *Lab) AutocompleteQueries() []string {
	l.platform.mu.Lock()
	defer l.platform.mu.Unlock()
	return slices.Clone(l.platform.autocomplete)
}

// Accounts are the emails of the shop's member accounts.
func (l *Lab) Accounts() []string {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	var out []string
	for e := range l.store.members {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

func (l *Lab) platformRoutes(mux *http.ServeMux) {
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			l.sessionFor(w, r)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, platformHTML(body))
		}
	}
	// WooCommerce: checkout.js serialises form.checkout and posts it with
	// jQuery to /?wc-ajax=checkout, then follows the JSON redirect.
	mux.HandleFunc("GET /checkout/{$}", page(wooCheckoutHTML))
	mux.HandleFunc("POST /{$}", l.handleWCAjax)
	// Magento 2: the Luma checkout posts JSON to the guest cart's
	// payment-information, which places the order.
	mux.HandleFunc("GET /checkout/index/index/{$}", page(magentoCheckoutHTML))
	mux.HandleFunc("POST /rest/default/V1/guest-carts/{cart}/payment-information", l.handleMagentoPayment)
	// EC-CUBE 4: the confirm page's form posts to /shopping/checkout.
	mux.HandleFunc("GET /shopping", page(eccubeShoppingHTML))
	mux.HandleFunc("POST /shopping/checkout", l.handleECCubeCheckout)
	mux.HandleFunc("GET /entry", page(eccubeEntryHTML))
	mux.HandleFunc("POST /entry", l.handleECCubeEntry)
	// OpenCart and PrestaShop route everything through index.php.
	mux.HandleFunc("/index.php", l.handleIndexPHP)
	// Shopify: the checkout's GraphQL mutation.
	mux.HandleFunc("GET /checkouts/cn/{token}", page(shopifyCheckoutHTML))
	mux.HandleFunc("POST /api/{version}/graphql.json", l.handleShopifyGraphQL)
	// WordPress: WooCommerce's account page and Contact Form 7's REST route.
	mux.HandleFunc("GET /my-account/{$}", page(wooLoginHTML))
	mux.HandleFunc("POST /my-account/{$}", l.handleWooLogin)
	mux.HandleFunc("GET /contact/{$}", page(contactHTML))
	mux.HandleFunc("POST /wp-json/contact-form-7/v1/contact-forms/{id}/feedback", l.handleCF7)
	// A badly built newsletter form that subscribes on GET.
	mux.HandleFunc("GET /newsletter/{$}", page(newsletterHTML))
	mux.HandleFunc("GET /newsletter/subscribe", l.handleNewsletter)
	// A benign lookup: GET, carries what was typed, changes nothing.
	mux.HandleFunc("GET /api/autocomplete", l.handleAutocomplete)
}

func (l *Lab) platformOrder(w http.ResponseWriter, r *http.Request, checkout, name, email, phone string) (Order, bool) {
	if !strings.Contains(email, "@") {
		http.Error(w, "a valid email is required", http.StatusBadRequest)
		return Order{}, false
	}
	return l.store.record(Order{Name: name, Email: email, Phone: phone, Total: 4980 + shippingYen, Checkout: checkout}), true
}

func (l *Lab) handleWCAjax(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("wc-ajax") != "checkout" {
		http.NotFound(w, r)
		return
	}
	if parseForm(w, r) != nil {
		return
	}
	f := r.PostForm
	o, ok := l.platformOrder(w, r, "woocommerce", f.Get("billing_first_name")+" "+f.Get("billing_last_name"), f.Get("billing_email"), f.Get("billing_phone"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"result": "success", "redirect": "/checkout/order-received/" + o.ID + "/"})
}

func (l *Lab) handleMagentoPayment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email          string `json:"email"`
		BillingAddress struct {
			Firstname string `json:"firstname"`
			Lastname  string `json:"lastname"`
			Telephone string `json:"telephone"`
		} `json:"billingAddress"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBody)).Decode(&in); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	a := in.BillingAddress
	o, ok := l.platformOrder(w, r, "magento2", a.Firstname+" "+a.Lastname, in.Email, a.Telephone)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, o.ID) // Magento answers with the order id, a JSON string
}

func (l *Lab) handleECCubeCheckout(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	f := r.PostForm
	o, ok := l.platformOrder(w, r, "ec-cube4", f.Get("shopping_order[name][name01]")+" "+f.Get("shopping_order[name][name02]"), f.Get("shopping_order[email]"), f.Get("shopping_order[phone_number]"))
	if !ok {
		return
	}
	http.Redirect(w, r, "/shopping/complete?order="+o.ID, http.StatusSeeOther)
}

func (l *Lab) handleECCubeEntry(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	f := r.PostForm
	ss := l.sessionFor(w, r)
	m := member{Name: f.Get("entry[name][name01]") + " " + f.Get("entry[name][name02]"), Email: f.Get("entry[email][first]"),
		Phone: f.Get("entry[phone_number]"), Postcode: f.Get("entry[postal_code]"), Address: f.Get("entry[address][addr01]")}
	if !strings.Contains(m.Email, "@") || len(f.Get("entry[plain_password][first]")) < 8 {
		http.Error(w, "invalid entry", http.StatusBadRequest)
		return
	}
	if err := l.store.register(ss, m, f.Get("entry[plain_password][first]")); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	http.Redirect(w, r, "/entry/activate", http.StatusSeeOther)
}

// handleIndexPHP is OpenCart's and PrestaShop's front controller.
func (l *Lab) handleIndexPHP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ss := l.sessionFor(w, r)
	switch {
	case r.Method == http.MethodGet && q.Get("route") == "checkout/checkout":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, platformHTML(opencartCheckoutHTML))
	case r.Method == http.MethodPost && q.Get("route") == "checkout/guest.save":
		// OpenCart 4 keeps the guest in the session; confirm makes the order.
		if parseForm(w, r) != nil {
			return
		}
		g := map[string]string{}
		for _, k := range []string{"firstname", "lastname", "email", "telephone"} {
			g[k] = r.PostForm.Get(k)
		}
		l.platform.mu.Lock()
		l.platform.guests[ss.id] = g
		l.platform.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"success": "Success: guest details saved"})
	case r.Method == http.MethodPost && q.Get("route") == "checkout/confirm.confirm":
		l.platform.mu.Lock()
		g := l.platform.guests[ss.id]
		l.platform.mu.Unlock()
		if g == nil {
			writeJSON(w, http.StatusOK, map[string]string{"error": "guest details missing"})
			return
		}
		o, ok := l.platformOrder(w, r, "opencart", g["firstname"]+" "+g["lastname"], g["email"], g["telephone"])
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"redirect": "/index.php?route=checkout/success&order_id=" + o.ID})
	case r.Method == http.MethodGet && q.Get("controller") == "order":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, platformHTML(prestashopOrderHTML))
	case r.Method == http.MethodPost && q.Get("controller") == "order":
		// PrestaShop 1.7's personal-information step creates a guest
		// customer; confirmOrder then places the order.
		if parseForm(w, r) != nil {
			return
		}
		f := r.PostForm
		m := member{Name: f.Get("firstname") + " " + f.Get("lastname"), Email: f.Get("email")}
		if f.Get("submitCreate") != "" && strings.Contains(m.Email, "@") {
			_ = l.store.register(ss, m, randomID("", 8))
		}
		if f.Get("confirmOrder") != "" {
			o, ok := l.platformOrder(w, r, "prestashop", m.Name, m.Email, "")
			if !ok {
				return
			}
			http.Redirect(w, r, "/index.php?controller=order-confirmation&id_order="+o.ID, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/index.php?controller=order", http.StatusSeeOther)
	default:
		http.NotFound(w, r)
	}
}

func (l *Lab) handleShopifyGraphQL(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query     string `json:"query"`
		Variables struct {
			Input struct {
				Email           string `json:"email"`
				Phone           string `json:"phone"`
				DeliveryAddress struct {
					FirstName string `json:"firstName"`
					LastName  string `json:"lastName"`
				} `json:"deliveryAddress"`
			} `json:"input"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBody)).Decode(&in); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	if !strings.Contains(in.Query, "mutation") || !strings.Contains(in.Query, "submitForCompletion") {
		writeJSON(w, http.StatusOK, map[string]any{"data": nil})
		return
	}
	v := in.Variables.Input
	o, ok := l.platformOrder(w, r, "shopify", v.DeliveryAddress.FirstName+" "+v.DeliveryAddress.LastName, v.Email, v.Phone)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"submitForCompletion": map[string]any{"receipt": map[string]string{"id": o.ID}}}})
}

func (l *Lab) handleWooLogin(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	l.platform.mu.Lock()
	l.platform.logins = append(l.platform.logins, r.PostForm.Get("username"))
	l.platform.mu.Unlock()
	http.Redirect(w, r, "/my-account/", http.StatusSeeOther)
}

func (l *Lab) handleCF7(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseMultipartForm(maxFormBody); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	l.platform.mu.Lock()
	l.platform.messages = append(l.platform.messages, Message{Form: "contact-form-7", Email: r.FormValue("your-email"), Body: r.FormValue("your-message")})
	l.platform.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": "mail_sent", "message": "Thank you for your message. It has been sent."})
}

func (l *Lab) handleNewsletter(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if !strings.Contains(email, "@") {
		http.Error(w, "a valid email is required", http.StatusBadRequest)
		return
	}
	l.platform.mu.Lock()
	l.platform.messages = append(l.platform.messages, Message{Form: "newsletter", Email: email})
	l.platform.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, platformHTML("<p>Subscribed.</p>"))
}

func (l *Lab) handleAutocomplete(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		q = q[:200]
	}
	l.platform.mu.Lock()
	if len(l.platform.autocomplete) < maxCollected {
		l.platform.autocomplete = append(l.platform.autocomplete, q)
	}
	l.platform.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string][]string{"suggestions": {q + " 1丁目", q + " 2丁目"}})
}

// platformHTML wraps a platform page's body. autocompleteJS makes every
// address field look up suggestions as the customer types.
func platformHTML(body string) string {
	return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>Yutori Kobo</title>
<style>label{display:block;margin:.4em 0}input,textarea{display:block;width:20em}</style></head>
<body><h1>ゆとり工房 / Yutori Kobo</h1>
` + body + `
<p id="status"></p>
<script>
document.querySelectorAll('[data-autocomplete]').forEach(el => el.addEventListener('input', () => {
  if (el.value.length % 4 === 0) fetch('/api/autocomplete?q=' + encodeURIComponent(el.value)).then(r => r.json()).catch(() => {});
}));
const done = (r) => { document.getElementById('status').textContent = r.ok ? 'sent' : 'failed'; return r; };
</script>
</body></html>`
}

// contactFields are the customer fields the checkout pages share, with the
// names each platform gives them.
func contactFields(first, last, email, phone, postcode, address string) string {
	return fmt.Sprintf(`<label>名 / First name <input name=%q autocomplete="given-name"></label>
<label>姓 / Last name <input name=%q autocomplete="family-name"></label>
<label>メール / Email <input type="email" name=%q autocomplete="email"></label>
<label>電話 / Phone <input type="tel" name=%q autocomplete="tel"></label>
<label>郵便番号 / Postcode <input name=%q autocomplete="postal-code"></label>
<label>住所 / Address <input name=%q autocomplete="address-line1" data-autocomplete></label>`, first, last, email, phone, postcode, address)
}

var wooCheckoutHTML = `<form name="checkout" method="post" class="checkout woocommerce-checkout" action="/checkout/">
` + contactFields("billing_first_name", "billing_last_name", "billing_email", "billing_phone", "billing_postcode", "billing_address_1") + `
<input type="hidden" name="payment_method" value="cod">
<input type="hidden" name="woocommerce-process-checkout-nonce" value="3f9a1c2b7d">
<button type="submit" id="place_order" name="woocommerce_checkout_place_order">注文する / Place order</button>
</form>
<script>
document.querySelector('form.checkout').addEventListener('submit', e => {
  e.preventDefault();
  const x = new XMLHttpRequest();
  x.open('POST', '/?wc-ajax=checkout');
  x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8');
  x.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
  x.onload = () => { try { const r = JSON.parse(x.responseText); if (r.result === 'success') location.href = r.redirect; } catch (err) {} };
  x.send(new URLSearchParams(new FormData(e.target)).toString());
});
</script>`

var magentoCheckoutHTML = `<form id="co-payment-form" class="form payments">
` + contactFields("firstname", "lastname", "username", "telephone", "postcode", "street[0]") + `
<button type="submit" class="action primary checkout" title="Place Order">注文する / Place Order</button>
</form>
<script>
document.getElementById('co-payment-form').addEventListener('submit', e => {
  e.preventDefault();
  const f = new FormData(e.target);
  const body = { cartId: '` + magentoCartID + `', email: f.get('username'), paymentMethod: { method: 'checkmo' },
    billingAddress: { firstname: f.get('firstname'), lastname: f.get('lastname'), telephone: f.get('telephone'),
      postcode: f.get('postcode'), street: [f.get('street[0]')], countryId: 'JP' } };
  fetch('/rest/default/V1/guest-carts/` + magentoCartID + `/payment-information', { method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' }, body: JSON.stringify(body) })
    .then(done).then(r => r.json()).then(id => { location.href = '/checkout/onepage/success/'; }).catch(() => {});
});
</script>`

var eccubeShoppingHTML = `<form id="shopping-form" name="_shopping_order" method="post" action="/shopping/checkout">
` + contactFields("shopping_order[name][name02]", "shopping_order[name][name01]", "shopping_order[email]", "shopping_order[phone_number]", "shopping_order[postal_code]", "shopping_order[address][addr01]") + `
<input type="hidden" name="_shopping_order[_token]" value="9b1e4c7a2f">
<button type="submit" class="ec-blockBtn--action">注文する</button>
</form>`

var eccubeEntryHTML = `<form method="post" action="/entry" id="entry-form">
<input type="hidden" name="mode" value="complete">
<label>姓 <input name="entry[name][name01]" autocomplete="family-name"></label>
<label>名 <input name="entry[name][name02]" autocomplete="given-name"></label>
<label>メールアドレス <input type="email" name="entry[email][first]" autocomplete="email"></label>
<label>電話番号 <input type="tel" name="entry[phone_number]" autocomplete="tel"></label>
<label>郵便番号 <input name="entry[postal_code]" autocomplete="postal-code"></label>
<label>住所 <input name="entry[address][addr01]" autocomplete="address-line1" data-autocomplete></label>
<label>パスワード <input type="password" name="entry[plain_password][first]" autocomplete="new-password"></label>
<input type="hidden" name="entry[_token]" value="5d2a9e0c1b">
<button type="submit" class="ec-blockBtn--action">同意する</button>
</form>`

var opencartCheckoutHTML = `<form id="form-guest">
` + contactFields("firstname", "lastname", "email", "telephone", "postcode", "address_1") + `
<button type="submit" id="button-confirm" class="btn btn-primary">Confirm Order</button>
</form>
<script>
document.getElementById('form-guest').addEventListener('submit', e => {
  e.preventDefault();
  const body = new URLSearchParams(new FormData(e.target)).toString();
  fetch('index.php?route=checkout/guest.save', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body })
    .then(done).then(r => r.json())
    .then(() => fetch('index.php?route=checkout/confirm.confirm', { method: 'POST' }))
    .then(r => r.json()).then(j => { if (j.redirect) location.href = j.redirect; }).catch(() => {});
});
</script>`

var prestashopOrderHTML = `<form id="customer-form" class="js-customer-form" method="post" action="/index.php?controller=order">
<label>First name <input name="firstname" autocomplete="given-name"></label>
<label>Last name <input name="lastname" autocomplete="family-name"></label>
<label>Email <input type="email" name="email" autocomplete="email"></label>
<input type="hidden" name="submitCreate" value="1">
<input type="hidden" name="confirmOrder" value="1">
<button type="submit" class="continue btn btn-primary" name="continue">Continue</button>
</form>`

var shopifyCheckoutHTML = `<form id="checkout-main">
` + contactFields("firstName", "lastName", "email", "phone", "postalCode", "address1") + `
<button type="submit" id="checkout-pay-button">今すぐ支払う / Pay now</button>
</form>
<script>
document.getElementById('checkout-main').addEventListener('submit', e => {
  e.preventDefault();
  const f = new FormData(e.target);
  const query = 'mutation SubmitForCompletion($input: CheckoutInput!) { submitForCompletion(input: $input) { receipt { id } } }';
  const input = { email: f.get('email'), phone: f.get('phone'),
    deliveryAddress: { firstName: f.get('firstName'), lastName: f.get('lastName'), zip: f.get('postalCode'), address1: f.get('address1'), countryCode: 'JP' } };
  fetch('/api/2025-01/graphql.json', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, operationName: 'SubmitForCompletion', variables: { input } }) }).then(done).catch(() => {});
});
</script>`

var wooLoginHTML = `<form class="woocommerce-form woocommerce-form-login login" method="post" action="/my-account/">
<label>Username or email address <input type="email" name="username" id="username" autocomplete="email"></label>
<label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label>
<input type="hidden" name="woocommerce-login-nonce" value="8c1d0e2f4a">
<button type="submit" class="woocommerce-form-login__submit" name="login" value="Log in">Log in</button>
</form>`

var contactHTML = `<form class="wpcf7-form" id="wpcf7-f42-o1" novalidate>
<label>お名前 / Your name <input name="your-name" autocomplete="name"></label>
<label>メール / Your email <input type="email" name="your-email" autocomplete="email"></label>
<label>電話 / Phone <input type="tel" name="your-tel" autocomplete="tel"></label>
<label>メッセージ / Message <textarea name="your-message"></textarea></label>
<input type="hidden" name="_wpcf7" value="42">
<button type="submit" class="wpcf7-submit">送信 / Send</button>
</form>
<script>
document.querySelector('.wpcf7-form').addEventListener('submit', e => {
  e.preventDefault();
  fetch('/wp-json/contact-form-7/v1/contact-forms/42/feedback', { method: 'POST', body: new FormData(e.target) }).then(done).catch(() => {});
});
</script>`

var newsletterHTML = `<form method="get" action="/newsletter/subscribe" id="newsletter">
<label>メールマガジン / Newsletter <input type="email" name="email" autocomplete="email"></label>
<button type="submit">登録 / Subscribe</button>
</form>`
