package collector

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

// BenchmarkHandler is the collector's per-request CPU cost without the
// network: decode, normalise, filter, hash the client and enqueue, with the
// aggregator and SQLite flushes running behind it.
func BenchmarkHandler(b *testing.B) {
	c, err := New(benchStore(b), Options{Sites: []Site{{Name: "shop", Key: testKey}}, FlushInterval: 100 * time.Millisecond,
		SiteRate: 1e9, SiteBurst: 1e9, ClientRate: 1e9, ClientBurst: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	h := c.Handler()
	bodies := make([]string, 16)
	for i := range bodies {
		bodies[i] = legacy(fmt.Sprintf("https://evil%d.example/c.php?d=%d", i%8, i), "connect-src")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := httptest.NewRequest(http.MethodPost, "/r/"+testKey, strings.NewReader(bodies[i%len(bodies)]))
		r.Header.Set("Content-Type", "application/csp-report")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 204 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkUnknownKey is what a request with a wrong site key costs: one
// SHA-256 and a map lookup, the body never read. Compare with
// BenchmarkHandler in the same run.
func BenchmarkUnknownKey(b *testing.B) {
	c, err := New(benchStore(b), Options{Sites: []Site{{Name: "shop", Key: testKey}}})
	if err != nil {
		b.Fatal(err)
	}
	h := c.Handler()
	body := legacy("https://evil.example/a.js", "script-src-elem")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/r/wrong-key-0123456789abcdef", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/csp-report")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 404 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

func benchStore(b *testing.B) Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkRateLimited is what refusing a flood costs per request: the
// site key, the client's network and its empty bucket, a 429. Compare with
// BenchmarkHandler (serving) in the same run: shedding must cost less.
func BenchmarkRateLimited(b *testing.B) {
	c, err := New(benchStore(b), Options{Sites: []Site{{Name: "shop", Key: testKey}}, ClientRate: 1e-9, ClientBurst: 1})
	if err != nil {
		b.Fatal(err)
	}
	h := c.Handler()
	body := legacy("https://evil.example/c.php", "connect-src")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := httptest.NewRequest(http.MethodPost, "/r/"+testKey, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/csp-report")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if i > 0 && w.Code != 429 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
