// Package browsertest holds what tests of other packages do with a real
// Chromium: load a page in a fresh tab as a visitor would. Only test files
// import it.
package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"

	"github.com/skimwatch/skimwatch/internal/check/browser"
)

// Visit opens url in a fresh tab, waits for its load event, then lingers a
// second before closing the tab: what the page sends after load (CSP and
// Reporting API reports go out asynchronously) leaves before its context
// is disposed.
func Visit(t testing.TB, ctx context.Context, b *browser.Browser, url string) {
	t.Helper()
	tab, err := b.NewTab(ctx, browser.TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	s := tab.Page()
	loaded, stop := s.Subscribe(page.LoadEventFired.Method)
	defer stop()
	if _, err := cdp.Call(ctx, s, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(ctx, s, page.Navigate, page.NavigateParams{URL: url}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		t.Fatalf("%s did not load", url)
	}
	time.Sleep(time.Second)
}
