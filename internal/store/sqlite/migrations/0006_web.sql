-- The dashboard's users, API tokens, one-time set-up tokens and sessions.
-- Every secret is stored only as a hash.
CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	lang          TEXT NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until  INTEGER NOT NULL DEFAULT 0,
	session_epoch INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL
);

CREATE TABLE api_tokens (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	hash    BLOB NOT NULL UNIQUE,
	created INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE setup_tokens (
	hash    BLOB PRIMARY KEY,
	expires INTEGER NOT NULL
);

CREATE TABLE web_sessions (
	hash   BLOB PRIMARY KEY,
	data   BLOB NOT NULL,
	expiry INTEGER NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expiry);
