package lab

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// thirdPartyHandler is the benign third party: a tag manager whose content
// a scenario can change, analytics with a /collect pixel, and a chat widget.
func (l *Lab) thirdPartyHandler() http.Handler {
	mux := http.NewServeMux()
	js := func(w http.ResponseWriter, src string) {
		w.Header().Set("Content-Type", contentType(".js"))
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, src)
	}
	mux.HandleFunc("GET /tm.js", func(w http.ResponseWriter, r *http.Request) {
		src := l.assets.file("thirdparty/tm.js")
		if sc := l.current(); sc.TagManager != "" {
			src += l.assets.file("skimmers/" + sc.TagManager)
		}
		js(w, src)
	})
	mux.HandleFunc("GET /analytics.js", func(w http.ResponseWriter, r *http.Request) {
		js(w, l.assets.file("thirdparty/analytics.js"))
	})
	mux.HandleFunc("GET /fraud.js", func(w http.ResponseWriter, r *http.Request) {
		js(w, l.assets.file("thirdparty/fraud-timings.js"))
	})
	mux.HandleFunc("POST /fraud/score", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxFormBody))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /chat/widget.js", func(w http.ResponseWriter, r *http.Request) {
		js(w, l.assets.file("thirdparty/chat.js"))
	})
	mux.HandleFunc("GET /collect", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, transparentGIF)
	})
	// The widget's settings come from the vendor's own origin, as with real
	// chat vendors: turning auto-open on in their dashboard changes no code
	// on the shop's pages.
	mux.HandleFunc("GET /chat/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSON(w, http.StatusOK, map[string]any{"autoOpen": l.current().ChatOpen, "hours": "10:00-17:00"})
	})
	mux.HandleFunc("GET /chat/greeting", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		greetings := []string{
			"こんにちは！ご質問はお気軽にどうぞ。/ Hello! Ask us anything.",
			"いらっしゃいませ。配送についてのご質問はこちらへ。/ Welcome. Questions about delivery?",
		}
		writeJSON(w, http.StatusOK, map[string]any{"text": greetings[rand.IntN(len(greetings))], "agent": rand.IntN(20) + 1})
	})
	return mux
}

// cdnLibraryPath is where the lookalike CDN serves its library.
const cdnLibraryPath = "/ajax/libs/jquery/3.7.1/jquery.min.js"

// cdnHandler is the lookalike CDN: a real-looking library banner, the
// shop's own library body, and a skimmer at the end.
func (l *Lab) cdnHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+cdnLibraryPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType(".js"))
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		lib := l.assets.file("static/minq.js")
		lib = lib[strings.IndexByte(lib, '\n')+1:] // drop minq's own banner
		_, _ = io.WriteString(w, "/*! jQuery v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */\n"+
			lib+l.assets.file("skimmers/cdn-skimmer.js"))
	})
	return mux
}

// Robustness pages for the checker's own tests. They are always on.
func (l *Lab) robustnessRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /__lab/never-settles", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, neverSettlesHTML)
	})
	mux.HandleFunc("GET /__lab/poll", func(w http.ResponseWriter, r *http.Request) {
		// A long poll that answers only after 25 s, or when the lab closes.
		t := time.NewTimer(25 * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "tick")
	})
	mux.HandleFunc("GET /__lab/tick", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /__lab/redirect-loop", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		http.Redirect(w, r, "/__lab/redirect-loop?n="+strconv.Itoa(n+1), http.StatusFound)
	})
	mux.HandleFunc("GET /__lab/huge", l.handleHuge)
	mux.HandleFunc("GET /__lab/dialog-storm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, dialogStormHTML)
	})
}

const neverSettlesHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>never settles</title></head>
<body><h1>This page never settles</h1><p id="count">0</p>
<script>
var n = 0;
function poll() {
  fetch('/__lab/poll?t=' + Date.now()).then(function (r) { return r.text(); }).catch(function () {}).then(poll);
}
poll();
setInterval(function () {
  fetch('/__lab/tick?n=' + (++n));
  document.getElementById('count').textContent = String(n);
}, 250);
</script></body></html>
`

const dialogStormHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dialog storm</title></head>
<body><h1>Dialog storm</h1>
<script>
var i = 0;
for (;;) {
  i++;
  if (i % 3 === 0) { confirm('confirm ' + i); } else { alert('alert ' + i); }
}
</script></body></html>
`

// Default and maximum size of /__lab/huge, in MiB.
const (
	hugeDefaultMiB = 20
	hugeMaxMiB     = 200
)

// handleHuge streams a page of about ?mib= MiB (default 20) of DOM.
func (l *Lab) handleHuge(w http.ResponseWriter, r *http.Request) {
	mib := hugeDefaultMiB
	if s := r.URL.Query().Get("mib"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > hugeMaxMiB {
			http.Error(w, fmt.Sprintf("mib must be 1..%d", hugeMaxMiB), http.StatusBadRequest)
			return
		}
		mib = n
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	limit := mib << 20
	n, _ := io.WriteString(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>huge</title></head><body>\n")
	for i := 0; n < limit; i++ {
		m, err := fmt.Fprintf(w, "<div class=\"row\" id=\"r%d\"><span>row %d</span> <a href=\"#r%d\">link</a> lorem ipsum dolor sit amet</div>\n", i, i, i)
		if err != nil {
			return
		}
		n += m
	}
	_, _ = io.WriteString(w, "</body></html>\n")
}
