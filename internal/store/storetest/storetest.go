// Package storetest is the one test suite every store backend must pass, so
// that SQLite and PostgreSQL agree on every documented semantic.
//
// A backend's test calls Run with a function that returns a fresh, empty
// store. The store must also have an Exec method (see Execer), which the
// suite uses to tamper with rows behind the Store's back.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Execer runs SQL directly against a store's database.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) error
}

// NewFunc returns a fresh, empty store that the test's Cleanup closes.
type NewFunc func(t testing.TB) store.Store

// t0 is the suite's reference time; whole microseconds so that values read
// back compare equal.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

// Run runs the whole suite.
func Run(t *testing.T, newStore NewFunc) {
	t.Run("sites", func(t *testing.T) { testSites(t, newStore) })
	t.Run("report aggregates", func(t *testing.T) { testAggregates(t, newStore) })
	t.Run("approved sources", func(t *testing.T) { testApproved(t, newStore) })
	t.Run("findings", func(t *testing.T) { testFindings(t, newStore) })
	t.Run("event log", func(t *testing.T) { testEvents(t, newStore) })
	t.Run("card numbers", func(t *testing.T) { testCardMasking(t, newStore) })
	t.Run("check runs", func(t *testing.T) { testCheckRuns(t, newStore) })
	t.Run("alerts", func(t *testing.T) { testAlerts(t, newStore) })
	t.Run("inventory", func(t *testing.T) { testInventory(t, newStore) })
	t.Run("users", func(t *testing.T) { testUsers(t, newStore) })
	t.Run("incident scopes", func(t *testing.T) { testIncidentScopes(t, newStore) })
	t.Run("overview", func(t *testing.T) { testOverview(t, newStore) })
	t.Run("finding states", func(t *testing.T) { testFindingStates(t, newStore) })
	t.Run("report pages", func(t *testing.T) { testReportPages(t, newStore) })
	t.Run("job records", func(t *testing.T) { testJobRecords(t, newStore) })
	t.Run("a cancelled context fails a call instead of running it", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.AppendEvent(ctx, store.Event{Type: "t"}); err == nil {
			t.Error("AppendEvent ran on a cancelled context")
		}
		if err := s.MergeReportAggregates(ctx, "", []store.ReportAggregate{agg("x", 1, t0, t0)}); err == nil {
			t.Error("MergeReportAggregates ran on a cancelled context")
		}
		if _, err := s.Findings(ctx, store.FindingQuery{}); err == nil {
			t.Error("Findings ran on a cancelled context")
		}
		if n, err := s.VerifyEvents(t.Context()); err != nil || n != 0 {
			t.Errorf("after cancelled calls: %d events, %v", n, err)
		}
	})
	t.Run("ping answers on an open store", func(t *testing.T) {
		if err := newStore(t).Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testSites(t *testing.T, newStore NewFunc) {
	t.Run("a site is found by its key hash and never by its key", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.UpsertSite(ctx, "shop", store.HashKey("k1")))
		got, err := s.SiteByKeyHash(ctx, store.HashKey("k1"))
		must(t, err)
		if got.Name != "shop" || string(got.KeyHash) != string(store.HashKey("k1")) || got.Created.IsZero() {
			t.Fatalf("got %+v", got)
		}
		if _, err := s.SiteByKeyHash(ctx, []byte("k1")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("lookup by raw key: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("rotating a key replaces the old hash and keeps the creation time", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.UpsertSite(ctx, "shop", store.HashKey("old")))
		before, err := s.SiteByKeyHash(ctx, store.HashKey("old"))
		must(t, err)
		must(t, s.UpsertSite(ctx, "shop", store.HashKey("new")))
		if _, err := s.SiteByKeyHash(ctx, store.HashKey("old")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old key still works: %v", err)
		}
		after, err := s.SiteByKeyHash(ctx, store.HashKey("new"))
		must(t, err)
		if !after.Created.Equal(before.Created) {
			t.Fatalf("created changed from %v to %v", before.Created, after.Created)
		}
	})
	t.Run("two sites cannot share a key hash", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.UpsertSite(ctx, "a", store.HashKey("k")))
		if err := s.UpsertSite(ctx, "b", store.HashKey("k")); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("second site with the same key hash: err = %v, want ErrInvalid", err)
		}
		if err := s.UpsertSite(ctx, "a", store.HashKey("k")); err != nil {
			t.Fatalf("re-registering a site with its own key: %v", err)
		}
	})
	t.Run("bad names and hashes are refused as invalid", func(t *testing.T) {
		s := newStore(t)
		for _, c := range []struct {
			name string
			hash []byte
		}{{"", store.HashKey("k")}, {"shop", []byte("short")}, {"sh\x00op", store.HashKey("k")}, {strings.Repeat("x", 300), store.HashKey("k")}} {
			if err := s.UpsertSite(t.Context(), c.name, c.hash); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("UpsertSite(%q, %d bytes) = %v, want ErrInvalid", c.name, len(c.hash), err)
			}
		}
	})
	t.Run("sites are listed by name", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for _, n := range []string{"c", "a", "b"} {
			must(t, s.UpsertSite(ctx, n, store.HashKey(n)))
		}
		sites, err := s.Sites(ctx)
		must(t, err)
		var names []string
		for _, x := range sites {
			names = append(names, x.Name)
		}
		if !slices.Equal(names, []string{"a", "b", "c"}) {
			t.Fatalf("sites = %v", names)
		}
	})
}

func agg(blocked string, count int64, first, last time.Time, clients ...string) store.ReportAggregate {
	return store.ReportAggregate{
		Site: "shop", Directive: "script-src-elem", Kind: "script", Blocked: blocked,
		SourceFile: "https://shop.example/checkout", DocumentPath: "/checkout", Disposition: "report",
		Count: count, ClientHashes: clients, FirstSeen: first, LastSeen: last,
	}
}

// noise returns n bytes of incompressible printable text.
func noise(n int) string {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte('!' + rng.IntN(94))
	}
	return string(b)
}

func hashes(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func one(t testing.TB, s store.Store) store.ReportAggregate {
	t.Helper()
	got, err := s.ReportAggregates(t.Context(), store.AggregateQuery{Site: "shop"})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("got %d aggregates, want 1: %+v", len(got), got)
	}
	return got[0]
}

func testAggregates(t *testing.T, newStore NewFunc) {
	t.Run("merging adds counts, widens the time range and unions clients", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := agg("https://evil.example", 3, t0, t0.Add(time.Minute), "c1", "c2")
		a.Sample = `{"blocked":"https://evil.example"}`
		must(t, s.MergeReportAggregates(ctx, "", []store.ReportAggregate{a}))
		b := agg("https://evil.example", 5, t0.Add(-time.Hour), t0.Add(30*time.Second), "c2", "c3")
		b.Kind, b.Sample = "other", `{"other":true}`
		must(t, s.MergeReportAggregates(ctx, "", []store.ReportAggregate{b}))
		got := one(t, s)
		if got.Count != 8 {
			t.Errorf("count = %d, want 8", got.Count)
		}
		if !got.FirstSeen.Equal(t0.Add(-time.Hour)) || !got.LastSeen.Equal(t0.Add(time.Minute)) {
			t.Errorf("range = %v..%v", got.FirstSeen, got.LastSeen)
		}
		if !slices.Equal(got.ClientHashes, []string{"c1", "c2", "c3"}) || got.Clients != 3 {
			t.Errorf("clients = %d %v", got.Clients, got.ClientHashes)
		}
		if got.Kind != "script" || got.Sample != a.Sample {
			t.Errorf("kind/sample = %q %q, want the first ones", got.Kind, got.Sample)
		}
	})
	t.Run("client hashes are capped and the count saturates at the cap", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.MergeReportAggregates(ctx, "", []store.ReportAggregate{agg("x", 1, t0, t0, hashes("b", 50)...)}))
		must(t, s.MergeReportAggregates(ctx, "", []store.ReportAggregate{agg("x", 1, t0, t0, hashes("a", 50)...)}))
		got := one(t, s)
		if got.Clients != store.MaxClientHashes || len(got.ClientHashes) != store.MaxClientHashes {
			t.Fatalf("clients = %d (%d hashes), want %d", got.Clients, len(got.ClientHashes), store.MaxClientHashes)
		}
		want := append(hashes("a", 50), hashes("b", 14)...)
		if !slices.Equal(got.ClientHashes, want) {
			t.Fatalf("kept hashes = %v, want the %d smallest", got.ClientHashes, store.MaxClientHashes)
		}
	})
	t.Run("rows with the same key in one batch are folded together", func(t *testing.T) {
		s := newStore(t)
		must(t, s.MergeReportAggregates(t.Context(), "", []store.ReportAggregate{
			agg("x", 2, t0, t0, "c1"), agg("x", 3, t0.Add(time.Second), t0.Add(time.Second), "c2"),
		}))
		if got := one(t, s); got.Count != 5 || got.Clients != 2 {
			t.Fatalf("got count %d clients %d, want 5 and 2", got.Count, got.Clients)
		}
	})
	t.Run("each part of the key keeps rows apart", func(t *testing.T) {
		s := newStore(t)
		base := agg("x", 1, t0, t0)
		variants := []func(*store.ReportAggregate){
			func(*store.ReportAggregate) {},
			func(a *store.ReportAggregate) { a.Directive = "connect-src" },
			func(a *store.ReportAggregate) { a.Blocked = "y" },
			func(a *store.ReportAggregate) { a.SourceFile = "other.js" },
			func(a *store.ReportAggregate) { a.DocumentPath = "/cart" },
			func(a *store.ReportAggregate) { a.Disposition = "enforce" },
			func(a *store.ReportAggregate) { a.Kind = "different kind, same key" },
		}
		var batch []store.ReportAggregate
		for _, v := range variants {
			a := base
			v(&a)
			batch = append(batch, a)
		}
		must(t, s.MergeReportAggregates(t.Context(), "", batch))
		got, err := s.ReportAggregates(t.Context(), store.AggregateQuery{})
		must(t, err)
		if len(got) != 6 {
			t.Fatalf("got %d rows, want 6 (kind is not part of the key)", len(got))
		}
	})
	t.Run("fields up to the size limit are stored whole", func(t *testing.T) {
		s := newStore(t)
		// Random text does not compress, so an index that cannot hold a
		// long key fails here as it would in production.
		a := agg(noise(store.MaxFieldBytes), 1, t0, t0)
		a.Site = noise(store.MaxSiteBytes)
		a.SourceFile = noise(store.MaxFieldBytes)
		a.DocumentPath = noise(store.MaxFieldBytes)
		a.Sample = noise(store.MaxSampleBytes)
		must(t, s.MergeReportAggregates(t.Context(), "", []store.ReportAggregate{a, a}))
		all, err := s.ReportAggregates(t.Context(), store.AggregateQuery{Site: a.Site})
		must(t, err)
		if len(all) != 1 {
			t.Fatalf("got %d rows", len(all))
		}
		got := all[0]
		if got.Blocked != a.Blocked || got.SourceFile != a.SourceFile || got.DocumentPath != a.DocumentPath || got.Sample != a.Sample || got.Count != 2 {
			t.Fatal("a long aggregate did not round-trip")
		}
		src := store.ApprovedSource{Site: a.Site, Directive: noise(store.MaxFieldBytes), Value: noise(store.MaxFieldBytes), Origin: store.OriginManual}
		must(t, s.ApproveSource(t.Context(), src))
		must(t, s.ApproveSource(t.Context(), src))
		_, err = s.AppendEvent(t.Context(), store.Event{Site: a.Site, Type: noise(store.MaxFieldBytes), Actor: noise(store.MaxFieldBytes)})
		must(t, err)
		srcs, err := s.ApprovedSources(t.Context(), a.Site)
		must(t, err)
		if len(srcs) != 1 || srcs[0].Value != src.Value {
			t.Fatal("a long approved source did not round-trip once")
		}
	})
	t.Run("a retried batch with the same ID is not counted twice", func(t *testing.T) {
		s := newStore(t)
		batch := []store.ReportAggregate{agg("x", 4, t0, t0, "c1")}
		for range 3 {
			must(t, s.MergeReportAggregates(t.Context(), "flush-1", batch))
		}
		if got := one(t, s); got.Count != 4 {
			t.Fatalf("count = %d after three retries, want 4", got.Count)
		}
		must(t, s.MergeReportAggregates(t.Context(), "flush-2", batch))
		if got := one(t, s); got.Count != 8 {
			t.Fatalf("count = %d after a new batch, want 8", got.Count)
		}
	})
	t.Run("without a batch ID the same rows count again", func(t *testing.T) {
		s := newStore(t)
		batch := []store.ReportAggregate{agg("x", 4, t0, t0)}
		must(t, s.MergeReportAggregates(t.Context(), "", batch))
		must(t, s.MergeReportAggregates(t.Context(), "", batch))
		if got := one(t, s); got.Count != 8 {
			t.Fatalf("count = %d, want 8", got.Count)
		}
	})
	t.Run("one bad row fails the whole batch and writes nothing", func(t *testing.T) {
		bad := []func(*store.ReportAggregate){
			func(a *store.ReportAggregate) { a.Site = "" },
			func(a *store.ReportAggregate) { a.Directive = "" },
			func(a *store.ReportAggregate) { a.Count = 0 },
			func(a *store.ReportAggregate) { a.LastSeen = a.FirstSeen.Add(-time.Second) },
			func(a *store.ReportAggregate) { a.FirstSeen = time.Time{} },
			func(a *store.ReportAggregate) { a.Sample = strings.Repeat("x", store.MaxSampleBytes+1) },
			func(a *store.ReportAggregate) { a.Blocked = "a\x00b" },
			func(a *store.ReportAggregate) { a.ClientHashes = []string{""} },
		}
		for i, mutate := range bad {
			s := newStore(t)
			b := agg("bad", 1, t0, t0)
			mutate(&b)
			err := s.MergeReportAggregates(t.Context(), "batch", []store.ReportAggregate{agg("good", 1, t0, t0), b})
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "aggregate 1") {
				t.Errorf("case %d: err = %v, want ErrInvalid naming aggregate 1", i, err)
			}
			got, err := s.ReportAggregates(t.Context(), store.AggregateQuery{})
			must(t, err)
			if len(got) != 0 {
				t.Errorf("case %d: %d rows written by a failed batch", i, len(got))
			}
			// The failed batch's ID must not be burnt.
			must(t, s.MergeReportAggregates(t.Context(), "batch", []store.ReportAggregate{agg("good", 1, t0, t0)}))
			if got := one(t, s); got.Count != 1 {
				t.Errorf("case %d: retry after a failed batch counted %d", i, got.Count)
			}
		}
	})
	t.Run("queries filter by site and since and return newest first", func(t *testing.T) {
		s := newStore(t)
		other := agg("x", 1, t0, t0.Add(3*time.Hour))
		other.Site = "other"
		must(t, s.MergeReportAggregates(t.Context(), "", []store.ReportAggregate{
			agg("old", 1, t0, t0), agg("mid", 1, t0, t0.Add(time.Hour)), agg("new", 1, t0, t0.Add(2*time.Hour)), other,
		}))
		got, err := s.ReportAggregates(t.Context(), store.AggregateQuery{Site: "shop", Since: t0.Add(time.Hour)})
		must(t, err)
		if len(got) != 2 || got[0].Blocked != "new" || got[1].Blocked != "mid" {
			t.Fatalf("got %+v", got)
		}
		got, err = s.ReportAggregates(t.Context(), store.AggregateQuery{Limit: 1})
		must(t, err)
		if len(got) != 1 || got[0].Site != "other" {
			t.Fatalf("limit 1: got %+v", got)
		}
	})
	t.Run("queries filter by blocked value and by document prefix", func(t *testing.T) {
		s := newStore(t)
		forged := agg("https://skim.example", 1, t0, t0)
		forged.DocumentPath = "https://skim.example/"
		long := agg(noise(3000), 1, t0, t0)
		must(t, s.MergeReportAggregates(t.Context(), "", []store.ReportAggregate{
			agg("https://skim.example", 2, t0, t0), agg("https://cdn.example", 1, t0, t0), forged, long,
		}))
		tests := []struct {
			name  string
			q     store.AggregateQuery
			count int64
		}{
			{"a blocked value selects only its rows", store.AggregateQuery{Site: "shop", Blocked: "https://skim.example"}, 3},
			{"a blocked value longer than an index row is found", store.AggregateQuery{Site: "shop", Blocked: long.Blocked}, 1},
			{"a document prefix selects only documents that begin with it", store.AggregateQuery{Site: "shop", DocumentPrefix: "https://skim.example/"}, 1},
			{"a prefix with LIKE wildcards matches them literally", store.AggregateQuery{Site: "shop", DocumentPrefix: "%"}, 0},
			{"both together", store.AggregateQuery{Site: "shop", Blocked: "https://cdn.example", DocumentPrefix: "/check"}, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ReportAggregates(t.Context(), tt.q)
				must(t, err)
				var n int64
				for _, g := range got {
					n += g.Count
				}
				if n != tt.count {
					t.Errorf("got %d reports in %d rows, want %d", n, len(got), tt.count)
				}
			})
		}
	})
	t.Run("pruning deletes aggregates last seen before the cut and nothing else", func(t *testing.T) {
		s := newStore(t)
		old := agg("old", 1, t0, t0.Add(time.Hour))
		must(t, s.MergeReportAggregates(t.Context(), "", []store.ReportAggregate{old, agg("new", 1, t0, t0.Add(3*time.Hour))}))
		_, err := s.PutFinding(t.Context(), "k", fnd(finding.High, "csp.unapproved-script", "m", t0))
		must(t, err)
		n, err := s.PruneReportAggregates(t.Context(), t0.Add(2*time.Hour))
		must(t, err)
		got, err := s.ReportAggregates(t.Context(), store.AggregateQuery{})
		must(t, err)
		if n != 1 || len(got) != 1 || got[0].Blocked != "new" {
			t.Errorf("pruned %d, kept %+v; want the old row gone and the new one kept", n, got)
		}
		fs, err := s.Findings(t.Context(), store.FindingQuery{})
		must(t, err)
		if len(fs) != 1 {
			t.Errorf("pruning aggregates removed findings: %d left", len(fs))
		}
	})
	t.Run("concurrent merges into one row lose no counts", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 4, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					errs <- s.MergeReportAggregates(t.Context(), fmt.Sprintf("w%d-%d", w, i),
						[]store.ReportAggregate{agg("x", 1, t0, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("c%d", w))})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		if got := one(t, s); got.Count != workers*each || got.Clients != workers {
			t.Fatalf("count %d clients %d, want %d and %d", got.Count, got.Clients, workers*each, workers)
		}
	})
}

func testApproved(t *testing.T, newStore NewFunc) {
	t.Run("re-approving keeps the first approval", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: "script-src", Value: "https://cdn.example", Origin: store.OriginBaseline, Time: t0}))
		must(t, s.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: "script-src", Value: "https://cdn.example", Origin: store.OriginManual, Time: t0.Add(time.Hour)}))
		must(t, s.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: "connect-src", Value: "https://api.example", Origin: store.OriginCollector, Time: t0}))
		must(t, s.ApproveSource(ctx, store.ApprovedSource{Site: "other", Directive: "script-src", Value: "'sha256-abc='", Origin: store.OriginManual}))
		got, err := s.ApprovedSources(ctx, "shop")
		must(t, err)
		want := []store.ApprovedSource{
			{Site: "shop", Directive: "connect-src", Value: "https://api.example", Origin: store.OriginCollector, Time: t0},
			{Site: "shop", Directive: "script-src", Value: "https://cdn.example", Origin: store.OriginBaseline, Time: t0},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i := range want {
			if got[i].Site != want[i].Site || got[i].Directive != want[i].Directive || got[i].Value != want[i].Value ||
				got[i].Origin != want[i].Origin || !got[i].Time.Equal(want[i].Time) {
				t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		other, err := s.ApprovedSources(ctx, "other")
		must(t, err)
		if len(other) != 1 || other[0].Time.IsZero() {
			t.Fatalf("other = %+v (a zero time must become now)", other)
		}
	})
	t.Run("an unknown origin or an empty value is refused", func(t *testing.T) {
		s := newStore(t)
		for _, a := range []store.ApprovedSource{
			{Site: "shop", Directive: "script-src", Value: "x", Origin: "guess"},
			{Site: "shop", Directive: "script-src", Value: "", Origin: store.OriginManual},
			{Site: "", Directive: "script-src", Value: "x", Origin: store.OriginManual},
		} {
			if err := s.ApproveSource(t.Context(), a); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: err = %v, want ErrInvalid", a, err)
			}
		}
	})
}

func fnd(sev finding.Severity, kind, msg string, at time.Time) finding.Finding {
	return finding.Finding{
		Severity: sev, Kind: kind, Message: msg, Source: "check", Site: "shop",
		URL: "https://shop.example/checkout", Time: at,
		Evidence: map[string]any{"destination": "https://evil.example/c", "hits": 2.0},
	}
}

func testFindings(t *testing.T, newStore NewFunc) {
	t.Run("the same finding raised again is one row with a count", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		f := fnd(finding.Critical, "honey.card-exfiltration", "first", t0)
		key := store.FindingKey(f)
		created, err := s.PutFinding(ctx, key, f)
		must(t, err)
		if !created {
			t.Fatal("first put: created = false")
		}
		f2 := fnd(finding.High, "honey.card-exfiltration", "latest", t0.Add(time.Hour))
		created, err = s.PutFinding(ctx, key, f2)
		must(t, err)
		if created {
			t.Fatal("second put: created = true")
		}
		// A late replay of an older sighting counts but does not roll back.
		_, err = s.PutFinding(ctx, key, fnd(finding.Low, "honey.card-exfiltration", "replayed", t0.Add(-time.Hour)))
		must(t, err)
		got, err := s.Findings(ctx, store.FindingQuery{})
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("got %d rows", len(got))
		}
		g := got[0]
		if g.Count != 3 || g.Key != key || g.Message != "latest" || g.Severity != finding.High {
			t.Errorf("got count %d key %q message %q severity %v", g.Count, g.Key, g.Message, g.Severity)
		}
		if !g.FirstSeen.Equal(t0.Add(-time.Hour)) || !g.LastSeen.Equal(t0.Add(time.Hour)) {
			t.Errorf("range %v..%v", g.FirstSeen, g.LastSeen)
		}
		if g.Evidence["destination"] != "https://evil.example/c" || g.Evidence["hits"] != 2.0 || g.URL != f.URL || g.Source != "check" {
			t.Errorf("round trip lost fields: %+v", g)
		}
	})
	t.Run("the same key on another site is another finding", func(t *testing.T) {
		s := newStore(t)
		f := fnd(finding.High, "k", "m", t0)
		_, err := s.PutFinding(t.Context(), "key", f)
		must(t, err)
		f.Site = "other"
		created, err := s.PutFinding(t.Context(), "key", f)
		must(t, err)
		if !created {
			t.Fatal("finding on another site was merged")
		}
	})
	t.Run("queries filter by site, since and severity, highest first", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		put := func(site string, sev finding.Severity, kind string, at time.Time) {
			f := fnd(sev, kind, kind, at)
			f.Site = site
			_, err := s.PutFinding(ctx, store.FindingKey(f), f)
			must(t, err)
		}
		put("shop", finding.Low, "low.new", t0.Add(2*time.Hour))
		put("shop", finding.Critical, "crit.old", t0)
		put("shop", finding.High, "high.new", t0.Add(2*time.Hour))
		put("shop", finding.High, "high.mid", t0.Add(time.Hour))
		put("other", finding.Critical, "crit.other", t0.Add(2*time.Hour))
		kinds := func(q store.FindingQuery) []string {
			got, err := s.Findings(ctx, q)
			must(t, err)
			var ks []string
			for _, f := range got {
				ks = append(ks, f.Kind)
			}
			return ks
		}
		for _, c := range []struct {
			name string
			q    store.FindingQuery
			want []string
		}{
			{"all of a site", store.FindingQuery{Site: "shop"}, []string{"crit.old", "high.new", "high.mid", "low.new"}},
			{"since an hour", store.FindingQuery{Site: "shop", Since: t0.Add(time.Hour)}, []string{"high.new", "high.mid", "low.new"}},
			{"high and above", store.FindingQuery{Site: "shop", MinSeverity: finding.High}, []string{"crit.old", "high.new", "high.mid"}},
			{"limit two over all sites", store.FindingQuery{Limit: 2}, []string{"crit.other", "crit.old"}},
		} {
			if got := kinds(c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
	})
	t.Run("concurrent puts of one finding make one row and one creation", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 4, 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, failures := 0, []error{}
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					c, err := s.PutFinding(t.Context(), "same", fnd(finding.High, "k", "m", t0.Add(time.Duration(w*each+i)*time.Second)))
					mu.Lock()
					if c {
						created++
					}
					if err != nil {
						failures = append(failures, err)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for _, err := range failures {
			t.Error(err)
		}
		got, err := s.Findings(t.Context(), store.FindingQuery{})
		must(t, err)
		if created != 1 || len(got) != 1 || got[0].Count != workers*each || !got[0].LastSeen.Equal(t0.Add((workers*each-1)*time.Second)) {
			t.Fatalf("created %d times, rows %+v", created, got)
		}
	})
	t.Run("an invalid finding is refused", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.PutFinding(t.Context(), "k", finding.Finding{Kind: "x", Message: "m"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no severity: err = %v", err)
		}
		if _, err := s.PutFinding(t.Context(), "", fnd(finding.High, "x", "m", t0)); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no key: err = %v", err)
		}
	})
}

func testEvents(t *testing.T, newStore NewFunc) {
	t.Run("appends fill seq, hashes and time, and the chain verifies", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		e1, err := s.AppendEvent(ctx, store.Event{Site: "shop", Type: "approve", Actor: "alice", Data: json.RawMessage(`{"b": 1, "a": [1.50, "x"]}`)})
		must(t, err)
		if e1.Seq != 1 || e1.PrevHash != "" || len(e1.Hash) != 64 || e1.Time.IsZero() {
			t.Fatalf("first event = %+v", e1)
		}
		if string(e1.Data) != `{"a":[1.50,"x"],"b":1}` {
			t.Fatalf("data not canonical: %s", e1.Data)
		}
		e2, err := s.AppendEvent(ctx, store.Event{Site: "other", Type: "dismiss", Time: t0})
		must(t, err)
		if e2.Seq != 2 || e2.PrevHash != e1.Hash || !e2.Time.Equal(t0) || string(e2.Data) != "null" {
			t.Fatalf("second event = %+v", e2)
		}
		n, err := s.VerifyEvents(ctx)
		must(t, err)
		if n != 2 {
			t.Fatalf("verified %d events, want 2", n)
		}
		got, err := s.Events(ctx, store.EventQuery{})
		must(t, err)
		if len(got) != 2 || got[0].Hash != e1.Hash || string(got[0].Data) != string(e1.Data) || !got[0].Time.Equal(e1.Time) || got[1].Hash != e2.Hash {
			t.Fatalf("read back %+v", got)
		}
	})
	t.Run("an empty log verifies with zero events", func(t *testing.T) {
		n, err := newStore(t).VerifyEvents(t.Context())
		if err != nil || n != 0 {
			t.Fatalf("n=%d err=%v", n, err)
		}
	})
	t.Run("queries filter by site, type and seq", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for _, e := range []store.Event{{Site: "a", Type: "x"}, {Site: "b", Type: "x"}, {Site: "a", Type: "y"}, {Site: "a", Type: "x"}} {
			_, err := s.AppendEvent(ctx, e)
			must(t, err)
		}
		seqs := func(q store.EventQuery) []int64 {
			got, err := s.Events(ctx, q)
			must(t, err)
			var out []int64
			for _, e := range got {
				out = append(out, e.Seq)
			}
			return out
		}
		for _, c := range []struct {
			name string
			q    store.EventQuery
			want []int64
		}{
			{"by site", store.EventQuery{Site: "a"}, []int64{1, 3, 4}},
			{"by type", store.EventQuery{Type: "x"}, []int64{1, 2, 4}},
			{"after seq with limit", store.EventQuery{AfterSeq: 1, Limit: 2}, []int64{2, 3}},
		} {
			if got := seqs(c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
	})
	t.Run("bad events are refused", func(t *testing.T) {
		s := newStore(t)
		for _, e := range []store.Event{{Type: ""}, {Type: "x", Data: json.RawMessage(`{"a":`)}, {Type: "x", Data: json.RawMessage(`1 2`)}} {
			if _, err := s.AppendEvent(t.Context(), e); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: err = %v, want ErrInvalid", e, err)
			}
		}
	})
	tamper := []struct {
		name  string
		query string
		seq   int64
	}{
		{"a changed data column", `UPDATE events SET data = '{"approved":false}' WHERE seq = 3`, 3},
		{"a changed actor", `UPDATE events SET actor = 'mallory' WHERE seq = 2`, 2},
		{"a deleted row in the middle", `DELETE FROM events WHERE seq = 4`, 4},
		{"a rehashed row whose successor still points at the old hash", `UPDATE events SET hash = 'f00d' WHERE seq = 3`, 3},
	}
	for _, c := range tamper {
		t.Run("verification catches "+c.name, func(t *testing.T) {
			s := newStore(t)
			ctx := t.Context()
			for i := range 5 {
				_, err := s.AppendEvent(ctx, store.Event{Site: "shop", Type: "approve", Data: json.RawMessage(fmt.Sprintf(`{"approved":true,"i":%d}`, i))})
				must(t, err)
			}
			ex, ok := s.(Execer)
			if !ok {
				t.Fatalf("%T has no Exec method to tamper with", s)
			}
			must(t, ex.Exec(ctx, c.query))
			n, err := s.VerifyEvents(ctx)
			var ce *store.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyEvents = %d, %v; want a *ChainError", n, err)
			}
			if ce.Seq != c.seq || n != int(c.seq-1) {
				t.Fatalf("broken at seq %d after %d good events, want seq %d (%v)", ce.Seq, n, c.seq, err)
			}
		})
	}
	t.Run("concurrent appends form one unbroken chain", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					_, err := s.AppendEvent(t.Context(), store.Event{Type: "t", Actor: fmt.Sprint(w), Data: json.RawMessage(fmt.Sprint(i))})
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		n, err := s.VerifyEvents(t.Context())
		must(t, err)
		if n != workers*each {
			t.Fatalf("verified %d events, want %d", n, workers*each)
		}
	})
}

// RunTwoWriters checks that two Store values on one database, as two
// processes or machines would have, still write one unbroken chain and lose
// no counts when they write at the same time.
func RunTwoWriters(t *testing.T, a, b store.Store) {
	const each = 30
	var wg sync.WaitGroup
	errs := make(chan error, 4*each)
	for w, s := range []store.Store{a, b} {
		wg.Go(func() {
			for i := range each {
				_, err := s.AppendEvent(t.Context(), store.Event{Type: "t", Actor: fmt.Sprint(w), Data: json.RawMessage(fmt.Sprint(i))})
				errs <- err
				errs <- s.MergeReportAggregates(t.Context(), fmt.Sprintf("w%d-%d", w, i),
					[]store.ReportAggregate{agg("x", 1, t0, t0, fmt.Sprint(w)), agg(fmt.Sprint("y", i%3), 1, t0, t0)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	for _, s := range []store.Store{a, b} {
		n, err := s.VerifyEvents(t.Context())
		must(t, err)
		if n != 2*each {
			t.Fatalf("verified %d events, want %d", n, 2*each)
		}
	}
	got, err := a.ReportAggregates(t.Context(), store.AggregateQuery{})
	must(t, err)
	var total int64
	for _, g := range got {
		total += g.Count
	}
	if len(got) != 4 || total != 4*each {
		t.Fatalf("%d rows with %d reports, want 4 rows with %d", len(got), total, 4*each)
	}
}

// BenchmarkMerge measures MergeReportAggregates in batches of batchSize rows,
// half of them new keys and half merges into existing ones, and reports
// rows/s.
func BenchmarkMerge(b *testing.B, newStore NewFunc, batchSize int) {
	s := newStore(b)
	ctx := context.Background()
	clients := hashes("client", 8)
	b.ResetTimer()
	for i := range b.N {
		batch := make([]store.ReportAggregate, batchSize)
		for j := range batch {
			// Keys repeat every two iterations, so half the rows merge.
			batch[j] = agg(fmt.Sprintf("https://host%d.example", (i/2)*batchSize+j), 1, t0, t0.Add(time.Duration(i)*time.Second), clients[j%len(clients)])
		}
		if err := s.MergeReportAggregates(ctx, fmt.Sprintf("bench-%d", i), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "rows/s")
}

// Clock is a settable clock for stores opened with an injected Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// RunClocked runs the checks that need the store's clock; newStore must open
// a fresh store whose Now is now.
func RunClocked(t *testing.T, newStore func(t testing.TB, now func() time.Time) store.Store) {
	t.Run("batch IDs are remembered for the retention period and then forgotten", func(t *testing.T) {
		clock := &Clock{t: t0}
		s := newStore(t, clock.Now)
		batch := []store.ReportAggregate{agg("x", 1, t0, t0)}
		must(t, s.MergeReportAggregates(t.Context(), "old", batch))
		clock.Set(t0.Add(store.BatchRetention - time.Minute))
		must(t, s.MergeReportAggregates(t.Context(), "old", batch))
		if got := one(t, s); got.Count != 1 {
			t.Fatalf("count %d: a retry within the retention period counted", got.Count)
		}
		// Any later batch prunes IDs past the period.
		clock.Set(t0.Add(store.BatchRetention + time.Minute))
		must(t, s.MergeReportAggregates(t.Context(), "new", batch))
		must(t, s.MergeReportAggregates(t.Context(), "old", batch))
		if got := one(t, s); got.Count != 3 {
			t.Fatalf("count %d, want 3 once the old ID was forgotten", got.Count)
		}
	})
	t.Run("zero times take the store's clock", func(t *testing.T) {
		clock := &Clock{t: t0}
		s := newStore(t, clock.Now)
		e, err := s.AppendEvent(t.Context(), store.Event{Type: "t"})
		must(t, err)
		must(t, s.UpsertSite(t.Context(), "shop", store.HashKey("k")))
		f := fnd(finding.High, "k", "m", time.Time{})
		_, err = s.PutFinding(t.Context(), "key", f)
		must(t, err)
		site, err := s.SiteByKeyHash(t.Context(), store.HashKey("k"))
		must(t, err)
		got, err := s.Findings(t.Context(), store.FindingQuery{})
		must(t, err)
		if !e.Time.Equal(t0) || !site.Created.Equal(t0) || len(got) != 1 || !got[0].FirstSeen.Equal(t0) {
			t.Fatalf("event %v, site %v, findings %+v; want all at %v", e.Time, site.Created, got, t0)
		}
	})
}
