package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestASecondPDFExportWhileOneRunsIsRefused: PDF exports share one
// Chromium, one at a time; a second one asked for meanwhile gets 429 with
// a Retry-After rather than a browser of its own.
func TestASecondPDFExportWhileOneRunsIsRefused(t *testing.T) {
	s, _ := newTestServerWith(t, Options{})
	viewer := User{ID: 1, Name: "vera", Role: RoleViewer}
	release := s.holdPDFExportForTest()
	for _, path := range []string{"/inventory/shop/export?format=pdf", "/api/sites/shop/inventory/export?format=pdf"} {
		t.Run("a PDF export at "+path+" while another runs gets 429", func(t *testing.T) {
			w := as(s, viewer, httptest.NewRequest("GET", path, nil))
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
				t.Fatalf("status %d, Retry-After %q, want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
			}
		})
	}
	t.Run("a CSV export is not held up by a running PDF export", func(t *testing.T) {
		if w := as(s, viewer, httptest.NewRequest("GET", "/inventory/shop/export?format=csv", nil)); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
	})
	release()
}
