package web

import (
	"io/fs"
	"net/http"
)

// routes registers every route. Page owners register theirs in their own
// file's function (findingRoutes, inventoryRoutes) so that this file does
// not change when a page is added.
func (s *Server) routes(mux *http.ServeMux) {
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	// Open: signing in, first-run set-up, and the dashboard's own CSP
	// reports (rate- and size-limited).
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /setup", s.setupPage)
	mux.HandleFunc("POST /setup", s.setup)
	mux.HandleFunc("POST /api/csp-report", s.cspReport)

	viewer := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleViewer, h) }
	operator := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleOperator, h) }
	admin := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleAdmin, h) }

	mux.Handle("GET /{$}", viewer(s.overview))
	mux.Handle("POST /logout", viewer(s.logout))
	mux.Handle("POST /logout-everywhere", viewer(s.logoutEverywhere))
	mux.Handle("GET /settings", viewer(s.settings))
	mux.Handle("POST /settings/language", viewer(s.setLanguage))
	mux.Handle("POST /settings/password", viewer(s.changePassword))
	mux.Handle("POST /settings/verify", operator(s.verifyChain))
	mux.Handle("POST /settings/users", admin(s.addUser))
	mux.Handle("POST /settings/users/{id}/role", admin(s.setRole))
	mux.Handle("POST /settings/users/{id}/delete", admin(s.deleteUser))
	mux.Handle("POST /settings/tokens", admin(s.addToken))
	mux.Handle("POST /settings/tokens/{id}/delete", admin(s.revokeToken))
	mux.Handle("POST /settings/sinks/{name}/test", admin(s.sendTestAlert))

	mux.Handle("GET /api/me", viewer(s.apiMe))
	mux.Handle("GET /api/overview", viewer(s.apiOverview))
	mux.Handle("POST /api/logout-everywhere", viewer(s.logoutEverywhere))
	mux.Handle("GET /api/events/verify", operator(s.apiVerifyEvents))
	mux.Handle("GET /api/users", admin(s.apiUsers))
	mux.Handle("POST /api/users", admin(s.apiCreateUser))
	mux.Handle("POST /api/users/{id}/role", admin(s.apiSetRole))
	mux.Handle("DELETE /api/users/{id}", admin(s.apiDeleteUser))
	mux.Handle("GET /api/tokens", admin(s.apiTokens))
	mux.Handle("POST /api/tokens", admin(s.apiCreateToken))
	mux.Handle("DELETE /api/tokens/{id}", admin(s.apiRevokeToken))
	mux.Handle("POST /api/sinks/{name}/test", admin(s.apiTestAlert))

	s.findingRoutes(mux)
	s.inventoryRoutes(mux)
	s.reportRoutes(mux)
}

// Protect wraps a handler registered outside this package (the service's
// older /api/findings and /api/runs) in the dashboard's authentication and
// role check, so every API route follows one rule.
func (s *Server) Protect(role Role, h http.Handler) http.Handler {
	return s.secureHeaders(http.NewCrossOriginProtection().Handler(s.authenticate(s.requireRole(role, h))))
}
