-- Alert incidents: one row per (site, key), the state package alert keeps so
-- that a restart neither alerts again nor forgets. The whole incident is
-- kept as JSON in data; the columns are what queries filter on.
CREATE TABLE alert_incidents (
	site     TEXT COLLATE "C" NOT NULL,
	key      TEXT COLLATE "C" NOT NULL,
	status   TEXT NOT NULL,
	target   TEXT COLLATE "C" NOT NULL,
	detector TEXT COLLATE "C" NOT NULL,
	opened   TIMESTAMPTZ NOT NULL,
	version  BIGINT NOT NULL,
	data     JSONB NOT NULL,
	PRIMARY KEY (site, key)
);
CREATE INDEX alert_incidents_status ON alert_incidents (status, site);

-- Every alert to every sink, and whether it was delivered.
CREATE TABLE alert_deliveries (
	id           TEXT COLLATE "C" PRIMARY KEY,
	alert_id     TEXT COLLATE "C" NOT NULL,
	sink         TEXT COLLATE "C" NOT NULL,
	site         TEXT COLLATE "C" NOT NULL,
	payload      TEXT NOT NULL, -- the exact JSON sent, so not JSONB
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL,
	created      TIMESTAMPTZ NOT NULL,
	next_attempt TIMESTAMPTZ NOT NULL,
	last_error   TEXT NOT NULL
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt);
CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id);

-- Every attempt at a delivery with its outcome (error '' = delivered).
CREATE TABLE alert_attempts (
	delivery_id TEXT COLLATE "C" NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	at          TIMESTAMPTZ NOT NULL,
	duration_us BIGINT NOT NULL,
	error       TEXT NOT NULL,
	PRIMARY KEY (delivery_id, seq)
);
