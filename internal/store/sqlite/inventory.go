package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/store"
)

var _ store.InventoryStore = (*DB)(nil)

const itemColumns = `id, site, target, kind, subject, script_kind, hashes, detail, status, clean,
	first_seen, last_seen, approved_by, approved_at, justification, revoked_by, revoked_at`

// ProposeInventory records a check's items; see store.InventoryStore. One
// INSERT ... ON CONFLICT per item makes concurrent proposals of the same
// item merge instead of failing.
func (d *DB) ProposeInventory(ctx context.Context, site string, p *inventory.PageInventory, clean bool, at time.Time) (int, error) {
	items, err := store.ItemsOf(site, p)
	if err != nil {
		return 0, fmt.Errorf("sqlite: propose inventory: %w", err)
	}
	if site == "" || len(site) > store.MaxSiteBytes {
		return 0, fmt.Errorf("sqlite: propose inventory: %w: site %q", store.ErrInvalid, site)
	}
	t := micros(at)
	n := 0
	err = d.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, it := range items {
			res, err := tx.ExecContext(ctx, `INSERT INTO inventory_items (site, target, id, kind, subject, script_kind, hashes, detail,
					status, clean, first_seen, last_seen)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
				it.Site, it.Target, it.ID, it.Kind, it.Subject, it.ScriptKind, strings.Join(it.Hashes, " "), string(it.Detail),
				clean, t, t)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 1 {
				n++
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE inventory_items SET first_seen = min(first_seen, ?),
					last_seen = max(last_seen, ?), clean = (clean OR ?) WHERE site = ? AND target = ? AND id = ?`,
				t, t, clean, it.Site, it.Target, it.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: propose inventory: %w", err)
	}
	return n, nil
}

// ApprovedInventory assembles the approved items; see store.InventoryStore.
func (d *DB) ApprovedInventory(ctx context.Context, site, target string) (*inventory.PageInventory, error) {
	var decided int
	if err := d.reader.QueryRowContext(ctx, `SELECT count(*) FROM inventory_items WHERE site = ? AND target = ? AND approved_at <> 0`,
		site, target).Scan(&decided); err != nil {
		return nil, fmt.Errorf("sqlite: approved inventory: %w", err)
	}
	if decided == 0 {
		return nil, nil
	}
	items, err := d.queryItems(ctx, d.reader, `SELECT `+itemColumns+` FROM inventory_items
		WHERE site = ? AND target = ? AND status = 'approved' ORDER BY approved_at, id`, site, target)
	if err != nil {
		return nil, fmt.Errorf("sqlite: approved inventory: %w", err)
	}
	p, err := store.AssembleInventory(target, items)
	if err != nil {
		return nil, fmt.Errorf("sqlite: approved inventory: %w", err)
	}
	return p, nil
}

// DecideInventory applies a decision and logs it in one transaction.
func (d *DB) DecideInventory(ctx context.Context, dec store.InventoryDecision) ([]store.InventoryItem, error) {
	dec, from, err := store.PrepareInventoryDecision(dec, d.now)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	var changed []store.InventoryItem
	err = d.tx(ctx, func(tx *sql.Tx) error {
		var items []store.InventoryItem
		var err error
		if len(dec.Items) == 0 {
			items, err = d.queryItems(ctx, tx, `SELECT `+itemColumns+` FROM inventory_items
				WHERE site = ? AND target = ? AND status = 'pending' AND clean ORDER BY kind, subject, id`, dec.Site, dec.Target)
		} else {
			items, err = d.queryItems(ctx, tx, `SELECT `+itemColumns+` FROM inventory_items
				WHERE site = ? AND target = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY kind, subject, id`,
				dec.Site, dec.Target, jsonList(dec.Items))
		}
		if err != nil {
			return err
		}
		if err := store.CheckDecisionItems(dec, from, items); err != nil {
			return err
		}
		for _, it := range items {
			var q string
			var args []any
			switch dec.Type {
			case store.EventInventoryApproved:
				q = `UPDATE inventory_items SET status = 'approved', approved_by = ?, approved_at = ?, justification = ?,
					revoked_by = '', revoked_at = 0 WHERE site = ? AND target = ? AND id = ?`
				args = []any{dec.Actor, micros(dec.Time), dec.Justification}
			case store.EventInventoryRevoked:
				q = `UPDATE inventory_items SET status = 'revoked', revoked_by = ?, revoked_at = ? WHERE site = ? AND target = ? AND id = ?`
				args = []any{dec.Actor, micros(dec.Time)}
			case store.EventInventoryJustified:
				q = `UPDATE inventory_items SET justification = ? WHERE site = ? AND target = ? AND id = ?`
				args = []any{dec.Justification}
			}
			if _, err := tx.ExecContext(ctx, q, append(args, dec.Site, dec.Target, it.ID)...); err != nil {
				return err
			}
		}
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		changed, err = d.queryItems(ctx, tx, `SELECT `+itemColumns+` FROM inventory_items
			WHERE site = ? AND target = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY kind, subject, id`,
			dec.Site, dec.Target, jsonList(ids))
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
		return nil, fmt.Errorf("sqlite: inventory decision %s: %w", dec.Type, err)
	}
	return changed, nil
}

// appendEventTx appends e to the chain inside tx, whose BEGIN IMMEDIATE
// already holds the write lock AppendEvent relies on.
func (d *DB) appendEventTx(ctx context.Context, tx *sql.Tx, e store.Event) error {
	e, err := store.PrepareEvent(e, d.now)
	if err != nil {
		return err
	}
	var prev store.Event
	err = tx.QueryRowContext(ctx, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").Scan(&prev.Seq, &prev.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e = e.Seal(prev)
	_, err = tx.ExecContext(ctx, `INSERT INTO events (seq, time, site, type, actor, data, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, micros(e.Time), e.Site, e.Type, e.Actor, string(e.Data), e.PrevHash, e.Hash)
	return err
}

// InventoryItems returns matching items and how many match in all.
func (d *DB) InventoryItems(ctx context.Context, q store.InventoryQuery) ([]store.InventoryItem, int, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"site": q.Site, "target": q.Target, "status": q.Status, "kind": q.Kind} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	if len(q.IDs) > 0 {
		where, args = append(where, "id IN (SELECT value FROM json_each(?))"), append(args, jsonList(q.IDs))
	}
	if q.Clean {
		where = append(where, "clean")
	}
	var total int
	if err := d.reader.QueryRowContext(ctx, `SELECT count(*) FROM inventory_items`+whereClause(where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: inventory items: %w", err)
	}
	page := limitClause(q.Limit)
	if q.Offset > 0 {
		if page == "" {
			page = " LIMIT -1"
		}
		page += fmt.Sprintf(" OFFSET %d", q.Offset)
	}
	items, err := d.queryItems(ctx, d.reader, `SELECT `+itemColumns+` FROM inventory_items`+whereClause(where)+
		` ORDER BY site, target, kind, subject, id`+page, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: inventory items: %w", err)
	}
	return items, total, nil
}

// InventoryTargets lists a site's targets with counts by status.
func (d *DB) InventoryTargets(ctx context.Context, site string) ([]store.InventoryTarget, error) {
	rows, err := d.reader.QueryContext(ctx, `SELECT site, target,
			sum(status = 'pending'), sum(status = 'approved'), sum(status = 'revoked'), max(last_seen)
		FROM inventory_items WHERE ? = '' OR site = ? GROUP BY site, target ORDER BY site, target`, site, site)
	if err != nil {
		return nil, fmt.Errorf("sqlite: inventory targets: %w", err)
	}
	defer rows.Close()
	var out []store.InventoryTarget
	for rows.Next() {
		var t store.InventoryTarget
		var last int64
		if err := rows.Scan(&t.Site, &t.Target, &t.Pending, &t.Approved, &t.Revoked, &last); err != nil {
			return nil, fmt.Errorf("sqlite: inventory targets: %w", err)
		}
		t.LastSeen = fromMicros(last)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: inventory targets: %w", err)
	}
	return out, nil
}

type itemQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (d *DB) queryItems(ctx context.Context, db itemQuerier, query string, args ...any) ([]store.InventoryItem, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.InventoryItem
	for rows.Next() {
		var it store.InventoryItem
		var hashes, detail string
		var first, last, approved, revoked int64
		if err := rows.Scan(&it.ID, &it.Site, &it.Target, &it.Kind, &it.Subject, &it.ScriptKind, &hashes, &detail, &it.Status,
			&it.Clean, &first, &last, &it.ApprovedBy, &approved, &it.Justification, &it.RevokedBy, &revoked); err != nil {
			return nil, err
		}
		it.Hashes = strings.Fields(hashes)
		it.Detail = []byte(detail)
		it.FirstSeen, it.LastSeen = fromMicros(first), fromMicros(last)
		if approved != 0 {
			it.ApprovedAt = fromMicros(approved)
		}
		if revoked != 0 {
			it.RevokedAt = fromMicros(revoked)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func jsonList(ids []string) string {
	b, _ := json.Marshal(ids) // a []string always marshals
	return string(b)
}
