package incident

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/postgres"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

// benchOrders is how many orders the shop's database holds: two years of
// a busy shop, about 1,370 a day.
const benchOrders = 1_000_000

// benchShop fills the shop's EC-CUBE 4 tables with benchOrders orders one
// minute apart from t0 (in SQL, so setting up is not what is measured),
// and 50,000 members.
func benchShop(b *testing.B, db *sql.DB, dialect string) {
	b.Helper()
	ts, gen := "TEXT", ""
	switch dialect {
	case "sqlite":
		gen = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
			INSERT INTO dtb_order SELECT x, strftime('%%Y-%%m-%%d %%H:%%M:%%S', '2020-12-01', '+' || (x * 63) || ' seconds'), CASE WHEN x %% 3 = 0 THEN x %% 50000 END,
			'c' || (x %% 400000) || '@example.com', 'Hanako', 'Sato' FROM c`
	case "postgres":
		ts = "TIMESTAMP"
		gen = `INSERT INTO dtb_order SELECT x, TIMESTAMP '2020-12-01' + x * INTERVAL '63 seconds', CASE WHEN x %% 3 = 0 THEN x %% 50000 END,
			'c' || (x %% 400000) || '@example.com', 'Hanako', 'Sato' FROM generate_series(1, %d) x`
	}
	for _, s := range []string{
		"CREATE TABLE dtb_order (id INT PRIMARY KEY, order_date " + ts + " NULL, customer_id INT NULL, email VARCHAR(255), name01 VARCHAR(255), name02 VARCHAR(255))",
		"CREATE TABLE dtb_customer (id INT PRIMARY KEY, create_date " + ts + ", email VARCHAR(255), name01 VARCHAR(255), name02 VARCHAR(255))",
		fmt.Sprintf(gen, benchOrders),
	} {
		if _, err := db.Exec(s); err != nil {
			b.Fatalf("%.80s: %v", s, err)
		}
	}
}

// benchRecord files four weeks of checks every 15 minutes of a payment page
// tampered for two of them, and the finding.
func benchRecord(b *testing.B, st store.Store) string {
	b.Helper()
	ctx := context.Background()
	every := 15 * time.Minute
	on, off := t0.Add(7*24*time.Hour+17*time.Minute), t0.Add(21*24*time.Hour+5*time.Minute)
	var key string
	for at := t0; at.Before(t0.Add(28 * 24 * time.Hour)); at = at.Add(every) {
		o := &observation.Observation{Target: payPage, Complete: true, StartedAt: at,
			Scripts: []observation.Script{{URL: shop + "/js/app.js", Kind: observation.ScriptExternal, SHA256: benignJS}}}
		dirty := !at.Before(on) && at.Before(off)
		if dirty {
			o.Scripts = append(o.Scripts, observation.Script{URL: shop + "/js/jquery.min.js", Kind: observation.ScriptExternal, SHA256: evilJS})
		}
		evs := checkrun.Events("bench", &finding.Report{Command: "check", Complete: true}, []*observation.Observation{o})
		evs[0].Site, evs[0].Time = "shop", at
		if _, err := st.AppendEvent(ctx, evs[0]); err != nil {
			b.Fatal(err)
		}
		if dirty && key == "" {
			key = exfilFinding(b, st, payPage, at, "card-number", "expiry", "cvv", "holder")
		}
	}
	return key
}

// benchOpen is what `skimwatch incident open --orders-db` does: open the
// incident from the record, read every order read-only, sort them, save.
func benchOpen(b *testing.B, st store.Store, key, dsn string) *Incident {
	ctx := context.Background()
	inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}})
	if err != nil {
		b.Fatal(err)
	}
	sc := NewScope(inc)
	n, err := ReadOrdersDB(ctx, DBSource{DSN: dsn, Preset: "eccube4"}, sc.Add)
	if err != nil {
		b.Fatal(err)
	}
	sc.Finish()
	if n != benchOrders+0 || inc.Counts.Orders == 0 {
		b.Fatalf("read %d rows, %d affected", n, inc.Counts.Orders)
	}
	if err := Save(ctx, st, inc, "bench"); err != nil {
		b.Fatal(err)
	}
	return inc
}

func BenchmarkOpenToAffectedList(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		dir := b.TempDir()
		st := openStore(b)
		key := benchRecord(b, st)
		path := filepath.Join(dir, "shop.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			b.Fatal(err)
		}
		benchShop(b, db, "sqlite")
		db.Close()
		var inc *Incident
		for b.Loop() {
			inc = benchOpen(b, st, key, "sqlite:"+path)
		}
		b.ReportMetric(float64(inc.Counts.Orders), "affected")
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := os.Getenv(storetest.EnvPostgres)
		if dsn == "" {
			b.Skip("$" + storetest.EnvPostgres + " is not set")
		}
		ctx := context.Background()
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		schema := fmt.Sprintf("incident_bench_%d", time.Now().UnixNano())
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			b.Fatal(err)
		}
		defer admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		sdsn := dsn + sep + "search_path=" + schema
		st, err := postgres.Open(ctx, sdsn, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		key := benchRecord(b, st)
		db, err := sql.Open("pgx", sdsn)
		if err != nil {
			b.Fatal(err)
		}
		benchShop(b, db, "postgres")
		db.Close()
		var inc *Incident
		for b.Loop() {
			inc = benchOpen(b, st, key, sdsn)
		}
		b.ReportMetric(float64(inc.Counts.Orders), "affected")
	})
}
