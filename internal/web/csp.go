package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
)

type nonceKey struct{}

// nonceFrom is this response's CSP nonce.
func nonceFrom(ctx context.Context) string {
	n, _ := ctx.Value(nonceKey{}).(string)
	return n
}

// secureHeaders gives every response a fresh nonce and a strict CSP: only
// our own stylesheet and nonce'd scripts run, nothing is framed, forms
// post only to us, and violations are reported to s.reportURI. Findings
// carry attacker-written text; if escaping ever failed, this is what stops
// the script.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [18]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		nonce := base64.RawURLEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"' 'strict-dynamic'; "+
			"style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "+
			"report-uri "+s.reportURI+"; report-to dashboard")
		h.Set("Reporting-Endpoints", `dashboard="`+s.reportURI+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey{}, nonce)))
	})
}
