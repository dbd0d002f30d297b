package pagecheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/debugger"
	"github.com/chromedp/cdproto/page"

	"github.com/skimwatch/skimwatch/internal/check/browser"
)

// TestV8ScriptHashIsTheSHA256OfTheSource pins what resolveUnread relies on:
// the hash Debugger.scriptParsed reports is the SHA-256 of the script's
// UTF-8 source, the same digest the check records, non-ASCII text included.
func TestV8ScriptHashIsTheSHA256OfTheSource(t *testing.T) {
	b := startBrowser(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<script>var x = 'héllo 日本 🙂';</script><script>console.log(1)</script>"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tab, err := b.NewTab(ctx, browser.TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	s := tab.Page()
	parsed, stop := s.Subscribe("Debugger.scriptParsed")
	defer stop()
	for _, call := range []func() error{
		func() error { _, err := cdp.Call(ctx, s, page.Enable, page.EnableParams{}); return err },
		func() error { _, err := cdp.Call(ctx, s, debugger.Enable, debugger.EnableParams{}); return err },
		func() error { _, err := cdp.Call(ctx, s, page.Navigate, page.NavigateParams{URL: srv.URL}); return err },
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	compared := 0
	for compared < 2 {
		select {
		case ev := <-parsed:
			var p debugger.EventScriptParsed
			if err := browser.Unmarshal(ev, &p); err != nil || p.URL != srv.URL+"/" {
				continue
			}
			res, err := cdp.Call(ctx, s, debugger.GetScriptSource, debugger.GetScriptSourceParams{ScriptID: p.ScriptID})
			if err != nil {
				t.Fatal(err)
			}
			if got := sha(res.ScriptSource); got != p.Hash {
				t.Errorf("V8's hash %s, SHA-256 of the source %s (%q)", p.Hash, got, res.ScriptSource)
			}
			compared++
		case <-ctx.Done():
			t.Fatalf("compared %d scripts before the deadline, want 2", compared)
		}
	}
}
