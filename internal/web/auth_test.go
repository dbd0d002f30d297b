package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// site is a running dashboard with a clock and its store.
type site struct {
	*httptest.Server
	s     *Server
	st    store.Store
	clock *clock
}

func newSite(t *testing.T, opts Options) *site {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	if opts.Now == nil {
		opts.Now = c.now
	}
	s, st := newTestServerWith(t, opts)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &site{Server: srv, s: s, st: st, clock: c}
}

func (st *site) addUser(t *testing.T, name, role, password string) store.User {
	t.Helper()
	h, err := argon2id.CreateHash(password, fastParams)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.st.CreateUser(t.Context(), store.User{Name: name, PasswordHash: h, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browserClient keeps cookies and does not follow redirects, so a test
// sees each answer. Its posts carry the headers a same-origin form post
// from a browser would.
type browserClient struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (st *site) client(t *testing.T) *browserClient {
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: t, base: st.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browserClient) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browserClient) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends form as the dashboard's own page would: with the form token
// its page carries (the sign-in page is fetched first for the cookie when
// the client has none yet).
func (b *browserClient) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if !form.Has(formTokenField) {
		f := url.Values{formTokenField: {b.formToken()}}
		for k, v := range form {
			f[k] = v
		}
		form = f
	}
	return b.postRaw(path, form)
}

// formToken is the client's form cookie, as a page's hidden field holds it.
func (b *browserClient) formToken() string {
	b.t.Helper()
	u, _ := url.Parse(b.base)
	for range 2 {
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == formCookie {
				return c.Value
			}
		}
		b.get("/login")
	}
	return ""
}

// postRaw sends form as it is, with a same-origin browser's headers.
func (b *browserClient) postRaw(path string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

func (b *browserClient) login(name, password string) *http.Response {
	resp, _ := b.post("/login", url.Values{"name": {name}, "password": {password}, "next": {"/settings"}})
	return resp
}

func (b *browserClient) sessionCookie() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "skimwatch_session" {
			return c.Value
		}
	}
	return ""
}

func events(t *testing.T, st store.Store, typ string) []store.Event {
	t.Helper()
	es, err := st.Events(t.Context(), store.EventQuery{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestLogin(t *testing.T) {
	st := newSite(t, Options{})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	for _, tc := range []struct {
		name, user, password, next string
		wantCode                   int
		wantLocation               string
		wantEvent                  string
	}{
		{"the right password signs in and goes where the user was headed", "alice", "correct horse battery", "/settings", http.StatusSeeOther, "/settings", "web.login"},
		{"a wrong password is refused and recorded", "alice", "wrong password!", "/", http.StatusUnauthorized, "", "web.login-failed"},
		{"an unknown user is refused and recorded", "bob", "whatever it is", "/", http.StatusUnauthorized, "", "web.login-failed"},
		{"a next link to another site goes home instead", "alice", "correct horse battery", "//evil.example/x", http.StatusSeeOther, "/", "web.login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := st.client(t)
			before := len(events(t, st.st, tc.wantEvent))
			resp, _ := c.post("/login", url.Values{"name": {tc.user}, "password": {tc.password}, "next": {tc.next}})
			if resp.StatusCode != tc.wantCode || resp.Header.Get("Location") != tc.wantLocation {
				t.Fatalf("status %d to %q, want %d to %q", resp.StatusCode, resp.Header.Get("Location"), tc.wantCode, tc.wantLocation)
			}
			es := events(t, st.st, tc.wantEvent)
			if len(es) != before+1 {
				t.Fatalf("%d %s events, want %d", len(es), tc.wantEvent, before+1)
			}
			if tc.wantCode == http.StatusSeeOther && es[len(es)-1].Actor != "alice" {
				t.Errorf("login event actor %q, want alice", es[len(es)-1].Actor)
			}
		})
	}
	t.Run("the session cookie is HttpOnly and SameSite=Lax, and not Secure over http", func(t *testing.T) {
		c := st.client(t)
		resp := c.login("alice", "correct horse battery")
		var found bool
		for _, ck := range resp.Cookies() {
			if ck.Name == "skimwatch_session" {
				found = true
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
					t.Fatalf("cookie %+v", ck)
				}
			}
		}
		if !found {
			t.Fatal("no session cookie")
		}
	})
	t.Run("a second sign-in gets a new session token and the old one stops working", func(t *testing.T) {
		c := st.client(t)
		c.login("alice", "correct horse battery")
		first := c.sessionCookie()
		c.login("alice", "correct horse battery")
		second := c.sessionCookie()
		if first == "" || first == second {
			t.Fatalf("tokens %q then %q: want a fresh one", first, second)
		}
		req, _ := http.NewRequest("GET", st.URL+"/settings", nil)
		req.AddCookie(&http.Cookie{Name: "skimwatch_session", Value: first})
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("old token: status %d to %q, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestSecureCookiesWhenAskedFor(t *testing.T) {
	st := newSite(t, Options{SecureCookies: true})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	resp := st.client(t).login("alice", "correct horse battery")
	for _, ck := range resp.Cookies() {
		if ck.Name == "skimwatch_session" && !ck.Secure {
			t.Fatalf("cookie %+v is not Secure", ck)
		}
	}
}

func TestLockOut(t *testing.T) {
	st := newSite(t, Options{MaxLoginFailures: 3, LockFor: 10 * time.Minute})
	st.addUser(t, "alice", store.RoleOperator, "correct horse battery")
	c := st.client(t)
	for range 3 {
		if resp := c.login("alice", "not the password"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d", resp.StatusCode)
		}
	}
	t.Run("the third failure locks the account and is recorded", func(t *testing.T) {
		es := events(t, st.st, "web.locked-out")
		if len(es) != 1 || !strings.Contains(string(es[0].Data), `"name":"alice"`) {
			t.Fatalf("locked-out events %+v", es)
		}
	})
	t.Run("a locked account refuses even the right password", func(t *testing.T) {
		if resp := c.login("alice", "correct horse battery"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
		if es := events(t, st.st, "web.login-refused"); len(es) != 1 {
			t.Fatalf("%d refusals recorded, want 1", len(es))
		}
	})
	t.Run("after the lock the right password works again", func(t *testing.T) {
		st.clock.add(11 * time.Minute)
		if resp := c.login("alice", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", resp.StatusCode)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	st := newSite(t, Options{LoginsPerMinute: 2})
	st.addUser(t, "alice", store.RoleViewer, "correct horse battery")
	c := st.client(t)
	c.login("nobody", "x")
	c.login("nobody", "x")
	if resp := c.login("alice", "correct horse battery"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third attempt within a minute: %d, want 429", resp.StatusCode)
	}
	c.login("alice", "correct horse battery")
	if es := events(t, st.st, "web.login-throttled"); len(es) != 1 {
		t.Fatalf("%d throttle events, want 1 (once a minute per address)", len(es))
	}
	st.clock.add(time.Minute)
	if resp := c.login("alice", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a minute later: %d, want 303", resp.StatusCode)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	st := newSite(t, Options{})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	c := st.client(t)
	c.login("alice", "correct horse battery")
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"a post a browser marks cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}},
		{"a post from another origin without fetch metadata", map[string]string{"Origin": "http://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", st.URL+"/settings/tokens", strings.NewReader("name=stolen"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, _ := c.do(req)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", resp.StatusCode)
			}
			if ts, _ := st.st.APITokens(t.Context()); len(ts) != 0 {
				t.Fatalf("a token was made: %+v", ts)
			}
		})
	}
}

func TestViewerCannotDoAnAdminsWork(t *testing.T) {
	st := newSite(t, Options{})
	st.addUser(t, "vera", store.RoleViewer, "correct horse battery")
	c := st.client(t)
	c.login("vera", "correct horse battery")
	for _, tc := range []struct{ name, path string }{
		{"creating a token from the settings page is refused", "/settings/tokens"},
		{"creating a user from the settings page is refused", "/settings/users"},
		{"verifying the event log needs an operator", "/settings/verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := c.post(tc.path, url.Values{"name": {"x"}, "password": {"0123456789ab"}, "role": {"admin"}})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Not allowed") {
				t.Fatalf("status %d, want 403 with the explanation", resp.StatusCode)
			}
		})
	}
	t.Run("creating a token through the API is refused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", st.URL+"/api/tokens", strings.NewReader(`{"name":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		if resp, _ := c.do(req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	})
	if ts, _ := st.st.APITokens(t.Context()); len(ts) != 0 {
		t.Fatalf("tokens made: %+v", ts)
	}
	if us, _ := st.st.Users(t.Context()); len(us) != 1 {
		t.Fatalf("users made: %+v", us)
	}
}

func TestAPITokens(t *testing.T) {
	st := newSite(t, Options{})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	viewer := st.addUser(t, "grafana", store.RoleViewer, "correct horse battery")
	c := st.client(t)
	c.login("alice", "correct horse battery")
	req, _ := http.NewRequest("POST", st.URL+"/api/tokens", strings.NewReader(`{"name":"dashboards","user_id":`+jsonInt(viewer.ID)+`}`))
	resp, body := c.do(req)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var made struct {
		Token string `json:"token"`
		ID    int64  `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &made); err != nil || !strings.HasPrefix(made.Token, "skw_") {
		t.Fatalf("answer %s: %v", body, err)
	}
	call := func(method, path, token string) int {
		req, _ := http.NewRequest(method, st.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("the token is stored only as its hash", func(t *testing.T) {
		ts, _ := st.st.APITokens(t.Context())
		if len(ts) != 1 || bytes.Contains(ts[0].Hash, []byte(made.Token)) || !bytes.Equal(ts[0].Hash, secretHash(made.Token)) {
			t.Fatalf("stored %+v", ts)
		}
	})
	t.Run("the token acts as its user", func(t *testing.T) {
		if code := call("GET", "/api/me", made.Token); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("the token carries its user's role, no more", func(t *testing.T) {
		if code := call("GET", "/api/users", made.Token); code != http.StatusForbidden {
			t.Fatalf("a viewer's token listing users: %d, want 403", code)
		}
	})
	t.Run("no token gets 401", func(t *testing.T) {
		if code := call("GET", "/api/me", ""); code != http.StatusUnauthorized {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("a made-up token gets 401", func(t *testing.T) {
		if code := call("GET", "/api/me", "skw_madeup"); code != http.StatusUnauthorized {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("a revoked token gets 401", func(t *testing.T) {
		req, _ := http.NewRequest("DELETE", st.URL+"/api/tokens/"+jsonInt(made.ID), nil)
		if resp, body := c.do(req); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d %s", resp.StatusCode, body)
		}
		if code := call("GET", "/api/me", made.Token); code != http.StatusUnauthorized {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("creating and revoking are in the event log with the admin as actor", func(t *testing.T) {
		for _, typ := range []string{"web.token-created", "web.token-revoked"} {
			es := events(t, st.st, typ)
			if len(es) != 1 || es[0].Actor != "alice" {
				t.Fatalf("%s events %+v", typ, es)
			}
		}
	})
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestLogoutEverywhere(t *testing.T) {
	st := newSite(t, Options{})
	st.addUser(t, "alice", store.RoleViewer, "correct horse battery")
	laptop, phone := st.client(t), st.client(t)
	laptop.login("alice", "correct horse battery")
	phone.login("alice", "correct horse battery")
	if resp, _ := phone.get("/settings"); resp.StatusCode != http.StatusOK {
		t.Fatalf("phone signed in: %d", resp.StatusCode)
	}
	if resp, _ := laptop.post("/logout-everywhere", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout everywhere: %d", resp.StatusCode)
	}
	for name, c := range map[string]*browserClient{"laptop": laptop, "phone": phone} {
		if resp, _ := c.get("/settings"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s still signed in: %d", name, resp.StatusCode)
		}
	}
	if resp := laptop.login("alice", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in again: %d", resp.StatusCode)
	}
	if resp, _ := laptop.get("/settings"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a new session after logout everywhere: %d", resp.StatusCode)
	}
}

func TestSetup(t *testing.T) {
	st := newSite(t, Options{})
	link, err := st.s.SetupLink(t.Context(), st.URL)
	if err != nil || !strings.HasPrefix(link, st.URL+"/setup?token=skws_") {
		t.Fatalf("link %q, %v", link, err)
	}
	token := strings.TrimPrefix(link, st.URL+"/setup?token=")
	t.Run("the link is refused from beyond loopback", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/setup", strings.NewReader(url.Values{"token": {token}, "name": {"mallory"},
			"password": {"0123456789ab"}, "password2": {"0123456789ab"}}.Encode()))
		r.RemoteAddr = "192.0.2.7:4444"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		st.s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Fatalf("status %d, want 403", w.Code)
		}
	})
	c := st.client(t)
	t.Run("the link creates the first user as admin and signs them in", func(t *testing.T) {
		resp, _ := c.post("/setup", url.Values{"token": {token}, "name": {"alice"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
		u, err := st.st.UserByName(t.Context(), "alice")
		if err != nil || u.Role != store.RoleAdmin {
			t.Fatalf("user %+v, %v", u, err)
		}
		if resp, _ := c.get("/settings"); resp.StatusCode != http.StatusOK {
			t.Fatalf("signed in after set-up: %d", resp.StatusCode)
		}
	})
	t.Run("the link works once", func(t *testing.T) {
		resp, _ := st.client(t).post("/setup", url.Values{"token": {token}, "name": {"mallory"}, "password": {"0123456789ab"}, "password2": {"0123456789ab"}})
		if resp.StatusCode == http.StatusSeeOther {
			t.Fatal("a used link made another user")
		}
		if _, err := st.st.UserByName(t.Context(), "mallory"); err == nil {
			t.Fatal("mallory exists")
		}
	})
	t.Run("no link is printed once a user exists", func(t *testing.T) {
		if link, err := st.s.SetupLink(t.Context(), st.URL); link != "" || err != nil {
			t.Fatalf("link %q, %v", link, err)
		}
	})
}

func TestCSPReportEndpoint(t *testing.T) {
	st := newSite(t, Options{})
	report := `{"csp-report":{"document-uri":"http://127.0.0.1/","blocked-uri":"https://evil.example/x.js","effective-directive":"script-src-elem","disposition":"enforce"}}`
	post := func(body string) int {
		resp, err := http.Post(st.URL+"/api/csp-report", "application/csp-report", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("a violation of the dashboard's CSP is filed as a finding", func(t *testing.T) {
		if code := post(report); code != http.StatusNoContent {
			t.Fatalf("status %d", code)
		}
		fs, _ := st.st.Findings(t.Context(), store.FindingQuery{Site: DashboardSite})
		if len(fs) != 1 || fs[0].Kind != "dashboard.csp-violation" || fs[0].Evidence["blocked"] != "https://evil.example" {
			t.Fatalf("findings %+v", fs)
		}
	})
	t.Run("a body over the limit is refused", func(t *testing.T) {
		if code := post(strings.Repeat(" ", maxReportBody+1)); code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", code)
		}
	})
	t.Run("past the rate limit reports are refused", func(t *testing.T) {
		var last int
		for range reportsPerMinute + 1 {
			last = post(report)
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", last)
		}
	})
}

// recordingSink is an alert sink that keeps what it is sent, or fails.
type recordingSink struct {
	name string
	fail error
	mu   sync.Mutex
	got  []alert.Alert
}

func (r *recordingSink) Name() string { return r.name }
func (r *recordingSink) Send(_ context.Context, a alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
	return r.fail
}

func TestSendATestAlert(t *testing.T) {
	ok := &recordingSink{name: "alerts[0]"}
	broken := &recordingSink{name: "alerts[1]", fail: &url.Error{Op: "Post", URL: "https://hooks.slack.example/services/SECRET", Err: errors.New("connection refused")}}
	st := newSite(t, Options{Sinks: []alert.Sink{ok, broken}})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	c := st.client(t)
	c.login("alice", "correct horse battery")
	for _, tc := range []struct {
		name, sink string
		wantCode   int
	}{
		{"a working sink receives a test alert in both languages", "alerts[0]", http.StatusOK},
		{"a failing sink answers 502 without its secret URL", "alerts[1]", http.StatusBadGateway},
		{"an unknown sink is 404", "alerts[9]", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", st.URL+"/api/sinks/"+url.PathEscape(tc.sink)+"/test", nil)
			resp, body := c.do(req)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if strings.Contains(body, "SECRET") {
				t.Fatalf("the answer shows the sink's URL: %s", body)
			}
		})
	}
	if len(ok.got) != 1 || ok.got[0].Texts[alert.English].Title == "" || ok.got[0].Texts[alert.Japanese].Title == "" {
		t.Fatalf("the working sink got %+v", ok.got)
	}
	es := events(t, st.st, "web.test-alert")
	if len(es) != 2 || es[0].Actor != "alice" || strings.Contains(string(es[1].Data), "SECRET") || !strings.Contains(string(es[1].Data), "connection refused") {
		t.Fatalf("test-alert events %+v", es)
	}
}
