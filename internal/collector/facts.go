package collector

import (
	"cmp"
	"slices"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

// BlockedSeen is one blocked origin (or kind) a customer's browser reported
// on one page, as an evaluation's run event names it: an incident's window
// cites the event that names the attacker's origin and when customers'
// browsers first and last reported it, not just the run after it.
type BlockedSeen struct {
	Blocked      string    `json:"blocked"`
	Directive    string    `json:"directive"`
	DocumentPath string    `json:"document_path"`
	Count        int64     `json:"count"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
}

// MaxEvaluationBlocked caps the origins an evaluation's event names; the
// rest are counted (blocked_more). Anyone can send reports, so the list
// must stay small whatever they send.
const MaxEvaluationBlocked = 20

// EvaluationFacts is what an evaluation's run event says about the reports
// of its period (aggs, read with LastSeen at or after since): the blocked
// origins with their first and last report. Origins first reported in the
// period come first (a new origin is what an incident needs to cite, and a
// flood of old ones must not push it out), then the most reported.
func EvaluationFacts(aggs []store.ReportAggregate, since time.Time) map[string]any {
	named := make([]BlockedSeen, 0, len(aggs))
	for _, a := range aggs {
		named = append(named, BlockedSeen{Blocked: a.Blocked, Directive: a.Directive, DocumentPath: a.DocumentPath,
			Count: a.Count, FirstSeen: a.FirstSeen.UTC(), LastSeen: a.LastSeen.UTC()})
	}
	slices.SortStableFunc(named, func(a, b BlockedSeen) int {
		an, bn := !a.FirstSeen.Before(since), !b.FirstSeen.Before(since)
		if an != bn {
			if an {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Count, a.Count), a.FirstSeen.Compare(b.FirstSeen), cmp.Compare(a.Blocked, b.Blocked))
	})
	out := map[string]any{}
	if len(named) > MaxEvaluationBlocked {
		out["blocked_more"] = len(named) - MaxEvaluationBlocked
		named = named[:MaxEvaluationBlocked]
	}
	out["blocked"] = named
	return out
}
