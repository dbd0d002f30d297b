package lab

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skimwatch/skimwatch/internal/card"
)

// merchantSecret authenticates the shop's backend to the provider's API.
const merchantSecret = "sk_lab_yutori"

// Charge is one payment the provider took. It keeps no card data.
type Charge struct {
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Ref    string    `json:"ref"`
	Amount int       `json:"amount"`
	// Method is "token" (token-type checkout) or "hosted" (link type).
	Method string `json:"method"`
	Status string `json:"status"`
}

type paymentSession struct {
	ID, Ref, ReturnURL string
	Amount             int
	Created            time.Time
}

type cardToken struct {
	used    bool
	created time.Time
}

// Limits on what the provider keeps in memory.
const (
	maxTokens      = 10000
	maxSessionsPSP = 10000
)

type paymentProvider struct {
	shopOrigin string

	mu       sync.Mutex
	sessions map[string]*paymentSession
	tokens   map[string]*cardToken
	charged  []Charge
}

func newPaymentProvider(shopOrigin string) *paymentProvider {
	return &paymentProvider{shopOrigin: shopOrigin, sessions: map[string]*paymentSession{}, tokens: map[string]*cardToken{}}
}

func (p *paymentProvider) charges() []Charge {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.charged)
}

func (p *paymentProvider) charge(ref string, amount int, method string) Charge {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := Charge{ID: randomID("ch_", 8), Time: time.Now(), Ref: ref, Amount: amount, Method: method, Status: "succeeded"}
	p.charged = append(p.charged, c)
	return c
}

var (
	expiryPattern = regexp.MustCompile(`^(0[1-9]|1[0-2])\s*/\s*(\d{2})$`)
	cvcPattern    = regexp.MustCompile(`^\d{3,4}$`)
)

// validateCard checks a card as a provider would; the card is then dropped.
func validateCard(number, exp, cvc string) error {
	if !card.Valid(number) {
		return errors.New("invalid card number")
	}
	m := expiryPattern.FindStringSubmatch(strings.TrimSpace(exp))
	if m == nil {
		return errors.New("invalid expiry, want MM/YY")
	}
	month, _ := strconv.Atoi(m[1])
	year, _ := strconv.Atoi(m[2])
	now := time.Now()
	if 2000+year < now.Year() || (2000+year == now.Year() && month < int(now.Month())) {
		return errors.New("card expired")
	}
	if !cvcPattern.MatchString(strings.TrimSpace(cvc)) {
		return errors.New("invalid security code")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// pspHandler is the provider's page origin: its JS and the hosted page.
func (l *Lab) pspHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pay.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType(".js"))
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(l.assets.file("psp/pay.js")))
	})
	mux.HandleFunc("GET /hosted/pay", l.handleHostedPage)
	mux.HandleFunc("POST /hosted/charge", l.handleHostedCharge)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self' "+l.shop.url+"; frame-ancestors 'none'")
		mux.ServeHTTP(w, r)
	})
}

type hostedData struct {
	Merchant, Session, Error, Cancel string
	Amount                           string
}

func (l *Lab) hostedPage(w http.ResponseWriter, status int, s paymentSession, errMsg string) {
	var buf bytes.Buffer
	d := hostedData{Merchant: "ゆとりの空間", Session: s.ID, Error: errMsg, Cancel: l.shop.url + "/cart",
		Amount: strings.TrimPrefix(formatYen(s.Amount), "¥")}
	if err := l.assets.psp.Execute(&buf, d); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (l *Lab) paymentSession(id string) (paymentSession, bool) {
	p := l.payments
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[id]
	if !ok {
		return paymentSession{}, false
	}
	return *s, true
}

func (l *Lab) handleHostedPage(w http.ResponseWriter, r *http.Request) {
	s, ok := l.paymentSession(r.URL.Query().Get("session"))
	if !ok {
		http.Error(w, "unknown or expired payment session", http.StatusNotFound)
		return
	}
	l.hostedPage(w, http.StatusOK, s, "")
}

// handleHostedCharge takes the card on the provider's own page, charges,
// and sends the customer back to the shop.
func (l *Lab) handleHostedCharge(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	s, ok := l.paymentSession(r.PostFormValue("session"))
	if !ok {
		http.Error(w, "unknown or expired payment session", http.StatusNotFound)
		return
	}
	if err := validateCard(r.PostFormValue("number"), r.PostFormValue("exp"), r.PostFormValue("cvc")); err != nil {
		l.hostedPage(w, http.StatusPaymentRequired, s, "カードを確認してください / "+err.Error())
		return
	}
	c := l.payments.charge(s.Ref, s.Amount, "hosted")
	q := url.Values{"ref": {s.Ref}, "charge": {c.ID}}
	http.Redirect(w, r, s.ReturnURL+"?"+q.Encode(), http.StatusSeeOther)
}

// pspAPIHandler is the provider's API origin: tokenisation (CORS, from the
// customer's browser) and sessions and charges (from the shop's backend).
func (l *Lab) pspAPIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("OPTIONS /v1/tokens", l.handleTokenPreflight)
	mux.HandleFunc("POST /v1/tokens", l.handleTokenise)
	mux.HandleFunc("POST /v1/sessions", l.merchantOnly(l.handleCreateSession))
	mux.HandleFunc("POST /v1/charges", l.merchantOnly(l.handleCreateCharge))
	mux.HandleFunc("GET /v1/charges/{id}", l.merchantOnly(l.handleGetCharge))
	return mux
}

func (l *Lab) allowShopCORS(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Origin") != l.shop.url {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", l.shop.url)
	h.Set("Vary", "Origin")
	return true
}

func (l *Lab) handleTokenPreflight(w http.ResponseWriter, r *http.Request) {
	if !l.allowShopCORS(w, r) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func (l *Lab) handleTokenise(w http.ResponseWriter, r *http.Request) {
	l.allowShopCORS(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	var card struct {
		Number string `json:"number"`
		Exp    string `json:"exp"`
		CVC    string `json:"cvc"`
		Name   string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&card); err != nil {
		jsonError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	if err := validateCard(card.Number, card.Exp, card.CVC); err != nil {
		jsonError(w, http.StatusPaymentRequired, err.Error())
		return
	}
	tok := randomID("tok_", 12)
	p := l.payments
	p.mu.Lock()
	if len(p.tokens) >= maxTokens {
		// Drop the lot rather than track ages: a lab never needs that many.
		clear(p.tokens)
	}
	p.tokens[tok] = &cardToken{created: time.Now()}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (l *Lab) merchantOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(merchantSecret)) != 1 {
			jsonError(w, http.StatusUnauthorized, "merchant authentication required")
			return
		}
		h(w, r)
	}
}

func amountFrom(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PostFormValue("amount"))
	if err != nil || n <= 0 || n > 10_000_000 {
		return 0, errors.New("invalid amount")
	}
	return n, nil
}

func (l *Lab) handleCreateSession(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	amount, err := amountFrom(r)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	ret := r.PostFormValue("return_url")
	if !strings.HasPrefix(ret, l.shop.url+"/") {
		jsonError(w, http.StatusBadRequest, "return_url must be on the merchant's origin")
		return
	}
	s := &paymentSession{ID: randomID("ps_", 10), Ref: r.PostFormValue("ref"), ReturnURL: ret, Amount: amount, Created: time.Now()}
	p := l.payments
	p.mu.Lock()
	if len(p.sessions) >= maxSessionsPSP {
		clear(p.sessions)
	}
	p.sessions[s.ID] = s
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": s.ID, "url": l.psp.url + "/hosted/pay?session=" + s.ID})
}

func (l *Lab) handleCreateCharge(w http.ResponseWriter, r *http.Request) {
	if parseForm(w, r) != nil {
		return
	}
	amount, err := amountFrom(r)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	tok := r.PostFormValue("token")
	p := l.payments
	p.mu.Lock()
	t, ok := p.tokens[tok]
	switch {
	case !ok:
		err = errors.New("unknown token")
	case t.used:
		err = errors.New("token already used")
	default:
		t.used = true
	}
	p.mu.Unlock()
	if err != nil {
		jsonError(w, http.StatusPaymentRequired, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, p.charge(r.PostFormValue("ref"), amount, "token"))
}

func (l *Lab) handleGetCharge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, c := range l.payments.charges() {
		if c.ID == id {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	jsonError(w, http.StatusNotFound, "no such charge")
}
