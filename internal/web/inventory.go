package web

import "net/http"

// inventoryRoutes registers the inventory pages and API (owned by the
// inventory engineer; the skeleton leaves it empty).
func (s *Server) inventoryRoutes(mux *http.ServeMux) {}
