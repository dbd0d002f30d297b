package pagecheck

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// armingShop is a page whose scripts write to the shop on load, on click
// and on every keystroke; it counts what reached it, by path.
type armingShop struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string][]string // path -> bodies
}

const armingPage = `<!doctype html><html><body>
<button id="add" onclick="fetch('/cart/add', {method: 'POST', body: 'sku=1'})">Add to cart</button>
<button id="wish" onclick="fetch('/wishlist', {method: 'POST', body: 'sku=1'})">Wish</button>
<input id="email" type="email" autocomplete="email"
  oninput="fetch('/autosave', {method: 'POST', body: this.value})">
<script>fetch('/session', {method: 'POST', body: 'hello'});</script>
</body></html>`

func newArmingShop(t *testing.T) *armingShop {
	s := &armingShop{hits: map[string][]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, armingPage)
			return
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		s.mu.Lock()
		s.hits[r.URL.Path] = append(s.hits[r.URL.Path], string(b))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *armingShop) got(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hits[path]...)
}

// TestFlowArmsOnClickAndFirstHoneyKey checks when deny-by-default starts:
// not at load, at a flow's first click, and before the first key of a honey
// value (so that an autosave on the first keystroke never reaches the
// shop), and that an allow: step lets only what it names through.
func TestFlowArmsOnClickAndFirstHoneyKey(t *testing.T) {
	b := startBrowser(t)
	shop := newArmingShop(t)
	flow, err := ParseFlow(strings.NewReader(`name: arming
start: ` + shop.srv.URL + `/
steps:
  - visit: /
  - wait: 300ms
  - allow: POST /cart/add
  - click: "#add"
  - click: "#wish"
  - fill: {selector: "#email", class: email}
  - wait: 300ms
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.Dwell = 300 * time.Millisecond
	o, err := Check(context.Background(), b, Target{Flow: flow}, opts)
	if err != nil {
		t.Fatal(err)
	}
	failed := func(path string) (n, blocked int, reason string) {
		for _, q := range o.Requests {
			if q.Method == "POST" && strings.HasPrefix(q.URL, shop.srv.URL+path) {
				n++
				if strings.HasPrefix(q.Failed, "blocked by skimwatch") {
					blocked++
				}
			}
		}
		for _, bl := range o.Blocked {
			if strings.HasPrefix(bl.URL, shop.srv.URL+path) {
				reason = bl.Reason
			}
		}
		return n, blocked, reason
	}
	t.Run("a POST at load, before anything was typed or clicked, goes through", func(t *testing.T) {
		if got := shop.got("/session"); len(got) != 1 {
			t.Errorf("the shop got %d /session posts, want 1", len(got))
		}
	})
	t.Run("an allowed POST after a click goes through", func(t *testing.T) {
		if got := shop.got("/cart/add"); len(got) != 1 {
			t.Errorf("the shop got %d /cart/add posts, want 1", len(got))
		}
	})
	t.Run("a POST after a click that no allow names is failed", func(t *testing.T) {
		if got := shop.got("/wishlist"); len(got) != 0 {
			t.Errorf("the shop got /wishlist posts %q", got)
		}
		if n, blocked, reason := failed("/wishlist"); n != 1 || blocked != 1 || !strings.Contains(reason, "click of step") {
			t.Errorf("/wishlist seen %d, blocked %d, reason %q", n, blocked, reason)
		}
	})
	t.Run("after a click, no keystroke of the honey email reaches the shop", func(t *testing.T) {
		if got := shop.got("/autosave"); len(got) != 0 {
			t.Errorf("the shop got autosaves %q", got)
		}
		n, blocked, _ := failed("/autosave")
		if n != len(opts.Identity.Email) || blocked != n {
			t.Errorf("%d autosaves seen, %d blocked; want one per key of %q, all blocked", n, blocked, opts.Identity.Email)
		}
	})
	t.Run("with no click at all, the first honey keystroke is already denied", func(t *testing.T) {
		typing := newArmingShop(t)
		flow, err := ParseFlow(strings.NewReader("name: typing\nstart: " + typing.srv.URL + "/\nsteps:\n  - visit: /\n  - fill: {selector: \"#email\", class: email}\n"))
		if err != nil {
			t.Fatal(err)
		}
		opts := testOptions(t)
		opts.Dwell = 300 * time.Millisecond
		o, err := Check(context.Background(), b, Target{Flow: flow}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := typing.got("/autosave"); len(got) != 0 {
			t.Errorf("the shop got autosaves %q", got)
		}
		var reason string
		for _, bl := range o.Blocked {
			if strings.HasSuffix(bl.URL, "/autosave") {
				reason = bl.Reason
			}
		}
		if !strings.Contains(reason, "after typing honey email") {
			t.Errorf("autosave blocked for %q, want after typing honey email; blocked %+v", reason, o.Blocked)
		}
	})
}
