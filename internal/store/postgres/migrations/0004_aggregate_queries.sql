-- The collector evaluates a finding from the aggregates of one blocked
-- value (store.AggregateQuery.Blocked), not from all of a site's. A hash
-- index, because a blocked value can be longer than a B-tree row may be.
-- (0003 is taken by the check-runs table added alongside; retention's
-- DELETE by last_seen uses report_aggregates_last_seen from 0001.)
CREATE INDEX report_aggregates_blocked ON report_aggregates USING hash (blocked);
