package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/store"
)

var _ store.InventoryStore = (*DB)(nil)

const itemColumns = `id, site, target, kind, subject, script_kind, hashes, detail, status, clean,
	first_seen, last_seen, approved_by, approved_at, justification, revoked_by, revoked_at`

// ProposeInventory records a check's items; see store.InventoryStore.
// INSERT ... ON CONFLICT DO NOTHING never fails on a row another worker
// inserted first; the update after it then merges the times.
func (d *DB) ProposeInventory(ctx context.Context, site string, p *inventory.PageInventory, clean bool, at time.Time) (int, error) {
	items, err := store.ItemsOf(site, p)
	if err != nil {
		return 0, fmt.Errorf("postgres: propose inventory: %w", err)
	}
	if site == "" || len(site) > store.MaxSiteBytes {
		return 0, fmt.Errorf("postgres: propose inventory: %w: site %q", store.ErrInvalid, site)
	}
	t := store.Timestamp(at)
	n := 0
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		n = 0
		for _, it := range items {
			tag, err := tx.Exec(ctx, `INSERT INTO inventory_items (site, target, id, kind, subject, script_kind, hashes, detail,
					status, clean, first_seen, last_seen)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10) ON CONFLICT DO NOTHING`,
				it.Site, it.Target, it.ID, it.Kind, it.Subject, it.ScriptKind, strings.Join(it.Hashes, " "), string(it.Detail), clean, t)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				n++
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE inventory_items SET first_seen = least(first_seen, $1),
					last_seen = greatest(last_seen, $1), clean = (clean OR $2) WHERE site = $3 AND target = $4 AND id = $5`,
				t, clean, it.Site, it.Target, it.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: propose inventory: %w", err)
	}
	return n, nil
}

// ApprovedInventory assembles the approved items; see store.InventoryStore.
func (d *DB) ApprovedInventory(ctx context.Context, site, target string) (*inventory.PageInventory, error) {
	var decided int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM inventory_items WHERE site = $1 AND target = $2 AND approved_at IS NOT NULL`,
		site, target).Scan(&decided); err != nil {
		return nil, fmt.Errorf("postgres: approved inventory: %w", err)
	}
	if decided == 0 {
		return nil, nil
	}
	items, err := queryItems(ctx, d.pool, `SELECT `+itemColumns+` FROM inventory_items
		WHERE site = $1 AND target = $2 AND status = 'approved' ORDER BY approved_at, id`, site, target)
	if err != nil {
		return nil, fmt.Errorf("postgres: approved inventory: %w", err)
	}
	p, err := store.AssembleInventory(target, items)
	if err != nil {
		return nil, fmt.Errorf("postgres: approved inventory: %w", err)
	}
	return p, nil
}

// DecideInventory applies a decision and logs it in one transaction.
func (d *DB) DecideInventory(ctx context.Context, dec store.InventoryDecision) ([]store.InventoryItem, error) {
	dec, from, err := store.PrepareInventoryDecision(dec, d.now)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var changed []store.InventoryItem
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// The event log's lock first, as AppendEvent takes it, and then
		// the rows: two decisions on one item run one after the other.
		if _, err := tx.Exec(ctx, "LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		var items []store.InventoryItem
		var err error
		if len(dec.Items) == 0 {
			items, err = queryItems(ctx, tx, `SELECT `+itemColumns+` FROM inventory_items
				WHERE site = $1 AND target = $2 AND status = 'pending' AND clean ORDER BY kind, subject, id FOR UPDATE`, dec.Site, dec.Target)
		} else {
			items, err = queryItems(ctx, tx, `SELECT `+itemColumns+` FROM inventory_items
				WHERE site = $1 AND target = $2 AND id = ANY($3) ORDER BY kind, subject, id FOR UPDATE`, dec.Site, dec.Target, dec.Items)
		}
		if err != nil {
			return err
		}
		if err := store.CheckDecisionItems(dec, from, items); err != nil {
			return err
		}
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		switch dec.Type {
		case store.EventInventoryApproved:
			_, err = tx.Exec(ctx, `UPDATE inventory_items SET status = 'approved', approved_by = $1, approved_at = $2, justification = $3,
				revoked_by = '', revoked_at = NULL WHERE site = $4 AND target = $5 AND id = ANY($6)`,
				dec.Actor, dec.Time, dec.Justification, dec.Site, dec.Target, ids)
		case store.EventInventoryRevoked:
			_, err = tx.Exec(ctx, `UPDATE inventory_items SET status = 'revoked', revoked_by = $1, revoked_at = $2
				WHERE site = $3 AND target = $4 AND id = ANY($5)`, dec.Actor, dec.Time, dec.Site, dec.Target, ids)
		case store.EventInventoryJustified:
			_, err = tx.Exec(ctx, `UPDATE inventory_items SET justification = $1 WHERE site = $2 AND target = $3 AND id = ANY($4)`,
				dec.Justification, dec.Site, dec.Target, ids)
		}
		if err != nil {
			return err
		}
		changed, err = queryItems(ctx, tx, `SELECT `+itemColumns+` FROM inventory_items
			WHERE site = $1 AND target = $2 AND id = ANY($3) ORDER BY kind, subject, id`, dec.Site, dec.Target, ids)
		if err != nil {
			return err
		}
		e, err := store.DecisionEvent(dec, changed)
		if err != nil {
			return err
		}
		return d.appendEventTx(ctx, tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: inventory decision %s: %w", dec.Type, err)
	}
	return changed, nil
}

// appendEventTx appends e to the chain inside tx, which already holds the
// events table lock that AppendEvent takes.
func (d *DB) appendEventTx(ctx context.Context, tx pgx.Tx, e store.Event) error {
	e, err := store.PrepareEvent(e, d.now)
	if err != nil {
		return err
	}
	var prev store.Event
	err = tx.QueryRow(ctx, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").Scan(&prev.Seq, &prev.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	e = e.Seal(prev)
	_, err = tx.Exec(ctx, `INSERT INTO events (seq, time, site, type, actor, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Seq, e.Time, e.Site, e.Type, e.Actor, string(e.Data), e.PrevHash, e.Hash)
	return err
}

// InventoryItems returns matching items and how many match in all.
func (d *DB) InventoryItems(ctx context.Context, q store.InventoryQuery) ([]store.InventoryItem, int, error) {
	var where []string
	var a args
	for _, c := range []struct{ col, v string }{{"site", q.Site}, {"target", q.Target}, {"status", q.Status}, {"kind", q.Kind}} {
		if c.v != "" {
			where = append(where, c.col+" = "+a.add(c.v))
		}
	}
	if len(q.IDs) > 0 {
		where = append(where, "id = ANY("+a.add(q.IDs)+")")
	}
	if q.Clean {
		where = append(where, "clean")
	}
	var total int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM inventory_items`+whereClause(where), a...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("postgres: inventory items: %w", err)
	}
	page := limitClause(q.Limit)
	if q.Offset > 0 {
		page += fmt.Sprintf(" OFFSET %d", q.Offset)
	}
	items, err := queryItems(ctx, d.pool, `SELECT `+itemColumns+` FROM inventory_items`+whereClause(where)+
		` ORDER BY site, target, kind, subject, id`+page, a...)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: inventory items: %w", err)
	}
	return items, total, nil
}

// InventoryTargets lists a site's targets with counts by status.
func (d *DB) InventoryTargets(ctx context.Context, site string) ([]store.InventoryTarget, error) {
	rows, err := d.pool.Query(ctx, `SELECT site, target,
			count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'approved'),
			count(*) FILTER (WHERE status = 'revoked'), max(last_seen)
		FROM inventory_items WHERE $1 = '' OR site = $1 GROUP BY site, target ORDER BY site, target`, site)
	if err != nil {
		return nil, fmt.Errorf("postgres: inventory targets: %w", err)
	}
	defer rows.Close()
	var out []store.InventoryTarget
	for rows.Next() {
		var t store.InventoryTarget
		if err := rows.Scan(&t.Site, &t.Target, &t.Pending, &t.Approved, &t.Revoked, &t.LastSeen); err != nil {
			return nil, fmt.Errorf("postgres: inventory targets: %w", err)
		}
		t.LastSeen = utc(t.LastSeen)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: inventory targets: %w", err)
	}
	return out, nil
}

type itemQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryItems(ctx context.Context, db itemQuerier, query string, args ...any) ([]store.InventoryItem, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.InventoryItem
	for rows.Next() {
		var it store.InventoryItem
		var hashes, detail string
		var approved, revoked *time.Time
		if err := rows.Scan(&it.ID, &it.Site, &it.Target, &it.Kind, &it.Subject, &it.ScriptKind, &hashes, &detail, &it.Status,
			&it.Clean, &it.FirstSeen, &it.LastSeen, &it.ApprovedBy, &approved, &it.Justification, &it.RevokedBy, &revoked); err != nil {
			return nil, err
		}
		it.Hashes = strings.Fields(hashes)
		it.Detail = []byte(detail)
		it.FirstSeen, it.LastSeen = utc(it.FirstSeen), utc(it.LastSeen)
		if approved != nil {
			it.ApprovedAt = utc(*approved)
		}
		if revoked != nil {
			it.RevokedAt = utc(*revoked)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
