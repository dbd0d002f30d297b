package postgres

import (
	"context"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// IncidentCounts counts incidents per group in the database; see
// store.OverviewStore.
func (d *DB) IncidentCounts(ctx context.Context, statuses []string) ([]store.IncidentCount, error) {
	out := []store.IncidentCount{}
	if len(statuses) == 0 {
		return out, nil
	}
	rows, err := d.pool.Query(ctx, `SELECT site, detector, target, data->>'kind', coalesce(data->'finding'->>'severity', ''),
		count(*), max(coalesce((data->>'streak')::bigint, 0))
		FROM alert_incidents WHERE status = ANY($1) GROUP BY 1, 2, 3, 4, 5`, statuses)
	if err != nil {
		return nil, fmt.Errorf("postgres: incident counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c store.IncidentCount
		var sev string
		var n, streak int64
		if err := rows.Scan(&c.Site, &c.Detector, &c.Target, &c.Kind, &sev, &n, &streak); err != nil {
			return nil, fmt.Errorf("postgres: incident counts: %w", err)
		}
		c.Count, c.MaxStreak = int(n), int(streak)
		c.Severity, _ = finding.ParseSeverity(sev) // PrepareIncident validated it
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: incident counts: %w", err)
	}
	return out, nil
}
