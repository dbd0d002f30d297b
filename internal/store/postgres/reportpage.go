package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/store"
)

// ReportAggregatePage pages by (last_seen, digest), the index
// report_aggregates_site_page (migration 0010) read backwards.
func (d *DB) ReportAggregatePage(ctx context.Context, q store.ReportPageQuery) ([]store.ReportAggregate, store.ReportCursor, error) {
	if err := q.Validate(); err != nil {
		return nil, store.ReportCursor{}, err
	}
	var a args
	where := "site = " + a.add(q.Site)
	if !q.After.IsZero() {
		where += " AND (last_seen, digest) < (" + a.add(store.Timestamp(q.After.LastSeen)) + ", " + a.add(q.After.Tie) + ")"
	}
	type row struct {
		agg    store.ReportAggregate
		digest []byte
	}
	// One more than asked says whether there is a next page.
	rows, _ := d.pool.Query(ctx, `SELECT digest, site, directive, kind, blocked, source_file, document_path, disposition,
		count, client_hashes, first_seen, last_seen, sample FROM report_aggregates WHERE `+where+
		` ORDER BY last_seen DESC, digest DESC LIMIT `+a.add(q.Limit+1), a...)
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.digest, &x.agg.Site, &x.agg.Directive, &x.agg.Kind, &x.agg.Blocked, &x.agg.SourceFile, &x.agg.DocumentPath,
			&x.agg.Disposition, &x.agg.Count, &x.agg.ClientHashes, &x.agg.FirstSeen, &x.agg.LastSeen, &x.agg.Sample)
		x.agg.FirstSeen, x.agg.LastSeen = utc(x.agg.FirstSeen), utc(x.agg.LastSeen)
		x.agg.Clients = len(x.agg.ClientHashes)
		return x, err
	})
	if err != nil {
		return nil, store.ReportCursor{}, fmt.Errorf("postgres: report page: %w", err)
	}
	out := make([]store.ReportAggregate, 0, min(len(got), q.Limit))
	for _, r := range got[:min(len(got), q.Limit)] {
		out = append(out, r.agg)
	}
	if len(got) <= q.Limit {
		return out, store.ReportCursor{}, nil
	}
	last := got[q.Limit-1]
	return out, store.ReportCursor{LastSeen: last.agg.LastSeen, Tie: last.digest}, nil
}
