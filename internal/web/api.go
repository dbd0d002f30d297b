package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// writeJSON writes v as the API's JSON: through termtext.WriteJSON, so
// stored attacker text is escaped even if a client renders it carelessly.
func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := termtext.WriteJSON(w, v); err != nil {
		s.log.Debug("write JSON", "err", err)
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// maxJSONBody caps an API request body.
const maxJSONBody = 64 << 10

// readJSON decodes a request body into v, refusing unknown fields and
// bodies over maxJSONBody; on failure it has answered 400.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad JSON body: " + err.Error()})
		return false
	}
	return true
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, map[string]any{"user": userFrom(r.Context())})
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.store.Users(r.Context())
	if err != nil {
		s.serverError(w, r, "list users", err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

// refusal answers a refused API request with the English message for key.
func (s *Server) refusal(w http.ResponseWriter, code int, key string) {
	s.writeJSON(w, code, map[string]any{"error": s.T(LangEN, key), "code": key})
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	var nu newUser
	if !s.readJSON(w, r, &nu) {
		return
	}
	u, refused, err := s.createUser(r.Context(), r, nu)
	switch {
	case err != nil:
		s.serverError(w, r, "create user", err)
	case refused == "users.taken":
		s.refusal(w, http.StatusConflict, refused)
	case refused != "":
		s.refusal(w, http.StatusBadRequest, refused)
	default:
		s.writeJSON(w, http.StatusCreated, map[string]any{"user": u})
	}
}

func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	var body struct {
		Role string `json:"role"`
	}
	if !ok {
		s.refusal(w, http.StatusNotFound, "users.notfound")
		return
	}
	if !s.readJSON(w, r, &body) {
		return
	}
	refused, err := s.changeRole(r.Context(), r, id, body.Role)
	switch {
	case err != nil:
		s.serverError(w, r, "change role", err)
	case refused == "users.notfound":
		s.refusal(w, http.StatusNotFound, refused)
	case refused == "users.lastadmin":
		s.refusal(w, http.StatusConflict, refused)
	case refused != "":
		s.refusal(w, http.StatusBadRequest, refused)
	default:
		s.writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	}
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := pathID(r)
	if !ok {
		s.refusal(w, http.StatusNotFound, "users.notfound")
		return
	}
	u, err := s.store.UserByID(ctx, id)
	if err == nil {
		err = s.store.DeleteUser(ctx, id)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.refusal(w, http.StatusNotFound, "users.notfound")
	case errors.Is(err, store.ErrConflict):
		s.refusal(w, http.StatusConflict, "users.lastadmin")
	case err != nil:
		s.serverError(w, r, "delete user", err)
	default:
		s.logEvent(ctx, r, "web.user-deleted", map[string]any{"user": u.Name})
		s.writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	}
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.store.APITokens(r.Context())
	if err != nil {
		s.serverError(w, r, "list tokens", err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name   string `json:"name"`
		UserID int64  `json:"user_id"`
	}
	if !s.readJSON(w, r, &body) {
		return
	}
	owner := cmp.Or(body.UserID, userFrom(r.Context()).ID)
	secret, t, refused, err := s.makeToken(r.Context(), r, owner, body.Name)
	switch {
	case err != nil:
		s.serverError(w, r, "create token", err)
	case refused == "users.notfound":
		s.refusal(w, http.StatusNotFound, refused)
	case refused != "":
		s.refusal(w, http.StatusBadRequest, refused)
	default:
		s.writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "id": t.ID, "name": t.Name, "user": t.UserName,
			"note": "this is the only time the token is shown"})
	}
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.refusal(w, http.StatusNotFound, "tokens.notfound")
		return
	}
	err := s.store.DeleteAPIToken(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.refusal(w, http.StatusNotFound, "tokens.notfound")
	case err != nil:
		s.serverError(w, r, "revoke token", err)
	default:
		s.logEvent(r.Context(), r, "web.token-revoked", map[string]any{"id": id})
		s.writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	}
}

func (s *Server) apiTestAlert(w http.ResponseWriter, r *http.Request) {
	found, err := s.testAlert(r.Context(), r, r.PathValue("name"))
	switch {
	case !found:
		s.refusal(w, http.StatusNotFound, "sinks.notfound")
	case err != nil:
		s.writeJSON(w, http.StatusBadGateway, map[string]any{"delivered": false, "error": sinkError(err)})
	default:
		s.writeJSON(w, http.StatusOK, map[string]any{"delivered": true})
	}
}

func (s *Server) apiVerifyEvents(w http.ResponseWriter, r *http.Request) {
	expect, err := record.ParseHead(r.URL.Query().Get("expect"))
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	c, err := record.VerifyChain(r.Context(), s.store, expect)
	if err != nil {
		s.serverError(w, r, "verify event log", err)
		return
	}
	out := map[string]any{"ok": c.Broken == nil, "verified": c.Verified}
	if c.Broken != nil {
		out["broken"] = map[string]any{"seq": c.Broken.Seq, "reason": c.Broken.Reason}
	} else if c.Head.Seq > 0 {
		out["head"] = c.Head.String()
	}
	s.writeJSON(w, http.StatusOK, out)
}
