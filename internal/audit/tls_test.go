package audit_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
)

// tlsNow is the audit's clock in these tests; certificates are made
// relative to it.
var tlsNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// connLog counts, at the server, the HTTP requests and the connections
// that carried none: the audit's own TLS handshakes (accepted or refused).
type connLog struct {
	mu       sync.Mutex
	active   map[net.Conn]bool
	requests int
}

func (c *connLog) state(conn net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.active[conn] = false
	case http.StateActive:
		c.active[conn] = true
		c.requests++
	}
}

// sent is what the server saw the audit spend: every request, and every
// connection that carried no request.
func (c *connLog) sent() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.requests
	for _, used := range c.active {
		if !used {
			n++
		}
	}
	return n
}

// tlsShop serves h over TLS with cert, accepting versions from minVersion.
func tlsShop(t *testing.T, h http.Handler, cert tls.Certificate, minVersion uint16) (*httptest.Server, *connLog) {
	t.Helper()
	log := &connLog{active: map[net.Conn]bool{}}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: minVersion}
	srv.Config.ConnState = log.state
	// The refused protocol probes are expected; keep them out of the test log.
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, log
}

func newCA(t *testing.T) *lab.CA {
	t.Helper()
	ca, err := lab.NewCA(tlsNow.AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t *testing.T, ca *lab.CA, l lab.Leaf) tls.Certificate {
	t.Helper()
	c, err := ca.Issue(l)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tlsOpts(pool *x509.CertPool) audit.Options {
	return audit.Options{
		Rate: 1000, Timeout: 5 * time.Second, RootCAs: pool,
		Now: func() time.Time { return tlsNow },
	}
}

func tlsFindings(r *finding.Report) []want {
	var out []want
	for _, w := range got(r) {
		if strings.HasPrefix(w.Kind, "audit.tls-") {
			out = append(out, w)
		}
	}
	return out
}

func TestAuditTLSChecks(t *testing.T) {
	ca := newCA(t)
	hardened, err := lab.NewAuditShop(lab.AuditHardened)
	if err != nil {
		t.Fatal(err)
	}
	valid := lab.Leaf{Hosts: []string{"127.0.0.1"}, NotBefore: tlsNow.AddDate(0, -1, 0), NotAfter: tlsNow.AddDate(0, 6, 0)}
	with := func(f func(*lab.Leaf)) lab.Leaf { l := valid; f(&l); return l }
	notAfter := func(l lab.Leaf) string { return l.NotAfter.UTC().Format(time.RFC3339) }
	const labSubject = "CN=127.0.0.1,O=skimwatch lab"
	const caIssuer = "CN=skimwatch lab CA,O=skimwatch lab"

	expired := with(func(l *lab.Leaf) { l.NotBefore = tlsNow.AddDate(-1, 0, 0); l.NotAfter = tlsNow.AddDate(0, 0, -3) })
	expiring := with(func(l *lab.Leaf) { l.NotAfter = tlsNow.Add(10*24*time.Hour + time.Hour) })
	selfSigned := with(func(l *lab.Leaf) { l.SelfSigned = true })
	otherName := with(func(l *lab.Leaf) { l.Hosts = []string{"shop.example"} })

	for _, tc := range []struct {
		name       string
		leaf       lab.Leaf
		minVersion uint16
		want       func(u, host string) []want
	}{
		{"a valid certificate on a TLS 1.2 server raises nothing", valid, tls.VersionTLS12,
			func(u, host string) []want { return nil }},
		{"an expired certificate is high, with its end date, and is not also called untrusted", expired, tls.VersionTLS12,
			func(u, host string) []want {
				return []want{{finding.High, audit.KindTLSExpired, u, map[string]any{
					"url": u, "host": host, "subject": labSubject, "issuer": caIssuer,
					"not_after": notAfter(expired), "days_left": -3}}}
			}},
		{"a certificate with ten days left is a medium warning", expiring, tls.VersionTLS12,
			func(u, host string) []want {
				return []want{{finding.Medium, audit.KindTLSExpiring, u, map[string]any{
					"url": u, "host": host, "subject": labSubject, "issuer": caIssuer,
					"not_after": notAfter(expiring), "days_left": 10}}}
			}},
		{"a self-signed certificate is high and says it is self-signed", selfSigned, tls.VersionTLS12,
			func(u, host string) []want {
				return []want{{finding.High, audit.KindTLSUntrusted, u, map[string]any{
					"url": u, "host": host, "subject": labSubject, "issuer": labSubject,
					"not_after": notAfter(selfSigned), "reason": "self-signed", "self_signed": true}}}
			}},
		{"a certificate for another name is high and lists the names it is for", otherName, tls.VersionTLS12,
			func(u, host string) []want {
				return []want{{finding.High, audit.KindTLSHostname, u, map[string]any{
					"url": u, "host": host, "subject": "CN=shop.example,O=skimwatch lab", "issuer": caIssuer,
					"not_after": notAfter(otherName), "names": []string{"shop.example"}}}}
			}},
		{"a server that still accepts TLS 1.0 and 1.1 is reported with both versions", valid, tls.VersionTLS10,
			func(u, host string) []want {
				return []want{{finding.Medium, audit.KindTLSOldProtocol, u, map[string]any{
					"url": u, "host": host, "versions": []string{"TLS 1.0", "TLS 1.1"}}}}
			}},
		{"a server that accepts TLS 1.1 but not 1.0 is reported with 1.1 only", valid, tls.VersionTLS11,
			func(u, host string) []want {
				return []want{{finding.Medium, audit.KindTLSOldProtocol, u, map[string]any{
					"url": u, "host": host, "versions": []string{"TLS 1.1"}}}}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, conns := tlsShop(t, hardened, issue(t, ca, tc.leaf), tc.minVersion)
			rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", tlsOpts(ca.Pool()))
			if err != nil {
				t.Fatal(err)
			}
			u := srv.URL + "/"
			host := strings.TrimPrefix(srv.URL, "https://")
			if g, w := tlsFindings(rep), tc.want(u, host); !reflect.DeepEqual(g, w) {
				t.Errorf("TLS findings differ\n got: %v\nwant: %v", g, w)
			}
			for _, f := range rep.Findings {
				if err := f.Validate(); err != nil {
					t.Error(err)
				}
			}
			if got := rep.Details["requests"]; got != conns.sent() {
				t.Errorf("the report says %v requests, the server saw %d (requests and bare handshakes)", got, conns.sent())
			}
		})
	}
}

func TestAuditRequestBudgetCountsTLSHandshakes(t *testing.T) {
	ca := newCA(t)
	hardened, err := lab.NewAuditShop(lab.AuditHardened)
	if err != nil {
		t.Fatal(err)
	}
	cert := issue(t, ca, lab.Leaf{Hosts: []string{"127.0.0.1"}, NotBefore: tlsNow.AddDate(0, -1, 0), NotAfter: tlsNow.AddDate(1, 0, 0)})
	for _, tc := range []struct {
		name     string
		max      int
		complete bool
	}{
		{"a budget of 1 is spent on the certificate handshake and the run is incomplete", 1, false},
		{"a budget of 2 stops between the protocol probes and the run is incomplete", 2, false},
		{"a budget of 4 covers the TLS probes and one page, and the run is incomplete", 4, false},
		{"the default budget covers the TLS probes and every HTTP probe", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// TLS 1.0 accepted, so that every protocol probe completes a
			// handshake the server sees.
			srv, conns := tlsShop(t, hardened, cert, tls.VersionTLS10)
			opts := tlsOpts(ca.Pool())
			opts.MaxRequests = tc.max
			rep, err := audit.Run(context.Background(), srv.URL+"/shopping/payment", opts)
			if err != nil {
				t.Fatal(err)
			}
			limit := cmp(tc.max, audit.DefaultMaxRequests)
			if n := conns.sent(); n > limit {
				t.Errorf("the server saw %d requests and handshakes, more than --max-requests %d", n, limit)
			}
			if got := rep.Details["requests"]; got != conns.sent() {
				t.Errorf("the report says %v requests, the server saw %d", got, conns.sent())
			}
			if rep.Complete != tc.complete {
				t.Errorf("complete = %v, want %v (%v)", rep.Complete, tc.complete, rep.Incomplete)
			}
		})
	}
}
