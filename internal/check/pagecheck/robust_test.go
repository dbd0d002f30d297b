package pagecheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func html(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, body)
}

func TestCheckRobustness(t *testing.T) {
	b := startBrowser(t)
	const cardForm = `<form action="/pay" method="post">
<input name="cardnumber" autocomplete="cc-number"><input name="cvc" autocomplete="cc-csc">
<button type="submit">pay</button></form>`
	tests := []struct {
		name         string
		handler      http.HandlerFunc
		path         string
		opts         func(*Options)
		wantComplete bool
		wantReason   string
		check        func(t *testing.T, o *observation.Observation)
	}{
		{
			name: "a dialog in the submit handler does not hang the check",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/pay" {
					html(w, "<p>thanks</p>")
					return
				}
				html(w, cardForm+`<script>document.forms[0].addEventListener('submit', e => { alert('カード番号を確認してください'); });</script>`)
			},
			path: "/", wantComplete: true,
			check: func(t *testing.T, o *observation.Observation) {
				if len(o.Dialogs) != 1 || o.Dialogs[0].Type != "alert" {
					t.Errorf("dialogs = %+v", o.Dialogs)
				}
				if o.Probe == nil || !o.Probe.Submitted {
					t.Errorf("probe did not submit: %+v", o.Probe)
				}
			},
		},
		{
			name: "a dialog storm ends the check as incomplete",
			handler: func(w http.ResponseWriter, r *http.Request) {
				html(w, cardForm+`<script>document.querySelector('input').addEventListener('focus', () => { for (;;) alert('storm'); });</script>`)
			},
			path: "/", wantReason: "dialog storm",
		},
		{
			name: "an endless redirect loop is incomplete",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, fmt.Sprintf("/loop?n=%d", time.Now().UnixNano()), http.StatusFound)
			},
			path: "/loop", wantReason: "ERR_TOO_MANY_REDIRECTS",
		},
		{
			name: "a page that never finishes loading is incomplete",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/hang.png" {
					<-r.Context().Done()
					return
				}
				html(w, `<p>hello</p><img src="/hang.png">`)
			},
			path: "/", opts: func(o *Options) { o.LoadTimeout = 2 * time.Second },
			wantReason: "never finished loading",
		},
		{
			name: "a check that runs out of time is incomplete, not clean",
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			},
			path: "/", opts: func(o *Options) { o.Timeout = 3 * time.Second },
			wantReason: "timed out",
		},
		{
			name: "a debugger trap does not freeze the page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				html(w, `<script>debugger; window.after = 1; fetch('/after-trap');</script>`)
			},
			path: "/", opts: func(o *Options) { o.Probe = false }, wantComplete: true,
			check: func(t *testing.T, o *observation.Observation) {
				if !hasRequest(o, "/after-trap") {
					t.Error("code after the debugger statement did not run")
				}
			},
		},
		{
			name: "a form a script added is marked injected, the served one is not",
			handler: func(w http.ResponseWriter, r *http.Request) {
				html(w, `<form id="served"><input name="email" autocomplete="email"></form>
<script>const f = document.createElement('form'); f.id = 'fake'; f.innerHTML = '<input name="ccnum" autocomplete="cc-number">'; document.body.appendChild(f);</script>`)
			},
			path: "/", opts: func(o *Options) { o.Probe = false }, wantComplete: true,
			check: func(t *testing.T, o *observation.Observation) {
				got := map[string]bool{}
				for _, f := range o.Forms {
					got[f.ID] = f.Injected
				}
				if injected, ok := got["fake"]; !ok || !injected {
					t.Errorf("fake form injected = %v (present %v)", injected, ok)
				}
				if injected, ok := got["served"]; !ok || injected {
					t.Errorf("served form injected = %v (present %v)", injected, ok)
				}
			},
		},
		{
			name: "a service worker's script and requests are captured",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/sw.js" {
					w.Header().Set("Content-Type", "application/javascript")
					fmt.Fprint(w, `self.addEventListener('activate', () => fetch('/sw-ping?from=sw'));`)
					return
				}
				html(w, `<script>navigator.serviceWorker.register('/sw.js');</script>`)
			},
			// A service worker installs and activates asynchronously; on a
			// machine busy with other browsers that takes seconds, so the
			// dwell leaves room for it.
			path: "/", opts: func(o *Options) { o.Probe = false; o.Dwell = 6 * time.Second }, wantComplete: true,
			check: func(t *testing.T, o *observation.Observation) {
				var sw, script bool
				for _, f := range o.Frames {
					sw = sw || f.Kind == "service_worker"
				}
				for _, sc := range o.Scripts {
					script = script || sc.Kind == observation.ScriptWorker && strings.HasSuffix(sc.URL, "/sw.js")
				}
				if !sw || !script || !hasRequest(o, "/sw-ping?from=sw") {
					var seen []string
					for _, sc := range o.Scripts {
						seen = append(seen, sc.Kind+" "+sc.URL)
					}
					t.Errorf("service worker frame %v, script %v, request %v; scripts: %q", sw, script, hasRequest(o, "/sw-ping?from=sw"), seen)
				}
			},
		},
		{
			name: "a beacon sent when the page is left for about:blank is captured",
			handler: func(w http.ResponseWriter, r *http.Request) {
				html(w, `<script>addEventListener('pagehide', () => navigator.sendBeacon('/bye', 'left'));</script>`)
			},
			path: "/", opts: func(o *Options) { o.Probe = false }, wantComplete: true,
			check: func(t *testing.T, o *observation.Observation) {
				for _, q := range o.Requests {
					if strings.HasSuffix(q.URL, "/bye") {
						if q.Phase != observation.PhaseUnload || q.Body != "left" || q.Type != "Ping" {
							t.Errorf("beacon = %+v", q)
						}
						return
					}
				}
				t.Errorf("no /bye beacon in %d requests", len(o.Requests))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tt.handler)
			opts := testOptions(t)
			opts.Dwell = 500 * time.Millisecond
			opts.Timeout = 20 * time.Second
			if tt.opts != nil {
				tt.opts(&opts)
			}
			o, err := Check(context.Background(), b, Target{URL: srv.URL + tt.path}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if o.Complete != tt.wantComplete {
				t.Errorf("Complete = %v, want %v (incomplete: %q)", o.Complete, tt.wantComplete, o.Incomplete)
			}
			if tt.wantReason != "" && !strings.Contains(strings.Join(o.Incomplete, "; "), tt.wantReason) {
				t.Errorf("incomplete reasons %q do not mention %q", o.Incomplete, tt.wantReason)
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

func hasRequest(o *observation.Observation, suffix string) bool {
	for _, q := range o.Requests {
		if strings.HasSuffix(q.URL, suffix) {
			return true
		}
	}
	return false
}

func TestCheckSurvivesABrowserKilledMidCheck(t *testing.T) {
	startBrowser(t) // skip or fail consistently when Chromium is missing
	b, err := browser.Launch(context.Background(), browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	requested := make(chan struct{}, 10)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, `<p>a page to dwell on</p>`)
		requested <- struct{}{}
	})
	opts := testOptions(t)
	opts.Probe = false
	opts.Dwell = 10 * time.Second
	loaded := make(chan struct{})
	go func() {
		// Kill once the page is served, in the middle of the dwell.
		<-requested
		time.Sleep(1500 * time.Millisecond)
		syscall.Kill(b.PID(), syscall.SIGKILL)
		close(loaded)
	}()
	start := time.Now()
	o, err := Check(context.Background(), b, Target{URL: srv.URL}, opts)
	<-loaded
	if err != nil {
		t.Fatalf("Check returned a setup error for a crash mid-check: %v", err)
	}
	t.Run("the observation is incomplete and says the browser went away", func(t *testing.T) {
		if o.Complete || !strings.Contains(strings.Join(o.Incomplete, ";"), "browser") {
			t.Errorf("complete %v, incomplete %q", o.Complete, o.Incomplete)
		}
	})
	t.Run("the check stops instead of waiting out its dwell", func(t *testing.T) {
		if d := time.Since(start); d > opts.Dwell {
			t.Errorf("check took %s after the browser died", d)
		}
	})
	t.Run("what was captured before the crash is kept", func(t *testing.T) {
		if len(o.Pages) == 0 {
			t.Error("no page recorded")
		}
	})
	t.Run("no chromium process is left", func(t *testing.T) {
		b.Close()
		var left []int
		for range 50 {
			if left = b.Processes(); len(left) == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(left) != 0 {
			t.Errorf("processes left: %v", left)
		}
	})
}

func TestCheckWithTooManyScriptsIsIncomplete(t *testing.T) {
	b := startBrowser(t)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, fmt.Sprintf(`<script>for (let i = 0; i < %d; i++) eval('window.x' + i + ' = ' + i);</script>`, maxScripts+50))
	})
	opts := testOptions(t)
	opts.Probe = false
	opts.Dwell = 0
	o, err := Check(context.Background(), b, Target{URL: srv.URL}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if o.Complete || !strings.Contains(strings.Join(o.Incomplete, ";"), "scripts") {
		t.Errorf("complete %v, incomplete %q", o.Complete, o.Incomplete)
	}
	if len(o.Scripts) != maxScripts {
		t.Errorf("%d scripts kept, want the cap %d", len(o.Scripts), maxScripts)
	}
}

func TestProbeTypesIntoACrossSiteIframe(t *testing.T) {
	b := startBrowser(t)
	psp := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tokenise" {
			w.WriteHeader(204)
			return
		}
		html(w, `<form><label for="n">Card number</label><input id="n" name="number" autocomplete="cc-number"></form>
<script>document.getElementById('n').addEventListener('input', e => { if (e.isTrusted && e.target.value.length === 16) fetch('/tokenise', {method: 'POST', body: e.target.value}); });</script>`)
	})
	_, port, _ := strings.Cut(strings.TrimPrefix(psp.URL, "http://"), ":")
	pspOrigin := "http://localhost:" + port // another site than 127.0.0.1: an out-of-process iframe
	shop := serve(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form action="/order"><input name="email" autocomplete="email"></form><iframe src="`+pspOrigin+`/card" width="400" height="200"></iframe>`)
	})
	opts := testOptions(t)
	opts.Dwell = time.Second
	opts.PaymentOrigins = []string{pspOrigin}
	o, err := Check(context.Background(), b, Target{URL: shop.URL}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var leak *observation.Leak
	for i, l := range o.Leaks {
		if l.Class == observation.FieldCardNumber && l.DestinationOrigin == pspOrigin {
			leak = &o.Leaks[i]
		}
	}
	t.Run("the card typed in the iframe reaches the provider's origin and is recorded", func(t *testing.T) {
		if leak == nil {
			t.Fatalf("no card leak to %s; filled %+v; incomplete %q", pspOrigin, o.Probe.Filled, o.Incomplete)
		}
	})
	t.Run("the request carrying the honey card to the payment origin is blocked", func(t *testing.T) {
		if leak != nil && !leak.Blocked {
			t.Error("not blocked")
		}
	})
	t.Run("the iframe's form is recorded with its frame origin", func(t *testing.T) {
		for _, f := range o.Forms {
			if f.FrameOrigin == pspOrigin {
				return
			}
		}
		t.Errorf("forms: %+v", o.Forms)
	})
}
