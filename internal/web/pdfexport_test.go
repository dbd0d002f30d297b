package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/testsupport"
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

// TestAPDFExportOutlastsTheServersWriteTimeout: serve's HTTP server gives
// every answer 10 s to be written, and a PDF print on a loaded machine
// takes longer. The export moves its own deadline, so the PDF arrives
// rather than a closed connection (which Chromium retries, and the retry
// met the first export's slot: the 429 CI once saw). Here the server's
// write timeout is 50 ms, far below any Chromium start and print.
func TestAPDFExportOutlastsTheServersWriteTimeout(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	s, st := newTestServerWith(t, Options{})
	seedInventory(t, st)
	srv := httptest.NewUnstartedServer(s.secureHeaders(s.requireUserForTest(User{ID: 1, Name: "vera", Role: RoleViewer})))
	srv.Config.WriteTimeout = 50 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	// One connection, never retried: a closed connection is an error here.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 3 * time.Minute}
	resp, err := client.Get(srv.URL + "/inventory/shop/export?format=pdf")
	if err != nil {
		t.Fatalf("the export's connection: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the export: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("status %d, type %q, body starts %q", resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(len(body), 40)])
	}
}
