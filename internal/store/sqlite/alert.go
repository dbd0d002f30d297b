package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

// SaveIncidents writes incidents under their optimistic lock and queues
// deliveries; see store.AlertStore.
func (d *DB) SaveIncidents(ctx context.Context, incs []store.Incident, ds []store.Delivery) error {
	now := d.now()
	prepared, data, deliveries, err := store.PrepareSave(incs, ds, now)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	err = d.tx(ctx, func(tx *sql.Tx) error {
		for i, p := range prepared {
			var res sql.Result
			var err error
			if p.Version == 1 {
				res, err = tx.ExecContext(ctx, `INSERT INTO alert_incidents (site, key, status, target, detector, opened, version, data)
					VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING`,
					p.Site, p.Key, p.Status, p.Target, p.Detector, micros(p.Opened), data[i])
			} else {
				res, err = tx.ExecContext(ctx, `UPDATE alert_incidents SET status = ?, target = ?, detector = ?, opened = ?,
					version = ?, data = ? WHERE site = ? AND key = ? AND version = ?`,
					p.Status, p.Target, p.Detector, micros(p.Opened), p.Version, data[i], p.Site, p.Key, p.Version-1)
			}
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				return fmt.Errorf("incident %s of %s changed since it was read: %w", p.Key, p.Site, store.ErrConflict)
			}
		}
		for _, dl := range deliveries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_deliveries (id, alert_id, sink, site, payload, status,
				attempts, created, next_attempt, last_error) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, '') ON CONFLICT DO NOTHING`,
				dl.ID, dl.AlertID, dl.Sink, dl.Site, string(dl.Payload), dl.Status, micros(dl.Created), micros(dl.NextAttempt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: save incidents: %w", err)
	}
	return nil
}

// Incidents returns incidents matching q; see store.AlertStore.
func (d *DB) Incidents(ctx context.Context, q store.IncidentQuery) ([]store.Incident, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"site": q.Site, "key": q.Key, "target": q.Target, "detector": q.Detector} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	if len(q.Statuses) > 0 {
		where = append(where, "status IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.Statuses)), ", ")+")")
		for _, s := range q.Statuses {
			args = append(args, s)
		}
	}
	rows, err := d.reader.QueryContext(ctx, "SELECT data, version FROM alert_incidents"+whereClause(where)+
		" ORDER BY site, opened, key"+limitClause(q.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: incidents: %w", err)
	}
	defer rows.Close()
	out := []store.Incident{}
	for rows.Next() {
		var data string
		var version int64
		if err := rows.Scan(&data, &version); err != nil {
			return nil, fmt.Errorf("sqlite: incidents: %w", err)
		}
		var inc store.Incident
		if err := json.Unmarshal([]byte(data), &inc); err != nil {
			return nil, fmt.Errorf("sqlite: incidents: stored incident: %w", err)
		}
		inc.Version = version
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: incidents: %w", err)
	}
	return out, nil
}

const deliveryColumns = "id, alert_id, sink, site, payload, status, attempts, created, next_attempt, last_error"

func scanDelivery(rows *sql.Rows) (store.Delivery, error) {
	var dl store.Delivery
	var payload string
	var created, next int64
	err := rows.Scan(&dl.ID, &dl.AlertID, &dl.Sink, &dl.Site, &payload, &dl.Status, &dl.Attempts, &created, &next, &dl.LastError)
	dl.Payload = json.RawMessage(payload)
	dl.Created, dl.NextAttempt = fromMicros(created), fromMicros(next)
	return dl, err
}

func collectDeliveries(rows *sql.Rows) ([]store.Delivery, error) {
	defer rows.Close()
	out := []store.Delivery{}
	for rows.Next() {
		dl, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, dl)
	}
	return out, rows.Err()
}

// ClaimDeliveries leases due deliveries; see store.AlertStore. The write
// transaction (BEGIN IMMEDIATE) makes select-then-update one step.
func (d *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim deliveries: %w: limit %d and lease %v must be positive", store.ErrInvalid, limit, lease)
	}
	var out []store.Delivery
	err := d.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+deliveryColumns+` FROM alert_deliveries
			WHERE status = ? AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, store.DeliveryPending, micros(now), limit)
		if err != nil {
			return err
		}
		if out, err = collectDeliveries(rows); err != nil {
			return err
		}
		until := store.Timestamp(now.Add(lease))
		for i := range out {
			if _, err := tx.ExecContext(ctx, "UPDATE alert_deliveries SET next_attempt = ? WHERE id = ?", micros(until), out[i].ID); err != nil {
				return err
			}
			out[i].NextAttempt = until
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim deliveries: %w", err)
	}
	return out, nil
}

// RecordDeliveryAttempt appends an attempt; see store.AlertStore.
func (d *DB) RecordDeliveryAttempt(ctx context.Context, a store.DeliveryAttempt, next time.Time) (store.Delivery, error) {
	a, err := store.PrepareAttempt(a, d.now())
	if err != nil {
		return store.Delivery{}, fmt.Errorf("sqlite: record delivery attempt: %w", err)
	}
	var dl store.Delivery
	err = d.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+deliveryColumns+" FROM alert_deliveries WHERE id = ?", a.DeliveryID)
		if err != nil {
			return err
		}
		found, err := collectDeliveries(rows)
		if err != nil {
			return err
		}
		if dl, err = store.ApplyAttempt(found, &a, next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO alert_attempts (delivery_id, seq, at, duration_us, error) VALUES (?, ?, ?, ?, ?)",
			a.DeliveryID, a.Seq, micros(a.At), a.Duration.Microseconds(), a.Error); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE alert_deliveries SET status = ?, attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
			dl.Status, dl.Attempts, micros(dl.NextAttempt), dl.LastError, dl.ID)
		return err
	})
	if err != nil {
		return store.Delivery{}, fmt.Errorf("sqlite: record delivery attempt: %w", err)
	}
	return dl, nil
}

// Deliveries returns deliveries matching q; see store.AlertStore.
func (d *DB) Deliveries(ctx context.Context, q store.DeliveryQuery) ([]store.Delivery, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"alert_id": q.AlertID, "sink": q.Sink, "status": q.Status} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	rows, err := d.reader.QueryContext(ctx, "SELECT "+deliveryColumns+" FROM alert_deliveries"+whereClause(where)+
		" ORDER BY created, id"+limitClause(q.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deliveries: %w", err)
	}
	out, err := collectDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deliveries: %w", err)
	}
	return out, nil
}

// DeliveryAttempts returns a delivery's attempts; see store.AlertStore.
func (d *DB) DeliveryAttempts(ctx context.Context, deliveryID string) ([]store.DeliveryAttempt, error) {
	rows, err := d.reader.QueryContext(ctx, "SELECT seq, at, duration_us, error FROM alert_attempts WHERE delivery_id = ? ORDER BY seq", deliveryID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delivery attempts: %w", err)
	}
	defer rows.Close()
	out := []store.DeliveryAttempt{}
	for rows.Next() {
		a := store.DeliveryAttempt{DeliveryID: deliveryID}
		var at, us int64
		if err := rows.Scan(&a.Seq, &at, &us, &a.Error); err != nil {
			return nil, fmt.Errorf("sqlite: delivery attempts: %w", err)
		}
		a.At, a.Duration = fromMicros(at), time.Duration(us)*time.Microsecond
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: delivery attempts: %w", err)
	}
	return out, nil
}

// PruneDeliveries deletes site's delivered deliveries created before
// before; their attempts go with them (ON DELETE CASCADE).
func (d *DB) PruneDeliveries(ctx context.Context, site string, before time.Time) (int64, error) {
	var n int64
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM alert_deliveries WHERE site = ? AND status = ? AND created < ?",
			site, store.DeliveryDelivered, micros(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune deliveries: %w", err)
	}
	return n, nil
}
