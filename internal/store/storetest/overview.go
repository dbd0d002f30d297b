package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func testOverview(t *testing.T, newStore NewFunc) {
	t.Run("incidents are counted per target, kind and severity, with the longest silence streak", func(t *testing.T) {
		s := newStore(t)
		crit := incident("a", store.IncidentOpen)
		crit2 := incident("b", store.IncidentOpen)
		high := incident("c", store.IncidentOpen)
		high.Finding.Severity = finding.High
		closed := incident("d", store.IncidentClosed)
		silent := incident("e", store.IncidentWatching)
		silent.Kind, silent.Streak = store.IncidentSilence, 4
		silent2 := incident("f", store.IncidentOpen)
		silent2.Kind, silent2.Streak = store.IncidentSilence, 7
		must(t, s.SaveIncidents(t.Context(), []store.Incident{crit, crit2, high, closed, silent, silent2}, nil))
		got, err := s.IncidentCounts(t.Context(), []string{store.IncidentOpen, store.IncidentWatching})
		must(t, err)
		slices.SortFunc(got, func(a, b store.IncidentCount) int {
			if c := strings.Compare(a.Kind, b.Kind); c != 0 {
				return c
			}
			return int(b.Severity - a.Severity)
		})
		target := "https://shop.example/checkout"
		want := []store.IncidentCount{
			{Site: "shop", Detector: "check", Target: target, Kind: store.IncidentFinding, Severity: finding.Critical, Count: 2},
			{Site: "shop", Detector: "check", Target: target, Kind: store.IncidentFinding, Severity: finding.High, Count: 1},
			{Site: "shop", Detector: "check", Target: target, Kind: store.IncidentSilence, Severity: finding.Critical, Count: 2, MaxStreak: 7},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("counts\n got %+v\nwant %+v", got, want)
		}
		if none, err := s.IncidentCounts(t.Context(), nil); err != nil || len(none) != 0 {
			t.Fatalf("no statuses: %+v, %v", none, err)
		}
	})
}
