package web

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// The forms that sign in, set up and change a password carry a token
// (double-submit): a random value in a cookie of its own, which the page
// repeats in a hidden field. http.CrossOriginProtection stops other
// origins; this stops what it lets through by design, such as a post from
// a same-site page (another port or subdomain of the dashboard's host,
// where an attacker's lab or a compromised app may run) and a client that
// sends no Sec-Fetch-Site or Origin header.
const (
	formCookie     = "skimwatch_form"
	formTokenField = "form_token"
)

// formToken is the request's form token, set as a cookie first when the
// request has none (or a malformed one). It costs no store row, so the
// open sign-in page cannot be used to fill the store. SameSite=Lax, not
// Strict: a sign-in page opened from a link elsewhere must see the cookie
// it already has, or it would replace it under another open tab's form.
func (s *Server) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && validFormToken(c.Value) {
		return c.Value
	}
	tok := randomSecret("")
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	// Later calls in this request (the page that sets it) see the same one.
	r.AddCookie(&http.Cookie{Name: formCookie, Value: tok})
	return tok
}

// validFormToken reports whether v has the shape randomSecret gives: 32
// bytes, URL-safe base64.
func validFormToken(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// formTokenOK reports whether the parsed form r carries the token of its
// cookie.
func formTokenOK(r *http.Request) bool {
	c, err := r.Cookie(formCookie)
	if err != nil || !validFormToken(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get(formTokenField))) == 1
}
