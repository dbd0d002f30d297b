package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/store"
)

var _ store.IncidentScopeStore = (*DB)(nil)

// PutIncidentScope creates or replaces a scoped incident.
func (d *DB) PutIncidentScope(ctx context.Context, s store.IncidentScope) error {
	s, err := store.PrepareIncidentScope(s)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO incident_scopes (id, site, opened, finding_key, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET site = excluded.site, opened = excluded.opened, finding_key = excluded.finding_key, data = excluded.data`,
		s.ID, s.Site, s.Opened, s.FindingKey, string(s.Data))
	if err != nil {
		return fmt.Errorf("postgres: put incident scope: %w", err)
	}
	return nil
}

// IncidentScope returns one scoped incident.
func (d *DB) IncidentScope(ctx context.Context, id string) (store.IncidentScope, error) {
	var s store.IncidentScope
	var data string
	err := d.pool.QueryRow(ctx, "SELECT id, site, opened, finding_key, data FROM incident_scopes WHERE id = $1", id).
		Scan(&s.ID, &s.Site, &s.Opened, &s.FindingKey, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("postgres: incident %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("postgres: incident scope: %w", err)
	}
	s.Opened, s.Data = s.Opened.UTC(), []byte(data)
	return s, nil
}

// IncidentScopes lists scoped incidents without their documents.
func (d *DB) IncidentScopes(ctx context.Context, site string) ([]store.IncidentScope, error) {
	rows, err := d.pool.Query(ctx, "SELECT id, site, opened, finding_key FROM incident_scopes WHERE $1 = '' OR site = $1 ORDER BY opened DESC, id", site)
	if err != nil {
		return nil, fmt.Errorf("postgres: incident scopes: %w", err)
	}
	defer rows.Close()
	out := []store.IncidentScope{}
	for rows.Next() {
		var s store.IncidentScope
		var opened time.Time
		if err := rows.Scan(&s.ID, &s.Site, &opened, &s.FindingKey); err != nil {
			return nil, fmt.Errorf("postgres: incident scopes: %w", err)
		}
		s.Opened = opened.UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: incident scopes: %w", err)
	}
	return out, nil
}
