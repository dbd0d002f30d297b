package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/skimwatch/skimwatch/internal/store"
)

// Role is what a user may do. Each role may do everything the roles below
// it may: viewer < operator (acknowledge, approve) < admin (users, tokens,
// sinks).
type Role string

// Roles.
const (
	RoleViewer   Role = "viewer"
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r may do what min may. An unknown role may do
// nothing.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// User is who a request acts for: a signed-in person, or the owner of the
// API token it carries.
type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Lang is the user's language setting ("" follows the browser).
	Lang string `json:"lang"`
	// Token names the API token used, when the request carried one.
	Token string `json:"token,omitempty"`
}

// Actor is how the event log names the user: the user name, and the
// token's name when the request came with one.
func (u User) Actor() string {
	if u.Token != "" {
		return u.Name + " (token " + u.Token + ")"
	}
	return u.Name
}

type userKey struct{}

// withUser returns ctx acting for u. authenticate calls it; tests may
// too, to call a handler as a given user.
func withUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// userFrom is the user ctx acts for; the zero User (no role) when nobody
// signed in.
func userFrom(ctx context.Context) User {
	u, _ := ctx.Value(userKey{}).(User)
	return u
}

// isAPI reports whether r is for the JSON API, which answers errors in
// JSON instead of redirecting to the login page.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// requireRole lets a request through only when its user holds at least
// role. Nobody signed in: pages redirect to /login, the API answers 401.
// Signed in with too low a role: 403.
func (s *Server) requireRole(role Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userFrom(r.Context())
		switch {
		case u.ID == 0 || !u.Role.Valid():
			if isAPI(r) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="skimwatch"`)
				s.writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "sign in or send an API token"})
				return
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case !u.Role.AtLeast(role):
			if isAPI(r) {
				s.writeJSON(w, http.StatusForbidden, map[string]any{"error": fmt.Sprintf("this needs the %s role", role)})
				return
			}
			s.renderStatus(w, r, http.StatusForbidden, "forbidden.html", map[string]any{"Role": string(role)})
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// event appends a decision or a security event to the hash-chained event
// log, with the signed-in user as its actor and the client's address in
// its data. data must marshal to a JSON object (or be nil).
func (s *Server) event(ctx context.Context, r *http.Request, typ, site string, data any) error {
	fields := map[string]any{}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("event %s: %w", typ, err)
		}
		if err := json.Unmarshal(b, &fields); err != nil {
			return fmt.Errorf("event %s: data must be a JSON object: %w", typ, err)
		}
	}
	if r != nil {
		fields["remote_addr"] = r.RemoteAddr
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	actor := userFrom(ctx).Actor()
	if actor == "" {
		actor = "anonymous"
	}
	if _, err := s.store.AppendEvent(ctx, store.Event{Site: site, Type: typ, Actor: actor, Data: b}); err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	return nil
}

// authenticate finds the request's user from its session cookie or its
// bearer token and puts it in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	// The skeleton signs nobody in; sessions and tokens come with the
	// user store.
	return next
}
