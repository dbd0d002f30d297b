package lab

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The benign checkout (/checkout/benign) is an honest page built as busy
// real shops build theirs, from real libraries installed from npm (see
// internal/lab/npm and scripts/lab-vendor.sh): input masks (Cleave, IMask),
// a live card preview with a brand detector, client-side encryption of the
// card for the provider (jsencrypt), Vue and jQuery, a first-party tag
// container loading vendors with cache-busting queries, analytics events on
// submit, a fraud-prevention vendor sending keystroke timings and a device
// fingerprint to its own origin, and a postcode lookup (yubinbango) whose
// data file's URL depends on the postcode typed. None of it is a skimmer: a
// check must keep it below high, with and without a baseline.

// benignPage is the page's path on the shop.
const benignPage = "/checkout/benign"

// vendorFiles are the vendored libraries the shop serves, by URL path under
// /static/vendor/. They are fixed names, so nothing else under assets/ can
// be asked for.
var vendorFiles = []string{
	"jquery/jquery.min.js",
	"vue/vue.global.prod.js",
	"cleave.js/cleave.min.js",
	"imask/imask.min.js",
	"jsencrypt/jsencrypt.min.js",
	"yubinbango-core2/yubinbango-core.js",
}

// benignData is what the benign checkout's template sees.
type benignData struct {
	Title string
	Ver   string
	CSRF  string
	// Config is rendered as JSON into an inline script.
	Config map[string]any
}

func (l *Lab) benignRoutes(mux *http.ServeMux) {
	page := template.Must(template.ParseFS(assetFS, "assets/benign/checkout.html"))
	mux.HandleFunc("GET "+benignPage, func(w http.ResponseWriter, r *http.Request) {
		l.renderBenign(w, r, page)
	})
	// The order is recorded like a token-type order: the shop sees the
	// contact and the total, and the card only as ciphertext for the
	// provider, which the lab drops (it holds no private key).
	mux.HandleFunc("POST "+benignPage, func(w http.ResponseWriter, r *http.Request) {
		if parseForm(w, r) != nil {
			return
		}
		ss := l.sessionFor(w, r)
		if !l.store.checkCSRF(ss, r.PostFormValue("csrf")) {
			http.Error(w, "invalid or expired form token; reload the page", http.StatusForbidden)
			return
		}
		c, err := contactFrom(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.PostFormValue("encrypted_card") == "" {
			http.Error(w, "カード情報が送信されていません / No card was received", http.StatusBadRequest)
			return
		}
		cart := l.cartView(l.store.cart(ss), false)
		if cart.Items == 0 {
			http.Redirect(w, r, "/cart", http.StatusSeeOther)
			return
		}
		o := l.store.record(Order{Name: c.Name, Email: c.Email, Phone: c.Phone, Total: cart.Total, Checkout: "token"})
		l.store.clearCart(ss)
		http.Redirect(w, r, "/checkout/complete?order="+url.QueryEscape(o.ID), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /static/benign/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if name != "tags.js" && name != "checkout.js" {
			http.NotFound(w, r)
			return
		}
		serveJS(w, l.assets.file("benign/"+name), "no-store")
	})
	mux.HandleFunc("GET /static/vendor/{pkg}/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("pkg") + "/" + r.PathValue("file")
		for _, f := range vendorFiles {
			if f == name {
				serveJS(w, l.assets.file("vendor/"+name), "public, max-age=31536000, immutable")
				return
			}
		}
		http.NotFound(w, r)
	})
}

func (l *Lab) renderBenign(w http.ResponseWriter, r *http.Request, page *template.Template) {
	ss := l.sessionFor(w, r)
	l.store.ensureDemoCart(ss)
	cart := l.cartView(l.store.cart(ss), false)
	var lines []map[string]any
	for _, ln := range cart.Lines {
		lines = append(lines, map[string]any{"name": ln.Product.Name, "qty": ln.Qty, "unit": ln.Unit})
	}
	u := l.urls()
	d := benignData{
		Title: "ご注文手続き / Checkout",
		Ver:   strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		CSRF:  l.store.issueCSRF(ss),
	}
	d.Config = map[string]any{
		"csrf": d.CSRF, "ts": time.Now().UnixMilli(), "nonce": randomID("", 8),
		"lines": lines, "total": cart.Total,
		"analytics": u.ThirdParty, "fraud": l.fraud.url, "postal": l.postal.url,
		"pspKey": l.assets.file("benign/psp-public.pem"),
	}
	// An honest shop lists its vendors in its policy.
	w.Header().Set("Content-Security-Policy-Report-Only", "default-src 'self'; "+
		"script-src 'self' 'unsafe-inline' 'unsafe-eval' "+u.ThirdParty+" "+l.fraud.url+" "+l.postal.url+"; "+
		"connect-src 'self' "+l.fraud.url+"; img-src 'self' data: "+u.ThirdParty+"; "+
		"style-src 'self' 'unsafe-inline'; frame-ancestors 'self'; form-action 'self'")
	var buf strings.Builder
	if err := page.Execute(&buf, d); err != nil {
		l.log.Error("render", "page", "benign", "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, buf.String())
}

func serveJS(w http.ResponseWriter, src, cacheControl string) {
	w.Header().Set("Content-Type", contentType(".js"))
	w.Header().Set("Cache-Control", cacheControl)
	_, _ = io.WriteString(w, src)
}

// fraudHandler is the fraud-prevention vendor: its script, bundled with
// crypto-js as vendors bundle their dependencies, and its telemetry intake.
func (l *Lab) fraudHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fp.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		serveJS(w, l.assets.file("vendor/crypto-js/core.js")+"\n"+
			l.assets.file("vendor/crypto-js/sha256.js")+"\n"+
			l.assets.file("benign/fraud.js"), "public, max-age=300")
	})
	mux.HandleFunc("POST /v4/telemetry", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		// Read and drop: the lab keeps no telemetry.
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxFormBody))
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// postalHandler is the postcode lookup's origin. /data/NNN.js is laid out
// as yubinbango's: a JSONP call of $yubin with the addresses of every
// postcode starting NNN. /api/search?zipcode=NNNNNNN is laid out as
// zipcloud's search API. The lab makes up the addresses, the same
// ones for a prefix every time, and different ones for each prefix.
func (l *Lab) postalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /data/{file}", func(w http.ResponseWriter, r *http.Request) {
		prefix, ok := strings.CutSuffix(r.PathValue("file"), ".js")
		if !ok || len(prefix) != 3 || strings.Trim(prefix, "0123456789") != "" {
			http.NotFound(w, r)
			return
		}
		serveJS(w, postcodeTable(prefix), "public, max-age=86400")
	})
	// The search API answers for any postcode the tables lack: it knows
	// none either, and says so as zipcloud does.
	mux.HandleFunc("GET /api/search", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		code := r.URL.Query().Get("zipcode")
		if len(code) != 7 || strings.Trim(code, "0123456789") != "" {
			writeJSON(w, http.StatusOK, map[string]any{"status": 400, "message": "郵便番号の桁数が不正です。", "results": nil})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": 200, "message": nil, "results": nil})
	})
	return mux
}

// Made-up but plausible place names for the lookup's tables.
var (
	postalTowns   = []string{"千代田区", "中央区", "港区", "新宿区", "文京区", "台東区", "墨田区", "江東区", "品川区", "目黒区"}
	postalStreets = []string{"丸の内", "大手町", "有楽町", "内幸町", "霞が関", "永田町", "平河町", "麹町", "紀尾井町", "神田"}
)

// postcodesPerPrefix is how many postcodes a prefix's data file lists:
// NNN-0000 to NNN-0199.
const postcodesPerPrefix = 200

// PostcodeInTables reports whether the lookup's data files list code
// ("NNN-NNNN" or "NNNNNNN"): the checkout then fills the address from the
// file and never asks the search API, so the whole postcode is not sent.
func PostcodeInTables(code string) bool {
	code = strings.ReplaceAll(code, "-", "")
	if len(code) != 7 || strings.Trim(code, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(code[3:])
	return err == nil && n < postcodesPerPrefix
}

// postcodeTable is the data file for a three-digit prefix: 200 postcodes,
// each with its prefecture number, town and street.
func postcodeTable(prefix string) string {
	h := fnv.New32a()
	_, _ = io.WriteString(h, prefix)
	seed := h.Sum32()
	var b strings.Builder
	b.WriteString("$yubin({")
	for i := 0; i < postcodesPerPrefix; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		n := seed + uint32(i)*2654435761
		fmt.Fprintf(&b, `"%s%04d":[13,"%s","%s%d丁目",""]`, prefix, i, postalTowns[n%uint32(len(postalTowns))],
			postalStreets[(n/16)%uint32(len(postalStreets))], 1+(n/256)%5)
	}
	b.WriteString("});\n")
	return b.String()
}

// FraudOrigin is the benign checkout's fraud-prevention vendor.
func (l *Lab) FraudOrigin() string { return l.fraud.url }

// PostalOrigin serves the benign checkout's postcode lookup data.
func (l *Lab) PostalOrigin() string { return l.postal.url }
