-- Scoped incidents (package incident): window, citations and affected list
-- as one JSON document each.
CREATE TABLE incident_scopes (
	id          TEXT PRIMARY KEY,
	site        TEXT NOT NULL,
	opened      INTEGER NOT NULL,
	finding_key TEXT NOT NULL,
	data        TEXT NOT NULL
);
CREATE INDEX incident_scopes_site ON incident_scopes (site, opened);
