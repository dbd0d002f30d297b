package web

import (
	"net/http"
	"net/url"

	"github.com/skimwatch/skimwatch/internal/termtext"
)

// writeJSON writes v as the API's JSON: through termtext.WriteJSON, so
// stored attacker text is escaped even if a client renders it carelessly.
func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := termtext.WriteJSON(w, v); err != nil {
		s.log.Debug("write JSON", "err", err)
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
