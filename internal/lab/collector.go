package lab

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Received kinds.
const (
	KindHTTP      = "http"
	KindWebSocket = "websocket"
)

// Received is one request, or one WebSocket message, that reached the
// attacker.
type Received struct {
	Time   time.Time
	Method string
	// URL is absolute: the attacker's origin (or the shop's, for the planted
	// collector) plus path and query.
	URL         string
	Body        string
	Truncated   bool
	ContentType string
	// Kind is KindHTTP or KindWebSocket.
	Kind       string
	RemoteAddr string
}

// Collector keeps what reached the attacker, in memory, up to a limit.
type Collector struct {
	mu      sync.Mutex
	got     []Received
	dropped int
	// changed is closed and replaced on every record, to wake WaitFor.
	changed chan struct{}
}

func newCollector() *Collector { return &Collector{changed: make(chan struct{})} }

func (c *Collector) add(r Received) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, r)
	if len(c.got) > maxCollected {
		c.got = c.got[1:]
		c.dropped++
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// Received returns everything recorded since the last Reset, oldest first.
func (c *Collector) Received() []Received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// Dropped counts records discarded because the limit was reached.
func (c *Collector) Dropped() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// Reset forgets everything recorded.
func (c *Collector) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = nil
	c.dropped = 0
}

// WaitFor returns the first record, already received or arriving before ctx
// ends, for which match is true.
func (c *Collector) WaitFor(ctx context.Context, match func(Received) bool) (Received, error) {
	for {
		// match runs unlocked, so it may call the Collector's methods.
		c.mu.Lock()
		got := slices.Clone(c.got)
		wake := c.changed
		c.mu.Unlock()
		for _, r := range got {
			if match(r) {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return Received{}, ctx.Err()
		case <-wake:
		}
	}
}

// record stores an HTTP request with its capped body.
func (c *Collector) record(w http.ResponseWriter, r *http.Request, origin string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCollectorBody+1))
	truncated := len(body) > maxCollectorBody
	if truncated {
		body = body[:maxCollectorBody]
	}
	if err != nil {
		truncated = true
	}
	c.add(Received{
		Time: time.Now(), Method: r.Method, URL: origin + r.URL.RequestURI(),
		Body: string(body), Truncated: truncated, ContentType: r.Header.Get("Content-Type"),
		Kind: KindHTTP, RemoteAddr: r.RemoteAddr,
	})
}

// transparentGIF is a 1x1 GIF for image beacons.
const transparentGIF = "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"

// attackerScript is the asset the attacker's origin serves at path, if any.
func attackerScript(path string) string {
	switch path {
	case "/js/jquery.cookie.min.js":
		return "skimmers/anti-bot.js"
	}
	return ""
}

// attackerPage is the HTML the attacker's origin serves at path, if any:
// fake card forms that look like a payment provider's.
func attackerPage(path string) string {
	switch path {
	case "/hosted-fields.html":
		return "skimmers/fake-hosted-fields.html"
	case "/pay":
		return "skimmers/fake-pay.html"
	}
	return ""
}

// attackerHandler records every request and every WebSocket message and
// answers as permissively as a real drop server does.
func (l *Lab) attackerHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.attack.record(w, r, l.attacker.url)
		h := w.Header()
		origin := r.Header.Get("Origin")
		if origin == "" {
			origin = "*"
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Cache-Control", "no-store")
		switch {
		case r.Method == http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT")
			h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/ws":
			l.attackerWebSocket(w, r)
		case attackerScript(r.URL.Path) != "":
			h.Set("Content-Type", contentType(".js"))
			_, _ = io.WriteString(w, l.assets.file(attackerScript(r.URL.Path)))
		case attackerPage(r.URL.Path) != "":
			h.Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, l.assets.file(attackerPage(r.URL.Path)))
		case strings.HasSuffix(r.URL.Path, ".gif"):
			h.Set("Content-Type", "image/gif")
			_, _ = io.WriteString(w, transparentGIF)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

func (l *Lab) attackerWebSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the request
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxCollectorBody)
	// Hijacked connections outlive the server's Close; the lab's context ends them.
	ctx := l.ctx
	url := "ws" + strings.TrimPrefix(l.attacker.url, "http") + r.URL.RequestURI()
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			return
		}
		l.attack.add(Received{Time: time.Now(), Method: "MESSAGE", URL: url, Body: string(msg),
			Kind: KindWebSocket, RemoteAddr: r.RemoteAddr})
	}
}
