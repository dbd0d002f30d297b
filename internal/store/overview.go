package store

import (
	"context"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// OverviewStore answers the dashboard overview's questions in the
// database, so the overview stays fast however many incidents are open.
type OverviewStore interface {
	// IncidentCounts counts the incidents in any of statuses, grouped by
	// site, detector, target, kind and the finding's severity, with the
	// longest silence streak of each group. Order is unspecified.
	IncidentCounts(ctx context.Context, statuses []string) ([]IncidentCount, error)
}

// IncidentCount is one group of IncidentCounts.
type IncidentCount struct {
	Site     string           `json:"site"`
	Detector string           `json:"detector"`
	Target   string           `json:"target"`
	Kind     string           `json:"kind"`
	Severity finding.Severity `json:"severity"`
	Count    int              `json:"count"`
	// MaxStreak is the longest Streak in the group (silence incidents).
	MaxStreak int `json:"max_streak"`
}
