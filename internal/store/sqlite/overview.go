package sqlite

import (
	"context"
	"fmt"
	"strings"

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
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = s
	}
	rows, err := d.reader.QueryContext(ctx, `SELECT site, detector, target, json_extract(data, '$.kind'),
		coalesce(json_extract(data, '$.finding.severity'), ''), count(*), max(coalesce(json_extract(data, '$.streak'), 0))
		FROM alert_incidents WHERE status IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")+`)
		GROUP BY 1, 2, 3, 4, 5`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: incident counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c store.IncidentCount
		var sev string
		if err := rows.Scan(&c.Site, &c.Detector, &c.Target, &c.Kind, &sev, &c.Count, &c.MaxStreak); err != nil {
			return nil, fmt.Errorf("sqlite: incident counts: %w", err)
		}
		c.Severity, _ = finding.ParseSeverity(sev) // PrepareIncident validated it
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: incident counts: %w", err)
	}
	return out, nil
}
