package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/store"
)

var _ store.IncidentScopeStore = (*DB)(nil)

// PutIncidentScope creates or replaces a scoped incident.
func (d *DB) PutIncidentScope(ctx context.Context, s store.IncidentScope) error {
	s, err := store.PrepareIncidentScope(s)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	err = d.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_scopes (id, site, opened, finding_key, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET site = excluded.site, opened = excluded.opened, finding_key = excluded.finding_key, data = excluded.data`,
			s.ID, s.Site, micros(s.Opened), s.FindingKey, string(s.Data))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put incident scope: %w", err)
	}
	return nil
}

// IncidentScope returns one scoped incident.
func (d *DB) IncidentScope(ctx context.Context, id string) (store.IncidentScope, error) {
	var s store.IncidentScope
	var opened int64
	var data string
	err := d.reader.QueryRowContext(ctx, "SELECT id, site, opened, finding_key, data FROM incident_scopes WHERE id = ?", id).
		Scan(&s.ID, &s.Site, &opened, &s.FindingKey, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("sqlite: incident %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("sqlite: incident scope: %w", err)
	}
	s.Opened, s.Data = fromMicros(opened), []byte(data)
	return s, nil
}

// IncidentScopes lists scoped incidents without their documents.
func (d *DB) IncidentScopes(ctx context.Context, site string) ([]store.IncidentScope, error) {
	rows, err := d.reader.QueryContext(ctx, "SELECT id, site, opened, finding_key FROM incident_scopes WHERE ? = '' OR site = ? ORDER BY opened DESC, id", site, site)
	if err != nil {
		return nil, fmt.Errorf("sqlite: incident scopes: %w", err)
	}
	defer rows.Close()
	out := []store.IncidentScope{}
	for rows.Next() {
		var s store.IncidentScope
		var opened int64
		if err := rows.Scan(&s.ID, &s.Site, &opened, &s.FindingKey); err != nil {
			return nil, fmt.Errorf("sqlite: incident scopes: %w", err)
		}
		s.Opened = fromMicros(opened)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: incident scopes: %w", err)
	}
	return out, nil
}
