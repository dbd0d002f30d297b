package csp

import (
	"testing"
	"time"
)

func TestAggregator(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	script := Event{Directive: "script-src-elem", Blocked: "https://evil.example", BlockedKind: KindURL, DocumentPath: "/checkout", Disposition: "report"}
	connect := script
	connect.Directive = "connect-src"

	t.Run("identical reports merge with a count, first and last seen and distinct clients", func(t *testing.T) {
		a := NewAggregator()
		a.Add("shop", script, "c1", t0.Add(time.Second))
		a.Add("shop", script, "c2", t0)
		a.Add("shop", script, "c1", t0.Add(2*time.Second))
		a.Add("shop", connect, "c1", t0)
		gs := a.Drain()
		if len(gs) != 2 {
			t.Fatalf("got %d aggregates, want 2", len(gs))
		}
		g := gs[1] // sorted: connect-src < script-src-elem
		if g.Directive != "script-src-elem" || g.Count != 3 || g.Clients != 2 || !g.FirstSeen.Equal(t0) || !g.LastSeen.Equal(t0.Add(2*time.Second)) {
			t.Errorf("got %+v", g)
		}
		if len(g.Samples) != 3 {
			t.Errorf("kept %d samples, want 3", len(g.Samples))
		}
		if a.Len() != 0 {
			t.Errorf("drain left %d aggregates", a.Len())
		}
	})

	t.Run("merging back a failed flush adds counts exactly once", func(t *testing.T) {
		a := NewAggregator()
		a.Add("shop", script, "c1", t0)
		failed := a.Drain()
		a.Add("shop", script, "c2", t0.Add(time.Minute))
		a.Merge(failed)
		gs := a.Drain()
		if len(gs) != 1 || gs[0].Count != 2 || gs[0].Clients != 2 || !gs[0].FirstSeen.Equal(t0) {
			t.Errorf("got %+v", gs)
		}
	})

	t.Run("client hashes are capped and clients saturate at the cap", func(t *testing.T) {
		a := NewAggregator()
		for i := range 200 {
			a.Add("shop", script, ClientID([]byte("k"), "10.0.0."+string(rune('0'+i%10))+string(rune('a'+i/10)), "ua"), t0)
		}
		g := a.Drain()[0]
		if g.Count != 200 || len(g.ClientHashes) != MaxClientHashes || g.Clients != MaxClientHashes {
			t.Errorf("count=%d hashes=%d clients=%d", g.Count, len(g.ClientHashes), g.Clients)
		}
	})

	t.Run("client ids depend on the key and never contain the ip", func(t *testing.T) {
		a, b := ClientID([]byte("k1"), "192.0.2.1", "ua"), ClientID([]byte("k2"), "192.0.2.1", "ua")
		if a == b || len(a) != 32 {
			t.Errorf("ids %q %q", a, b)
		}
		if ClientID([]byte("k1"), "192.0.2.1", "ua") != a {
			t.Errorf("client id is not stable")
		}
	})
}
