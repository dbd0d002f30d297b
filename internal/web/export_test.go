package web

import "net/http"

// requireUserForTest is the dashboard's routes acting for u, as if u had
// signed in.
func (s *Server) requireUserForTest(u User) http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(withUser(r.Context(), u)))
	})
}

// holdPDFExportForTest takes the one PDF export slot, as a running export
// would, until the returned function is called.
func (s *Server) holdPDFExportForTest() (release func()) {
	s.pdfSlot <- struct{}{}
	return func() { <-s.pdfSlot }
}
