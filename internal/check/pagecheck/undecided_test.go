package pagecheck

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// requestLog is what a test shop received, as "METHOD /path?query".
type requestLog struct {
	mu  sync.Mutex
	got []string
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, r.Method+" "+r.URL.RequestURI())
}

func (l *requestLog) has(line string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.got, line)
}

func requestTo(o *observation.Observation, method, suffix string) *observation.Request {
	for i, q := range o.Requests {
		if q.Method == method && strings.HasSuffix(q.URL, suffix) {
			return &o.Requests[i]
		}
	}
	return nil
}

// TestRequestsSeenPausedLate reproduces a loaded machine, where the
// recorder handles a request's Fetch.requestPaused long after Chromium
// reported the request to Network: the check must wait for its decision
// before it leaves the page, and say incomplete when it cannot.
func TestRequestsSeenPausedLate(t *testing.T) {
	b := startBrowser(t)
	// The lab's link-type checkout: name, email and phone, posted to the
	// shop itself, which the guard fails once honey was typed.
	const orderForm = `<form action="/order?token=s3cret" method="post">
<input name="name" autocomplete="name"><input name="email" autocomplete="email"><input name="phone" autocomplete="tel">
<button type="submit">order</button></form>`
	late := func(method, path string, d time.Duration) func(string, string) time.Duration {
		return func(m, u string) time.Duration {
			if m == method && strings.Contains(u, path) {
				return d
			}
			return 0
		}
	}
	tests := []struct {
		name  string
		page  string
		opts  func(*Options)
		check func(t *testing.T, o *observation.Observation, shop string, got *requestLog)
	}{
		{
			name: "a form submit seen paused late is still decided, and failed by the guard, not aborted by leaving",
			page: orderForm,
			opts: func(o *Options) { o.pausedLate = late("POST", "/order", 2500*time.Millisecond) },
			check: func(t *testing.T, o *observation.Observation, shop string, got *requestLog) {
				if !o.Complete {
					t.Errorf("incomplete: %q", o.Incomplete)
				}
				q := requestTo(o, "POST", "/order?token=s3cret")
				if q == nil {
					t.Fatalf("no POST /order recorded")
				}
				if !strings.HasPrefix(q.Failed, "blocked by skimwatch: state-changing request to the shop") {
					t.Errorf("POST /order failed = %q, want blocked by skimwatch", q.Failed)
				}
				if len(o.Blocked) != 1 || o.Blocked[0].URL != shop+"/order?token=s3cret" {
					t.Errorf("blocked = %+v", o.Blocked)
				}
				if got.has("POST /order?token=s3cret") {
					t.Error("the shop received the order")
				}
			},
		},
		{
			name: "a fetch seen paused late is let through before the check leaves the page",
			page: `<p>hello</p><script>addEventListener('load', () => fetch('/late', {method: 'POST', body: 'hello'}));</script>`,
			opts: func(o *Options) {
				o.Probe = false
				o.Dwell = 0
				o.pausedLate = late("POST", "/late", 2500*time.Millisecond)
			},
			check: func(t *testing.T, o *observation.Observation, shop string, got *requestLog) {
				if !o.Complete {
					t.Errorf("incomplete: %q", o.Incomplete)
				}
				if !got.has("POST /late") {
					t.Error("the shop never received POST /late: the check left the page before deciding it")
				}
				if q := requestTo(o, "POST", "/late"); q == nil || q.Failed != "" {
					t.Errorf("POST /late = %+v", q)
				}
			},
		},
		{
			name: "requests the page itself drops before they are seen paused leave the check complete",
			// A data: image never pauses; a fetch the page aborts and a
			// navigation it supersedes end before a decision, by the
			// page's doing, not the check's.
			page: `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<script>if (location.pathname === '/checkout') {
  const c = new AbortController(); fetch('/aborted', {signal: c.signal}).catch(() => {}); setTimeout(() => c.abort(), 50);
  addEventListener('load', () => { location.href = '/superseded'; setTimeout(() => { location.href = '/final'; }, 50); });
}</script>`,
			opts: func(o *Options) {
				o.Probe = false
				o.Dwell = 2 * time.Second
				lateAborted, lateSuperseded := late("GET", "/aborted", time.Hour), late("GET", "/superseded", time.Hour)
				o.pausedLate = func(m, u string) time.Duration { return max(lateAborted(m, u), lateSuperseded(m, u)) }
			},
			check: func(t *testing.T, o *observation.Observation, shop string, got *requestLog) {
				if !o.Complete {
					t.Errorf("incomplete: %q", o.Incomplete)
				}
				for _, path := range []string{"/aborted", "/superseded"} {
					if q := requestTo(o, "GET", path); q == nil || q.Failed != "net::ERR_ABORTED" {
						t.Errorf("GET %s = %+v, want it recorded as aborted", path, q)
					}
				}
				if len(o.Pages) == 0 || o.Pages[len(o.Pages)-1].URL != shop+"/final" {
					t.Errorf("pages = %+v, want the last at /final", o.Pages)
				}
			},
		},
		{
			name: "a request of a cross-site iframe the page removes before it is seen paused leaves the check complete",
			// The iframe's session detaches with the request undecided.
			page: `<script>if (location.pathname === '/checkout') {
  const f = document.createElement('iframe');
  f.src = location.href.replace('127.0.0.1', 'localhost').replace('/checkout', '/framed');
  document.documentElement.appendChild(f);
  addEventListener('message', () => setTimeout(() => f.remove(), 100));
} else if (location.pathname === '/framed') {
  fetch('/in-frame').catch(() => {}); parent.postMessage('sent', '*');
}</script>`,
			opts: func(o *Options) {
				o.Probe = false
				o.pausedLate = late("GET", "/in-frame", time.Hour)
			},
			check: func(t *testing.T, o *observation.Observation, shop string, got *requestLog) {
				if !o.Complete {
					t.Errorf("incomplete: %q", o.Incomplete)
				}
				if requestTo(o, "GET", "/in-frame") == nil {
					t.Error("the iframe's request was not recorded")
				}
			},
		},
		{
			name: "a form submit never seen paused makes the check incomplete, naming the request without its query values",
			page: orderForm,
			opts: func(o *Options) { o.pausedLate = late("POST", "/order", time.Hour) },
			check: func(t *testing.T, o *observation.Observation, shop string, got *requestLog) {
				if o.Complete {
					t.Fatal("complete with the order never decided")
				}
				reasons := strings.Join(o.Incomplete, "; ")
				if !strings.Contains(reasons, "POST "+shop+"/order?token=") {
					t.Errorf("reasons %q do not name POST %s/order?token=", reasons, shop)
				}
				if strings.Contains(reasons, "s3cret") || strings.Contains(reasons, "capture handlers") {
					t.Errorf("reasons %q", reasons)
				}
				if got.has("POST /order?token=s3cret") {
					t.Error("the shop received the order")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := &requestLog{}
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				got.add(r)
				html(w, tt.page)
			})
			opts := testOptions(t)
			opts.Dwell = 500 * time.Millisecond
			tt.opts(&opts)
			o, err := Check(context.Background(), b, Target{URL: srv.URL + "/checkout"}, opts)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o, srv.URL, got)
		})
	}
}

func TestWithoutQueryValues(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a query keeps its names and drops its values", "http://127.0.0.1:8080/order?token=s3cret&email=a%40b.example", "http://127.0.0.1:8080/order?token=&email="},
		{"a name with no value stays a name", "https://shop.example/search?q&page=2", "https://shop.example/search?q=&page="},
		{"user info and fragment go", "https://user:pw@shop.example/pay#card=4111", "https://shop.example/pay"},
		{"a URL with no query is unchanged", "https://shop.example/checkout", "https://shop.example/checkout"},
		{"what does not parse keeps only what comes before its query", "http://[::1/x?card=4111111111111111", "http://[::1/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withoutQueryValues(tt.in); got != tt.want {
				t.Errorf("withoutQueryValues(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzWithoutQueryValues(f *testing.F) {
	f.Add("http://127.0.0.1:8080/order?token=s3cret&email=a%40b.example")
	f.Add("https://user:pw@shop.example/pay?x=1#frag")
	f.Add("http://[::1/x?card=4111111111111111")
	f.Add("mailto:a@b?subject=x=y")
	f.Fuzz(func(t *testing.T, raw string) {
		out := withoutQueryValues(raw)
		_, query, _ := strings.Cut(out, "?")
		for _, kv := range strings.Split(query, "&") {
			if _, value, _ := strings.Cut(kv, "="); value != "" {
				t.Fatalf("withoutQueryValues(%q) = %q keeps the value %q", raw, out, value)
			}
		}
		if u, err := url.Parse(out); err == nil && u.User != nil {
			t.Fatalf("withoutQueryValues(%q) = %q keeps user info", raw, out)
		}
	})
}
