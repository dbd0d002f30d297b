package sqlite

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/store"
)

// ReportAggregatePage pages by (last_seen, rowid), both in the index
// report_aggregates_site_last_seen (an SQLite index holds the rowid), so a
// page reads its rows and no more.
func (d *DB) ReportAggregatePage(ctx context.Context, q store.ReportPageQuery) ([]store.ReportAggregate, store.ReportCursor, error) {
	if err := q.Validate(); err != nil {
		return nil, store.ReportCursor{}, err
	}
	where, args := "site = ?", []any{q.Site}
	if !q.After.IsZero() {
		if len(q.After.Tie) != 8 {
			return nil, store.ReportCursor{}, fmt.Errorf("%w: malformed report cursor", store.ErrInvalid)
		}
		at, rowid := micros(q.After.LastSeen), int64(binary.BigEndian.Uint64(q.After.Tie))
		where += " AND last_seen <= ? AND (last_seen < ? OR rowid < ?)"
		args = append(args, at, at, rowid)
	}
	// One more than asked says whether there is a next page.
	args = append(args, q.Limit+1)
	rows, err := d.reader.QueryContext(ctx, `SELECT rowid, site, directive, kind, blocked, source_file, document_path,
		disposition, count, client_hashes, first_seen, last_seen, sample FROM report_aggregates
		WHERE `+where+` ORDER BY last_seen DESC, rowid DESC LIMIT ?`, args...)
	if err != nil {
		return nil, store.ReportCursor{}, fmt.Errorf("sqlite: report page: %w", err)
	}
	defer rows.Close()
	var out []store.ReportAggregate
	var ids []int64
	for rows.Next() {
		var a store.ReportAggregate
		var id, first, last int64
		var hashes string
		if err := rows.Scan(&id, &a.Site, &a.Directive, &a.Kind, &a.Blocked, &a.SourceFile, &a.DocumentPath, &a.Disposition,
			&a.Count, &hashes, &first, &last, &a.Sample); err != nil {
			return nil, store.ReportCursor{}, fmt.Errorf("sqlite: report page: %w", err)
		}
		if err := json.Unmarshal([]byte(hashes), &a.ClientHashes); err != nil {
			return nil, store.ReportCursor{}, fmt.Errorf("sqlite: report page: stored client hashes: %w", err)
		}
		a.Clients = len(a.ClientHashes)
		a.FirstSeen, a.LastSeen = fromMicros(first), fromMicros(last)
		out, ids = append(out, a), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, store.ReportCursor{}, fmt.Errorf("sqlite: report page: %w", err)
	}
	if len(out) <= q.Limit {
		return out, store.ReportCursor{}, nil
	}
	out = out[:q.Limit]
	tie := binary.BigEndian.AppendUint64(nil, uint64(ids[q.Limit-1]))
	return out, store.ReportCursor{LastSeen: out[q.Limit-1].LastSeen, Tie: tie}, nil
}
