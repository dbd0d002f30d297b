package alert

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestADeliveryErrorNeverNamesTheSinksURL(t *testing.T) {
	// A port nobody listens on: the request fails before any answer, which
	// is when Go's HTTP client names the whole URL in its error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const secret = "T000/B000/XXXXsecretXXXX"
	url := "http://" + addr + "/services/" + secret
	client := &http.Client{Timeout: 2 * time.Second}
	slack, err := NewSlack("slack", url, client)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := NewWebhook("hook", url, []byte("0123456789abcdef0123"), client)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Sink{slack, hook} {
		t.Run(s.Name(), func(t *testing.T) {
			err := s.Send(context.Background(), Alert{ID: "a1", Type: "incident", Site: "shop", Severity: finding.Critical, At: time.Now()})
			if err == nil {
				t.Fatal("a send to a closed port succeeded")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "/services/") {
				t.Errorf("the error names the sink's URL: %v", err)
			}
			if !strings.Contains(err.Error(), "Post") {
				t.Errorf("the error %q no longer says what failed", err)
			}
		})
	}
}
