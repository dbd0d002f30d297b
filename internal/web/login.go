package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"golang.org/x/time/rate"

	"github.com/skimwatch/skimwatch/internal/store"
)

// Password limits. The upper bound keeps argon2id's input sane; the lower
// one is NIST SP 800-63B's minimum for a chosen password, a little raised.
const (
	MinPasswordChars = 10
	MaxPasswordBytes = 256
	// maxFormBytes caps every form post.
	maxFormBytes = 64 << 10
	// setupValidity is how long a set-up link works.
	setupValidity = time.Hour
)

// checkPassword is the one password rule, for set-up, new users and
// password changes.
func checkPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordChars || len(pw) > MaxPasswordBytes {
		return fmt.Errorf("a password needs %d to %d characters", MinPasswordChars, MaxPasswordBytes)
	}
	return nil
}

// randomSecret is 32 random bytes, URL-safe, with a prefix that says what
// it is (so a leaked one is recognised by secret scanners and people).
func randomSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// secretHash is how API and set-up tokens are stored: a plain SHA-256 is
// enough for 256 random bits (no dictionary to try).
func secretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// loginLimiter throttles sign-in attempts per client address, so a
// password can be guessed neither quickly nor, with the per-user lock-out,
// slowly across many accounts.
type loginLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	clients map[netip.Addr]*clientLimit
}

type clientLimit struct {
	lim *rate.Limiter
	// logged is when a throttled attempt was last written to the event
	// log: once a minute per client is a record, more would let an
	// attacker flood the log.
	logged time.Time
}

// maxTrackedClients caps the limiter's memory; past it the table starts
// afresh, which only ever lets a few more attempts through.
const maxTrackedClients = 10000

func newLoginLimiter(perMinute int) *loginLimiter {
	return &loginLimiter{every: rate.Limit(float64(perMinute) / 60), burst: perMinute, clients: map[netip.Addr]*clientLimit{}}
}

// allow reports whether addr may try now, and whether a refusal should be
// logged.
func (l *loginLimiter) allow(addr netip.Addr, now time.Time) (ok, logIt bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[addr]
	if c == nil {
		if len(l.clients) >= maxTrackedClients {
			clear(l.clients)
		}
		c = &clientLimit{lim: rate.NewLimiter(l.every, l.burst)}
		l.clients[addr] = c
	}
	if c.lim.AllowN(now, 1) {
		return true, false
	}
	if now.Sub(c.logged) >= time.Minute {
		c.logged = now
		return false, true
	}
	return false, false
}

// clientAddr is the request's peer address. Behind a reverse proxy every
// client shares the proxy's address; the limit then applies to all of them
// together, which errs on the safe side.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		return a
	}
	return ap.Addr().Unmap()
}

// localPath is next if it is a path on this dashboard, else "/": a login
// link must not become an open redirect. Browsers drop tabs and newlines
// from URLs and read a backslash as a slash, so "/\t/evil.example" would
// lead away: any control character or backslash is refused.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '\\'
	}) {
		return "/"
	}
	return next
}

type loginData struct {
	Name  string
	Next  string
	Error string
	// Setup is set when nobody can sign in yet.
	Setup bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.formToken(w, r) // also for the signed-in visitor sent on
	if userFrom(r.Context()).ID != 0 {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		s.serverError(w, r, "count users", err)
		return
	}
	s.render(w, r, "login.html", loginData{Next: localPath(r.URL.Query().Get("next")), Setup: n == 0})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	name, password, next := r.PostForm.Get("name"), r.PostForm.Get("password"), localPath(r.PostForm.Get("next"))
	now := s.now()
	fail := func(code int, key string) {
		s.renderStatus(w, r, code, "login.html", loginData{Name: name, Next: next, Error: key})
	}
	if !formTokenOK(r) {
		fail(http.StatusForbidden, "form.expired")
		return
	}
	if ok, logIt := s.limiter.allow(clientAddr(r), now); !ok {
		if logIt {
			s.logEvent(ctx, r, "web.login-throttled", map[string]any{"name": name})
		}
		fail(http.StatusTooManyRequests, "login.throttled")
		return
	}
	u, err := s.store.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the time a real check would, so the answer's timing does
		// not tell which names exist.
		_, _ = argon2id.ComparePasswordAndHash(password, s.dummyHash)
		s.logEvent(ctx, r, "web.login-failed", map[string]any{"name": name, "reason": "unknown user"})
		fail(http.StatusUnauthorized, "login.failed")
		return
	}
	if err != nil {
		s.serverError(w, r, "find user", err)
		return
	}
	if u.LockedUntil.After(now) {
		// The password is not even checked: a locked account answers the
		// same whether or not a guess is right.
		s.logEvent(ctx, r, "web.login-refused", map[string]any{"name": name, "reason": "locked", "locked_until": u.LockedUntil})
		fail(http.StatusUnauthorized, "login.failed")
		return
	}
	match, err := argon2id.ComparePasswordAndHash(password, u.PasswordHash)
	if err != nil {
		s.serverError(w, r, "compare password", err)
		return
	}
	if !match {
		after, err := s.store.RecordLoginFailure(ctx, u.ID, now, s.maxFailures, s.lockFor)
		if err != nil {
			s.serverError(w, r, "record login failure", err)
			return
		}
		s.logEvent(ctx, r, "web.login-failed", map[string]any{"name": name, "reason": "wrong password"})
		if after.LockedUntil.After(now) {
			s.logEvent(ctx, r, "web.locked-out", map[string]any{"name": name, "failures": s.maxFailures, "locked_until": after.LockedUntil})
		}
		fail(http.StatusUnauthorized, "login.failed")
		return
	}
	if err := s.store.RecordLoginSuccess(ctx, u.ID); err != nil {
		s.serverError(w, r, "record login", err)
		return
	}
	if err := s.startSession(ctx, u); err != nil {
		s.serverError(w, r, "start session", err)
		return
	}
	_, _ = s.store.PruneSessions(ctx, now)
	s.logEvent(withUser(ctx, userOf(u)), r, "web.login", nil)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startSession signs u in on a fresh session token, so a token planted
// before sign-in (session fixation) is worth nothing after it.
func (s *Server) startSession(ctx context.Context, u store.User) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, u.ID)
	s.sessions.Put(ctx, sessEpoch, u.SessionEpoch)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.logEvent(ctx, r, "web.logout", nil)
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, "end session", err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// logoutEverywhere ends every session of the user, on every browser.
func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	if _, err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{EndSessions: true}); err != nil {
		s.serverError(w, r, "end sessions", err)
		return
	}
	s.logEvent(ctx, r, "web.logout-everywhere", nil)
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, "end session", err)
		return
	}
	if isAPI(r) {
		s.writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// logEvent is event for security events, where a failure to record must
// not change the answer; it is logged instead.
func (s *Server) logEvent(ctx context.Context, r *http.Request, typ string, data any) {
	if err := s.event(ctx, r, typ, "", data); err != nil {
		s.log.Error("record event", "type", typ, "err", err)
	}
}

// SetupLink returns a one-time link that creates the first admin, valid
// for an hour, when the dashboard has no user yet; "" when it has. base is
// the dashboard's address, such as http://127.0.0.1:8080.
func (s *Server) SetupLink(ctx context.Context, base string) (string, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token := randomSecret("skws_")
	if err := s.store.PutSetupToken(ctx, secretHash(token), s.now().Add(setupValidity)); err != nil {
		return "", fmt.Errorf("set-up link: %w", err)
	}
	return strings.TrimSuffix(base, "/") + "/setup?token=" + token, nil
}

type setupData struct {
	Token string
	Name  string
	Error string
	Done  bool
}

// isLoopback reports whether r came from this machine. The set-up link
// works only from there, so a link that leaked into a shared log cannot
// be used from another machine.
func isLoopback(r *http.Request) bool {
	a := clientAddr(r)
	return a.IsValid() && a.IsLoopback()
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		s.serverError(w, r, "count users", err)
		return
	}
	if !isLoopback(r) {
		s.renderStatus(w, r, http.StatusForbidden, "setup.html", setupData{Error: "setup.loopback"})
		return
	}
	s.render(w, r, "setup.html", setupData{Token: r.URL.Query().Get("token"), Done: n > 0})
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !isLoopback(r) {
		s.renderStatus(w, r, http.StatusForbidden, "setup.html", setupData{Error: "setup.loopback"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	d := setupData{Token: r.PostForm.Get("token"), Name: strings.TrimSpace(r.PostForm.Get("name"))}
	pw := r.PostForm.Get("password")
	switch {
	case !formTokenOK(r):
		d.Error = "form.expired"
		s.renderStatus(w, r, http.StatusForbidden, "setup.html", d)
		return
	case d.Name == "" || len(d.Name) > store.MaxUserNameBytes:
		d.Error = "users.badname"
	case checkPassword(pw) != nil:
		d.Error = "users.badpassword"
	case pw != r.PostForm.Get("password2"):
		d.Error = "setup.mismatch"
	}
	if d.Error != "" {
		s.renderStatus(w, r, http.StatusBadRequest, "setup.html", d)
		return
	}
	hash, err := argon2id.CreateHash(pw, s.params)
	if err != nil {
		s.serverError(w, r, "hash password", err)
		return
	}
	u, err := s.store.CreateFirstUser(ctx, store.User{Name: d.Name, PasswordHash: hash, Role: store.RoleAdmin}, secretHash(d.Token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Error = "setup.badtoken"
	case errors.Is(err, store.ErrConflict):
		d.Error, d.Done = "", true
	case err != nil:
		s.serverError(w, r, "create first user", err)
		return
	}
	if d.Error != "" || d.Done {
		s.renderStatus(w, r, http.StatusConflict, "setup.html", d)
		return
	}
	if err := s.startSession(ctx, u); err != nil {
		s.serverError(w, r, "start session", err)
		return
	}
	s.logEvent(withUser(ctx, userOf(u)), r, "web.setup", map[string]any{"user": u.Name, "role": u.Role})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// userOf is the request-side view of a stored user.
func userOf(u store.User) User {
	return User{ID: u.ID, Name: u.Name, Role: Role(u.Role), Lang: u.Lang}
}
