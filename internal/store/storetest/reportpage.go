package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func testReportPages(t *testing.T, newStore NewFunc) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	seed := func(t *testing.T, s store.Store, n int) {
		t.Helper()
		var aggs []store.ReportAggregate
		for i := range n {
			// Every three rows share a LastSeen, so the tie-break is used.
			last := t0.Add(time.Duration(i/3) * time.Minute)
			aggs = append(aggs, agg(fmt.Sprintf("https://o%03d.example", i), int64(i+1), t0, last))
			other := agg(fmt.Sprintf("https://o%03d.example", i), 1, t0, last)
			other.Site = "other"
			aggs = append(aggs, other)
		}
		must(t, s.MergeReportAggregates(ctx, "", aggs))
	}
	t.Run("paging through a site's aggregates returns each once, newest first, and ends with a zero cursor", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, 121)
		seen := map[string]bool{}
		var prev time.Time
		after, pages := store.ReportCursor{}, 0
		for {
			rows, next, err := s.ReportAggregatePage(ctx, store.ReportPageQuery{Site: "shop", After: after, Limit: 50})
			must(t, err)
			pages++
			for _, r := range rows {
				if r.Site != "shop" {
					t.Fatalf("a row of site %q on shop's page", r.Site)
				}
				if seen[r.Blocked] {
					t.Fatalf("%s returned twice", r.Blocked)
				}
				if !prev.IsZero() && r.LastSeen.After(prev) {
					t.Fatalf("%s (last seen %s) after a row last seen %s", r.Blocked, r.LastSeen, prev)
				}
				seen[r.Blocked], prev = true, r.LastSeen
			}
			if next.IsZero() {
				break
			}
			// The cursor survives its trip through a URL.
			var err2 error
			if after, err2 = store.ParseReportCursor(next.String()); err2 != nil {
				t.Fatal(err2)
			}
			if pages > 10 {
				t.Fatal("more pages than rows")
			}
		}
		if len(seen) != 121 || pages != 3 {
			t.Fatalf("%d distinct rows in %d pages, want 121 in 3", len(seen), pages)
		}
	})
	t.Run("a page holds the aggregate's fields as merged", func(t *testing.T) {
		s := newStore(t)
		a := agg("https://evil.example", 3, t0, t0.Add(time.Hour), "c1", "c2")
		must(t, s.MergeReportAggregates(ctx, "", []store.ReportAggregate{a, agg("https://evil.example", 2, t0.Add(-time.Hour), t0, "c3")}))
		rows, next, err := s.ReportAggregatePage(ctx, store.ReportPageQuery{Site: "shop", Limit: 10})
		must(t, err)
		if len(rows) != 1 || !next.IsZero() {
			t.Fatalf("rows %+v, next %v", rows, next)
		}
		r := rows[0]
		if r.Count != 5 || r.Clients != 3 || !r.FirstSeen.Equal(t0.Add(-time.Hour)) || !r.LastSeen.Equal(t0.Add(time.Hour)) ||
			r.Directive != a.Directive || r.SourceFile != a.SourceFile || r.Kind != a.Kind {
			t.Fatalf("row %+v", r)
		}
	})
	t.Run("a query without a site or with a limit out of range is refused as invalid", func(t *testing.T) {
		s := newStore(t)
		for _, q := range []store.ReportPageQuery{{Limit: 10}, {Site: "shop"}, {Site: "shop", Limit: store.MaxReportPage + 1}} {
			if _, _, err := s.ReportAggregatePage(ctx, q); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: err %v, want ErrInvalid", q, err)
			}
		}
	})
}
