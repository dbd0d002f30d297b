package collector

import (
	"net/netip"
	"testing"
)

func TestForwardedClient(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"without trusted proxies the peer is the client, whatever the header says", "203.0.113.9", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"a header from an untrusted peer is ignored", "203.0.113.9", []string{"198.51.100.1"}, lb, "203.0.113.9"},
		{"behind a trusted proxy the forwarded address is the client", "10.1.2.3", []string{"198.51.100.1"}, lb, "198.51.100.1"},
		{"a client cannot spoof by prepending addresses", "10.1.2.3", []string{"1.2.3.4, 198.51.100.1"}, lb, "198.51.100.1"},
		{"trusted hops on the right are skipped", "127.0.0.1", []string{"198.51.100.1, 10.9.9.9"}, lb, "198.51.100.1"},
		{"several headers are read as one list", "10.1.2.3", []string{"1.2.3.4", "198.51.100.7"}, lb, "198.51.100.7"},
		{"a malformed hop stops at the proxy", "10.1.2.3", []string{"198.51.100.1, garbage"}, lb, "10.1.2.3"},
		{"no header behind a proxy leaves the proxy", "10.1.2.3", nil, lb, "10.1.2.3"},
		{"IPv6 clients work", "10.1.2.3", []string{"2001:db8::1"}, lb, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := forwardedClient(tt.peer, tt.xff, tt.trusted); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
