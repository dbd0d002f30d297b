package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// startLabAuditShops serves the audit shops beside the lab, on the lab's
// loopback host, and writes the made-up CA of the hardened shop's
// certificate to a temporary file for `skimwatch audit --ca-file`. stop
// closes the shops and removes the file.
func startLabAuditShops(ctx context.Context, w io.Writer, addr string) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("lab: address %q: %w", addr, err)
	}
	shops, err := lab.StartAuditShops(ctx, host)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "skimwatch-lab-")
	if err != nil {
		shops.Close()
		return nil, fmt.Errorf("lab: CA file: %w", err)
	}
	ca := filepath.Join(dir, "lab-ca.pem")
	if err := os.WriteFile(ca, shops.CA.PEM(), 0o644); err != nil {
		shops.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lab: CA file: %w", err)
	}
	// The lab's own advisories, so that version matching works on the lab
	// without `advisories update`.
	adv := filepath.Join(dir, "advisories")
	if err := os.CopyFS(adv, lab.Advisories()); err != nil {
		shops.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lab: advisories: %w", err)
	}
	for _, s := range []struct {
		v    lab.AuditVariant
		what string
	}{{lab.AuditExposed, "exposed"}, {lab.AuditECCUBE4, "EC-CUBE 4.0.3-like"}, {lab.AuditMagento2, "Magento 2.3.5-p1-like"}} {
		fmt.Fprintf(w, "audit shop   %s (%s: skimwatch audit --advisories %s %s)\n",
			shops.URL(s.v), s.what, termtext.Escape(adv), shops.URL(s.v)+lab.AuditPaymentPath(s.v))
	}
	fmt.Fprintf(w, "audit shop   %s (hardened: skimwatch audit --ca-file %s --advisories %s %s/shopping/payment)\n",
		shops.HardenedURL(), termtext.Escape(ca), termtext.Escape(adv), shops.HardenedURL())
	return func() {
		shops.Close()
		os.RemoveAll(dir)
	}, nil
}
