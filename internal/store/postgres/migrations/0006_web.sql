-- The dashboard's users, API tokens, one-time set-up tokens and sessions.
-- Every secret is stored only as a hash.
CREATE TABLE users (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name          TEXT COLLATE "C" NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	lang          TEXT NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until  TIMESTAMPTZ,
	session_epoch BIGINT NOT NULL DEFAULT 0,
	created       TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
	id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	hash    BYTEA NOT NULL UNIQUE,
	created TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE setup_tokens (
	hash    BYTEA PRIMARY KEY,
	expires TIMESTAMPTZ NOT NULL
);

CREATE TABLE web_sessions (
	hash   BYTEA PRIMARY KEY,
	data   BYTEA NOT NULL,
	expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expiry);
