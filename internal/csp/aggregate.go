package csp

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// MaxClientHashes caps the distinct client hashes kept per aggregate, here
// and in the store; Clients stays exact up to the cap.
const MaxClientHashes = 64

// MaxSamples caps the sample events kept per aggregate as evidence.
const MaxSamples = 3

// Client networks: one customer is counted, and limited, by the network
// its address is in, not by the address itself. An attacker controls many
// addresses in one network (a whole IPv6 /64 is routinely one host, a /56
// one subscriber) and any User-Agent it likes; it rarely controls many
// networks.
const (
	ClientIPv4Bits = 24
	ClientIPv6Bits = 56
)

// ClientNetwork returns the network that stands for one client: the IPv4
// /24 or IPv6 /56 holding addr (an IPv4-mapped IPv6 address counts as IPv4).
// An invalid addr gives the zero Prefix.
func ClientNetwork(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	bits := ClientIPv6Bits
	if addr.Is4() {
		bits = ClientIPv4Bits
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// ClientID is the keyed hash that stands for one customer's browser: HMAC
// SHA-256 of its client network (see ClientNetwork) under a collector
// secret, truncated to 128 bits. The User-Agent is not part of it: anyone
// can send any User-Agent, and one sender must not count as many clients.
// No address is stored; without the key the hash cannot be reversed by
// trying every network.
func ClientID(key []byte, network netip.Prefix) string {
	return NewClientHasher(key).ID(network)
}

// ClientHasher computes ClientID without re-deriving the HMAC key pads on
// every report; it is safe for concurrent use.
type ClientHasher struct{ pool sync.Pool }

// NewClientHasher returns a hasher for key.
func NewClientHasher(key []byte) *ClientHasher {
	k := bytes.Clone(key)
	h := &ClientHasher{}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	return h
}

// ID is ClientID(key, network).
func (h *ClientHasher) ID(network netip.Prefix) string {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	var buf [20]byte
	b, _ := network.AppendBinary(buf[:0])
	m.Write(b)
	var sum [sha256.Size]byte
	id := hex.EncodeToString(m.Sum(sum[:0])[:16])
	h.pool.Put(m)
	return id
}

// AggregateKey is what identical reports share.
type AggregateKey struct {
	Site         string
	Directive    string
	Blocked      string
	SourceFile   string
	DocumentPath string
	Disposition  string
}

// Aggregate is the merged count of identical reports over an interval.
type Aggregate struct {
	AggregateKey
	BlockedKind  Kind
	Count        int64
	FirstSeen    time.Time
	LastSeen     time.Time
	ClientHashes []string // sorted, at most MaxClientHashes
	// Clients is the distinct client count, len(ClientHashes): exact up to
	// MaxClientHashes, "at least" at the cap.
	Clients int
	// Samples are up to MaxSamples events kept as evidence.
	Samples []Event
}

// Aggregator merges events in memory. It is not safe for concurrent use: the
// collector owns one from a single goroutine.
type Aggregator struct {
	m map[AggregateKey]*Aggregate
}

// NewAggregator returns an empty aggregator.
func NewAggregator() *Aggregator { return &Aggregator{m: map[AggregateKey]*Aggregate{}} }

// Len is the number of distinct aggregates held.
func (a *Aggregator) Len() int { return len(a.m) }

// Add merges one event seen from client at time at.
func (a *Aggregator) Add(site string, e Event, client string, at time.Time) {
	k := AggregateKey{
		Site: site, Directive: e.Directive, Blocked: e.Blocked,
		SourceFile: e.SourceFile, DocumentPath: e.DocumentPath, Disposition: e.Disposition,
	}
	g, ok := a.m[k]
	if !ok {
		g = &Aggregate{AggregateKey: k, BlockedKind: e.BlockedKind, FirstSeen: at, LastSeen: at}
		a.m[k] = g
	}
	g.Count++
	if at.Before(g.FirstSeen) {
		g.FirstSeen = at
	}
	if at.After(g.LastSeen) {
		g.LastSeen = at
	}
	g.addClients([]string{client})
	if len(g.Samples) < MaxSamples {
		g.Samples = append(g.Samples, e)
	}
}

// Merge folds aggregates back in, for example after a failed flush, so that
// counts add up exactly once they are flushed again.
func (a *Aggregator) Merge(gs []Aggregate) {
	for _, in := range gs {
		g, ok := a.m[in.AggregateKey]
		if !ok {
			c := in
			c.ClientHashes = slices.Clone(in.ClientHashes)
			c.Samples = slices.Clone(in.Samples)
			a.m[in.AggregateKey] = &c
			continue
		}
		g.Count += in.Count
		if in.FirstSeen.Before(g.FirstSeen) {
			g.FirstSeen = in.FirstSeen
		}
		if in.LastSeen.After(g.LastSeen) {
			g.LastSeen = in.LastSeen
		}
		g.addClients(in.ClientHashes)
		for _, s := range in.Samples {
			if len(g.Samples) < MaxSamples {
				g.Samples = append(g.Samples, s)
			}
		}
	}
}

// addClients adds hashes to the capped sorted set. Beyond the cap a new
// hash cannot be told from a known one, so Clients saturates at
// MaxClientHashes: it reads "at least 64", which is all a threshold needs.
func (g *Aggregate) addClients(hs []string) {
	for _, h := range hs {
		if h == "" || len(g.ClientHashes) >= MaxClientHashes {
			continue
		}
		if i, found := slices.BinarySearch(g.ClientHashes, h); !found {
			g.ClientHashes = slices.Insert(g.ClientHashes, i, h)
		}
	}
	g.Clients = len(g.ClientHashes)
}

// Drain returns every aggregate, sorted by key, and empties the aggregator.
func (a *Aggregator) Drain() []Aggregate {
	out := make([]Aggregate, 0, len(a.m))
	for _, g := range a.m {
		out = append(out, *g)
	}
	clear(a.m)
	SortAggregates(out)
	return out
}

// SortAggregates orders aggregates by key, for stable output and for a
// store that takes row locks in a fixed order.
func SortAggregates(gs []Aggregate) {
	slices.SortFunc(gs, func(x, y Aggregate) int {
		return cmp.Or(
			cmp.Compare(x.Site, y.Site),
			cmp.Compare(x.Directive, y.Directive),
			cmp.Compare(x.Blocked, y.Blocked),
			cmp.Compare(x.SourceFile, y.SourceFile),
			cmp.Compare(x.DocumentPath, y.DocumentPath),
			cmp.Compare(x.Disposition, y.Disposition),
		)
	})
}
