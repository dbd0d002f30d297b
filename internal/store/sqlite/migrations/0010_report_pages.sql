-- The dashboard's Reports page lists a site's aggregates newest first, a
-- page at a time after (last_seen, rowid): store.ReportPageStore. The index
-- report_aggregates_site_last_seen (0001) already serves it, because an
-- SQLite index carries the rowid; PostgreSQL's 0010 adds the index it
-- needs. Nothing to change here; the number is kept in step.
SELECT 1;
