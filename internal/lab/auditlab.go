package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// AuditShops serves the audit shops on loopback for `skimwatch lab
// --audit` and `skimwatch demo --audit`: the exposed shop over plain http,
// the hardened one over https with a certificate from a CA made up for
// this run (give CAPEM to `skimwatch audit --ca-file`).
type AuditShops struct {
	CA          *CA
	exposed     *origin
	hardened    *origin
	stopContext func() bool
}

// StartAuditShops listens on host (a loopback address; empty is
// 127.0.0.1) on free ports. Cancelling ctx closes them as Close does.
func StartAuditShops(ctx context.Context, host string) (*AuditShops, error) {
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("lab: audit shops on %q: %w", host, ErrNotLoopback)
	}
	ca, err := NewCA(time.Now())
	if err != nil {
		return nil, err
	}
	cert, err := ca.Issue(Leaf{Hosts: []string{host, "localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)})
	if err != nil {
		return nil, err
	}
	s := &AuditShops{CA: ca}
	exposed, err := NewAuditShop(AuditExposed)
	if err != nil {
		return nil, err
	}
	hardened, err := NewAuditShop(AuditHardened)
	if err != nil {
		return nil, err
	}
	if s.exposed, err = listen("audit-exposed", net.JoinHostPort(host, "0")); err != nil {
		return nil, err
	}
	if s.hardened, err = listen("audit-hardened", net.JoinHostPort(host, "0")); err != nil {
		s.exposed.ln.Close()
		return nil, err
	}
	s.hardened.url = "https://" + s.hardened.ln.Addr().String()
	serveAudit(s.exposed, exposed, nil)
	serveAudit(s.hardened, hardened, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.stopContext = context.AfterFunc(ctx, func() { _ = s.Close() })
	return s, nil
}

func serveAudit(o *origin, h http.Handler, tc *tls.Config) {
	// The audit's refused TLS 1.0 and 1.1 probes would each log a
	// handshake error: expected, and noise in a demo.
	o.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tc, ErrorLog: log.New(io.Discard, "", 0)}
	ln := o.ln
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	go func() { _ = o.srv.Serve(ln) }()
}

// ExposedURL is the exposed shop's origin (http).
func (s *AuditShops) ExposedURL() string { return s.exposed.url }

// HardenedURL is the hardened shop's origin (https).
func (s *AuditShops) HardenedURL() string { return s.hardened.url }

// Close stops both shops.
func (s *AuditShops) Close() error {
	s.stopContext()
	var errs []error
	for _, o := range []*origin{s.exposed, s.hardened} {
		if err := o.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
