package lab

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRobustnessPages(t *testing.T) {
	l := startLab(t, Options{})

	t.Run("the redirect loop never ends", func(t *testing.T) {
		c := &http.Client{Timeout: 10 * time.Second}
		_, err := c.Get(l.ShopURL() + "/__lab/redirect-loop")
		if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
			t.Errorf("err = %v, want too many redirects", err)
		}
	})

	t.Run("the huge page is at least 20 MiB", func(t *testing.T) {
		resp, err := http.Get(l.ShopURL() + "/__lab/huge")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n < 20<<20 {
			t.Errorf("read %d bytes, err %v", n, err)
		}
	})

	t.Run("the huge page refuses an absurd size", func(t *testing.T) {
		status, _, _ := get(t, browser(t), l.ShopURL()+"/__lab/huge?mib=100000")
		if status != http.StatusBadRequest {
			t.Errorf("status %d", status)
		}
	})

	t.Run("the long poll does not answer quickly", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.ShopURL()+"/__lab/poll", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("long poll answered %d", resp.StatusCode)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
	})

	for _, tc := range []struct{ name, path, want string }{
		{"the never-settling page polls forever", "/__lab/never-settles", "poll();"},
		{"the dialog storm loops on alerts", "/__lab/dialog-storm", "for (;;)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := get(t, browser(t), l.ShopURL()+tc.path)
			if status != http.StatusOK || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, body lacks %q", status, tc.want)
			}
		})
	}
}

func TestCloseEndsLongPolls(t *testing.T) {
	l, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Close must come while the poll is held, not before it reached the
	// shop (a refused connection would end it too, and prove nothing).
	var once sync.Once
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, l.ShopURL()+"/__lab/poll", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-wrote:
	case err := <-done:
		t.Fatalf("the long poll ended before Close: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll was not sent")
	}
	select {
	case err := <-done:
		t.Fatalf("the long poll ended before Close: %v", err)
	default:
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a long poll outlived Close")
	}
}
