package collector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkHandler is the collector's per-request CPU cost without the
// network: decode, normalise, filter, hash the client and enqueue, with the
// aggregator and SQLite flushes running behind it.
func BenchmarkHandler(b *testing.B) {
	st := newStore(&testing.T{})
	c, err := New(st, Options{Sites: []Site{{Name: "shop", Key: testKey}}, FlushInterval: 100 * time.Millisecond,
		SiteRate: 1e9, SiteBurst: 1e9, ClientRate: 1e9, ClientBurst: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	stop := run(&testing.T{}, c)
	defer stop()
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
