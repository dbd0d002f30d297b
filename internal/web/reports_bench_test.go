package web

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

// benchAggregates is the size the issue asks the Reports page to stay fast
// at.
const benchAggregates = 1_000_000

// BenchmarkReportsPage renders the Reports page of a site with a million
// report aggregates in SQLite (written in SQL: a million merges would take
// longer than the benchmark), first and deep pages.
func BenchmarkReportsPage(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "big.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.UpsertSite(ctx, "shop", []byte("0123456789abcdef0123456789abcdef")); err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	// Row i (rowid i+1) was last seen at base + i seconds; one in three
	// shares its second with the next, so the tie-break is exercised.
	err = st.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO report_aggregates (site, directive, blocked, source_file, document_path, disposition, kind, count,
			client_hashes, first_seen, last_seen, sample)
		SELECT 'shop', CASE i % 3 WHEN 0 THEN 'script-src-elem' WHEN 1 THEN 'connect-src' ELSE 'img-src' END,
			'https://o' || i || '.example', 'https://shop.example/static/app.js', '/checkout', 'enforce',
			CASE i % 3 WHEN 0 THEN 'script' WHEN 1 THEN 'connect' ELSE 'image' END, 1 + i % 97, '["c1","c2"]',
			? + (i / 3) * 3000000, ? + (i - i % 2) * 1000000, '' FROM n`, benchAggregates-1, base, base)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	s, err := New(ctx, Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	// The cursor after row i, as a reader who pressed Next that often.
	cursorAt := func(i int) string {
		return fmt.Sprintf("%d.%016x", base+int64(i-i%2)*1_000_000, i+1)
	}
	for _, bc := range []struct{ name, query string }{
		{"first page", ""},
		{"page 100", "&after=" + cursorAt(benchAggregates-1-100*50)},
		{"page 10000 (half-way down)", "&after=" + cursorAt(benchAggregates/2)},
		{"last page", "&after=" + cursorAt(30)},
		{"500 rows a page", "&per=500"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/reports?site=shop"+bc.query, nil)
				s.requireUserForTest(viewer).ServeHTTP(w, r)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), ".example") {
					b.Fatalf("status %d: %.500s", w.Code, w.Body.String())
				}
			}
		})
	}
}
