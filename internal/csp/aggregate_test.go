package csp

import (
	"net/netip"
	"strings"
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
			a.Add("shop", script, ClientID([]byte("k"), netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 24)), t0)
		}
		g := a.Drain()[0]
		if g.Count != 200 || len(g.ClientHashes) != MaxClientHashes || g.Clients != MaxClientHashes {
			t.Errorf("count=%d hashes=%d clients=%d", g.Count, len(g.ClientHashes), g.Clients)
		}
	})

	t.Run("client ids depend on the key and never contain the ip", func(t *testing.T) {
		n := ClientNetwork(netip.MustParseAddr("192.0.2.1"))
		a, b := ClientID([]byte("k1"), n), ClientID([]byte("k2"), n)
		if a == b || len(a) != 32 || strings.Contains(a, "192") {
			t.Errorf("ids %q %q", a, b)
		}
		if ClientID([]byte("k1"), n) != a {
			t.Errorf("client id is not stable")
		}
	})
}

func TestClientNetwork(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"two addresses in one IPv4 /24 are one client", "192.0.2.1", "192.0.2.254", true},
		{"addresses in two IPv4 /24s are two clients", "192.0.2.1", "192.0.3.1", false},
		{"two /64s in one IPv6 /56 are one client", "2001:db8:0:1::1", "2001:db8:0:ff::2", true},
		{"addresses in two IPv6 /56s are two clients", "2001:db8:0:100::1", "2001:db8:0:200::1", false},
		{"an IPv4-mapped IPv6 address is its IPv4 client", "::ffff:192.0.2.7", "192.0.2.9", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := ClientNetwork(netip.MustParseAddr(tt.a)), ClientNetwork(netip.MustParseAddr(tt.b))
			if (a == b) != tt.same || (ClientID([]byte("k"), a) == ClientID([]byte("k"), b)) != tt.same {
				t.Errorf("%s -> %s, %s -> %s: same = %v, want %v", tt.a, a, tt.b, b, a == b, tt.same)
			}
		})
	}
}
