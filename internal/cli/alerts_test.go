package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// seedIncidents stores two open incidents of shop (a critical finding and a
// silence), one resolved incident of shop and one open incident of blog.
func seedIncidents(t *testing.T) string {
	return seedStore(t, func(ctx context.Context, s store.Store) {
		inc := func(site, key, kind, status string, sev finding.Severity, msg string, at time.Duration) store.Incident {
			return store.Incident{Site: site, Key: key, Kind: kind, Status: status, Target: "https://" + site + ".example/checkout",
				Detector: "check", Finding: finding.Finding{Severity: sev, Kind: "honey.card-exfiltration", Message: msg},
				Opened: storeT0.Add(at), LastSeen: storeT0.Add(at), Announced: storeT0.Add(at)}
		}
		if err := s.SaveIncidents(ctx, []store.Incident{
			inc("shop", "k-card", store.IncidentFinding, store.IncidentOpen, finding.Critical, "the test card left for https://evil.example", 0),
			inc("shop", "k-silence", store.IncidentSilence, store.IncidentOpen, finding.High, "3 checks in a row incomplete", time.Minute),
			inc("shop", "k-old", store.IncidentFinding, store.IncidentResolved, finding.High, "an old script", -time.Hour),
			inc("blog", "k-blog", store.IncidentFinding, store.IncidentOpen, finding.Medium, "a new script origin", 0),
		}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAlertsCommand(t *testing.T) {
	t.Run("list shows the site's open incidents with their keys, not resolved ones or another site's", func(t *testing.T) {
		out, err := runStoreCLI(t, "alerts", "list", "--store", seedIncidents(t), "--site", "shop")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"k-card", "critical", "the test card left for https://evil.example", "k-silence", "silence"} {
			if !strings.Contains(out, want) {
				t.Errorf("list does not show %q:\n%s", want, out)
			}
		}
		for _, not := range []string{"k-old", "k-blog"} {
			if strings.Contains(out, not) {
				t.Errorf("list shows %q:\n%s", not, out)
			}
		}
	})
	t.Run("list as json gives the incidents' keys", func(t *testing.T) {
		out, err := runStoreCLI(t, "alerts", "list", "--store", seedIncidents(t), "--site", "shop", "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Incidents []store.Incident }
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		var keys []string
		for _, inc := range got.Incidents {
			keys = append(keys, inc.Key)
		}
		if strings.Join(keys, ",") != "k-card,k-silence" {
			t.Errorf("keys = %v, want k-card, k-silence", keys)
		}
	})
	t.Run("list of a site with no open incident says so", func(t *testing.T) {
		out, err := runStoreCLI(t, "alerts", "list", "--store", seedIncidents(t), "--site", "nowhere")
		if err != nil || strings.TrimSpace(out) != "No open incidents." {
			t.Errorf("out %q, err %v", out, err)
		}
	})
	t.Run("ack records who acknowledged the incident, and list shows it", func(t *testing.T) {
		dsn := seedIncidents(t)
		before := time.Now()
		out, err := runStoreCLI(t, "alerts", "ack", "--store", dsn, "--site", "shop", "--by", "alice", "k-card")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "Acknowledged k-card of shop by alice") {
			t.Errorf("out = %q", out)
		}
		s, err := open.Open(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		incs, err := s.Incidents(t.Context(), store.IncidentQuery{Site: "shop", Key: "k-card"})
		if err != nil || len(incs) != 1 {
			t.Fatalf("incidents %+v, err %v", incs, err)
		}
		if incs[0].AckBy != "alice" || incs[0].Acknowledged.Before(before.Add(-time.Second)) {
			t.Errorf("acknowledged %s by %q, want now by alice", incs[0].Acknowledged, incs[0].AckBy)
		}
		other, err := s.Incidents(t.Context(), store.IncidentQuery{Site: "shop", Key: "k-silence"})
		if err != nil || len(other) != 1 || !other[0].Acknowledged.IsZero() {
			t.Errorf("the other incident changed: %+v, err %v", other, err)
		}
		events, err := s.Events(t.Context(), store.EventQuery{Site: "shop", Type: "alert.acknowledged"})
		if err != nil || len(events) != 1 || events[0].Actor != "alice" || string(events[0].Data) != `{"key":"k-card"}` {
			t.Errorf("event log: %+v (err %v), want one alert.acknowledged by alice of k-card", events, err)
		}
		out, err = runStoreCLI(t, "alerts", "list", "--store", dsn, "--site", "shop")
		if err != nil || !strings.Contains(out, "by alice") {
			t.Errorf("list after ack: %s (err %v), want it to say by alice", out, err)
		}
	})
	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"ack of a key the site does not have exits 2 and points at list", []string{"ack", "--site", "shop", "--by", "alice", "k-blog"}, "site shop has no incident k-blog"},
		{"ack without --by exits 2", []string{"ack", "--site", "shop", "k-card"}, "--site and --by are required"},
		{"ack without a key exits 2", []string{"ack", "--site", "shop", "--by", "alice"}, "accepts 1 arg"},
		{"list without --site exits 2", []string{"list"}, "--site is required"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runStoreCLI(t, append(append([]string{"alerts"}, tt.args...), "--store", seedIncidents(t))...)
			if code := storeExitCode(err); code != 2 {
				t.Errorf("exit %d (%v), want 2", code, err)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}
