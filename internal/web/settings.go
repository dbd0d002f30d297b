package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

type settingsData struct {
	Me     store.User
	Users  []store.User
	Tokens []store.APIToken
	Sinks  []string
	// NewToken is shown once, right after it was made.
	NewToken  string
	Flash     string
	FlashKind string
	Chain     *record.Chain
	ChainErr  string
	Langs     []string
	Roles     []Role
}

func (s *Server) settingsView(ctx context.Context) (settingsData, error) {
	u := userFrom(ctx)
	me, err := s.store.UserByID(ctx, u.ID)
	if err != nil {
		return settingsData{}, err
	}
	d := settingsData{Me: me, Langs: []string{"", LangEN, LangJA}, Roles: []Role{RoleViewer, RoleOperator, RoleAdmin}}
	if flash := s.sessions.PopString(ctx, sessFlash); flash != "" {
		d.FlashKind, d.Flash, _ = strings.Cut(flash, ":")
	}
	if u.Role.AtLeast(RoleAdmin) {
		if d.Users, err = s.store.Users(ctx); err != nil {
			return d, err
		}
		if d.Tokens, err = s.store.APITokens(ctx); err != nil {
			return d, err
		}
		for _, k := range s.sinks {
			d.Sinks = append(d.Sinks, k.Name())
		}
	}
	return d, nil
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	d, err := s.settingsView(r.Context())
	if err != nil {
		s.serverError(w, r, "settings", err)
		return
	}
	s.render(w, r, "settings.html", d)
}

// flash leaves a message (a message key, "info:" or "error:") for the
// next page, and sends the browser there.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, kind, key string) {
	s.sessions.Put(r.Context(), sessFlash, kind+":"+key)
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	return true
}

func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	lang := r.PostForm.Get("lang")
	u := userFrom(r.Context())
	if _, err := s.store.UpdateUser(r.Context(), u.ID, store.UserUpdate{Lang: &lang}); errors.Is(err, store.ErrInvalid) {
		s.flash(w, r, "error", "settings.badlang")
		return
	} else if err != nil {
		s.serverError(w, r, "set language", err)
		return
	}
	s.flash(w, r, "info", "settings.saved")
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !parseForm(w, r) {
		return
	}
	if !formTokenOK(r) {
		d, err := s.settingsView(ctx)
		if err != nil {
			s.serverError(w, r, "settings", err)
			return
		}
		d.FlashKind, d.Flash = "error", "form.expired"
		s.renderStatus(w, r, http.StatusForbidden, "settings.html", d)
		return
	}
	u := userFrom(ctx)
	su, err := s.store.UserByID(ctx, u.ID)
	if err != nil {
		s.serverError(w, r, "find user", err)
		return
	}
	if ok, err := argon2id.ComparePasswordAndHash(r.PostForm.Get("current"), su.PasswordHash); err != nil || !ok {
		s.logEvent(ctx, r, "web.password-change-refused", nil)
		s.flash(w, r, "error", "password.wrong")
		return
	}
	pw := r.PostForm.Get("password")
	if checkPassword(pw) != nil {
		s.flash(w, r, "error", "users.badpassword")
		return
	}
	hash, err := argon2id.CreateHash(pw, s.params)
	if err != nil {
		s.serverError(w, r, "hash password", err)
		return
	}
	// A new password ends every other session; this one starts afresh.
	nu, err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &hash, EndSessions: true})
	if err != nil {
		s.serverError(w, r, "change password", err)
		return
	}
	if err := s.startSession(ctx, nu); err != nil {
		s.serverError(w, r, "start session", err)
		return
	}
	s.logEvent(ctx, r, "web.password-changed", nil)
	s.flash(w, r, "info", "password.changed")
}

// newUser is what creating a user takes, from a form or JSON.
type newUser struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// createUser is the one path that adds a user (page and API). It returns
// a message key for a refusal the caller shows.
func (s *Server) createUser(ctx context.Context, r *http.Request, nu newUser) (store.User, string, error) {
	nu.Name = strings.TrimSpace(nu.Name)
	if nu.Name == "" || len(nu.Name) > store.MaxUserNameBytes {
		return store.User{}, "users.badname", nil
	}
	if !Role(nu.Role).Valid() {
		return store.User{}, "users.badrole", nil
	}
	if checkPassword(nu.Password) != nil {
		return store.User{}, "users.badpassword", nil
	}
	hash, err := argon2id.CreateHash(nu.Password, s.params)
	if err != nil {
		return store.User{}, "", err
	}
	u, err := s.store.CreateUser(ctx, store.User{Name: nu.Name, PasswordHash: hash, Role: nu.Role})
	if errors.Is(err, store.ErrConflict) {
		return u, "users.taken", nil
	}
	if err != nil {
		return u, "", err
	}
	s.logEvent(ctx, r, "web.user-created", map[string]any{"user": u.Name, "role": u.Role})
	return u, "", nil
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	_, refused, err := s.createUser(r.Context(), r, newUser{Name: r.PostForm.Get("name"), Password: r.PostForm.Get("password"), Role: r.PostForm.Get("role")})
	switch {
	case err != nil:
		s.serverError(w, r, "create user", err)
	case refused != "":
		s.flash(w, r, "error", refused)
	default:
		s.flash(w, r, "info", "users.created.ok")
	}
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// changeRole is the one path that changes a role (page and API).
func (s *Server) changeRole(ctx context.Context, r *http.Request, id int64, role string) (string, error) {
	if !Role(role).Valid() {
		return "users.badrole", nil
	}
	u, err := s.store.UpdateUser(ctx, id, store.UserUpdate{Role: &role, EndSessions: true})
	switch {
	case errors.Is(err, store.ErrConflict):
		return "users.lastadmin", nil
	case errors.Is(err, store.ErrNotFound):
		return "users.notfound", nil
	case err != nil:
		return "", err
	}
	s.logEvent(ctx, r, "web.role-changed", map[string]any{"user": u.Name, "role": u.Role})
	return "", nil
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok || !parseForm(w, r) {
		http.NotFound(w, r)
		return
	}
	refused, err := s.changeRole(r.Context(), r, id, r.PostForm.Get("role"))
	switch {
	case err != nil:
		s.serverError(w, r, "change role", err)
	case refused != "":
		s.flash(w, r, "error", refused)
	default:
		s.flash(w, r, "info", "settings.saved")
	}
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := pathID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	u, err := s.store.UserByID(ctx, id)
	if err == nil {
		err = s.store.DeleteUser(ctx, id)
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		s.flash(w, r, "error", "users.lastadmin")
	case errors.Is(err, store.ErrNotFound):
		s.flash(w, r, "error", "users.notfound")
	case err != nil:
		s.serverError(w, r, "delete user", err)
	default:
		s.logEvent(ctx, r, "web.user-deleted", map[string]any{"user": u.Name})
		s.flash(w, r, "info", "users.deleted")
	}
}

// CreateAPIToken issues an API token acting as the user userID: the token
// is returned once, and only its hash is kept. It is the one way tokens
// are made (the settings page, the API, and tests that call the API).
func CreateAPIToken(ctx context.Context, st store.UserStore, userID int64, name string) (string, store.APIToken, error) {
	secret := randomSecret("skw_")
	t, err := st.CreateAPIToken(ctx, store.APIToken{UserID: userID, Name: name, Hash: secretHash(secret)})
	if err != nil {
		return "", t, err
	}
	return secret, t, nil
}

// makeToken is CreateAPIToken for a request: it checks the name, records
// the event, and returns a message key for a refusal.
func (s *Server) makeToken(ctx context.Context, r *http.Request, owner int64, name string) (string, store.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > store.MaxUserNameBytes {
		return "", store.APIToken{}, "tokens.badname", nil
	}
	secret, t, err := CreateAPIToken(ctx, s.store, owner, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", t, "users.notfound", nil
	}
	if err != nil {
		return "", t, "", err
	}
	s.logEvent(ctx, r, "web.token-created", map[string]any{"token": t.Name, "id": t.ID, "user": t.UserName})
	return secret, t, "", nil
}

func (s *Server) addToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !parseForm(w, r) {
		return
	}
	owner := userFrom(ctx).ID
	if v := r.PostForm.Get("user"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.flash(w, r, "error", "users.notfound")
			return
		}
		owner = id
	}
	secret, _, refused, err := s.makeToken(ctx, r, owner, r.PostForm.Get("name"))
	switch {
	case err != nil:
		s.serverError(w, r, "create token", err)
		return
	case refused != "":
		s.flash(w, r, "error", refused)
		return
	}
	// Shown in this response only: it is not kept, so a reload cannot
	// show it again.
	d, err := s.settingsView(ctx)
	if err != nil {
		s.serverError(w, r, "settings", err)
		return
	}
	d.NewToken, d.FlashKind, d.Flash = secret, "info", "tokens.created"
	s.render(w, r, "settings.html", d)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	err := s.store.DeleteAPIToken(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.flash(w, r, "error", "tokens.notfound")
	case err != nil:
		s.serverError(w, r, "revoke token", err)
	default:
		s.logEvent(r.Context(), r, "web.token-revoked", map[string]any{"id": id})
		s.flash(w, r, "info", "tokens.revoked")
	}
}

// testAlert sends one test alert through the named sink, now, bypassing
// the queue: the person pressing the button wants to see it arrive or
// read why it did not.
func (s *Server) testAlert(ctx context.Context, r *http.Request, name string) (bool, error) {
	var sink alert.Sink
	for _, k := range s.sinks {
		if k.Name() == name {
			sink = k
		}
	}
	if sink == nil {
		return false, nil
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	u := userFrom(ctx)
	a := alert.Alert{ID: hex.EncodeToString(id[:]), Type: "test", At: store.Timestamp(s.now()), Items: []alert.Item{},
		Texts: map[string]alert.Text{
			alert.English:  {Title: "skimwatch test alert", Body: "This is a test alert sent from the skimwatch dashboard by " + u.Name + ". Nothing is wrong."},
			alert.Japanese: {Title: "skimwatch テストアラート", Body: "skimwatch のダッシュボードから " + u.Name + " が送ったテストアラートです。問題は発生していません。"},
		}}
	sendCtx, cancel := context.WithTimeout(ctx, testAlertTimeout)
	defer cancel()
	err := sink.Send(sendCtx, a)
	data := map[string]any{"sink": name, "delivered": err == nil}
	if err != nil {
		data["error"] = sinkError(err)
	}
	s.logEvent(ctx, r, "web.test-alert", data)
	return true, err
}

// testAlertTimeout bounds one test alert's delivery (an SMTP server or a
// webhook that answers slowly).
const testAlertTimeout = 20 * time.Second

func (s *Server) sendTestAlert(w http.ResponseWriter, r *http.Request) {
	allowSlowResponse(w, testAlertTimeout)
	found, err := s.testAlert(r.Context(), r, r.PathValue("name"))
	switch {
	case !found:
		s.flash(w, r, "error", "sinks.notfound")
	case err != nil:
		s.log.Warn("test alert failed", "sink", r.PathValue("name"), "err", sinkError(err))
		s.flash(w, r, "error", "sinks.failed")
	default:
		s.flash(w, r, "info", "sinks.sent")
	}
}

// verifyChain walks the event log. It is a button, not part of every page
// view: the walk reads the whole log.
func (s *Server) verifyChain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !parseForm(w, r) {
		return
	}
	d, err := s.settingsView(ctx)
	if err != nil {
		s.serverError(w, r, "settings", err)
		return
	}
	expect, err := record.ParseHead(strings.TrimSpace(r.PostForm.Get("expect")))
	if err != nil {
		d.ChainErr = err.Error()
		s.renderStatus(w, r, http.StatusBadRequest, "settings.html", d)
		return
	}
	c, err := record.VerifyChain(ctx, s.store, expect)
	if err != nil {
		s.serverError(w, r, "verify event log", err)
		return
	}
	d.Chain = &c
	s.render(w, r, "settings.html", d)
}

// sinkError is a sink's error without the URL an HTTP client error names
// (alert.Redact).
func sinkError(err error) string { return alert.Redact(err).Error() }
