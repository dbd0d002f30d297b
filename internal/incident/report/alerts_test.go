package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func TestAlertsFrom(t *testing.T) {
	from, to := t1, t4
	payload := func(keys ...string) json.RawMessage {
		a := alert.Alert{ID: "a", Type: "incident", Site: "yutori", Severity: finding.High}
		for _, k := range keys {
			a.Items = append(a.Items, alert.Item{Key: k, Severity: finding.High})
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	inc := func(site, key string, opened, lastSeen, resolved time.Time) store.Incident {
		return store.Incident{Site: site, Key: key, Opened: opened, LastSeen: lastSeen, Resolved: resolved}
	}
	incs := []store.Incident{
		inc("yutori", "k-late", t3, t3, time.Time{}),
		inc("yutori", "k-in", t2, t3, time.Time{}),
		inc("yutori", "k-before", t1.Add(-72*time.Hour), t1.Add(-48*time.Hour), time.Time{}),
		inc("yutori", "k-after", t4.Add(time.Hour), t4.Add(time.Hour), time.Time{}),
		inc("yutori", "k-resolved-inside", t1.Add(-time.Hour), t1.Add(-time.Hour), t2),
		inc("blog", "k-in", t2, t3, time.Time{}),
	}
	ds := []store.Delivery{
		{ID: "1", Sink: "mail", Site: "yutori", Payload: payload("k-in", "k-late")},
		{ID: "2", Sink: "slack", Site: "yutori", Payload: payload("k-in")},
		{ID: "3", Sink: "mail", Site: "blog", Payload: payload("k-in")},
		{ID: "4", Sink: "hook", Site: "yutori", Payload: json.RawMessage(`"not an alert"`)},
	}
	got := AlertsFrom(incs, ds, "yutori", from, to)
	var keys []string
	for _, a := range got {
		var sinks []string
		for _, d := range a.Deliveries {
			sinks = append(sinks, d.ID)
		}
		keys = append(keys, a.Incident.Key+"["+strings.Join(sinks, ",")+"]")
	}
	tests := []struct{ name, want string }{
		{"alerts live in the period are kept, oldest first, each with the deliveries that named it", "k-resolved-inside[],k-in[1,2],k-late[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if g := strings.Join(keys, ","); g != tc.want {
				t.Errorf("got %s, want %s", g, tc.want)
			}
		})
	}
}
