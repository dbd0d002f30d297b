package lab

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkStart measures starting and closing a whole lab (six origins),
// which every browser test pays once.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		l, err := Start(b.Context(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPage measures serving checkout pages, clean and tampered, and a
// static file as the baseline in the same run.
func BenchmarkPage(b *testing.B) {
	l, err := Start(b.Context(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	c := &http.Client{}
	for _, bc := range []struct{ name, scenario, path string }{
		{"static-library", "clean", "/static/js/minq.js"},
		{"token-clean", "clean", "/checkout/token"},
		{"token-db-block", "db-block", "/checkout/token"},
		{"link-fake-card-form", "fake-card-form", "/checkout/link"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := l.SetScenario(bc.scenario); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				resp, err := c.Get(l.ShopURL() + bc.path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
