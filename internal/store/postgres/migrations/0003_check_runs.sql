-- A check run and the honey values its probe typed (honey values only), so
-- that a leaked honey value names its check.
CREATE TABLE check_runs (
	check_id TEXT COLLATE "C" PRIMARY KEY,
	site     TEXT NOT NULL,
	target   TEXT NOT NULL,
	started  TIMESTAMPTZ NOT NULL,
	honey    JSONB NOT NULL -- field class to honey value
);

-- One row per honey value of a run, keyed by store.HoneyKey(value).
CREATE TABLE check_honey (
	value    TEXT COLLATE "C" NOT NULL,
	check_id TEXT COLLATE "C" NOT NULL REFERENCES check_runs (check_id) ON DELETE CASCADE,
	PRIMARY KEY (value, check_id)
);
CREATE INDEX check_honey_check_id ON check_honey (check_id);
