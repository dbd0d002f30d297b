package audit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// expiryWarning is how long before its end a certificate is reported as
// expiring: long enough to renew by hand, and past the point (30 days
// left) at which ACME clients such as certbot renew on their own.
const expiryWarning = 30 * 24 * time.Hour

// oldProtocols are the versions PCI DSS calls "early TLS" and browsers no
// longer speak; a shop that still accepts them can be downgraded.
var oldProtocols = []struct {
	version uint16
	name    string
}{
	{tls.VersionTLS10, "TLS 1.0"},
	{tls.VersionTLS11, "TLS 1.1"},
}

// checkTLS looks at the https origin's certificate (validity period, chain
// against RootCAs or the system roots, host name) and at which old protocol
// versions it still accepts. Each handshake is one request of the budget.
func (a *auditor) checkTLS(ctx context.Context) {
	host := a.origin.Hostname()
	addr := a.origin.Host
	if a.origin.Port() == "" {
		addr = net.JoinHostPort(host, "443")
	}
	u := a.origin.JoinPath("/").String()
	// The certificate is fetched without verification so that a bad one can
	// be described; it is then verified here, one property at a time.
	state, err := a.handshake(ctx, addr, host, 0, 0)
	if err != nil {
		a.fail("TLS handshake with "+addr, err)
		return
	}
	if len(state.PeerCertificates) == 0 {
		a.fail("TLS handshake with "+addr, errors.New("the server sent no certificate"))
		return
	}
	a.checkCertificate(u, addr, host, state.PeerCertificates)

	var accepted []string
	for _, p := range oldProtocols {
		_, err := a.handshake(ctx, addr, host, p.version, p.version)
		switch {
		case err == nil:
			accepted = append(accepted, p.name)
		case errors.Is(err, errBudget), ctx.Err() != nil, isNetworkFailure(err):
			a.fail("TLS probe for "+p.name, err)
			if errors.Is(err, errBudget) {
				return
			}
		}
		// Any other error is the server refusing the version: what we hope.
	}
	if len(accepted) > 0 {
		a.add(KindTLSOldProtocol, u, "The server still accepts "+strings.Join(accepted, " and ")+", which PCI DSS no longer allows and browsers no longer use: a client can be made to talk the weaker protocol.",
			map[string]any{"url": u, "host": addr, "versions": accepted})
	}
}

// handshake runs one TLS handshake within the budget. min and max pin the
// protocol version (0: from TLS 1.0, so that the certificate of a server
// that speaks only old versions is still seen, up to the newest).
func (a *auditor) handshake(ctx context.Context, addr, host string, minV, maxV uint16) (tls.ConnectionState, error) {
	if err := a.p.take(ctx); err != nil {
		return tls.ConnectionState{}, err
	}
	if minV == 0 {
		minV = tls.VersionTLS10
	}
	cfg := &tls.Config{
		ServerName: host,
		// Verification is done by checkCertificate, which can say what is
		// wrong; nothing but the handshake is sent on this connection.
		InsecureSkipVerify: true,
		MinVersion:         minV,
		MaxVersion:         maxV,
		// Every suite Go has, weak ones included: the question is what the
		// server accepts, not what we would choose.
		CipherSuites: allSuites(),
	}
	if net.ParseIP(host) != nil {
		cfg.ServerName = "" // SNI carries names only
	}
	ctx, cancel := context.WithTimeout(ctx, a.p.opts.Timeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, fmt.Errorf("TLS %s: %w", addr, err)
	}
	defer conn.Close()
	state := conn.(*tls.Conn).ConnectionState()
	a.p.opts.Logger.Debug("audit TLS handshake", "addr", addr, "version", tls.VersionName(state.Version))
	return state, nil
}

func allSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

// isNetworkFailure tells a connection that could not be made or timed out
// (the probe did not happen) from a server that refused the handshake.
func isNetworkFailure(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// checkCertificate reports the leaf's validity period, its chain and its
// host name, each on its own: an expired certificate from an unknown
// issuer is two things to fix.
func (a *auditor) checkCertificate(u, addr, host string, certs []*x509.Certificate) {
	leaf := certs[0]
	now := a.p.opts.Now()
	ev := func(more map[string]any) map[string]any {
		m := map[string]any{
			"url": u, "host": addr, "subject": leaf.Subject.String(), "issuer": leaf.Issuer.String(),
			"not_after": leaf.NotAfter.UTC().Format(time.RFC3339),
		}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	switch left := leaf.NotAfter.Sub(now); {
	case left < 0:
		a.add(KindTLSExpired, u, fmt.Sprintf("The certificate expired on %s: browsers refuse the shop with a warning.", leaf.NotAfter.UTC().Format("2006-01-02")),
			ev(map[string]any{"days_left": days(left)}))
	case now.Before(leaf.NotBefore):
		a.add(KindTLSExpired, u, fmt.Sprintf("The certificate is not valid until %s: browsers refuse the shop with a warning.", leaf.NotBefore.UTC().Format("2006-01-02")),
			ev(map[string]any{"not_before": leaf.NotBefore.UTC().Format(time.RFC3339)}))
	case left < expiryWarning:
		a.add(KindTLSExpiring, u, fmt.Sprintf("The certificate expires in %d days (%s); renew it before browsers start refusing the shop.", days(left), leaf.NotAfter.UTC().Format("2006-01-02")),
			ev(map[string]any{"days_left": days(left)}))
	}

	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	// The chain is judged at a moment the leaf is valid, so that an
	// expired certificate is not also called untrusted for that alone.
	at := now
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		at = leaf.NotAfter.Add(-time.Minute)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: a.p.opts.RootCAs, Intermediates: inter, CurrentTime: at})
	if err != nil {
		selfSigned := bytes.Equal(leaf.RawSubject, leaf.RawIssuer) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil
		reason := err.Error()
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			reason = "signed by an unknown authority"
			if selfSigned {
				reason = "self-signed"
			}
		}
		a.add(KindTLSUntrusted, u, "The certificate chain does not lead to a trusted root ("+reason+"): browsers refuse the shop with a warning, and customers who click through cannot tell an attacker's certificate from the shop's.",
			ev(map[string]any{"reason": reason, "self_signed": selfSigned}))
	}
	if err := leaf.VerifyHostname(host); err != nil {
		names := append([]string{}, leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		a.add(KindTLSHostname, u, "The certificate is not for "+host+": browsers refuse the shop with a warning.",
			ev(map[string]any{"names": names}))
	}
}

func days(d time.Duration) int {
	return int(d.Truncate(24*time.Hour) / (24 * time.Hour))
}
