-- Inventory items: every item of every page's inventory (a script version,
-- a destination, a form, a data destination, a document's headers) with
-- its status and who authorised it, when and why (PCI DSS 6.4.3). The
-- approved inventory a check is compared with is assembled from the
-- approved rows; detail is the inventory entry as JSON.
CREATE TABLE inventory_items (
	site          TEXT COLLATE "C" NOT NULL,
	target        TEXT COLLATE "C" NOT NULL,
	id            TEXT COLLATE "C" NOT NULL,
	kind          TEXT COLLATE "C" NOT NULL,
	subject       TEXT COLLATE "C" NOT NULL,
	script_kind   TEXT NOT NULL,
	hashes        TEXT NOT NULL,
	detail        TEXT NOT NULL,
	status        TEXT NOT NULL,
	clean         BOOLEAN NOT NULL,
	first_seen    TIMESTAMPTZ NOT NULL,
	last_seen     TIMESTAMPTZ NOT NULL,
	approved_by   TEXT NOT NULL DEFAULT '',
	approved_at   TIMESTAMPTZ,
	justification TEXT NOT NULL DEFAULT '',
	revoked_by    TEXT NOT NULL DEFAULT '',
	revoked_at    TIMESTAMPTZ,
	PRIMARY KEY (site, target, id)
);
CREATE INDEX inventory_items_order ON inventory_items (site, target, kind, subject, id);
-- Covers the counts a page shows (by status, clean, kind) and the last
-- time a page was seen, without reading the rows.
CREATE INDEX inventory_items_status ON inventory_items (site, target, status, clean, kind, last_seen);
