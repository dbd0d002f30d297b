package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// seedIncident files checks of a payment page every 15 minutes from
// storeT0, tampered from check 4 to check 8, and the finding the first
// tampered check raised. It returns the store DSN and the finding key.
func seedIncident(t *testing.T) (string, string) {
	const page = "https://shop.example/checkout"
	var key string
	dsn := seedStore(t, func(ctx context.Context, s store.Store) {
		for i := range 12 {
			at := storeT0.Add(time.Duration(i) * 15 * time.Minute)
			o := &observation.Observation{Target: page, Complete: true, StartedAt: at,
				Scripts: []observation.Script{{URL: "https://shop.example/app.js", Kind: observation.ScriptExternal, SHA256: strings.Repeat("1", 64)}}}
			if i >= 4 && i <= 8 {
				o.Scripts = append(o.Scripts, observation.Script{URL: "https://shop.example/jquery.js", Kind: observation.ScriptExternal, SHA256: strings.Repeat("e", 64)})
			}
			evs := checkrun.Events("test", &finding.Report{Command: "check", Complete: true}, []*observation.Observation{o})
			evs[0].Time = at
			var fs []finding.Finding
			if i == 4 {
				fs = []finding.Finding{{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", URL: page, Time: at, Message: "card sent to evil.example",
					Evidence: map[string]any{"destination_origin": "https://evil.example", "script": "https://shop.example/jquery.js", "values": []any{"card-number", "cvv"}}}}
			}
			if err := record.Put(ctx, s, "shop", fs, nil, evs); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Findings(ctx, store.FindingQuery{Site: "shop"})
		if err != nil || len(got) != 1 {
			t.Fatal(got, err)
		}
		key = got[0].Key
	})
	return dsn, key
}

func TestIncidentCommands(t *testing.T) {
	dsn, key := seedIncident(t)
	dir := t.TempDir()
	orders := filepath.Join(dir, "orders.csv")
	// Order times in JST, as a Japanese shop exports them (21:00 JST is
	// 12:00 UTC). The start lies in (12:45, 12:50], the end in [14:00,
	// 14:15): A1 before, A2 in the start's band, A3 and A4 inside, A6 in
	// the end's band, A5 after.
	if err := os.WriteFile(orders, []byte("No,Date,Mail\n"+
		"A1,2026-03-01 21:10:00,early@example.com\n"+
		"A2,2026-03-01 21:48:00,between@example.com\n"+
		"A3,2026-03-01 22:15:00,x@example.com\n"+
		"A4,2026-03-01 23:00:00,X@Example.com\n"+
		"A5,2026-03-01 23:30:00,late@example.com\n"+
		"A6,2026-03-01 23:10:00,ending@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`203.0.113.5 - - [01/Mar/2026:12:50:00 +0000] "GET /jquery.js HTTP/1.1" 200 900 "https://shop.example/checkout" "Mozilla/5.0"` + "\n"))
	zw.Close()
	accessLog := filepath.Join(dir, "access.log.1.gz")
	os.WriteFile(accessLog, gz.Bytes(), 0o600)

	out, err := runStoreCLI(t, "incident", "open", "--store", dsn, "--site", "shop", "--finding", key, "--orders-csv", orders,
		"--col-id", "No", "--col-time", "Date", "--col-email", "Mail", "--tz", "Asia/Tokyo", "--access-log", accessLog, "--format", "json")
	if err != nil {
		t.Fatalf("open: %v\n%s", err, out)
	}
	var inc incident.Incident
	if err := json.Unmarshal([]byte(out), &inc); err != nil {
		t.Fatal(err)
	}
	t.Run("open scopes the window, narrowed by the gzip access log", func(t *testing.T) {
		s := inc.Window.Start
		if !s.After.Equal(storeT0.Add(45*time.Minute)) || !s.NoLaterThan.Equal(storeT0.Add(50*time.Minute)) || s.NoLaterThanSource != incident.SourceAccessLog {
			t.Errorf("start = %s", s.StartText())
		}
	})
	t.Run("open lists the affected orders from the CSV, customers deduplicated by e-mail", func(t *testing.T) {
		var ids []string
		for _, a := range inc.Affected {
			ids = append(ids, a.ID)
		}
		if strings.Join(ids, ",") != "A3,A4" || inc.Counts.Customers != 1 || inc.Counts.PossiblyAffected != 2 || inc.PossiblyAffected[0].ID != "A2" || inc.PossiblyAffected[1].ID != "A6" {
			t.Errorf("affected %v, counts %+v, possibly %+v", ids, inc.Counts, inc.PossiblyAffected)
		}
	})
	t.Run("show prints the window in words", func(t *testing.T) {
		out, err := runStoreCLI(t, "incident", "show", "--store", dsn, inc.ID)
		if err != nil || !strings.Contains(out, "Exposure started after 2026-03-01 12:45:00Z (check) and no later than 2026-03-01 12:50:00Z (access-log)") {
			t.Errorf("show: %v\n%s", err, out)
		}
	})
	t.Run("list names its columns and the incident", func(t *testing.T) {
		out, err := runStoreCLI(t, "incident", "list", "--store", dsn)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if err != nil || len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "ID OPENED SITE FINDING" ||
			!strings.HasPrefix(lines[1], inc.ID) || !strings.Contains(lines[1], "shop") || !strings.Contains(lines[1], key) {
			t.Errorf("list: %v\n%s", err, out)
		}
	})
	t.Run("affected writes CSV with the possibly affected marked", func(t *testing.T) {
		out, err := runStoreCLI(t, "incident", "affected", "--store", dsn, "--format", "csv", inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) != 5 || recs[1][0] != "affected" || recs[1][2] != "A3" || recs[3][0] != "possibly affected" || recs[3][2] != "A2" || recs[4][2] != "A6" {
			t.Errorf("csv = %q, %v", recs, err)
		}
	})
	t.Run("verify passes on the intact log with exit 0", func(t *testing.T) {
		out, err := runStoreCLI(t, "incident", "verify", "--store", dsn, inc.ID)
		if err != nil || !strings.Contains(out, "rest on evidence outside the log") {
			t.Errorf("verify: %v\n%s", err, out)
		}
	})
	t.Run("verify fails with exit 1 once a cited event is rewritten", func(t *testing.T) {
		s, err := open.Open(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		seq := inc.Window.Start.Evidence[1].EventSeq
		if err := s.(interface {
			Exec(context.Context, string, ...any) error
		}).Exec(t.Context(), "UPDATE events SET data = replace(data, 'eeee', 'ffff') WHERE seq = ?", seq); err != nil {
			t.Fatal(err)
		}
		s.Close()
		out, err := runStoreCLI(t, "incident", "verify", "--store", dsn, inc.ID)
		if storeExitCode(err) != finding.ExitFindings || !strings.Contains(out, "broken") {
			t.Errorf("verify after rewrite: exit %d, %v\n%s", storeExitCode(err), err, out)
		}
	})
	t.Run("open reads orders read-only from the shop's database with a preset", func(t *testing.T) {
		path := filepath.Join(dir, "eccube.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"CREATE TABLE dtb_order (id INT PRIMARY KEY, order_date TEXT, customer_id INT, email TEXT, name01 TEXT, name02 TEXT)",
			"CREATE TABLE dtb_customer (id INT PRIMARY KEY, create_date TEXT, email TEXT, name01 TEXT, name02 TEXT)",
			"INSERT INTO dtb_order VALUES (1, '2026-03-01 22:15:00', 7, 'a@example.jp', 'Hanako', 'Yamada'), (2, '2026-03-01 20:00:00', NULL, 'b@example.jp', 'Taro', 'Sato')",
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		dsn2, key2 := seedIncident(t)
		out, err := runStoreCLI(t, "incident", "open", "--store", dsn2, "--site", "shop", "--finding", key2,
			"--orders-db", "sqlite:"+path, "--preset", "eccube4", "--tz", "Asia/Tokyo", "--format", "json")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var got incident.Incident
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Affected) != 1 || got.Affected[0].ID != "1" || got.Affected[0].Name != "Hanako Yamada" || got.OrdersSource != "shop database (eccube4)" {
			t.Errorf("affected %+v from %q", got.Affected, got.OrdersSource)
		}
	})
	t.Run("--orders-db without a preset or a query is a usage error", func(t *testing.T) {
		_, err := runStoreCLI(t, "incident", "open", "--store", dsn, "--site", "shop", "--finding", key, "--orders-db", "sqlite:/nonexistent")
		if storeExitCode(err) != finding.ExitIncomplete {
			t.Errorf("exit %d, want 2", storeExitCode(err))
		}
	})
	t.Run("open without a finding or a time is a usage error", func(t *testing.T) {
		_, err := runStoreCLI(t, "incident", "open", "--store", dsn, "--site", "shop")
		if storeExitCode(err) != finding.ExitIncomplete {
			t.Errorf("exit %d, want 2", storeExitCode(err))
		}
	})
}
