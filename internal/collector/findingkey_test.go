package collector

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

// TestFindingKeyOfNamesTheFindingAnAggregateRaised: for every finding the
// collector files (a script, a connection, inline code, a forged report),
// FindingKeyOf of the stored aggregates that raised it gives its key, and
// an approved origin's aggregate names no filed finding.
func TestFindingKeyOfNamesTheFindingAnAggregateRaised(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: "script-src", Value: "https://cdn.shop.example", Origin: store.OriginBaseline}))
	c := newCollector(t, st, Options{FlushInterval: time.Hour, Sites: []Site{{Name: "shop", Key: testKey, Origins: []string{"https://shop.example"}}}})
	stop := run(t, c)
	sends := []post{
		{body: reportFrom("https://shop.example/checkout", "https://cdn.shop.example/app.js", "script-src-elem"), ip: "192.0.2.1"},
		{body: reportFrom("https://shop.example/checkout", "https://evil.example/skim.js", "script-src-elem"), ip: "192.0.2.1"},
		{body: reportFrom("https://shop.example/checkout", "https://collect.evil.example/c", "connect-src"), ip: "198.51.100.2"},
		{body: reportFrom("https://shop.example/checkout", "inline", "script-src-elem"), ip: "203.0.113.3"},
		{body: reportFrom("https://forger.example/", "https://forger.example/x.js", "script-src-elem"), ip: "203.0.113.9"},
	}
	for i, p := range sends {
		if w := send(c.Handler(), p); w.Code != 204 {
			t.Fatalf("report %d: status %d", i, w.Code)
		}
	}
	eventually(t, "the reports queued", func() bool { return c.Stats().Accepted == int64(len(sends)) })
	must(stop())
	fs, err := st.Findings(ctx, store.FindingQuery{Site: "shop"})
	must(err)
	aggs, err := st.ReportAggregates(ctx, store.AggregateQuery{Site: "shop"})
	must(err)
	var keys []string
	for _, a := range aggs {
		keys = append(keys, FindingKeyOf(a))
	}
	kinds := map[string]bool{}
	for _, f := range fs {
		kinds[f.Kind] = true
		t.Run("the "+f.Kind+" finding is named by an aggregate", func(t *testing.T) {
			if !slices.Contains(keys, f.Key) {
				t.Errorf("no aggregate gives key %s; aggregates %+v gave %q", f.Key, aggs, keys)
			}
		})
	}
	for _, k := range []string{"csp.unapproved-script", "csp.unapproved-connect", "csp.inline-script", "csp.foreign-document"} {
		if !kinds[k] {
			t.Errorf("no %s finding to check; findings %v", k, kinds)
		}
	}
	t.Run("the approved CDN's aggregate names no filed finding", func(t *testing.T) {
		for _, a := range aggs {
			if a.Blocked == "https://cdn.shop.example" {
				k := FindingKeyOf(a)
				if slices.ContainsFunc(fs, func(f store.StoredFinding) bool { return f.Key == k }) {
					t.Errorf("the approved CDN's aggregate names finding %s", k)
				}
			}
		}
	})
}
