package lab

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// AuditVariant picks how an audit shop is set up.
type AuditVariant int

const (
	// AuditExposed is an EC-CUBE-like shop left as attackers find them: its
	// installer still in place, a .git folder in the web root, a listed
	// upload folder, the admin login at its default path, no CSP, no
	// framing protection, a session cookie without HttpOnly or SameSite,
	// and a 200 "not found" page for every unknown path (a soft 404).
	AuditExposed AuditVariant = iota + 1
	// AuditHardened is the same shop cleaned up: installer and .git gone
	// (403 or 404), no listing, the admin moved off its default path, an
	// enforced CSP with frame-ancestors and a reporting endpoint, HSTS,
	// and a Secure, HttpOnly, SameSite session cookie. Serve it over TLS
	// (httptest.NewTLSServer) so that HSTS and Secure are meaningful.
	AuditHardened
)

// NewAuditShop returns the handler of an audit shop. It answers only what
// an audit probes; it does not sell anything (the full lab does that).
func NewAuditShop(v AuditVariant) (http.Handler, error) {
	switch v {
	case AuditExposed:
		return exposedShop(), nil
	case AuditHardened:
		return hardenedShop(), nil
	}
	return nil, fmt.Errorf("lab: unknown audit variant %d", int(v))
}

const auditShopPage = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>%s</title></head>
<body><header><a href="/">EC-CUBE SHOP</a></header><main>%s</main></body></html>
`

func auditPage(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, auditShopPage, html.EscapeString(title), body)
}

func exposedShop() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// Neither HttpOnly nor SameSite: what EC-CUBE 2 sites left at PHP's
		// defaults send.
		w.Header().Add("Set-Cookie", "ECSESSID=honey-session-0001; Path=/")
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / TOP", `<p>ようこそ</p>`)
	})
	mux.HandleFunc("GET /shopping/payment", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "ECSESSID=honey-session-0001; Path=/")
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / お支払い", `<form method="post" action="/shopping/confirm"><input name="card_no"></form>`)
	})
	mux.HandleFunc("GET /install.php", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, "EC-CUBE インストール", `<h1>EC-CUBEのインストールを開始します。</h1>`)
	})
	mux.HandleFunc("GET /.git/HEAD", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, "ref: refs/heads/main\n")
	})
	mux.HandleFunc("GET /.git/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n")
	})
	mux.HandleFunc("GET /upload/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /upload</title></head><body><h1>Index of /upload</h1>
<pre><a href="save_image/">save_image/</a>
<a href="temp_image/">temp_image/</a></pre></body></html>
`)
	})
	mux.HandleFunc("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/login", http.StatusFound)
	})
	mux.HandleFunc("GET /admin/login", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, "EC-CUBE 管理画面 ログイン",
			`<form method="post" action="/admin/login"><input type="text" name="login_id"><input type="password" name="password"></form>`)
	})
	// The soft 404: every other path answers 200 with a friendly page, so
	// that only proof in the body can tell an exposure apart.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / ページが見つかりません",
			`<p>お探しのページ `+html.EscapeString(r.URL.Path)+` は見つかりませんでした。</p>`)
	})
	return mux
}

func hardenedShop() http.Handler {
	mux := http.NewServeMux()
	cookie := "ECSESSID=honey-session-0002; Path=/; Secure; HttpOnly; SameSite=Lax"
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", cookie)
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / TOP", `<p>ようこそ</p>`)
	})
	mux.HandleFunc("GET /shopping/payment", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", cookie)
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / お支払い", `<form method="post" action="/shopping/confirm"><input name="card_no"></form>`)
	})
	// The admin lives at a path of the shop's choosing, not /admin/.
	mux.HandleFunc("GET /mng-7f3a/login", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, "管理画面", `<input type="password" name="password">`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusNotFound
		// Apache-style: dot files are refused, not hidden.
		if strings.HasPrefix(r.URL.Path, "/.") {
			status = http.StatusForbidden
		}
		auditPage(w, status, http.StatusText(status), "")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; report-uri /csp-report")
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	})
}
