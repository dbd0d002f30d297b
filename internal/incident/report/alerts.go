package report

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/store"
)

// AlertsFrom joins the alert store's incidents of a site with the
// deliveries that announced them, for the incidents live at some time
// between from and to (to zero: still running). A delivery names its
// incidents only inside its payload (an alert.Alert), so that is where the
// join looks; a delivery that does not decode is left out of the join, not
// out of the store.
func AlertsFrom(incs []store.Incident, ds []store.Delivery, site string, from, to time.Time) []Alert {
	byKey := map[string][]store.Delivery{}
	for _, d := range ds {
		if d.Site != site {
			continue
		}
		var a alert.Alert
		if err := json.Unmarshal(d.Payload, &a); err != nil {
			continue
		}
		var keys []string
		for _, it := range a.Items {
			if !slices.Contains(keys, it.Key) {
				keys = append(keys, it.Key)
			}
		}
		for _, k := range keys {
			byKey[k] = append(byKey[k], d)
		}
	}
	var out []Alert
	for _, inc := range incs {
		if inc.Site != site {
			continue
		}
		end := inc.LastSeen
		if !inc.Resolved.IsZero() {
			end = inc.Resolved
		}
		if (!to.IsZero() && inc.Opened.After(to)) || (!end.IsZero() && end.Before(from)) {
			continue
		}
		out = append(out, Alert{Incident: inc, Deliveries: byKey[inc.Key]})
	}
	slices.SortStableFunc(out, func(a, b Alert) int { return a.Incident.Opened.Compare(b.Incident.Opened) })
	return out
}

// Period is the evidence period of an incident: from the earliest the
// exposure can have begun to the latest it can have ended (zero: it has
// not).
func Period(in *Input) (from, to time.Time) {
	w := in.Incident.Window
	from = w.Start.After
	if from.IsZero() {
		from = w.Start.NoLaterThan
	}
	if !w.End.Open {
		to = w.End.NoLaterThan
	}
	return from, to
}
