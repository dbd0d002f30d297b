package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/store"
)

// SaveIncidents writes incidents under their optimistic lock and queues
// deliveries; see store.AlertStore.
func (d *DB) SaveIncidents(ctx context.Context, incs []store.Incident, ds []store.Delivery) error {
	now := d.now()
	prepared, data, deliveries, err := store.PrepareSave(incs, ds, now)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		for i, p := range prepared {
			var err error
			var n int64
			if p.Version == 1 {
				tag, e := tx.Exec(ctx, `INSERT INTO alert_incidents (site, key, status, target, detector, opened, version, data)
					VALUES ($1, $2, $3, $4, $5, $6, 1, $7) ON CONFLICT DO NOTHING`,
					p.Site, p.Key, p.Status, p.Target, p.Detector, p.Opened, data[i])
				err, n = e, tag.RowsAffected()
			} else {
				tag, e := tx.Exec(ctx, `UPDATE alert_incidents SET status = $1, target = $2, detector = $3, opened = $4,
					version = $5, data = $6 WHERE site = $7 AND key = $8 AND version = $9`,
					p.Status, p.Target, p.Detector, p.Opened, p.Version, data[i], p.Site, p.Key, p.Version-1)
				err, n = e, tag.RowsAffected()
			}
			if err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("incident %s of %s changed since it was read: %w", p.Key, p.Site, store.ErrConflict)
			}
		}
		for _, dl := range deliveries {
			if _, err := tx.Exec(ctx, `INSERT INTO alert_deliveries (id, alert_id, sink, site, payload, status,
				attempts, created, next_attempt, last_error) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, '') ON CONFLICT DO NOTHING`,
				dl.ID, dl.AlertID, dl.Sink, dl.Site, string(dl.Payload), dl.Status, dl.Created, dl.NextAttempt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: save incidents: %w", err)
	}
	return nil
}

// Incidents returns incidents matching q; see store.AlertStore.
func (d *DB) Incidents(ctx context.Context, q store.IncidentQuery) ([]store.Incident, error) {
	var where []string
	var a args
	for _, c := range []struct{ col, v string }{{"site", q.Site}, {"key", q.Key}, {"target", q.Target}, {"detector", q.Detector}} {
		if c.v != "" {
			where = append(where, c.col+" = "+a.add(c.v))
		}
	}
	if len(q.Statuses) > 0 {
		where = append(where, "status = ANY("+a.add(q.Statuses)+")")
	}
	rows, _ := d.pool.Query(ctx, "SELECT data::text, version FROM alert_incidents"+whereClause(where)+
		" ORDER BY site, opened, key"+limitClause(q.Limit), a...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Incident, error) {
		var data string
		var version int64
		var inc store.Incident
		if err := row.Scan(&data, &version); err != nil {
			return inc, err
		}
		if err := json.Unmarshal([]byte(data), &inc); err != nil {
			return inc, fmt.Errorf("stored incident: %w", err)
		}
		inc.Version = version
		return inc, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: incidents: %w", err)
	}
	if out == nil {
		out = []store.Incident{}
	}
	return out, nil
}

const deliveryColumns = "id, alert_id, sink, site, payload, status, attempts, created, next_attempt, last_error"

func scanDelivery(row pgx.CollectableRow) (store.Delivery, error) {
	var dl store.Delivery
	var payload string
	err := row.Scan(&dl.ID, &dl.AlertID, &dl.Sink, &dl.Site, &payload, &dl.Status, &dl.Attempts, &dl.Created, &dl.NextAttempt, &dl.LastError)
	dl.Payload = json.RawMessage(payload)
	dl.Created, dl.NextAttempt = utc(dl.Created), utc(dl.NextAttempt)
	return dl, err
}

func collectDeliveries(rows pgx.Rows) ([]store.Delivery, error) {
	out, err := pgx.CollectRows(rows, scanDelivery)
	if out == nil {
		out = []store.Delivery{}
	}
	return out, err
}

// ClaimDeliveries leases due deliveries; see store.AlertStore. SKIP LOCKED
// lets workers on many machines claim disjoint sets at once.
func (d *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("postgres: claim deliveries: %w: limit %d and lease %v must be positive", store.ErrInvalid, limit, lease)
	}
	var out []store.Delivery
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, "SELECT "+deliveryColumns+` FROM alert_deliveries
			WHERE status = $1 AND next_attempt <= $2 ORDER BY next_attempt, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
			store.DeliveryPending, store.Timestamp(now), limit)
		var err error
		if out, err = collectDeliveries(rows); err != nil {
			return err
		}
		until := store.Timestamp(now.Add(lease))
		for i := range out {
			if _, err := tx.Exec(ctx, "UPDATE alert_deliveries SET next_attempt = $1 WHERE id = $2", until, out[i].ID); err != nil {
				return err
			}
			out[i].NextAttempt = until
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim deliveries: %w", err)
	}
	return out, nil
}

// RecordDeliveryAttempt appends an attempt; see store.AlertStore.
func (d *DB) RecordDeliveryAttempt(ctx context.Context, a store.DeliveryAttempt, next time.Time) (store.Delivery, error) {
	a, err := store.PrepareAttempt(a, d.now())
	if err != nil {
		return store.Delivery{}, fmt.Errorf("postgres: record delivery attempt: %w", err)
	}
	var dl store.Delivery
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, "SELECT "+deliveryColumns+" FROM alert_deliveries WHERE id = $1 FOR UPDATE", a.DeliveryID)
		found, err := collectDeliveries(rows)
		if err != nil {
			return err
		}
		if dl, err = store.ApplyAttempt(found, &a, next); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO alert_attempts (delivery_id, seq, at, duration_us, error) VALUES ($1, $2, $3, $4, $5)",
			a.DeliveryID, a.Seq, a.At, a.Duration.Microseconds(), a.Error); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE alert_deliveries SET status = $1, attempts = $2, next_attempt = $3, last_error = $4 WHERE id = $5",
			dl.Status, dl.Attempts, dl.NextAttempt, dl.LastError, dl.ID)
		return err
	})
	if err != nil {
		return store.Delivery{}, fmt.Errorf("postgres: record delivery attempt: %w", err)
	}
	return dl, nil
}

// Deliveries returns deliveries matching q; see store.AlertStore.
func (d *DB) Deliveries(ctx context.Context, q store.DeliveryQuery) ([]store.Delivery, error) {
	var where []string
	var a args
	for _, c := range []struct{ col, v string }{{"alert_id", q.AlertID}, {"sink", q.Sink}, {"status", q.Status}} {
		if c.v != "" {
			where = append(where, c.col+" = "+a.add(c.v))
		}
	}
	rows, _ := d.pool.Query(ctx, "SELECT "+deliveryColumns+" FROM alert_deliveries"+whereClause(where)+
		" ORDER BY created, id"+limitClause(q.Limit), a...)
	out, err := collectDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: deliveries: %w", err)
	}
	return out, nil
}

// DeliveryAttempts returns a delivery's attempts; see store.AlertStore.
func (d *DB) DeliveryAttempts(ctx context.Context, deliveryID string) ([]store.DeliveryAttempt, error) {
	rows, _ := d.pool.Query(ctx, "SELECT seq, at, duration_us, error FROM alert_attempts WHERE delivery_id = $1 ORDER BY seq", deliveryID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DeliveryAttempt, error) {
		a := store.DeliveryAttempt{DeliveryID: deliveryID}
		var us int64
		err := row.Scan(&a.Seq, &a.At, &us, &a.Error)
		a.At, a.Duration = utc(a.At), time.Duration(us)*time.Microsecond
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: delivery attempts: %w", err)
	}
	if out == nil {
		out = []store.DeliveryAttempt{}
	}
	return out, nil
}

// PruneDeliveries deletes site's delivered deliveries created before
// before; their attempts go with them (ON DELETE CASCADE).
func (d *DB) PruneDeliveries(ctx context.Context, site string, before time.Time) (int64, error) {
	tag, err := d.pool.Exec(ctx, "DELETE FROM alert_deliveries WHERE site = $1 AND status = $2 AND created < $3",
		site, store.DeliveryDelivered, store.Timestamp(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}
