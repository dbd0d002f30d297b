package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	// The lab has its own type called origin (one listening origin).
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

const sessionCookie = "yutori_session"

// pageData is what every shop template sees.
type pageData struct {
	Title, Key string
	U          originURLs
	// Ver is a cache-busting value that changes on every request.
	Ver    string
	Config map[string]any
	Banner string
	Sale   bool
	// CMSBlock, Head, Scripts and Tail are trusted HTML built by the lab.
	CMSBlock template.HTML
	Head     template.HTML
	Scripts  template.HTML
	Tail     template.HTML
	ChatURL  string

	Member   *member
	Cart     cartView
	Products []product
	Product  *product
	CSRF     string
	Error    string
	Order    *Order
}

func (p pageData) price(pr product) int {
	if p.Sale {
		return pr.Price * 8 / 10
	}
	return pr.Price
}

type cartLine struct {
	Product  product
	Qty      int
	Unit     int
	Subtotal int
}

type cartView struct {
	Lines    []cartLine
	Items    int
	Shipping int
	Total    int
}

func (l *Lab) cartView(items []cartItem, sale bool) cartView {
	var v cartView
	for _, it := range items {
		p, ok := findProduct(it.ProductID)
		if !ok {
			continue
		}
		unit := pageData{Sale: sale}.price(p)
		v.Lines = append(v.Lines, cartLine{Product: p, Qty: it.Qty, Unit: unit, Subtotal: unit * it.Qty})
		v.Items += it.Qty
		v.Total += unit * it.Qty
	}
	if v.Items > 0 {
		v.Shipping = shippingYen
		v.Total += shippingYen
	}
	return v
}

func (l *Lab) shopHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", l.handleHome)
	mux.HandleFunc("GET /products/{id}", l.handleProduct)
	mux.HandleFunc("POST /cart/add", l.handleCartAdd)
	mux.HandleFunc("GET /cart", l.handleCart)
	mux.HandleFunc("GET /checkout/link", l.handleLinkConfirm)
	mux.HandleFunc("POST /checkout/link", l.handleLinkHandoff)
	mux.HandleFunc("GET /checkout/token", l.handleTokenCheckout)
	mux.HandleFunc("POST /order", l.handleOrder)
	mux.HandleFunc("GET /checkout/complete", l.handleComplete)
	mux.HandleFunc("GET /register", l.handleRegisterForm)
	mux.HandleFunc("POST /register", l.handleRegister)
	mux.HandleFunc("GET /login", l.handleLoginForm)
	mux.HandleFunc("POST /login", l.handleLogin)
	mux.HandleFunc("GET /account", l.handleAccount)
	mux.HandleFunc("POST /logout", l.handleLogout)

	mux.HandleFunc("GET /static/js/{name}", l.handleStaticJS)
	mux.HandleFunc("GET /static/css/{name}", l.handleStaticCSS)
	mux.HandleFunc("GET /static/img/logo.svg", l.handleLogo)
	mux.HandleFunc("GET /media/catalog/product/banner.jpg", l.handleBanner)
	mux.HandleFunc("/media/x.php", l.handlePlantedCollector)
	mux.HandleFunc("GET /sw.js", l.handleServiceWorker)

	mux.HandleFunc("/__lab/scenario", l.handleAdminScenario)
	l.robustnessRoutes(mux)
	l.platformRoutes(mux)
	l.liveWriteRoutes(mux)
	l.benignRoutes(mux)
	return l.securityHeaders(mux)
}

// securityHeaders adds the shop's headers, unless the scenario removed them.
// Nothing is cached, so a scenario switch shows on the next load.
func (l *Lab) securityHeaders(h http.Handler) http.Handler {
	u := l.urls()
	csp := "default-src 'self'; " +
		"script-src 'self' 'unsafe-inline' " + u.ThirdParty + " " + u.PSP + "; " +
		"connect-src 'self' " + u.ThirdParty + " " + u.PSPAPI + "; " +
		"img-src 'self' data: " + u.ThirdParty + "; " +
		"style-src 'self' 'unsafe-inline'; frame-ancestors 'self'; " +
		"form-action 'self' " + u.PSP
	if l.opts.ReportURI != "" {
		csp += "; report-uri " + l.opts.ReportURI
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Cache-Control", "no-store")
		if !l.current().WeakHeaders {
			hdr.Set("Content-Security-Policy-Report-Only", csp)
			hdr.Set("X-Frame-Options", "SAMEORIGIN")
			hdr.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			hdr.Set("X-Content-Type-Options", "nosniff")
		}
		h.ServeHTTP(w, r)
	})
}

// sessionFor returns the request's session, setting a cookie for a new one.
func (l *Lab) sessionFor(w http.ResponseWriter, r *http.Request) *session {
	id := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		id = c.Value
	}
	ss, created := l.store.session(id)
	if created {
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: ss.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		// Later lookups while serving this same request find the new session.
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: ss.id})
	}
	return ss
}

// page builds the data every page shares, including the scenario's plants.
func (l *Lab) page(w http.ResponseWriter, r *http.Request, key, title string) (pageData, *session) {
	ss := l.sessionFor(w, r)
	sc := l.current()
	u := l.urls()
	d := pageData{
		Title: title, Key: key, U: u,
		Ver:     strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		Banner:  "年末年始の配送について: 12月28日〜1月4日のご注文は1月5日以降の発送となります。/ Orders from 28 Dec to 4 Jan ship from 5 Jan.",
		ChatURL: u.ThirdParty + "/chat/widget.js",
		Member:  l.store.member(ss),
		Sale:    sc.Campaign,
	}
	d.CSRF = l.store.issueCSRF(ss)
	d.Cart = l.cartView(l.store.cart(ss), d.Sale)
	if d.Sale {
		d.Banner = "冬のセール開催中！全商品20%オフ / Winter sale: 20% off everything until " + time.Now().AddDate(0, 0, 7).Format("1月2日")
	}
	d.Config = map[string]any{
		"csrf": d.CSRF, "ts": time.Now().UnixMilli(), "nonce": randomID("", 8),
		"cartItems": d.Cart.Items, "cartTotal": d.Cart.Total, "currency": "JPY", "page": key,
	}

	d.CMSBlock = template.HTML("<p>お問い合わせ: 平日10時〜17時 / Customer support: weekdays 10:00-17:00</p>")
	if sc.DBBlock != "" {
		d.CMSBlock += template.HTML("<script>" + l.assets.file("skimmers/"+sc.DBBlock) + "</script>")
	}
	if sc.onPage(key) {
		if sc.CDN {
			d.Head += template.HTML(`<script src="` + u.CDN + cdnLibraryPath + `"></script>`)
		}
		if sc.External != "" {
			d.Tail += template.HTML(`<script src="` + u.Attacker + sc.External + `"></script>`)
		}
		if sc.ScriptSrc != "" {
			d.Tail += template.HTML(`<script src="` + template.HTMLEscapeString(l.assets.subst(sc.ScriptSrc)) + `"></script>`)
		}
		if sc.FraudVendor {
			d.Tail += template.HTML(`<script src="` + u.ThirdParty + `/fraud.js"></script>`)
		}
		if sc.Inline != "" {
			d.Tail += template.HTML("<script>\n" + l.assets.file("skimmers/"+sc.Inline) + "</script>\n")
		}
	}
	return d, ss
}

func (l *Lab) render(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := l.assets.pages[d.Key].ExecuteTemplate(&buf, "layout", d); err != nil {
		l.log.Error("render", "page", d.Key, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// parseForm reads a capped form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return err
	}
	return nil
}

func (l *Lab) handleHome(w http.ResponseWriter, r *http.Request) {
	d, _ := l.page(w, r, pageHome, "トップ / Home")
	d.Products = catalogue()
	l.render(w, http.StatusOK, d)
}

func (l *Lab) handleProduct(w http.ResponseWriter, r *http.Request) {
	p, ok := findProduct(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	d, _ := l.page(w, r, pageProduct, p.Name)
	d.Product = &p
	l.render(w, http.StatusOK, d)
}

func (l *Lab) handleCartAdd(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	ss := l.sessionFor(w, r)
	if !l.store.checkCSRF(ss, r.PostFormValue("csrf")) {
		http.Error(w, "invalid or expired form token; reload the page", http.StatusForbidden)
		return
	}
	p, ok := findProduct(r.PostFormValue("product"))
	if !ok {
		http.Error(w, "unknown product", http.StatusBadRequest)
		return
	}
	qty, err := strconv.Atoi(r.PostFormValue("qty"))
	if err != nil || qty < 1 || qty > 99 {
		qty = 1
	}
	l.store.addToCart(ss, p.ID, qty)
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

func (l *Lab) handleCart(w http.ResponseWriter, r *http.Request) {
	d, _ := l.page(w, r, pageCart, "カート / Cart")
	l.render(w, http.StatusOK, d)
}

// checkoutPage prepares a checkout page, with a demo cart when empty.
func (l *Lab) checkoutPage(w http.ResponseWriter, r *http.Request, key, title string) pageData {
	ss := l.sessionFor(w, r)
	l.store.ensureDemoCart(ss)
	d, _ := l.page(w, r, key, title)
	if key == pageToken {
		d.Scripts = template.HTML(`<script src="/static/js/validate.js?v=` + d.Ver + `"></script>` + "\n" +
			`<script src="` + d.U.PSP + `/pay.js"></script>` + "\n" +
			`<script>LabPay.mount('#token-form');</script>`)
	} else {
		d.Scripts = template.HTML(`<script src="/static/js/validate.js?v=` + d.Ver + `"></script>`)
	}
	return d
}

func (l *Lab) handleLinkConfirm(w http.ResponseWriter, r *http.Request) {
	l.render(w, http.StatusOK, l.checkoutPage(w, r, pageLink, "ご注文内容の確認 / Confirm your order"))
}

func (l *Lab) handleTokenCheckout(w http.ResponseWriter, r *http.Request) {
	l.render(w, http.StatusOK, l.checkoutPage(w, r, pageToken, "ご注文手続き / Checkout"))
}

type contact struct{ Name, Email, Phone string }

func contactFrom(r *http.Request) (contact, error) {
	c := contact{
		Name:  strings.TrimSpace(r.PostFormValue("name")),
		Email: strings.TrimSpace(r.PostFormValue("email")),
		Phone: strings.TrimSpace(r.PostFormValue("phone")),
	}
	switch {
	case c.Name == "" || len(c.Name) > 200:
		return c, errors.New("お名前を入力してください / Please enter your name")
	case !strings.Contains(c.Email, "@") || len(c.Email) > 254:
		return c, errors.New("メールアドレスを確認してください / Please check your email address")
	case countDigits(c.Phone) < 10 || len(c.Phone) > 20:
		return c, errors.New("電話番号を確認してください / Please check your phone number")
	}
	return c, nil
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// checkoutSubmission does what both checkout submissions do first: parse
// the form, check its CSRF token and read the customer's contact. It returns
// ok=false after answering the request itself; fail re-renders the checkout
// page with an error.
func (l *Lab) checkoutSubmission(w http.ResponseWriter, r *http.Request, page, title string) (*session, contact, func(int, string), bool) {
	if parseForm(w, r) != nil {
		return nil, contact{}, nil, false
	}
	ss := l.sessionFor(w, r)
	fail := func(status int, msg string) {
		d := l.checkoutPage(w, r, page, title)
		d.Error = msg
		l.render(w, status, d)
	}
	if !l.store.checkCSRF(ss, r.PostFormValue("csrf")) {
		fail(http.StatusForbidden, "フォームの有効期限が切れました / The form expired; please try again")
		return nil, contact{}, nil, false
	}
	c, err := contactFrom(r)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return nil, contact{}, nil, false
	}
	return ss, c, fail, true
}

// handleLinkHandoff stores the contact, opens a payment session at the
// provider and redirects the customer to its hosted page.
func (l *Lab) handleLinkHandoff(w http.ResponseWriter, r *http.Request) {
	ss, c, fail, ok := l.checkoutSubmission(w, r, pageLink, "ご注文内容の確認 / Confirm your order")
	if !ok {
		return
	}
	cart := l.cartView(l.store.cart(ss), l.current().Campaign)
	if cart.Items == 0 {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	p := &pendingCheckout{Ref: randomID("R", 6), Name: c.Name, Email: c.Email, Phone: c.Phone, Total: cart.Total}
	var sess struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	err := l.callPSP(r.Context(), http.MethodPost, "/v1/sessions", url.Values{
		"ref": {p.Ref}, "amount": {strconv.Itoa(p.Total)}, "return_url": {l.shop.url + "/checkout/complete"},
	}, &sess)
	if err != nil {
		l.log.Warn("psp session", "err", err)
		fail(http.StatusBadGateway, "決済代行会社に接続できませんでした / The payment provider is unavailable")
		return
	}
	l.store.addPending(ss, p)
	http.Redirect(w, r, sess.URL, http.StatusSeeOther)
}

// handleOrder is the token-type final submission: charge the token, then
// record the order.
func (l *Lab) handleOrder(w http.ResponseWriter, r *http.Request) {
	ss, c, fail, ok := l.checkoutSubmission(w, r, pageToken, "ご注文手続き / Checkout")
	if !ok {
		return
	}
	token := r.PostFormValue("payment_token")
	if token == "" {
		fail(http.StatusBadRequest, "カード情報が送信されていません / No card token was received")
		return
	}
	cart := l.cartView(l.store.cart(ss), l.current().Campaign)
	if cart.Items == 0 {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	ref := randomID("R", 6)
	var ch Charge
	err := l.callPSP(r.Context(), http.MethodPost, "/v1/charges", url.Values{
		"token": {token}, "amount": {strconv.Itoa(cart.Total)}, "ref": {ref},
	}, &ch)
	if err != nil {
		l.log.Warn("psp charge", "err", err)
		fail(http.StatusPaymentRequired, "お支払いができませんでした / The payment failed: "+err.Error())
		return
	}
	o := l.store.record(Order{Name: c.Name, Email: c.Email, Phone: c.Phone, Total: cart.Total, Checkout: "token", ChargeID: ch.ID})
	l.store.clearCart(ss)
	http.Redirect(w, r, "/checkout/complete?order="+url.QueryEscape(o.ID), http.StatusSeeOther)
}

// handleComplete shows an order; coming back from the provider's hosted page
// (ref and charge) it first verifies the charge and records the order.
func (l *Lab) handleComplete(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, ss := l.page(w, r, pageComplete, "ご注文完了 / Order complete")
	status := http.StatusOK
	switch {
	case q.Get("order") != "":
		if o, ok := l.store.findOrder(q.Get("order")); ok {
			d.Order = &o
		} else {
			status, d.Error = http.StatusNotFound, "ご注文が見つかりません / Order not found"
		}
	case q.Get("ref") != "" && q.Get("charge") != "":
		o, err := l.completeLink(r.Context(), ss, q.Get("ref"), q.Get("charge"))
		if err != nil {
			status, d.Error = http.StatusBadRequest, "お支払いを確認できませんでした / Payment could not be verified: "+err.Error()
		} else {
			d.Order = &o
		}
	default:
		status, d.Error = http.StatusBadRequest, "ご注文番号がありません / No order given"
	}
	if d.Order != nil {
		// The cart view in the header was built before the order cleared it.
		d.Cart = cartView{}
		d.Config["cartItems"], d.Config["cartTotal"] = 0, 0
	}
	l.render(w, status, d)
}

func (l *Lab) completeLink(ctx context.Context, ss *session, ref, chargeID string) (Order, error) {
	p, ok := l.store.pending(ss, ref)
	if !ok {
		return Order{}, fmt.Errorf("unknown checkout %q", ref)
	}
	var ch Charge
	if err := l.callPSP(ctx, http.MethodGet, "/v1/charges/"+url.PathEscape(chargeID), nil, &ch); err != nil {
		return Order{}, err
	}
	if ch.Ref != ref || ch.Amount != p.Total {
		return Order{}, fmt.Errorf("charge %s does not match checkout %s", chargeID, ref)
	}
	return l.store.completePending(ss, ref, ch.ID)
}

// callPSP calls the provider's API over HTTP, as a real shop backend would.
func (l *Lab) callPSP(ctx context.Context, method, path string, form url.Values, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, l.pspAPI.url+path, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", "Bearer "+merchantSecret)
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("payment provider: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("payment provider: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return fmt.Errorf("payment provider: %s: %s", resp.Status, e.Error)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("payment provider: %w", err)
	}
	return nil
}

func (l *Lab) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	d, _ := l.page(w, r, pageRegister, "新規会員登録 / Sign up")
	d.Scripts = template.HTML(`<script src="/static/js/validate.js?v=` + d.Ver + `"></script>`)
	l.render(w, http.StatusOK, d)
}

func (l *Lab) handleRegister(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	ss := l.sessionFor(w, r)
	fail := func(status int, msg string) {
		d, _ := l.page(w, r, pageRegister, "新規会員登録 / Sign up")
		d.Scripts = template.HTML(`<script src="/static/js/validate.js?v=` + d.Ver + `"></script>`)
		d.Error = msg
		l.render(w, status, d)
	}
	if !l.store.checkCSRF(ss, r.PostFormValue("csrf")) {
		fail(http.StatusForbidden, "フォームの有効期限が切れました / The form expired; please try again")
		return
	}
	c, err := contactFrom(r)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	password := r.PostFormValue("password")
	if len(password) < 8 {
		fail(http.StatusBadRequest, "パスワードは8文字以上にしてください / Use at least 8 characters")
		return
	}
	m := member{Name: c.Name, Email: c.Email, Phone: c.Phone,
		Postcode: r.PostFormValue("postcode"), Address: r.PostFormValue("address")}
	if err := l.store.register(ss, m, password); err != nil {
		fail(http.StatusConflict, "このメールアドレスは登録済みです / "+err.Error())
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (l *Lab) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	d, _ := l.page(w, r, pageLogin, "ログイン / Log in")
	l.render(w, http.StatusOK, d)
}

func (l *Lab) handleLogin(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	ss := l.sessionFor(w, r)
	if !l.store.checkCSRF(ss, r.PostFormValue("csrf")) ||
		!l.store.login(ss, strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")) {
		d, _ := l.page(w, r, pageLogin, "ログイン / Log in")
		d.Error = "メールアドレスまたはパスワードが違います / Wrong email or password"
		l.render(w, http.StatusUnauthorized, d)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (l *Lab) handleAccount(w http.ResponseWriter, r *http.Request) {
	d, _ := l.page(w, r, pageAccount, "マイページ / My page")
	if d.Member == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	l.render(w, http.StatusOK, d)
}

func (l *Lab) handleLogout(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	ss := l.sessionFor(w, r)
	if l.store.checkCSRF(ss, r.PostFormValue("csrf")) {
		l.store.logout(ss)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// firstPartyJS is a shop script as served now: maybe re-minified, maybe
// with a skimmer appended.
func (l *Lab) firstPartyJS(name string) (string, bool) {
	src, ok := l.assets.files["static/"+name]
	if !ok || !strings.HasSuffix(name, ".js") {
		return "", false
	}
	sc := l.current()
	if sc.Reminified {
		src = reminify(src)
	}
	if add, ok := sc.Append[name]; ok {
		src += l.assets.file("skimmers/" + add)
	}
	return src, true
}

func (l *Lab) handleStaticJS(w http.ResponseWriter, r *http.Request) {
	src, ok := l.firstPartyJS(r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType(".js"))
	_, _ = io.WriteString(w, src)
}

func (l *Lab) handleStaticCSS(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	src, ok := l.assets.files["static/"+name]
	if !ok || !strings.HasSuffix(name, ".css") {
		http.NotFound(w, r)
		return
	}
	if name == "fonts.css" && l.current().Hidden == "css" {
		src = l.assets.cssPayload
	}
	w.Header().Set("Content-Type", contentType(".css"))
	_, _ = io.WriteString(w, src)
}

func (l *Lab) handleLogo(w http.ResponseWriter, r *http.Request) {
	src := l.assets.file("static/logo.svg")
	if l.current().Hidden == "svg" {
		src = l.assets.svgPayload
	}
	w.Header().Set("Content-Type", contentType(".svg"))
	_, _ = io.WriteString(w, src)
}

func (l *Lab) handleBanner(w http.ResponseWriter, r *http.Request) {
	img := l.assets.jpegClean
	if l.current().Hidden == "jpeg" {
		img = l.assets.jpegPayload
	}
	w.Header().Set("Content-Type", contentType(".jpg"))
	_, _ = w.Write(img)
}

// handleServiceWorker serves the planted service worker of its scenario.
func (l *Lab) handleServiceWorker(w http.ResponseWriter, r *http.Request) {
	sw := l.current().ServiceWorker
	if sw == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType(".js"))
	_, _ = io.WriteString(w, l.assets.file("skimmers/"+sw))
}

// handlePlantedCollector is the attacker's file on the shop's own server.
// It exists only in its scenario and hands what it gets to the attacker.
func (l *Lab) handlePlantedCollector(w http.ResponseWriter, r *http.Request) {
	if !l.current().PlantedCollector {
		http.NotFound(w, r)
		return
	}
	l.attack.record(w, r, l.shop.url)
	w.WriteHeader(http.StatusNoContent)
}

// sameOrigin reports whether a state-changing request provably comes from
// self (an origin): every lab origin is on 127.0.0.1, so any page the
// tester's browser opens, the lab's own attacker page included, is
// same-site with the shop and could otherwise switch its scenario with a
// plain form post. Sec-Fetch-Site and Origin are set by the browser and
// cannot be forged by a page; Referer is the fallback for clients that send
// neither. A request that carries none of them, or any that disagrees, is
// refused.
func sameOrigin(r *http.Request, self string) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		return weborigin.Same(o, self) // "null" has no origin and never matches
	}
	if site == "same-origin" {
		return true
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return weborigin.Same(ref, self)
	}
	return false
}

// handleAdminScenario switches scenarios over HTTP when enabled.
// POST takes a form field or JSON member "name"; GET reports the current one.
func (l *Lab) handleAdminScenario(w http.ResponseWriter, r *http.Request) {
	if !l.opts.AdminEndpoint {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if !sameOrigin(r, l.shop.url) {
			http.Error(w, "cross-origin request refused: post from the shop's own origin (curl: -H 'Origin: "+l.shop.url+"')", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		var name string
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var in struct {
				Name string `json:"name"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
				return
			}
			name = in.Name
		} else {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
				return
			}
			name = r.PostFormValue("name")
		}
		if err := l.SetScenario(name); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"scenario": l.Scenario()})
}
