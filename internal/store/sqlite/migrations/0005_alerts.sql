-- Alert incidents: one row per (site, key), the state package alert keeps so
-- that a restart neither alerts again nor forgets. The whole incident is
-- kept as JSON in data; the columns are what queries filter on.
CREATE TABLE alert_incidents (
	site     TEXT NOT NULL,
	key      TEXT NOT NULL,
	status   TEXT NOT NULL,
	target   TEXT NOT NULL,
	detector TEXT NOT NULL,
	opened   INTEGER NOT NULL,
	version  INTEGER NOT NULL,
	data     TEXT NOT NULL,
	PRIMARY KEY (site, key)
);
CREATE INDEX alert_incidents_status ON alert_incidents (status, site);

-- Every alert to every sink, and whether it was delivered.
CREATE TABLE alert_deliveries (
	id           TEXT PRIMARY KEY,
	alert_id     TEXT NOT NULL,
	sink         TEXT NOT NULL,
	site         TEXT NOT NULL,
	payload      TEXT NOT NULL,
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL,
	created      INTEGER NOT NULL,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt);
CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id);

-- Every attempt at a delivery with its outcome (error '' = delivered).
CREATE TABLE alert_attempts (
	delivery_id TEXT NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	duration_us INTEGER NOT NULL,
	error       TEXT NOT NULL,
	PRIMARY KEY (delivery_id, seq)
);
