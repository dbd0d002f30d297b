package collector

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/csp"
)

// Handler serves POST and OPTIONS /r/{key}: the public endpoint browsers
// report to. /metrics is not on it (see MetricsHandler): what the collector
// counts, refuses and sheds is for its operator, not for the internet.
func (c *Collector) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /r/{key}", c.report)
	mux.HandleFunc("OPTIONS /r/{key}", c.preflight)
	return mux
}

// ReportHandler serves only POST and OPTIONS /r/{key}, for embedding in a
// server that has its own mux (the pattern's {key} wildcard must be kept).
func (c *Collector) ReportHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			c.report(w, r)
		case http.MethodOptions:
			c.preflight(w, r)
		default:
			c.reject(w, r, http.StatusMethodNotAllowed, 0)
		}
	})
}

// Browsers send reports cross-origin (the shop's page to the collector);
// report-uri sends are no-cors, but Reporting API uploads preflight.
func (c *Collector) cors(w http.ResponseWriter) {
	// Keys are already canonical and the values are shared, read-only
	// slices: canonicalising and allocating them showed in profiles at
	// tens of thousands of reports a second.
	h := w.Header()
	for _, kv := range c.corsHeaders {
		h[kv.key] = kv.value
	}
}

type header struct {
	key   string
	value []string
}

func corsHeaders() []header {
	return []header{
		{"Access-Control-Allow-Origin", []string{"*"}},
		{"Access-Control-Allow-Methods", []string{"POST"}},
		{"Access-Control-Allow-Headers", []string{"Content-Type"}},
		{"Access-Control-Max-Age", []string{"86400"}},
	}
}

func (c *Collector) preflight(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.siteFor(r.PathValue("key")); !ok {
		c.reject(w, r, http.StatusNotFound, 0)
		return
	}
	c.cors(w)
	w.WriteHeader(http.StatusNoContent)
}

// reject answers an error status. The connection is kept open when the
// rest of the body is small enough for the server to skip (at most MaxBody
// announced): closing it made the client reconnect for its next request, so
// refusing a flood cost more than serving it (see docs/PERFORMANCE.md,
// "Shedding"). A body of unknown or excessive length closes the connection,
// so that nobody makes the server read a large body it refused.
func (c *Collector) reject(w http.ResponseWriter, r *http.Request, status int, retryAfter time.Duration) {
	if n, ok := c.m.rejected[status]; ok {
		n.Add(1)
	}
	h := w.Header()
	if retryAfter > 0 {
		h["Retry-After"] = []string{strconv.Itoa(int(max(1, retryAfter.Round(time.Second)/time.Second)))}
	}
	if r.ContentLength < 0 || r.ContentLength > c.opts.MaxBody {
		h["Connection"] = []string{"close"}
	}
	// No body: a status is all a browser or a flooder needs.
	w.WriteHeader(status)
}

func (c *Collector) report(w http.ResponseWriter, r *http.Request) {
	// Cheapest checks first: an unknown key costs one hash and a map
	// lookup, and the body is never read.
	site, ok := c.siteFor(r.PathValue("key"))
	if !ok {
		c.reject(w, r, http.StatusNotFound, 0)
		return
	}
	c.cors(w)
	if c.m.shedding.Load() {
		c.reject(w, r, http.StatusServiceUnavailable, c.opts.FlushInterval)
		return
	}
	network := csp.ClientNetwork(c.clientAddr(r))
	ok, known, client := c.clients.allow(network)
	if !ok || !c.siteLimit[site].allow(known) {
		c.reject(w, r, http.StatusTooManyRequests, time.Second)
		return
	}
	ct := r.Header.Get("Content-Type")
	if _, err := csp.MediaFormat(ct); err != nil {
		c.reject(w, r, http.StatusUnsupportedMediaType, 0)
		return
	}
	if r.ContentLength > c.opts.MaxBody {
		c.reject(w, r, http.StatusRequestEntityTooLarge, 0)
		return
	}
	buf, _ := c.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer c.bodies.Put(buf)
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, c.opts.MaxBody))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.reject(w, r, http.StatusRequestEntityTooLarge, 0)
			return
		}
		c.reject(w, r, http.StatusBadRequest, 0)
		return
	}
	vs, skipped, err := csp.Decode(ct, body, c.opts.Decode)
	if err != nil {
		c.reject(w, r, http.StatusBadRequest, 0)
		return
	}
	c.m.drop(DropNotCSP, skipped)
	now := c.opts.Now()
	it := intake{site: site, at: now, events: make([]csp.Event, 0, len(vs))}
	for _, v := range vs {
		e := csp.Normalize(v, c.opts.Normalize)
		if reason := c.opts.Noise.Noise(e); reason != "" {
			c.m.drop(string(reason), 1)
			continue
		}
		it.events = append(it.events, e)
	}
	it.client = client
	if len(it.events) > 0 {
		if !c.enqueue(it) {
			c.reject(w, r, http.StatusServiceUnavailable, c.opts.FlushInterval)
			return
		}
		c.m.accepted.Add(int64(len(it.events)))
	}
	w.WriteHeader(http.StatusNoContent)
}

// clientAddr identifies the browser that sent a report, for per-client
// limits and the distinct-client count (both by its network, see
// csp.ClientNetwork). It is the TCP peer, unless the peer is one of
// Options.TrustedProxies: then it is the rightmost address in
// X-Forwarded-For that is not itself a trusted proxy. Forwarded headers from
// anyone else are ignored, because any client can write them; and only the
// rightmost untrusted hop counts, because a client can prepend addresses.
func (c *Collector) clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(c.opts.TrustedProxies) > 0 {
		host = forwardedClient(host, r.Header.Values("X-Forwarded-For"), c.opts.TrustedProxies)
	}
	addr, _ := netip.ParseAddr(host)
	return addr
}

func forwardedClient(peer string, xff []string, trusted []netip.Prefix) string {
	if !inPrefixes(peer, trusted) {
		return peer
	}
	var hops []string
	for _, h := range xff {
		for _, a := range strings.Split(h, ",") {
			if a = strings.TrimSpace(a); a != "" {
				hops = append(hops, a)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(hops[i])
		if err != nil {
			// A malformed hop ends the chain we can trust.
			return peer
		}
		if !inPrefixes(addr.String(), trusted) {
			return addr.String()
		}
	}
	return peer
}

func inPrefixes(ip string, ps []netip.Prefix) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range ps {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
