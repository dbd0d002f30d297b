-- Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE sites (
	name     TEXT PRIMARY KEY,
	key_hash BLOB NOT NULL UNIQUE,
	created  INTEGER NOT NULL
);

CREATE TABLE report_aggregates (
	site          TEXT NOT NULL,
	directive     TEXT NOT NULL,
	blocked       TEXT NOT NULL,
	source_file   TEXT NOT NULL,
	document_path TEXT NOT NULL,
	disposition   TEXT NOT NULL,
	kind          TEXT NOT NULL,
	count         INTEGER NOT NULL,
	client_hashes TEXT NOT NULL, -- JSON array of strings, sorted
	first_seen    INTEGER NOT NULL,
	last_seen     INTEGER NOT NULL,
	sample        TEXT NOT NULL,
	PRIMARY KEY (site, directive, blocked, source_file, document_path, disposition)
);
CREATE INDEX report_aggregates_site_last_seen ON report_aggregates (site, last_seen);

-- Batch IDs already merged, so that a retried flush is not counted twice.
CREATE TABLE report_batches (
	id      TEXT PRIMARY KEY,
	applied INTEGER NOT NULL
);

CREATE TABLE approved_sources (
	site      TEXT NOT NULL,
	directive TEXT NOT NULL,
	value     TEXT NOT NULL,
	origin    TEXT NOT NULL,
	time      INTEGER NOT NULL,
	PRIMARY KEY (site, directive, value)
);

CREATE TABLE findings (
	site       TEXT NOT NULL,
	key        TEXT NOT NULL,
	severity   INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	message    TEXT NOT NULL,
	evidence   TEXT NOT NULL, -- JSON object
	source     TEXT NOT NULL,
	url        TEXT NOT NULL,
	path       TEXT NOT NULL,
	rule       TEXT NOT NULL,
	count      INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	PRIMARY KEY (site, key)
);
CREATE INDEX findings_last_seen ON findings (last_seen);

CREATE TABLE events (
	seq       INTEGER PRIMARY KEY,
	time      INTEGER NOT NULL,
	site      TEXT NOT NULL,
	type      TEXT NOT NULL,
	actor     TEXT NOT NULL,
	data      TEXT NOT NULL, -- canonical JSON, hashed as stored
	prev_hash TEXT NOT NULL UNIQUE,
	hash      TEXT NOT NULL UNIQUE
);
CREATE INDEX events_site ON events (site, seq);
