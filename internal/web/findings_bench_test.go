package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

// benchFindings is the size the issue asks the list to stay fast at.
const benchFindings = 100_000

// bigStore is a SQLite file with benchFindings findings over 20 sites, five
// detectors and five severities, one in a hundred dismissed and one in ten
// acknowledged, written in SQL because 100,000 PutFinding calls would take
// longer than the benchmark.
func bigStore(b *testing.B) *sqlite.DB {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "big.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	err = st.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO findings (site, key, severity, kind, message, evidence, source, url, path, rule, count, first_seen, last_seen)
		SELECT 'site' || (i % 20), printf('%064x', i), 1 + (i * 7) % 5, 'script.new', 'A script that was not approved now runs: https://cdn' || i || '.example/x.js.',
			'{"url":"https://cdn.example/x.js"}', CASE i % 5 WHEN 0 THEN 'check' WHEN 1 THEN 'collector' WHEN 2 THEN 'fim' WHEN 3 THEN 'scan' ELSE 'audit' END,
			'https://shop.example/checkout', '', '', 1 + i % 9, ? + i * 1000000, ? + i * 1000000 + 5000000 FROM n`, benchFindings-1, base, base)
	if err != nil {
		b.Fatal(err)
	}
	err = st.Exec(ctx, `INSERT INTO finding_states (site, key, state, reason, actor, time, severity, seen)
		SELECT site, key, CASE WHEN rowid % 100 = 0 THEN 'dismissed' ELSE 'acknowledged' END, 'r', 'bench', last_seen, severity, last_seen
		FROM findings WHERE rowid % 10 = 0`)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return st
}

func BenchmarkFindingsPage(b *testing.B) {
	st := bigStore(b)
	s, err := New(context.Background(), Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	// A cursor 1,000 pages deep, as a reader who pressed Next that often.
	deep, err := st.Findings(context.Background(), store.FindingQuery{State: store.StateOpen, Limit: 50_000})
	if err != nil || len(deep) < 50_000 {
		b.Fatalf("%d rows, %v", len(deep), err)
	}
	after := store.CursorOf(deep[len(deep)-1]).String()
	for _, bc := range []struct{ name, query, want string }{
		{"first page of open findings", "", "script.new"},
		{"filtered by site, severity and detector", "?site=site3&severity=low&source=scan", "script.new"},
		{"dismissed findings (1 in 100)", "?state=dismissed", "script.new"},
		{"acknowledged findings (1 in 11)", "?state=acknowledged", "script.new"},
		{"page 1000", "?after=" + after, "script.new"},
		{"a state nothing is in (the whole table is walked)", "?state=resolved", "No findings match"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/findings"+bc.query, nil)
				s.requireUserForTest(viewer).ServeHTTP(w, r)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), bc.want) {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
