-- Text columns use the "C" collation so that ordering is byte order, as in
-- the SQLite backend, whatever the database's locale.
CREATE TABLE sites (
	name     TEXT COLLATE "C" PRIMARY KEY,
	key_hash BYTEA NOT NULL UNIQUE,
	created  TIMESTAMPTZ NOT NULL
);

-- digest is store.AggregateKey.Digest(): the key columns can be too long
-- for a B-tree index.
CREATE TABLE report_aggregates (
	digest        BYTEA PRIMARY KEY,
	site          TEXT COLLATE "C" NOT NULL,
	directive     TEXT COLLATE "C" NOT NULL,
	blocked       TEXT COLLATE "C" NOT NULL,
	source_file   TEXT COLLATE "C" NOT NULL,
	document_path TEXT COLLATE "C" NOT NULL,
	disposition   TEXT COLLATE "C" NOT NULL,
	kind          TEXT NOT NULL,
	count         BIGINT NOT NULL,
	client_hashes TEXT[] COLLATE "C" NOT NULL, -- sorted, at most store.MaxClientHashes
	first_seen    TIMESTAMPTZ NOT NULL,
	last_seen     TIMESTAMPTZ NOT NULL,
	sample        TEXT NOT NULL
);
CREATE INDEX report_aggregates_site_last_seen ON report_aggregates (site, last_seen);
CREATE INDEX report_aggregates_last_seen ON report_aggregates (last_seen);

CREATE TABLE report_batches (
	id      TEXT PRIMARY KEY,
	applied TIMESTAMPTZ NOT NULL
);

CREATE TABLE approved_sources (
	digest    BYTEA PRIMARY KEY,
	site      TEXT COLLATE "C" NOT NULL,
	directive TEXT COLLATE "C" NOT NULL,
	value     TEXT COLLATE "C" NOT NULL,
	origin    TEXT NOT NULL,
	time      TIMESTAMPTZ NOT NULL
);
CREATE INDEX approved_sources_site ON approved_sources (site);

CREATE TABLE findings (
	site       TEXT COLLATE "C" NOT NULL,
	key        TEXT COLLATE "C" NOT NULL,
	severity   INTEGER NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL,
	message    TEXT NOT NULL,
	evidence   JSONB NOT NULL,
	source     TEXT NOT NULL,
	url        TEXT NOT NULL,
	path       TEXT NOT NULL,
	rule       TEXT NOT NULL,
	count      BIGINT NOT NULL,
	first_seen TIMESTAMPTZ NOT NULL,
	last_seen  TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (site, key)
);
CREATE INDEX findings_last_seen ON findings (last_seen);

CREATE TABLE events (
	seq       BIGINT PRIMARY KEY,
	time      TIMESTAMPTZ NOT NULL,
	site      TEXT COLLATE "C" NOT NULL,
	type      TEXT COLLATE "C" NOT NULL,
	actor     TEXT NOT NULL,
	data      TEXT NOT NULL, -- canonical JSON, hashed as stored (not JSONB, which re-formats)
	prev_hash TEXT NOT NULL UNIQUE,
	hash      TEXT NOT NULL UNIQUE
);
CREATE INDEX events_site ON events (site, seq);
