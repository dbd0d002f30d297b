package monitor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
)

func auditConfig(t *testing.T, shops *lab.AuditShops) config.Config {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(ca, shops.CA.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	y := "data_dir: " + t.TempDir() + "\nsites:\n" +
		"  - name: exposed\n    audit: {url: " + shops.ExposedURL() + "/shopping/payment, every: 24h, max_requests: 60, rate: 50}\n" +
		"  - name: hardened\n    audit: {url: " + shops.HardenedURL() + "/shopping/payment, every: 24h, rate: 50, ca_file: " + ca + "}\n"
	cfg, err := config.ParseWith(strings.NewReader(y), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	return cfg
}

func TestJobsScheduleTheConfiguredAudit(t *testing.T) {
	shops, err := lab.StartAuditShops(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shops.Close() })
	cfg := auditConfig(t, shops)
	var got []Job
	for _, j := range Jobs(cfg) {
		if _, ok := j.Args.(AuditArgs); ok {
			got = append(got, j)
		}
	}
	want := []Job{
		{Every: 24 * time.Hour, Args: AuditArgs{Site: "exposed", URL: shops.ExposedURL() + "/shopping/payment", MaxRequests: 60, Rate: 50, Timeout: config.DefaultAuditTimeout}},
		{Every: 24 * time.Hour, Args: AuditArgs{Site: "hardened", URL: shops.HardenedURL() + "/shopping/payment", MaxRequests: config.DefaultAuditMaxRequests, Rate: 50, Timeout: config.DefaultAuditTimeout, CAFile: cfg.Sites[1].Audit.CAFile}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audit jobs\n got: %+v\nwant: %+v", got, want)
	}
}

func TestServiceAuditsTheLabShops(t *testing.T) {
	shops, err := lab.StartAuditShops(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shops.Close() })
	alerts := newRecordingAlerter()
	// No browser: an audit needs none.
	m, st := startMonitor(t, nil, auditConfig(t, shops), alerts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	exposed := alerts.waitFor(t, ctx, "of the exposed shop's audit", func(r RunResult) bool {
		return r.Detector == DetectorAudit && r.Site == "exposed"
	})
	hardened := alerts.waitFor(t, ctx, "of the hardened shop's audit", func(r RunResult) bool {
		return r.Detector == DetectorAudit && r.Site == "hardened"
	})

	t.Run("the exposed shop's run is complete and hands the alerter its exposures", func(t *testing.T) {
		if !exposed.Complete {
			t.Fatalf("incomplete: %v", exposed.Incomplete)
		}
		var kinds []string
		for _, f := range exposed.Findings {
			if f.Severity >= finding.High {
				kinds = append(kinds, f.Kind)
			}
		}
		if want := []string{audit.KindGitExposed, audit.KindGitExposed, audit.KindInstallerExposed}; !reflect.DeepEqual(kinds, want) {
			t.Errorf("findings at high or above %v, want %v", kinds, want)
		}
	})
	t.Run("the hardened shop's run over https, trusting the configured CA, is complete and clean", func(t *testing.T) {
		low := slices.ContainsFunc(hardened.Findings, func(f finding.Finding) bool { return f.Severity >= finding.Low })
		if !hardened.Complete || low {
			t.Errorf("complete %v (%v), findings %+v; want complete with none at low or above", hardened.Complete, hardened.Incomplete, hardened.Findings)
		}
	})
	t.Run("the findings are filed in the store under the site, as audit findings", func(t *testing.T) {
		fs, err := st.Findings(ctx, store.FindingQuery{Site: "exposed"})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != len(exposed.Findings) {
			t.Errorf("%d stored findings, the run had %d", len(fs), len(exposed.Findings))
		}
		if !slices.ContainsFunc(fs, func(f store.StoredFinding) bool {
			return f.Kind == audit.KindGitExposed && f.Source == "audit" && f.URL == shops.ExposedURL()+"/.git/HEAD"
		}) {
			t.Errorf("no stored audit.git-exposed for /.git/HEAD in %+v", fs)
		}
	})
	t.Run("the run is recorded in the event log as an audit by the service", func(t *testing.T) {
		for _, site := range []string{"exposed", "hardened"} {
			evs, err := st.Events(ctx, store.EventQuery{Site: site, Type: "audit"})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				t.Fatalf("no audit event for %s", site)
			}
			var d struct {
				Complete bool     `json:"complete"`
				Targets  []string `json:"targets"`
			}
			if err := json.Unmarshal(evs[0].Data, &d); err != nil {
				t.Fatal(err)
			}
			if evs[0].Actor != "skimwatch serve" || !d.Complete || len(d.Targets) != 1 || !strings.HasSuffix(d.Targets[0], "/shopping/payment") {
				t.Errorf("%s: event actor %q data %s", site, evs[0].Actor, evs[0].Data)
			}
		}
	})
	t.Run("the job's recorded output is the complete run", func(t *testing.T) {
		// The alerter hears of a run just before River marks its job
		// completed.
		for {
			runs, err := m.Runs(ctx, 50)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range runs {
				if r.Kind == (AuditArgs{}).Kind() && r.Complete && r.Result != nil && r.Result.Detector == DetectorAudit {
					n++
				}
			}
			if n == 2 {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%d complete audit runs in the queue, want 2", n)
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}
