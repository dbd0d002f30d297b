package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/skimwatch/skimwatch/internal/store"
)

const userColumns = "id, name, password_hash, role, lang, failed_logins, locked_until, session_epoch, created"

func scanUser(r pgx.Row) (store.User, error) {
	var u store.User
	var locked *time.Time
	if err := r.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.Role, &u.Lang, &u.FailedLogins, &locked, &u.SessionEpoch, &u.Created); err != nil {
		return u, err
	}
	if locked != nil {
		u.LockedUntil = locked.UTC()
	}
	u.Created = u.Created.UTC()
	return u, nil
}

func lockedAt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = store.Timestamp(t)
	return &t
}

func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func userWhere(ctx context.Context, q querier, where string, arg any) (store.User, error) {
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("postgres: user %v: %w", arg, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("postgres: user %v: %w", arg, err)
	}
	return u, nil
}

// CountUsers counts users; see store.UserStore.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := d.pool.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", err)
	}
	return n, nil
}

// Users lists users by name; see store.UserStore.
func (d *DB) Users(ctx context.Context) ([]store.User, error) {
	rows, err := d.pool.Query(ctx, "SELECT "+userColumns+" FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	defer rows.Close()
	out := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	return out, nil
}

// UserByName finds a user; see store.UserStore.
func (d *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	return userWhere(ctx, d.pool, "name = $1", name)
}

// UserByID finds a user; see store.UserStore.
func (d *DB) UserByID(ctx context.Context, id int64) (store.User, error) {
	return userWhere(ctx, d.pool, "id = $1", id)
}

func (d *DB) insertUser(ctx context.Context, tx pgx.Tx, u store.User) (store.User, error) {
	u.Created, u.FailedLogins, u.LockedUntil, u.SessionEpoch = store.Timestamp(d.now()), 0, time.Time{}, 0
	err := tx.QueryRow(ctx, `INSERT INTO users (name, password_hash, role, lang, created) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		u.Name, u.PasswordHash, u.Role, u.Lang, u.Created).Scan(&u.ID)
	if uniqueViolation(err) {
		return u, fmt.Errorf("user %q exists: %w", u.Name, store.ErrConflict)
	}
	return u, err
}

// CreateUser adds a user; see store.UserStore.
func (d *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if err := store.ValidateUser(u); err != nil {
		return u, fmt.Errorf("postgres: %w", err)
	}
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		var err error
		u, err = d.insertUser(ctx, tx, u)
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: create user: %w", err)
	}
	return u, nil
}

// CreateFirstUser consumes a set-up token and creates the first admin;
// see store.UserStore.
func (d *DB) CreateFirstUser(ctx context.Context, u store.User, setupHash []byte) (store.User, error) {
	u.Role = store.RoleAdmin
	if err := store.ValidateUser(u); err != nil {
		return u, fmt.Errorf("postgres: %w", err)
	}
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// Two set-up links used at once must not both create an admin:
		// the table lock orders them, and the second sees the first's user.
		if _, err := tx.Exec(ctx, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM setup_tokens WHERE hash = $1 AND expires > $2", setupHash, store.Timestamp(d.now()))
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("set-up token: %w", store.ErrNotFound)
		}
		var users int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil {
			return err
		}
		if users > 0 {
			return fmt.Errorf("the dashboard is already set up: %w", store.ErrConflict)
		}
		u, err = d.insertUser(ctx, tx, u)
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: create first user: %w", err)
	}
	return u, nil
}

// lastAdmin refuses to leave the dashboard without an admin. The users
// table is locked so that two demotions at once cannot both pass.
func lastAdmin(ctx context.Context, tx pgx.Tx, u store.User) error {
	if _, err := tx.Exec(ctx, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM users WHERE role = $1 AND id <> $2", store.RoleAdmin, u.ID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%q is the last admin: %w", u.Name, store.ErrConflict)
	}
	return nil
}

// UpdateUser changes a user; see store.UserStore.
func (d *DB) UpdateUser(ctx context.Context, id int64, up store.UserUpdate) (store.User, error) {
	var out store.User
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		u, err := userWhere(ctx, tx, "id = $1 FOR UPDATE", id)
		if err != nil {
			return err
		}
		next, err := store.ApplyUserUpdate(u, up)
		if err != nil {
			return err
		}
		if u.Role == store.RoleAdmin && next.Role != store.RoleAdmin {
			if err := lastAdmin(ctx, tx, u); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "UPDATE users SET role = $1, lang = $2, password_hash = $3, session_epoch = $4 WHERE id = $5",
			next.Role, next.Lang, next.PasswordHash, next.SessionEpoch, id)
		out = next
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: update user %d: %w", id, err)
	}
	return out, nil
}

// DeleteUser removes a user and their tokens; see store.UserStore.
func (d *DB) DeleteUser(ctx context.Context, id int64) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		u, err := userWhere(ctx, tx, "id = $1 FOR UPDATE", id)
		if err != nil {
			return err
		}
		if u.Role == store.RoleAdmin {
			if err := lastAdmin(ctx, tx, u); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "DELETE FROM users WHERE id = $1", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete user %d: %w", id, err)
	}
	return nil
}

// RecordLoginFailure counts a failed sign-in; see store.UserStore.
func (d *DB) RecordLoginFailure(ctx context.Context, id int64, now time.Time, max int, lockFor time.Duration) (store.User, error) {
	var out store.User
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		u, err := userWhere(ctx, tx, "id = $1 FOR UPDATE", id)
		if err != nil {
			return err
		}
		out = store.ApplyLoginFailure(u, now, max, lockFor)
		_, err = tx.Exec(ctx, "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3",
			out.FailedLogins, lockedAt(out.LockedUntil), id)
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: record login failure: %w", err)
	}
	return out, nil
}

// RecordLoginSuccess clears the failure count; see store.UserStore.
func (d *DB) RecordLoginSuccess(ctx context.Context, id int64) error {
	if _, err := d.pool.Exec(ctx, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1", id); err != nil {
		return fmt.Errorf("postgres: record login success: %w", err)
	}
	return nil
}

// PutSetupToken stores a set-up token's hash; see store.UserStore.
func (d *DB) PutSetupToken(ctx context.Context, hash []byte, expires time.Time) error {
	if len(hash) != 32 {
		return fmt.Errorf("postgres: set-up token hash: want 32 bytes: %w", store.ErrInvalid)
	}
	if _, err := d.pool.Exec(ctx, "INSERT INTO setup_tokens (hash, expires) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET expires = excluded.expires",
		hash, store.Timestamp(expires)); err != nil {
		return fmt.Errorf("postgres: put set-up token: %w", err)
	}
	return nil
}

// CreateAPIToken stores a token's hash; see store.UserStore.
func (d *DB) CreateAPIToken(ctx context.Context, t store.APIToken) (store.APIToken, error) {
	if err := store.ValidateAPIToken(t); err != nil {
		return t, fmt.Errorf("postgres: %w", err)
	}
	t.Created = store.Timestamp(d.now())
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT name FROM users WHERE id = $1", t.UserID).Scan(&t.UserName); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %d: %w", t.UserID, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		err := tx.QueryRow(ctx, "INSERT INTO api_tokens (user_id, name, hash, created) VALUES ($1, $2, $3, $4) RETURNING id",
			t.UserID, t.Name, t.Hash, t.Created).Scan(&t.ID)
		if uniqueViolation(err) {
			return fmt.Errorf("token hash exists: %w", store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return store.APIToken{}, fmt.Errorf("postgres: create API token: %w", err)
	}
	return t, nil
}

const tokenSelect = "SELECT t.id, t.user_id, u.name, t.name, t.hash, t.created FROM api_tokens t JOIN users u ON u.id = t.user_id"

func scanToken(r pgx.Row) (store.APIToken, error) {
	var t store.APIToken
	err := r.Scan(&t.ID, &t.UserID, &t.UserName, &t.Name, &t.Hash, &t.Created)
	t.Created = t.Created.UTC()
	return t, err
}

// APITokens lists tokens; see store.UserStore.
func (d *DB) APITokens(ctx context.Context) ([]store.APIToken, error) {
	rows, err := d.pool.Query(ctx, tokenSelect+" ORDER BY t.created, t.id")
	if err != nil {
		return nil, fmt.Errorf("postgres: API tokens: %w", err)
	}
	defer rows.Close()
	out := []store.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: API tokens: %w", err)
	}
	return out, nil
}

// APITokenByHash finds a token; see store.UserStore.
func (d *DB) APITokenByHash(ctx context.Context, hash []byte) (store.APIToken, error) {
	t, err := scanToken(d.pool.QueryRow(ctx, tokenSelect+" WHERE t.hash = $1", hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("postgres: API token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("postgres: API token: %w", err)
	}
	return t, nil
}

// DeleteAPIToken revokes a token; see store.UserStore.
func (d *DB) DeleteAPIToken(ctx context.Context, id int64) error {
	tag, err := d.pool.Exec(ctx, "DELETE FROM api_tokens WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("postgres: delete API token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: API token %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// FindSession reads a live session; see store.UserStore.
func (d *DB) FindSession(ctx context.Context, hash []byte, now time.Time) ([]byte, error) {
	var data []byte
	err := d.pool.QueryRow(ctx, "SELECT data FROM web_sessions WHERE hash = $1 AND expiry > $2", hash, store.Timestamp(now)).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: session: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: session: %w", err)
	}
	return data, nil
}

// CommitSession writes a session; see store.UserStore.
func (d *DB) CommitSession(ctx context.Context, hash, data []byte, expiry time.Time) error {
	if _, err := d.pool.Exec(ctx, `INSERT INTO web_sessions (hash, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`, hash, data, store.Timestamp(expiry)); err != nil {
		return fmt.Errorf("postgres: commit session: %w", err)
	}
	return nil
}

// DeleteSession removes a session; see store.UserStore.
func (d *DB) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := d.pool.Exec(ctx, "DELETE FROM web_sessions WHERE hash = $1", hash); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes expired sessions; see store.UserStore.
func (d *DB) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := d.pool.Exec(ctx, "DELETE FROM web_sessions WHERE expiry < $1", store.Timestamp(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
