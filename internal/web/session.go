package web

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/skimwatch/skimwatch/internal/store"
)

// sessionStore keeps scs sessions in our store, by the SHA-256 of their
// token: a copy of the database does not hand out live sessions.
type sessionStore struct {
	st  store.UserStore
	now func() time.Time
}

var _ scs.CtxStore = sessionStore{}

func sessionHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func (s sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, err := s.st.FindSession(ctx, sessionHash(token), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (s sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.st.CommitSession(ctx, sessionHash(token), b, expiry)
}

func (s sessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.st.DeleteSession(ctx, sessionHash(token))
}

// The context-free methods complete scs.Store; scs calls the Ctx ones.
func (s sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s sessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// Session keys.
const (
	sessUserID = "uid"
	sessEpoch  = "epoch"
	sessFlash  = "flash"
)

// newSessions configures scs: server-side sessions in our store, a cookie
// that scripts cannot read, sent on top-level navigations from other sites
// (so links to the dashboard work) but not on their posts, and Secure when
// the dashboard is served over https.
func newSessions(st store.UserStore, now func() time.Time, secure bool, lifetime, idle time.Duration, log func(error)) *scs.SessionManager {
	sm := scs.New()
	sm.Store = sessionStore{st: st, now: now}
	sm.Lifetime, sm.IdleTimeout = lifetime, idle
	sm.Cookie.Name = "skimwatch_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		log(err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
	return sm
}
