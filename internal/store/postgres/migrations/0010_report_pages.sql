-- The dashboard's Reports page lists a site's aggregates newest first, a
-- page at a time after (last_seen, digest): store.ReportPageStore.
CREATE INDEX report_aggregates_site_page ON report_aggregates (site, last_seen, digest);
