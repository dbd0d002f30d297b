package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/skimwatch/skimwatch/internal/store"
)

const userColumns = "id, name, password_hash, role, lang, failed_logins, locked_until, session_epoch, created"

type rowScanner interface{ Scan(...any) error }

func scanUser(r rowScanner) (store.User, error) {
	var u store.User
	var locked, created int64
	if err := r.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.Role, &u.Lang, &u.FailedLogins, &locked, &u.SessionEpoch, &created); err != nil {
		return u, err
	}
	if locked != 0 {
		u.LockedUntil = fromMicros(locked)
	}
	u.Created = fromMicros(created)
	return u, nil
}

func lockedMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func uniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// CountUsers counts users; see store.UserStore.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := d.reader.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// Users lists users by name; see store.UserStore.
func (d *DB) Users(ctx context.Context) ([]store.User, error) {
	rows, err := d.reader.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	out := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	return out, nil
}

func (d *DB) userWhere(ctx context.Context, q sqlQuerier, where string, arg any) (store.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlite: user %v: %w", arg, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: user %v: %w", arg, err)
	}
	return u, nil
}

type sqlQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// UserByName finds a user; see store.UserStore.
func (d *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	return d.userWhere(ctx, d.reader, "name = ?", name)
}

// UserByID finds a user; see store.UserStore.
func (d *DB) UserByID(ctx context.Context, id int64) (store.User, error) {
	return d.userWhere(ctx, d.reader, "id = ?", id)
}

func (d *DB) insertUser(ctx context.Context, tx *sql.Tx, u store.User) (store.User, error) {
	u.Created, u.FailedLogins, u.LockedUntil, u.SessionEpoch = store.Timestamp(d.now()), 0, time.Time{}, 0
	res, err := tx.ExecContext(ctx, `INSERT INTO users (name, password_hash, role, lang, created) VALUES (?, ?, ?, ?, ?)`,
		u.Name, u.PasswordHash, u.Role, u.Lang, micros(u.Created))
	if uniqueViolation(err) {
		return u, fmt.Errorf("user %q exists: %w", u.Name, store.ErrConflict)
	}
	if err != nil {
		return u, err
	}
	u.ID, err = res.LastInsertId()
	return u, err
}

// CreateUser adds a user; see store.UserStore.
func (d *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if err := store.ValidateUser(u); err != nil {
		return u, fmt.Errorf("sqlite: %w", err)
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = d.insertUser(ctx, tx, u)
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", err)
	}
	return u, nil
}

// CreateFirstUser consumes a set-up token and creates the first admin;
// see store.UserStore.
func (d *DB) CreateFirstUser(ctx context.Context, u store.User, setupHash []byte) (store.User, error) {
	u.Role = store.RoleAdmin
	if err := store.ValidateUser(u); err != nil {
		return u, fmt.Errorf("sqlite: %w", err)
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM setup_tokens WHERE hash = ? AND expires > ?", setupHash, micros(d.now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fmt.Errorf("set-up token: %w", store.ErrNotFound)
		}
		var users int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil {
			return err
		}
		if users > 0 {
			return fmt.Errorf("the dashboard is already set up: %w", store.ErrConflict)
		}
		u, err = d.insertUser(ctx, tx, u)
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create first user: %w", err)
	}
	return u, nil
}

// otherAdmins counts admins other than id.
func otherAdmins(ctx context.Context, tx *sql.Tx, id int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE role = ? AND id <> ?", store.RoleAdmin, id).Scan(&n)
	return n, err
}

// UpdateUser changes a user; see store.UserStore.
func (d *DB) UpdateUser(ctx context.Context, id int64, up store.UserUpdate) (store.User, error) {
	var out store.User
	err := d.tx(ctx, func(tx *sql.Tx) error {
		u, err := d.userWhere(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		next, err := store.ApplyUserUpdate(u, up)
		if err != nil {
			return err
		}
		if u.Role == store.RoleAdmin && next.Role != store.RoleAdmin {
			if n, err := otherAdmins(ctx, tx, id); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%q is the last admin: %w", u.Name, store.ErrConflict)
			}
		}
		_, err = tx.ExecContext(ctx, "UPDATE users SET role = ?, lang = ?, password_hash = ?, session_epoch = ? WHERE id = ?",
			next.Role, next.Lang, next.PasswordHash, next.SessionEpoch, id)
		out = next
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: update user %d: %w", id, err)
	}
	return out, nil
}

// DeleteUser removes a user and their tokens; see store.UserStore.
func (d *DB) DeleteUser(ctx context.Context, id int64) error {
	err := d.tx(ctx, func(tx *sql.Tx) error {
		u, err := d.userWhere(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if u.Role == store.RoleAdmin {
			if n, err := otherAdmins(ctx, tx, id); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%q is the last admin: %w", u.Name, store.ErrConflict)
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM users WHERE id = ?", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete user %d: %w", id, err)
	}
	return nil
}

// RecordLoginFailure counts a failed sign-in; see store.UserStore.
func (d *DB) RecordLoginFailure(ctx context.Context, id int64, now time.Time, max int, lockFor time.Duration) (store.User, error) {
	var out store.User
	err := d.tx(ctx, func(tx *sql.Tx) error {
		u, err := d.userWhere(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		out = store.ApplyLoginFailure(u, now, max, lockFor)
		_, err = tx.ExecContext(ctx, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
			out.FailedLogins, lockedMicros(out.LockedUntil), id)
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: record login failure: %w", err)
	}
	return out, nil
}

// RecordLoginSuccess clears the failure count; see store.UserStore.
func (d *DB) RecordLoginSuccess(ctx context.Context, id int64) error {
	if _, err := d.writer.ExecContext(ctx, "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?", id); err != nil {
		return fmt.Errorf("sqlite: record login success: %w", err)
	}
	return nil
}

// PutSetupToken stores a set-up token's hash; see store.UserStore.
func (d *DB) PutSetupToken(ctx context.Context, hash []byte, expires time.Time) error {
	if len(hash) != 32 {
		return fmt.Errorf("sqlite: set-up token hash: want 32 bytes: %w", store.ErrInvalid)
	}
	if _, err := d.writer.ExecContext(ctx, "INSERT INTO setup_tokens (hash, expires) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET expires = excluded.expires",
		hash, micros(expires)); err != nil {
		return fmt.Errorf("sqlite: put set-up token: %w", err)
	}
	return nil
}

// CreateAPIToken stores a token's hash; see store.UserStore.
func (d *DB) CreateAPIToken(ctx context.Context, t store.APIToken) (store.APIToken, error) {
	if err := store.ValidateAPIToken(t); err != nil {
		return t, fmt.Errorf("sqlite: %w", err)
	}
	t.Created = store.Timestamp(d.now())
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT name FROM users WHERE id = ?", t.UserID).Scan(&t.UserName); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %d: %w", t.UserID, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO api_tokens (user_id, name, hash, created) VALUES (?, ?, ?, ?)",
			t.UserID, t.Name, t.Hash, micros(t.Created))
		if uniqueViolation(err) {
			return fmt.Errorf("token hash exists: %w", store.ErrConflict)
		}
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return store.APIToken{}, fmt.Errorf("sqlite: create API token: %w", err)
	}
	return t, nil
}

const tokenSelect = "SELECT t.id, t.user_id, u.name, t.name, t.hash, t.created FROM api_tokens t JOIN users u ON u.id = t.user_id"

func scanToken(r rowScanner) (store.APIToken, error) {
	var t store.APIToken
	var created int64
	err := r.Scan(&t.ID, &t.UserID, &t.UserName, &t.Name, &t.Hash, &created)
	t.Created = fromMicros(created)
	return t, err
}

// APITokens lists tokens; see store.UserStore.
func (d *DB) APITokens(ctx context.Context) ([]store.APIToken, error) {
	rows, err := d.reader.QueryContext(ctx, tokenSelect+" ORDER BY t.created, t.id")
	if err != nil {
		return nil, fmt.Errorf("sqlite: API tokens: %w", err)
	}
	defer rows.Close()
	out := []store.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: API tokens: %w", err)
	}
	return out, nil
}

// APITokenByHash finds a token; see store.UserStore.
func (d *DB) APITokenByHash(ctx context.Context, hash []byte) (store.APIToken, error) {
	t, err := scanToken(d.reader.QueryRowContext(ctx, tokenSelect+" WHERE t.hash = ?", hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("sqlite: API token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("sqlite: API token: %w", err)
	}
	return t, nil
}

// DeleteAPIToken revokes a token; see store.UserStore.
func (d *DB) DeleteAPIToken(ctx context.Context, id int64) error {
	res, err := d.writer.ExecContext(ctx, "DELETE FROM api_tokens WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("sqlite: delete API token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: delete API token: %w", err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: API token %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// FindSession reads a live session; see store.UserStore.
func (d *DB) FindSession(ctx context.Context, hash []byte, now time.Time) ([]byte, error) {
	var data []byte
	err := d.reader.QueryRowContext(ctx, "SELECT data FROM web_sessions WHERE hash = ? AND expiry > ?", hash, micros(now)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: session: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: session: %w", err)
	}
	return data, nil
}

// CommitSession writes a session; see store.UserStore.
func (d *DB) CommitSession(ctx context.Context, hash, data []byte, expiry time.Time) error {
	if _, err := d.writer.ExecContext(ctx, `INSERT INTO web_sessions (hash, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`, hash, data, micros(expiry)); err != nil {
		return fmt.Errorf("sqlite: commit session: %w", err)
	}
	return nil
}

// DeleteSession removes a session; see store.UserStore.
func (d *DB) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := d.writer.ExecContext(ctx, "DELETE FROM web_sessions WHERE hash = ?", hash); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes expired sessions; see store.UserStore.
func (d *DB) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.writer.ExecContext(ctx, "DELETE FROM web_sessions WHERE expiry < ?", micros(before))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune sessions: %w", err)
	}
	return n, nil
}
