package service

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/web"
)

// apiToken makes an admin in the store serve uses for cfg, and an API
// token acting as them, as an admin would on the settings page.
func apiToken(t *testing.T, cfg config.Config) string {
	t.Helper()
	st, err := open.Open(t.Context(), StoreDSN(WithDataDir(cfg)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(t.Context(), "test-admin")
	if err != nil {
		// The hash is never checked: the test signs in with the token.
		if u, err = st.CreateUser(t.Context(), store.User{Name: "test-admin", PasswordHash: "unused", Role: store.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	token, _, err := web.CreateAPIToken(t.Context(), st, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// getAs is get with an API token.
func getAs(t *testing.T, token, url string, v any) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, body)
		}
	}
	return resp.StatusCode
}

// logBuffer collects serve's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeMountsTheDashboard(t *testing.T) {
	t.Setenv("SKIMWATCH_STORE", "")
	cfg := parse(t, "data_dir: "+t.TempDir()+"\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nsites:\n  - name: shop\n")
	logs := &logBuffer{}
	api, _ := startServe(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("a first run prints a one-time set-up link on loopback", func(t *testing.T) {
		out := logs.String()
		i := strings.Index(out, "link=")
		if i < 0 {
			t.Fatalf("no set-up link in the log:\n%s", out)
		}
		link := strings.Trim(strings.Fields(out[i+len("link="):])[0], `"`)
		host, _, _ := net.SplitHostPort(strings.TrimPrefix(strings.SplitN(link, "/setup", 2)[0], "http://"))
		if !strings.HasPrefix(link, api+"/setup?token=skws_") || !net.ParseIP(host).IsLoopback() {
			t.Fatalf("link %q, want %s/setup?token=... on loopback", link, api)
		}
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the set-up page: %d", resp.StatusCode)
		}
	})
	t.Run("the dashboard is served at / and sends a visitor to sign in", func(t *testing.T) {
		resp, err := noRedirect.Get(api + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("the API needs a token and healthz does not", func(t *testing.T) {
		for _, path := range []string{"/api/findings", "/api/runs", "/api/overview"} {
			if code := get(t, api+path, nil); code != http.StatusUnauthorized {
				t.Errorf("%s without a token: %d, want 401", path, code)
			}
		}
		if code := get(t, api+"/healthz", nil); code != http.StatusOK {
			t.Errorf("/healthz: %d", code)
		}
		token := apiToken(t, cfg)
		for _, path := range []string{"/api/findings", "/api/runs", "/api/overview"} {
			if code := getAs(t, token, api+path, nil); code != http.StatusOK {
				t.Errorf("%s with a token: %d, want 200", path, code)
			}
		}
	})
}
