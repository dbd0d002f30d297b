package store

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestMergeDoesNotDependOnOrder(t *testing.T) {
	// Backends merge in whatever order batches arrive; the result must be
	// the same, including which client hashes survive the cap.
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var parts []ReportAggregate
	for i := range 20 {
		var hs []string
		for range rng.IntN(20) {
			hs = append(hs, fmt.Sprintf("h%03d", rng.IntN(200)))
		}
		first := base.Add(time.Duration(rng.IntN(1000)) * time.Second)
		parts = append(parts, ReportAggregate{
			Site: "s", Directive: "script-src", Blocked: "b", Count: int64(i + 1), ClientHashes: hs,
			FirstSeen: first, LastSeen: first.Add(time.Duration(rng.IntN(1000)) * time.Second),
		}.Normalize())
	}
	fold := func(order []int) ReportAggregate {
		acc := parts[order[0]]
		for _, i := range order[1:] {
			acc = acc.Merge(parts[i])
		}
		return acc
	}
	order := rng.Perm(len(parts))
	want := fold(order)
	if want.Count != 210 || want.Clients != len(want.ClientHashes) || want.Clients > MaxClientHashes {
		t.Fatalf("folded %+v", want)
	}
	for range 20 {
		if got := fold(rng.Perm(len(parts))); !reflect.DeepEqual(got, want) {
			t.Fatalf("another order gave\n%+v\nwant\n%+v", got, want)
		}
	}
}

func TestPrepareAggregates(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 999, time.Local)
	a := ReportAggregate{Site: "s", Directive: "d", Blocked: "x", Count: 1, FirstSeen: at, LastSeen: at,
		ClientHashes: []string{"b", "a", "b"}, Clients: 99}
	b := a
	b.Blocked = "y"
	got, err := PrepareAggregates([]ReportAggregate{a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("rows sharing a key fold in order of first appearance", func(t *testing.T) {
		if len(got) != 2 || got[0].Blocked != "x" || got[0].Count != 2 || got[1].Blocked != "y" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("clients are recounted and times kept to the microsecond in UTC", func(t *testing.T) {
		if got[0].Clients != 2 || !reflect.DeepEqual(got[0].ClientHashes, []string{"a", "b"}) {
			t.Fatalf("clients %d %v", got[0].Clients, got[0].ClientHashes)
		}
		if got[0].FirstSeen.Location() != time.UTC || got[0].FirstSeen.Nanosecond()%1000 != 0 {
			t.Fatalf("time %v", got[0].FirstSeen)
		}
	})
}
