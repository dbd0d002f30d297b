-- Scoped incidents (package incident): window, citations and affected list
-- as one JSON document each. TEXT, not JSONB: the document is read back as
-- written.
CREATE TABLE incident_scopes (
	id          TEXT COLLATE "C" PRIMARY KEY,
	site        TEXT NOT NULL,
	opened      TIMESTAMPTZ NOT NULL,
	finding_key TEXT NOT NULL,
	data        TEXT NOT NULL
);
CREATE INDEX incident_scopes_site ON incident_scopes (site, opened);
