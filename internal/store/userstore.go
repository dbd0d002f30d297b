package store

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// UserStore is the part of Store the dashboard uses: its users (password
// hashes, roles, language, lock-out state), their API tokens (hashes only),
// the one-time set-up tokens of a first run, and the server-side sessions.
//
// Every secret here (a password, an API token, a session token, a set-up
// token) is kept only as a hash computed by the caller; the store never
// sees the secret itself.
type UserStore interface {
	// CountUsers is the number of users; zero means the dashboard has not
	// been set up.
	CountUsers(ctx context.Context) (int, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// UserByName and UserByID return ErrNotFound for no such user.
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// CreateUser adds u (ID, Created and the lock-out fields are set by
	// the store) and returns it. A taken name is ErrConflict.
	CreateUser(ctx context.Context, u User) (User, error)
	// CreateFirstUser consumes the set-up token with this hash and creates
	// u as an admin, in one transaction: ErrNotFound when the token is
	// unknown, used or expired; ErrConflict when any user already exists,
	// so two set-up links raced cannot both make an admin.
	CreateFirstUser(ctx context.Context, u User, setupHash []byte) (User, error)
	// UpdateUser applies the non-nil fields of up to the user id and
	// returns the result. Demoting the last admin is ErrConflict, so the
	// dashboard always keeps someone who can manage it.
	UpdateUser(ctx context.Context, id int64, up UserUpdate) (User, error)
	// DeleteUser removes a user and their API tokens. Deleting the last
	// admin is ErrConflict.
	DeleteUser(ctx context.Context, id int64) error
	// RecordLoginFailure counts one failed sign-in of user id at now. The
	// max-th failure in a row locks the user until now+lockFor and starts
	// the count again. It returns the user as updated.
	RecordLoginFailure(ctx context.Context, id int64, now time.Time, max int, lockFor time.Duration) (User, error)
	// RecordLoginSuccess clears the failure count and any lock.
	RecordLoginSuccess(ctx context.Context, id int64) error

	// PutSetupToken stores a one-time set-up token's hash, valid until
	// expires.
	PutSetupToken(ctx context.Context, hash []byte, expires time.Time) error

	// CreateAPIToken stores t (ID and Created set by the store); a hash
	// already stored is ErrConflict.
	CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error)
	// APITokens lists every token by creation, without hashes' owners
	// resolved (UserName is filled in).
	APITokens(ctx context.Context) ([]APIToken, error)
	// APITokenByHash returns ErrNotFound for no such token.
	APITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	// DeleteAPIToken revokes a token; ErrNotFound when there is none.
	DeleteAPIToken(ctx context.Context, id int64) error

	// FindSession returns a live session's data; ErrNotFound when it does
	// not exist or expired before now.
	FindSession(ctx context.Context, hash []byte, now time.Time) ([]byte, error)
	// CommitSession creates or replaces a session.
	CommitSession(ctx context.Context, hash, data []byte, expiry time.Time) error
	// DeleteSession removes a session; deleting none is not an error.
	DeleteSession(ctx context.Context, hash []byte) error
	// PruneSessions deletes sessions expired before before and returns how
	// many.
	PruneSessions(ctx context.Context, before time.Time) (int64, error)
}

// Roles of dashboard users. Each may do what the roles before it may:
// viewer < operator (acknowledge, approve) < admin (users, tokens, sinks).
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// MaxUserNameBytes caps a user name (it is indexed and shown everywhere).
const MaxUserNameBytes = 64

// User is a dashboard user.
type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// PasswordHash is an argon2id hash in its encoded form.
	PasswordHash string `json:"-"`
	Role         string `json:"role"`
	// Lang is "en", "ja", or "" to follow the browser.
	Lang string `json:"lang"`
	// FailedLogins counts failed sign-ins since the last success or lock.
	FailedLogins int `json:"failed_logins"`
	// LockedUntil, when after now, refuses every sign-in.
	LockedUntil time.Time `json:"locked_until"`
	// SessionEpoch grows on "sign out everywhere" and on a password
	// change; a session made under an older epoch is no longer valid.
	SessionEpoch int64     `json:"session_epoch"`
	Created      time.Time `json:"created"`
}

// UserUpdate names the fields UpdateUser changes; nil leaves one alone.
type UserUpdate struct {
	Role         *string
	Lang         *string
	PasswordHash *string
	// EndSessions bumps SessionEpoch, ending every session of the user.
	EndSessions bool
}

// APIToken is an API token as stored: its hash, never the token.
type APIToken struct {
	ID       int64     `json:"id"`
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user"`
	Name     string    `json:"name"`
	Hash     []byte    `json:"-"`
	Created  time.Time `json:"created"`
}

// ValidateUser checks what a backend stores for a new or updated user.
func ValidateUser(u User) error {
	switch {
	case u.Name == "" || len(u.Name) > MaxUserNameBytes || !utf8.ValidString(u.Name):
		return fmt.Errorf("user name: want 1 to %d bytes of UTF-8: %w", MaxUserNameBytes, ErrInvalid)
	case u.PasswordHash == "":
		return fmt.Errorf("user %q: no password hash: %w", u.Name, ErrInvalid)
	case u.Lang != "" && u.Lang != "en" && u.Lang != "ja":
		return fmt.Errorf("user %q: language %q: want en, ja or empty: %w", u.Name, u.Lang, ErrInvalid)
	}
	return ValidateRole(u.Role)
}

// ValidateRole accepts the three roles.
func ValidateRole(role string) error {
	switch role {
	case RoleViewer, RoleOperator, RoleAdmin:
		return nil
	}
	return fmt.Errorf("role %q: want %s, %s or %s: %w", role, RoleViewer, RoleOperator, RoleAdmin, ErrInvalid)
}

// ApplyUserUpdate is the one rule for what UpdateUser writes: up applied
// to u, validated. Both backends call it inside their transaction.
func ApplyUserUpdate(u User, up UserUpdate) (User, error) {
	if up.Role != nil {
		u.Role = *up.Role
	}
	if up.Lang != nil {
		u.Lang = *up.Lang
	}
	if up.PasswordHash != nil {
		u.PasswordHash = *up.PasswordHash
	}
	if up.EndSessions {
		u.SessionEpoch++
	}
	return u, ValidateUser(u)
}

// ApplyLoginFailure is the one lock-out rule both backends use.
func ApplyLoginFailure(u User, now time.Time, max int, lockFor time.Duration) User {
	u.FailedLogins++
	if max > 0 && u.FailedLogins >= max {
		u.FailedLogins = 0
		u.LockedUntil = Timestamp(now.Add(lockFor))
	}
	return u
}

// ValidateAPIToken checks a token before it is stored.
func ValidateAPIToken(t APIToken) error {
	switch {
	case t.Name == "" || len(t.Name) > MaxUserNameBytes || !utf8.ValidString(t.Name):
		return fmt.Errorf("token name: want 1 to %d bytes of UTF-8: %w", MaxUserNameBytes, ErrInvalid)
	case len(t.Hash) != 32:
		return fmt.Errorf("token hash: want 32 bytes: %w", ErrInvalid)
	case t.UserID <= 0:
		return fmt.Errorf("token %q: no user: %w", t.Name, ErrInvalid)
	}
	return nil
}
