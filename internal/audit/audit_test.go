package audit_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
)

// requestLog records every request a test server receives, so that tests
// can assert what the audit really sent, not what it says it sent.
type requestLog struct {
	mu   sync.Mutex
	reqs []string // "METHOD /path"
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.Path)
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

func labShop(t *testing.T, v lab.AuditVariant, tls bool) (*httptest.Server, *requestLog) {
	t.Helper()
	h, err := lab.NewAuditShop(v)
	if err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	var srv *httptest.Server
	if tls {
		srv = httptest.NewUnstartedServer(log.wrap(h))
		// The refused protocol probes are expected; keep them out of the log.
		srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
		srv.StartTLS()
	} else {
		srv = httptest.NewServer(log.wrap(h))
	}
	t.Cleanup(srv.Close)
	return srv, log
}

// fast keeps the tests quick; the rate limiter itself is tested apart.
func fast(srv *httptest.Server) audit.Options {
	o := audit.Options{Rate: 1000, Timeout: 5 * time.Second, Client: srv.Client()}
	if c := srv.Certificate(); c != nil {
		// The TLS checks verify the chain themselves, against these roots.
		o.RootCAs = x509.NewCertPool()
		o.RootCAs.AddCert(c)
	}
	return o
}

// want is the part of a finding a test pins down.
type want struct {
	Severity finding.Severity
	Kind     string
	URL      string
	Evidence map[string]any
}

func got(r *finding.Report) []want {
	var out []want
	for _, f := range r.Findings {
		out = append(out, want{f.Severity, f.Kind, f.URL, f.Evidence})
	}
	return out
}

func TestAuditOfTheExposedLabShop(t *testing.T) {
	srv, _ := labShop(t, lab.AuditExposed, false)
	page := srv.URL + "/shopping/payment"
	home := srv.URL + "/"
	rep, err := audit.Run(context.Background(), page, fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete {
		t.Fatalf("report incomplete: %v", rep.Incomplete)
	}
	for _, f := range rep.Findings {
		if err := f.Validate(); err != nil {
			t.Error(err)
		}
		if f.Source != "audit" {
			t.Errorf("%s: source %q, want audit", f.Kind, f.Source)
		}
	}
	cookie := func(u string) want {
		return want{finding.Medium, audit.KindCookieFlags, u, map[string]any{
			"url": u, "status": 200, "cookie": "ECSESSID", "missing": []string{"HttpOnly", "SameSite"}}}
	}
	hdr := func(kind, u, header string) want {
		return want{finding.Medium, kind, u, map[string]any{"url": u, "status": 200, "header": header}}
	}
	proof := func(sev finding.Severity, kind, path, p string) want {
		u := srv.URL + path
		return want{sev, kind, u, map[string]any{"url": u, "status": 200, "proof": p}}
	}
	plain := func(u string) want {
		return want{finding.Medium, audit.KindPlainHTTP, u, map[string]any{"url": u, "status": 200, "scheme": "http"}}
	}
	framing := func(u string) want {
		w := hdr(audit.KindFramingAllowed, u, "frame-ancestors")
		w.Severity = finding.Low
		return w
	}
	expected := []want{
		proof(finding.Critical, audit.KindGitExposed, "/.git/HEAD", "ref: refs/heads/main"),
		proof(finding.Critical, audit.KindGitExposed, "/.git/config", "[core] repositoryformatversion"),
		proof(finding.High, audit.KindInstallerExposed, "/install.php", "<title>EC-CUBE インストール</title>"),
		// The admin's redirect to its login screen is followed on the origin.
		proof(finding.Medium, audit.KindAdminReachable, "/admin/login", `<input type="password" name="password">`),
		cookie(home), cookie(page),
		hdr(audit.KindCSPMissing, home, "Content-Security-Policy"),
		hdr(audit.KindCSPMissing, page, "Content-Security-Policy"),
		proof(finding.Medium, audit.KindDirectoryListing, "/upload/", "<title>Index of /upload</title>"),
		plain(home), plain(page),
		framing(home), framing(page),
	}
	if g := got(rep); !reflect.DeepEqual(g, expected) {
		t.Errorf("findings differ\n got: %v\nwant: %v", g, expected)
	}
}

func TestAuditOfTheHardenedLabShop(t *testing.T) {
	srv, _ := labShop(t, lab.AuditHardened, true)
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete {
		t.Fatalf("report incomplete: %v", rep.Incomplete)
	}
	if n := rep.AtOrAbove(finding.Low); n != 0 {
		t.Errorf("hardened shop: %d findings at or above low, want none: %v", n, got(rep))
	}
}

func TestAuditStaysWithinItsRequestBudgetAndSendsOnlyGETOrHEAD(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      int
		complete bool
	}{
		{"a budget of 1 stops after the page and says the run is incomplete", 1, false},
		{"a budget of 10 stops part-way and says the run is incomplete", 10, false},
		{"the default budget of 60 covers every probe", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, log := labShop(t, lab.AuditExposed, false)
			opts := fast(srv)
			opts.MaxRequests = tc.max
			rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", opts)
			if err != nil {
				t.Fatal(err)
			}
			limit := cmp(tc.max, audit.DefaultMaxRequests)
			reqs := log.all()
			if len(reqs) > limit {
				t.Errorf("the lab received %d requests, more than --max-requests %d", len(reqs), limit)
			}
			for _, r := range reqs {
				if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") {
					t.Errorf("the lab received %q: only GET and HEAD are allowed", r)
				}
			}
			if rep.Complete != tc.complete {
				t.Errorf("complete = %v, want %v (%v)", rep.Complete, tc.complete, rep.Incomplete)
			}
			if !tc.complete && !slices.ContainsFunc(rep.Incomplete, func(s string) bool { return strings.Contains(s, "--max-requests") }) {
				t.Errorf("incomplete reasons %v do not name --max-requests", rep.Incomplete)
			}
			if got := rep.Details["requests"]; got != len(reqs) {
				t.Errorf("report says %v requests, the lab received %d", got, len(reqs))
			}
		})
	}
}

func cmp(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func TestAuditRateLimitSpacesRequests(t *testing.T) {
	// Plain http, so that the server's request log sees every request (a
	// TLS shop also gets the audit's bare handshakes; see tls_test.go).
	srv, log := labShop(t, lab.AuditExposed, false)
	opts := fast(srv)
	opts.Rate = 20 // 50 ms apart
	opts.MaxRequests = 5
	start := time.Now()
	if _, err := audit.Run(context.Background(), srv.URL+"/", opts); err != nil {
		t.Fatal(err)
	}
	// Five requests at 20/s take at least four intervals.
	if n, el := len(log.all()), time.Since(start); n != 5 || el < 200*time.Millisecond {
		t.Errorf("%d requests in %v, want 5 in at least 200ms", n, el)
	}
}

// softShop answers 200 with the same body for every path.
func softShop(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})
}

func TestAuditIgnoresShopsThatAnswer200ToEverything(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"a shop whose every page has a login box is not an exposed admin", `<html><head><title>Shop</title></head><body><input type="password" name="pw"></body></html>`},
		{"a shop that answers every path with a git ref is not an exposed .git", "ref: refs/heads/main\n"},
		{"a shop that answers every path with PHP source is not a backup leftover", "<?php echo 1;"},
		{"a shop whose every page is titled install is not a leftover installer", `<html><head><title>Install our app</title></head></html>`},
		{"a shop whose every page is a listing is not a listed folder", `<html><head><title>Index of /</title></head></html>`},
		{"a shop that answers every path with dotenv lines is not an exposed .env", "APP_KEY=x\nDB_PASSWORD=y\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(softShop(tc.body))
			t.Cleanup(srv.Close)
			rep, err := audit.Run(context.Background(), srv.URL+"/", fast(srv))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete {
				t.Fatalf("incomplete: %v", rep.Incomplete)
			}
			for _, f := range rep.Findings {
				// Only the page's own headers may be judged; no probe may fire.
				if !slices.Contains([]string{audit.KindPlainHTTP, audit.KindCSPMissing, audit.KindFramingAllowed}, f.Kind) {
					t.Errorf("soft-404 false positive: %s at %s (%v)", f.Kind, f.URL, f.Evidence)
				}
			}
		})
	}
}

func TestAuditFollowsNoRedirectOffTheOrigin(t *testing.T) {
	elsewhere := &requestLog{}
	other := httptest.NewServer(elsewhere.wrap(softShop(`<input type="password">`)))
	t.Cleanup(other.Close)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/admin/" {
			http.Redirect(w, r, other.URL+"/login", http.StatusFound)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(shop.Close)
	rep, err := audit.Run(context.Background(), shop.URL+"/", fast(shop))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(elsewhere.all()); n != 0 {
		t.Errorf("the other origin received %d requests: %v", n, elsewhere.all())
	}
	if slices.ContainsFunc(rep.Findings, func(f finding.Finding) bool { return f.Kind == audit.KindAdminReachable }) {
		t.Error("an admin screen on another origin was reported as this shop's")
	}
}

func TestAuditSaysIncompleteWhenAProbeTimesOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.env" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	opts := fast(srv)
	opts.Timeout = 100 * time.Millisecond
	rep, err := audit.Run(context.Background(), srv.URL+"/", opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || !slices.ContainsFunc(rep.Incomplete, func(s string) bool { return strings.Contains(s, "/.env") }) {
		t.Errorf("complete=%v reasons=%v, want incomplete naming /.env", rep.Complete, rep.Incomplete)
	}
}

func TestAuditRejectsTargetsItCannotProbe(t *testing.T) {
	for _, tc := range []struct{ name, target string }{
		{"a file URL is refused", "file:///etc/passwd"},
		{"a URL without a host is refused", "http:///x"},
		{"a bare word is refused", "shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audit.Run(context.Background(), tc.target, audit.Options{})
			if !errors.Is(err, audit.ErrInvalidTarget) {
				t.Errorf("err = %v, want ErrInvalidTarget", err)
			}
		})
	}
}

func TestAMissingPaymentPageMakesTheAuditIncomplete(t *testing.T) {
	// A shop whose error page carries none of the payment page's headers:
	// judging it as the payment page would report weaknesses (or none) of
	// a page nobody pays on.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Write([]byte("<html><body>shop</body></html>"))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", fast(srv))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || !strings.Contains(strings.Join(rep.Incomplete, "; "), "answered 404") {
		t.Errorf("complete %v, incomplete %q; want incomplete saying the page answered 404", rep.Complete, rep.Incomplete)
	}
	for _, f := range rep.Findings {
		if f.URL == srv.URL+"/shopping/payment" {
			t.Errorf("a finding about the missing page: %s %s", f.Kind, f.Message)
		}
	}
}
