package pagecheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// popupPage opens a new window on the collector's origin on each click
// of #go, carrying the click's number in the URL. Browsers allow a window
// only on a user's gesture, one per click.
func popupPage(t *testing.T, c *collector) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body><button id="go">go</button><script>
var n = 0;
document.getElementById('go').addEventListener('click', function () {
  window.open(%q + '/win-' + (n++) + '.gif', '_blank');
});
</script></body></html>`, c.host)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestNewWindowsAreWatchedUpToACap(t *testing.T) {
	b := startBrowser(t)
	tests := []struct {
		name         string
		windows      int
		wantComplete bool
	}{
		{"a window the page opens is watched from its first request", 1, true},
		{"windows beyond the cap make the check incomplete", maxPopups + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t)
			shop := popupPage(t, c)
			opts := testOptions(t)
			opts.Probe = false
			flow := &Flow{Name: "popups", Start: shop.URL + "/", Steps: []Step{{Visit: "/"}}}
			for range tt.windows {
				flow.Steps = append(flow.Steps, Step{Click: "#go"})
			}
			o, err := Check(context.Background(), b, Target{Flow: flow}, opts)
			if err != nil {
				t.Fatal(err)
			}
			var popups int
			for _, f := range o.Frames {
				if f.Kind == "popup" {
					popups++
				}
			}
			var seen bool
			for _, q := range o.Requests {
				seen = seen || strings.HasPrefix(q.URL, c.host+"/win-0.gif")
			}
			if !seen {
				t.Errorf("the first window's request was not recorded; frames %+v", o.Frames)
			}
			if want := min(tt.windows, maxPopups); popups != want {
				t.Errorf("%d windows recorded, want %d; frames %+v", popups, want, o.Frames)
			}
			if o.Complete != tt.wantComplete {
				t.Errorf("complete %v, want %v (incomplete: %q)", o.Complete, tt.wantComplete, o.Incomplete)
			}
			if !tt.wantComplete && !strings.Contains(strings.Join(o.Incomplete, "\n"), "new windows") {
				t.Errorf("incomplete for the wrong reason: %q", o.Incomplete)
			}
		})
	}
}
