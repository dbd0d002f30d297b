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
	fmt.Fprintf(w, "audit shop   %s (exposed: skimwatch audit %s/shopping/payment)\n", shops.ExposedURL(), shops.ExposedURL())
	fmt.Fprintf(w, "audit shop   %s (hardened: skimwatch audit --ca-file %s %s/shopping/payment)\n",
		shops.HardenedURL(), termtext.Escape(ca), shops.HardenedURL())
	return func() {
		shops.Close()
		os.RemoveAll(dir)
	}, nil
}
