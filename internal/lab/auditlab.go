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
	CA *CA
	// shops are every AuditVariant's origin; the hardened one is https.
	shops       map[AuditVariant]*origin
	stopContext func() bool
}

// auditVariants are the shops StartAuditShops serves, with their names.
var auditVariants = []struct {
	v    AuditVariant
	name string
}{
	{AuditExposed, "audit-exposed"}, {AuditHardened, "audit-hardened"},
	{AuditECCUBE4, "audit-eccube4"}, {AuditMagento2, "audit-magento2"},
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
	s := &AuditShops{CA: ca, shops: map[AuditVariant]*origin{}}
	for _, av := range auditVariants {
		h, err := NewAuditShop(av.v)
		if err == nil {
			s.shops[av.v], err = listen(av.name, net.JoinHostPort(host, "0"))
		}
		if err != nil {
			for _, o := range s.shops {
				o.ln.Close()
			}
			return nil, err
		}
		var tc *tls.Config
		if av.v == AuditHardened {
			s.shops[av.v].url = "https://" + s.shops[av.v].ln.Addr().String()
			tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		serveAudit(s.shops[av.v], h, tc)
	}
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
func (s *AuditShops) ExposedURL() string { return s.URL(AuditExposed) }

// HardenedURL is the hardened shop's origin (https).
func (s *AuditShops) HardenedURL() string { return s.URL(AuditHardened) }

// URL is the origin of variant v's shop (https for AuditHardened, http for
// the others).
func (s *AuditShops) URL(v AuditVariant) string { return s.shops[v].url }

// Close stops every shop.
func (s *AuditShops) Close() error {
	s.stopContext()
	var errs []error
	for _, o := range s.shops {
		if err := o.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
