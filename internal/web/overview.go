package web

import (
	"net/http"

	"github.com/skimwatch/skimwatch/internal/store"
)

// overviewData is the overview page.
type overviewData struct {
	Sites []store.Site
	Pager Pager
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	p := pagerFrom(r)
	sites, err := s.store.Sites(r.Context())
	if err != nil {
		s.serverError(w, r, "list sites", err)
		return
	}
	sites = Trim(&p, window(sites, p.Offset(), p.Limit()))
	s.render(w, r, "overview.html", overviewData{Sites: sites, Pager: p})
}

// window is rows[off:off+n], clipped.
func window[T any](rows []T, off, n int) []T {
	if off >= len(rows) {
		return nil
	}
	return rows[off:min(len(rows), off+n)]
}

// serverError logs err and answers 500 without showing it: an error text
// may carry stored, attacker-written values or database details.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what, "err", err, "path", r.URL.Path)
	if isAPI(r) {
		s.writeJSON(w, http.StatusInternalServerError, map[string]any{"error": what + " failed"})
		return
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}
