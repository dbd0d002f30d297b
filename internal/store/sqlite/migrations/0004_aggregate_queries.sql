-- The collector evaluates a finding from the aggregates of one blocked
-- value (store.AggregateQuery.Blocked), not from all of a site's, and
-- retention deletes by last_seen across all sites.
-- (0003 is taken by the check-runs table added alongside.)
CREATE INDEX report_aggregates_site_blocked ON report_aggregates (site, blocked);
CREATE INDEX report_aggregates_last_seen ON report_aggregates (last_seen);
