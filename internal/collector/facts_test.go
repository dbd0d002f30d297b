package collector

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func TestEvaluationFactsNameTheBlockedOriginsWithTheirTimes(t *testing.T) {
	t0 := time.Date(2020, 12, 8, 3, 5, 0, 0, time.UTC)
	since := t0.Add(-time.Minute)
	t.Run("each blocked origin of the period is named with its first and last report", func(t *testing.T) {
		aggs := []store.ReportAggregate{{Site: "shop", Directive: "connect-src", Blocked: "https://evil.example", DocumentPath: "/checkout",
			Count: 3, FirstSeen: t0, LastSeen: t0.Add(30 * time.Second)}}
		var data struct {
			Blocked     []BlockedSeen `json:"blocked"`
			BlockedMore int           `json:"blocked_more"`
		}
		b, _ := json.Marshal(EvaluationFacts(aggs, since))
		if err := json.Unmarshal(b, &data); err != nil {
			t.Fatal(err)
		}
		want := []BlockedSeen{{Blocked: "https://evil.example", Directive: "connect-src", DocumentPath: "/checkout", Count: 3, FirstSeen: t0, LastSeen: t0.Add(30 * time.Second)}}
		if fmt.Sprint(data.Blocked) != fmt.Sprint(want) || data.BlockedMore != 0 {
			t.Errorf("blocked = %+v (+%d), want %+v", data.Blocked, data.BlockedMore, want)
		}
	})
	t.Run("a flood of old origins does not push a new one out of the bounded list", func(t *testing.T) {
		var aggs []store.ReportAggregate
		for i := range 500 {
			aggs = append(aggs, store.ReportAggregate{Site: "shop", Directive: "img-src", Blocked: fmt.Sprintf("https://old%d.example", i), DocumentPath: "/",
				Count: 1000, FirstSeen: t0.Add(-48 * time.Hour), LastSeen: t0})
		}
		aggs = append(aggs, store.ReportAggregate{Site: "shop", Directive: "connect-src", Blocked: "https://evil.example", DocumentPath: "/checkout", Count: 1, FirstSeen: t0, LastSeen: t0})
		fs := EvaluationFacts(aggs, since)
		named := fs["blocked"].([]BlockedSeen)
		if len(named) != MaxEvaluationBlocked || fs["blocked_more"] != 501-MaxEvaluationBlocked {
			t.Errorf("%d named, %v more; want %d and %d", len(named), fs["blocked_more"], MaxEvaluationBlocked, 501-MaxEvaluationBlocked)
		}
		if named[0].Blocked != "https://evil.example" {
			t.Errorf("first named = %s, want the origin first seen in this period", named[0].Blocked)
		}
	})
}
