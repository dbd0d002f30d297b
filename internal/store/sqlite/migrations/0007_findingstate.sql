-- Decisions about findings (acknowledged, resolved, dismissed): one row per
-- finding, the latest. seen and severity are the finding's last_seen and
-- severity when the decision was made, the yardsticks for reopening it.
CREATE TABLE finding_states (
	site     TEXT NOT NULL,
	key      TEXT NOT NULL,
	state    TEXT NOT NULL,
	reason   TEXT NOT NULL,
	actor    TEXT NOT NULL,
	time     INTEGER NOT NULL,
	severity INTEGER NOT NULL,
	seen     INTEGER NOT NULL,
	PRIMARY KEY (site, key)
);
CREATE INDEX finding_states_state ON finding_states (state);

-- The findings list walks these in its order (severity, last_seen, site,
-- key, all descending), so a page and the next one read only their rows.
CREATE INDEX findings_list ON findings (severity, last_seen, site, key);
CREATE INDEX findings_site_list ON findings (site, severity, last_seen, key);
CREATE INDEX findings_source_list ON findings (source, severity, last_seen, site, key);

-- Script sources by the SHA-256 of their exact text, for diffs.
CREATE TABLE script_sources (
	sha256     TEXT PRIMARY KEY,
	url        TEXT NOT NULL,
	source     TEXT NOT NULL,
	length     INTEGER NOT NULL,
	truncated  INTEGER NOT NULL,
	first_seen INTEGER NOT NULL
);
