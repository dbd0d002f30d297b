package service

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

// TestServeReloadReplacesTheAlertSinks: a reloaded config (SIGHUP) whose
// alerts section names another webhook sends what happens next there, and
// nothing more to the one it removed.
func TestServeReloadReplacesTheAlertSinks(t *testing.T) {
	dir := t.TempDir()
	root, base := webRoot(t, dir, "shop")
	before := &webhookReceiver{t: t, secret: []byte("the-secret-of-the-first-hook")}
	after := &webhookReceiver{t: t, secret: []byte("the-secret-of-the-second-hook")}
	hookBefore, hookAfter := httptest.NewServer(before), httptest.NewServer(after)
	t.Cleanup(hookBefore.Close)
	t.Cleanup(hookAfter.Close)
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_HOOK_BEFORE", string(before.secret))
	t.Setenv("TEST_HOOK_AFTER", string(after.secret))
	conf := func(url, env string) config.Config {
		return parse(t, fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\n"+
			"sites:\n  - name: shop\n    web_roots:\n      - {path: %s, baseline: %s, every: 1h, watch: true}\n"+
			"alerts:\n  - webhook: {url: %s, secret: {env: %s}}\nalerting:\n  window: 0s\n", dir, root, base, url, env))
	}
	reload := make(chan config.Config)
	first := conf(hookBefore.URL, "TEST_HOOK_BEFORE")
	api, _ := startServe(t, first, Options{
		Monitor: monitor.Options{PollInterval: 50 * time.Millisecond},
		Alerts:  alert.Options{TickEvery: 50 * time.Millisecond},
		Reload:  reload,
	})
	// The first verify handed to the alerter and the watch's start sweep
	// filed, both on the clean tree.
	waitFirstVerify(t, api, apiToken(t, first), root)
	st := serveStore(t, dir)
	waitEvents(t, st, "shop", "fim watch")
	write := func(t *testing.T, name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("before the reload a tamper alerts the first webhook", func(t *testing.T) {
		write(t, "checkout.js", "pay();skim();\n")
		if got := before.waitFor(t, 1); got[0].Type != alert.TypeIncident || got[0].Items[0].Kind != fim.KindModified {
			t.Fatalf("first webhook got %+v, want one incident about the modified file", got[0])
		}
	})
	// Serve takes one reload at a time and applies it before it takes the
	// next, so the second send returns only once the first is applied (a
	// fixed wait was a guess at how long that takes on a loaded machine).
	reload <- conf(hookAfter.URL, "TEST_HOOK_AFTER")
	reload <- conf(hookAfter.URL, "TEST_HOOK_AFTER")
	t.Run("after the reload a new tamper alerts the webhook the reloaded config names", func(t *testing.T) {
		write(t, "skim.js", "steal();\n")
		got := after.waitFor(t, 1)
		if got[0].Type != alert.TypeIncident || !hasItem(got[0], fim.KindAdded) {
			t.Fatalf("second webhook got %+v, want one incident about the added file", got[0])
		}
	})
	t.Run("the removed webhook hears nothing more", func(t *testing.T) {
		// Every delivery queued so far is sent (or failed for good), so one
		// to the removed webhook would be there by now.
		waitDrained(t, st)
		ds, err := st.Deliveries(t.Context(), store.DeliveryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		sinks := map[string]int{}
		for _, d := range ds {
			sinks[d.Sink]++
		}
		if len(ds) != 2 || len(sinks) != 2 {
			t.Errorf("the store queued %d deliveries to %v, want one to each webhook", len(ds), sinks)
		}
		if types := before.types(); len(types) != 1 || before.bad != 0 {
			t.Errorf("the removed webhook has %v (%d bad), want only the first incident", types, before.bad)
		}
		if after.bad != 0 {
			t.Errorf("%d deliveries to the new webhook had a bad signature", after.bad)
		}
	})
}
