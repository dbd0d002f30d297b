package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAuditShops(t *testing.T) {
	t.Run("they refuse an address off loopback", func(t *testing.T) {
		if _, err := StartAuditShops(context.Background(), "0.0.0.0"); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("err = %v, want ErrNotLoopback", err)
		}
	})
	s, err := StartAuditShops(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name, url, want string
	}{
		{"the exposed shop serves its .git over http", s.ExposedURL() + "/.git/HEAD", "ref: refs/heads/main"},
		{"the hardened shop serves its payment page over https with a certificate from the lab CA", s.HardenedURL() + "/shopping/payment", "お支払い"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CA.Pool(), MinVersion: tls.VersionTLS12}}}
			resp, err := c.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
				t.Errorf("status %d, body %q; want 200 with %q", resp.StatusCode, b, tc.want)
			}
		})
	}
	t.Run("the hardened shop's certificate is refused without the lab CA", func(t *testing.T) {
		resp, err := http.Get(s.HardenedURL() + "/")
		if err == nil {
			resp.Body.Close()
			t.Fatal("a client trusting only the system roots accepted the lab certificate")
		}
	})
}
