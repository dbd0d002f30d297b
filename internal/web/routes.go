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

	mux.Handle("GET /{$}", s.requireRole(RoleViewer, http.HandlerFunc(s.overview)))

	s.findingRoutes(mux)
	s.inventoryRoutes(mux)
}
