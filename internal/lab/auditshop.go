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
	// AuditECCUBE4 is an EC-CUBE 4.0.3-like shop, recognisable by its
	// assets path, CSRF meta tag and "eccube" cookie, that serves its
	// composer.json (version 4.0.3), jQuery 1.12.4 (named by its banner
	// only) and jQuery UI 1.11.4 (named by its file name) on the payment
	// page, with the installer at /install/, a .git, a listed /upload/,
	// the admin at /admin/ and no CSP or framing protection.
	AuditECCUBE4
	// AuditMagento2 is a Magento 2.3.5-p1-like shop: static files under
	// /static/version…/frontend/Magento/luma/, /magento_version answering
	// "Magento/2.3 (Community)", a composer.json requiring
	// magento/product-community-edition 2.3.5-p1, the jQuery 1.12.4 that
	// Magento 2.3 bundles, the setup wizard at /setup/, a .git, a listed
	// /var/, the admin at /admin/ and no CSP or framing protection.
	AuditMagento2
)

// NewAuditShop returns the handler of an audit shop. It answers only what
// an audit probes; it does not sell anything (the full lab does that).
func NewAuditShop(v AuditVariant) (http.Handler, error) {
	switch v {
	case AuditExposed:
		return exposedShop(), nil
	case AuditHardened:
		return hardenedShop(), nil
	case AuditECCUBE4:
		return eccube4Shop(), nil
	case AuditMagento2:
		return magento2Shop(), nil
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
		// Still recognisably EC-CUBE 4 (hardening does not hide the
		// platform), with a current jQuery named by its file.
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / お支払い", eccube4Head+
			`<script src="/html/template/default/assets/js/vendor/jquery-3.7.1.min.js"></script>`+
			`<form method="post" action="/shopping/confirm"><input name="card_no"></form>`)
	})
	mux.HandleFunc("GET /html/template/default/assets/js/vendor/jquery-3.7.1.min.js", func(w http.ResponseWriter, r *http.Request) {
		serveScript(w, jqueryScript("3.7.1"))
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

// eccube4Head is what an EC-CUBE 4 page carries in its head: the CSRF
// token meta tag and the default theme's assets path.
const eccube4Head = `<meta name="eccube-csrf-token" content="honey-csrf-0001">` +
	`<link rel="stylesheet" href="/html/template/default/assets/css/style.css">`

// jqueryScript is a stand-in for a minified jQuery build: the real banner
// and the fn.jquery property the library carries, not the library itself.
func jqueryScript(version string) string {
	return "/*! jQuery v" + version + " | (c) JS Foundation and other contributors | jquery.org/license */\n" + jqueryBody(version)
}

func jqueryBody(version string) string {
	return "!function(e,t){\"use strict\";var n=[];var w=function(e,t){return new w.fn.init(e,t)};" +
		"w.fn=w.prototype={jquery:\"" + version + "\",constructor:w,length:0};e.jQuery=e.$=w}(window);\n"
}

func jqueryUIScript(version string) string {
	return "/*! jQuery UI - v" + version + " - 2015-03-11\n* http://jqueryui.com\n* Copyright jQuery Foundation and other contributors; Licensed MIT */\n" +
		"(function(e){e.ui=e.ui||{};e.extend(e.ui,{version:\"" + version + "\"})})(jQuery);\n"
}

func serveScript(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	fmt.Fprint(w, body)
}

func serveJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

// exposedCommon serves what both platform variants leave open: a .git,
// a listed folder and an admin login at /admin/.
func exposedCommon(mux *http.ServeMux, listed, adminTitle string) {
	mux.HandleFunc("GET /.git/HEAD", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, "ref: refs/heads/master\n")
	})
	mux.HandleFunc("GET /.git/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n")
	})
	mux.HandleFunc("GET "+listed+"{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		t := "Index of " + strings.TrimSuffix(listed, "/")
		fmt.Fprintf(w, "<html><head><title>%s</title></head><body><h1>%s</h1><pre><a href=\"cache/\">cache/</a>\n<a href=\"log/\">log/</a></pre></body></html>\n", t, t)
	})
	mux.HandleFunc("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, adminTitle, `<form method="post"><input type="text" name="login_id"><input type="password" name="password"></form>`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusNotFound, "404 Not Found", "")
	})
}

func eccube4Shop() http.Handler {
	mux := http.NewServeMux()
	cookie := "eccube=honey-session-0003; path=/"
	const vendor = "/html/template/default/assets/js/vendor/"
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", cookie)
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / TOP", eccube4Head+`<p>ようこそ</p>`)
	})
	mux.HandleFunc("GET /shopping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", cookie)
		auditPage(w, http.StatusOK, "EC-CUBE SHOP / ご注文手続き", eccube4Head+
			`<script src="`+vendor+`jquery.min.js"></script>`+
			`<script src="`+vendor+`jquery-ui-1.11.4.min.js"></script>`+
			`<script src="/html/template/default/assets/js/function.js"></script>`+
			`<form method="post" action="/shopping/confirm"><input name="card_no"></form>`)
	})
	mux.HandleFunc("GET "+vendor+"jquery.min.js", func(w http.ResponseWriter, r *http.Request) {
		serveScript(w, jqueryScript("1.12.4"))
	})
	mux.HandleFunc("GET "+vendor+"jquery-ui-1.11.4.min.js", func(w http.ResponseWriter, r *http.Request) {
		serveScript(w, jqueryUIScript("1.11.4"))
	})
	mux.HandleFunc("GET /html/template/default/assets/js/function.js", func(w http.ResponseWriter, r *http.Request) {
		serveScript(w, "$(function(){$('.ec-headerNaviRole').show()});\n")
	})
	mux.HandleFunc("GET /composer.json", func(w http.ResponseWriter, r *http.Request) {
		serveJSON(w, `{
    "name": "ec-cube/ec-cube",
    "description": "EC-CUBE EC open platform.",
    "version": "4.0.3",
    "type": "project",
    "license": ["GPL-2.0-only", "proprietary"],
    "require": {"php": "^7.1.3", "symfony/framework-bundle": "^3.4"}
}
`)
	})
	mux.HandleFunc("GET /install/{$}", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, "EC-CUBE インストール", `<h1>EC-CUBEのインストールを開始します。</h1>`)
	})
	exposedCommon(mux, "/upload/", "EC-CUBE 管理画面 ログイン")
	return mux
}

func magento2Shop() http.Handler {
	mux := http.NewServeMux()
	cookie := "PHPSESSID=honey-session-0004; path=/"
	const static = "/static/version1588888888/frontend/Magento/luma/en_US/"
	head := `<link rel="stylesheet" href="` + static + `css/styles-m.css">` +
		`<script src="` + static + `requirejs/require.js"></script>` +
		`<script src="` + static + `jquery.js"></script>` +
		`<script type="text/x-magento-init">{"*":{"mage/cookies":{}}}</script>`
	page := func(title string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Set-Cookie", cookie)
			w.Header().Set("X-Magento-Tags", "store,cms_b")
			auditPage(w, http.StatusOK, title, head+`<p>Luma</p>`)
		}
	}
	mux.HandleFunc("GET /{$}", page("Home Page"))
	mux.HandleFunc("GET /checkout/{$}", page("Checkout"))
	mux.HandleFunc("GET "+static+"requirejs/require.js", func(w http.ResponseWriter, r *http.Request) {
		serveScript(w, "/** vim: et:ts=4:sw=4:sts=4\n * @license RequireJS 2.3.5 */\nvar requirejs,require,define;\n")
	})
	mux.HandleFunc("GET "+static+"jquery.js", func(w http.ResponseWriter, r *http.Request) {
		// The unminified build Magento ships has the long banner.
		serveScript(w, "/*!\n * jQuery JavaScript Library v1.12.4\n * http://jquery.com/\n */\n"+jqueryBody("1.12.4"))
	})
	mux.HandleFunc("GET /magento_version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "Magento/2.3 (Community)")
	})
	mux.HandleFunc("GET /composer.json", func(w http.ResponseWriter, r *http.Request) {
		serveJSON(w, `{
    "name": "magento/project-community-edition",
    "description": "eCommerce Platform for Growth (Community Edition)",
    "type": "project",
    "require": {"magento/product-community-edition": "2.3.5-p1"}
}
`)
	})
	mux.HandleFunc("GET /setup/{$}", func(w http.ResponseWriter, r *http.Request) {
		auditPage(w, http.StatusOK, "Magento Installation", `<div ng-app="magento">Welcome to Magento Admin, your online store headquarters.</div>`)
	})
	exposedCommon(mux, "/var/", "Magento Admin")
	return mux
}

// AuditPaymentPath is the path of variant v's payment page, the page to
// give `skimwatch audit`: EC-CUBE 4 takes payment on /shopping and
// Magento 2 on /checkout/.
func AuditPaymentPath(v AuditVariant) string {
	switch v {
	case AuditECCUBE4:
		return "/shopping"
	case AuditMagento2:
		return "/checkout/"
	}
	return "/shopping/payment"
}
