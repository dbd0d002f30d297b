package collector

import (
	"container/list"
	"net/netip"
	"sync"

	"golang.org/x/time/rate"

	"github.com/skimwatch/skimwatch/internal/csp"
)

// clientLimits holds one rate limiter per client network (see
// csp.ClientNetwork), at most max of them. When full it evicts the least
// recently used network. Wiping the table instead would hand a flooder a
// fresh bucket every time it fills the table with bogus networks; under LRU
// a network that keeps sending keeps its (empty) bucket.
type clientLimits struct {
	mu    sync.Mutex
	max   int
	rate  rate.Limit
	burst int
	// hasher gives each network its client id.
	hasher *csp.ClientHasher
	lru    list.List // of *clientLimit, most recently used first
	at     map[netip.Prefix]*list.Element
}

type clientLimit struct {
	network netip.Prefix
	limiter *rate.Limiter
	// id is the network's client hash, computed once per entry rather
	// than an HMAC per report.
	id string
}

func newClientLimits(max int, r rate.Limit, burst int, hasher *csp.ClientHasher) *clientLimits {
	return &clientLimits{max: max, rate: r, burst: burst, hasher: hasher, at: map[netip.Prefix]*list.Element{}}
}

// allow spends one token of network's bucket and returns the network's
// client id. known reports whether the network was in the table before this
// call: a network never seen (or evicted since) may draw on the site's
// reserve.
func (t *clientLimits) allow(network netip.Prefix) (ok, known bool, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, known := t.at[network]
	if known {
		t.lru.MoveToFront(e)
	} else {
		if t.lru.Len() >= t.max {
			old := t.lru.Back()
			delete(t.at, old.Value.(*clientLimit).network)
			t.lru.Remove(old)
		}
		e = t.lru.PushFront(&clientLimit{network: network, limiter: rate.NewLimiter(t.rate, t.burst), id: t.hasher.ID(network)})
		t.at[network] = e
	}
	cl := e.Value.(*clientLimit)
	return cl.limiter.Allow(), known, cl.id
}

func (t *clientLimits) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}

// siteLimit is one site's budget: the main bucket, and a reserve that only
// clients the collector has not seen may spend. Browsers never resend a CSP
// report, so a real customer's first report must not be lost because
// networks already sending have used up the site's budget.
type siteLimit struct {
	main, reserve *rate.Limiter
}

func (s siteLimit) allow(known bool) bool {
	if s.main.Allow() {
		return true
	}
	return !known && s.reserve.Allow()
}
