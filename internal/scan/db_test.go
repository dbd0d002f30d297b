package scan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// cmsRows are the rows every database test loads: one skimmer hidden in a
// CMS block, one harmless block, and a configuration row.
func cmsRows(t *testing.T) [][2]string {
	return [][2]string{
		{"footer_scripts", string(readSample(t, "js_card_field_harvest", "positive.js"))},
		{"newsletter", string(readSample(t, "js_card_field_harvest", "benign.js"))},
		{"design/head/includes", "<script src=\"/static/app.js\"></script>"},
	}
}

// checkDBReport asserts the findings every database test expects.
func checkDBReport(t *testing.T, rep *finding.Report, label string) {
	t.Helper()
	if !rep.Complete {
		t.Errorf("incomplete: %v", rep.Incomplete)
	}
	want := "db:" + label + "#row=1&column=content"
	if len(rep.Findings) != 1 || rep.Findings[0].Path != want || rep.Findings[0].Rule != "js_card_field_harvest" {
		t.Fatalf("findings = %+v, want one js_card_field_harvest at %s", rep.Findings, want)
	}
	if rep.Details["rows_scanned"] != 3 {
		t.Errorf("rows_scanned = %v, want 3", rep.Details["rows_scanned"])
	}
}

func dbScanner(t *testing.T) *Scanner {
	t.Helper()
	s, err := newScanner(Options{}, testEngines(t)[0].eng)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScanDBPostgres(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	var missing error
	if dsn == "" {
		missing = errors.New("$" + storetest.EnvPostgres + " is not set (export " + storetest.EnvPostgres + "=$(scripts/postgres.sh))")
	}
	testsupport.Need(t, "PostgreSQL", missing)
	ctx := context.Background()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := fmt.Sprintf("scan_test_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE") })
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+schema+".cms_block (block_id serial PRIMARY KEY, identifier text, content text, updated timestamptz DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	for _, r := range cmsRows(t) {
		if _, err := db.ExecContext(ctx, "INSERT INTO "+schema+".cms_block (identifier, content) VALUES ($1, $2)", r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	s := dbScanner(t)
	table := schema + ".cms_block"

	t.Run("a skimmer in a CMS block is found and named by its row", func(t *testing.T) {
		rep, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "SELECT block_id, identifier, content, updated FROM " + table + " ORDER BY block_id"})
		if err != nil {
			t.Fatal(err)
		}
		checkDBReport(t, rep, table)
	})
	t.Run("a query that writes is refused by the read-only transaction", func(t *testing.T) {
		_, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "DELETE FROM " + table + " RETURNING block_id, content"})
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("err = %v, want a read-only error", err)
		}
		var n int
		db.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
		if n != 3 {
			t.Errorf("rows left = %d, want 3", n)
		}
	})
	t.Run("a slow query is stopped by the statement timeout", func(t *testing.T) {
		_, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "SELECT 1, pg_sleep(5)::text", StatementTimeout: 300 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "statement timeout") {
			t.Errorf("err = %v, want a statement timeout", err)
		}
	})
	t.Run("more rows than the cap make the report incomplete", func(t *testing.T) {
		rep, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "SELECT block_id, content FROM " + table, MaxRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Complete || !hasReason(rep, "2-row limit") {
			t.Errorf("complete=%v reasons=%q", rep.Complete, rep.Incomplete)
		}
	})
}

func TestScanDBSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE core_config_data (config_id INTEGER PRIMARY KEY, path TEXT, content BLOB)"); err != nil {
		t.Fatal(err)
	}
	for _, r := range cmsRows(t) {
		if _, err := db.Exec("INSERT INTO core_config_data (path, content) VALUES (?, ?)", r[0], []byte(r[1])); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := dbScanner(t)

	t.Run("a skimmer in a configuration row is found", func(t *testing.T) {
		rep, err := s.ScanDB(ctx, DBOptions{DSN: "sqlite://" + path, Query: "SELECT config_id, path, content FROM core_config_data"})
		if err != nil {
			t.Fatal(err)
		}
		checkDBReport(t, rep, "core_config_data")
	})
	t.Run("a query that writes is refused", func(t *testing.T) {
		_, err := s.ScanDB(ctx, DBOptions{DSN: "sqlite:" + path, Query: "DELETE FROM core_config_data RETURNING config_id"})
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "readonly") {
			t.Errorf("err = %v, want a read-only error", err)
		}
	})
	t.Run("a missing database file is an error, not a clean scan", func(t *testing.T) {
		_, err := s.ScanDB(ctx, DBOptions{DSN: "sqlite:" + path + ".missing", Query: "SELECT 1"})
		if err == nil {
			t.Error("want an error")
		}
	})
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name, dsn, kind, contains string
		bad                       bool
	}{
		{"a postgres URL goes to pgx unchanged", "postgres://u@127.0.0.1:5432/shop?sslmode=disable", DBPostgres, "postgres://u@127.0.0.1", false},
		{"postgresql is an alias", "postgresql://u@h/db", DBPostgres, "postgresql://", false},
		{"a mysql URL becomes a go-sql-driver DSN", "mysql://u:p@tcp(127.0.0.1:3306)/shop", DBMySQL, "u:p@tcp(127.0.0.1:3306)/shop", false},
		{"an absolute sqlite path is opened read-only", "sqlite:///var/lib/shop.db", DBSQLite, "file:/var/lib/shop.db?", false},
		{"a relative sqlite path is opened read-only", "sqlite:shop.db", DBSQLite, "mode=ro", false},
		{"an unknown scheme is refused", "oracle://x", "", "", true},
		{"a DSN without scheme is refused", "shop.db", "", "", true},
		{"a malformed mysql DSN is refused", "mysql://u:p@tcp(127.0.0.1:3306", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, _, d, err := ParseDSN(tc.dsn)
			if tc.bad {
				if err == nil {
					t.Errorf("want an error, got %s %s", kind, d)
				}
				return
			}
			if err != nil || kind != tc.kind || !strings.Contains(d, tc.contains) {
				t.Errorf("got %q %q %v, want %q containing %q", kind, d, err, tc.kind, tc.contains)
			}
		})
	}
}

func TestRedactDSNHidesPasswords(t *testing.T) {
	if got := redactDSN("postgres://shop:s3cret@db:5432/x"); strings.Contains(got, "s3cret") {
		t.Errorf("got %q", got)
	}
}

func TestScanDBMariaDB(t *testing.T) {
	testsupport.Need(t, "MariaDB", nil) // -short skips before a server starts
	dsn := testsupport.StartMariaDB(t)
	_, _, driverDSN, err := ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE cms_block (block_id INT AUTO_INCREMENT PRIMARY KEY, identifier VARCHAR(255), content MEDIUMTEXT, updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	for _, r := range cmsRows(t) {
		if _, err := db.Exec("INSERT INTO cms_block (identifier, content) VALUES (?, ?)", r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	s := dbScanner(t)
	ctx := context.Background()
	t.Run("a skimmer in a CMS block is found and named by its row", func(t *testing.T) {
		rep, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "SELECT block_id, identifier, content, updated FROM cms_block ORDER BY block_id"})
		if err != nil {
			t.Fatal(err)
		}
		checkDBReport(t, rep, "cms_block")
	})
	t.Run("a query that writes is refused by the read-only transaction", func(t *testing.T) {
		_, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "DELETE FROM cms_block RETURNING block_id"})
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "read only") {
			t.Errorf("err = %v, want a read-only error", err)
		}
	})
	t.Run("a slow query is stopped by the statement timeout", func(t *testing.T) {
		_, err := s.ScanDB(ctx, DBOptions{DSN: dsn, Query: "SELECT 1, SLEEP(5)", StatementTimeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "statement timeout") {
			t.Errorf("err = %v, want a statement timeout", err)
		}
	})
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"postgres://u@h/db", "mysql://u:p@tcp(h:1)/d", "sqlite:a.db", "sqlite:///a.db?x=1", "x", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		kind, driver, d, err := ParseDSN(dsn)
		if err != nil {
			if strings.Contains(err.Error(), "://") && strings.Contains(dsn, ":") {
				// The message may quote the DSN, but never its password.
				if p := passwordOf(dsn); p != "" && len(p) > 3 && strings.Contains(err.Error(), ":"+p+"@") {
					t.Fatalf("error shows the password: %v", err)
				}
			}
			return
		}
		if kind == "" || driver == "" || d == "" {
			t.Fatalf("empty result for %q", dsn)
		}
		if kind == DBSQLite && !strings.Contains(d, "mode=ro") {
			t.Fatalf("sqlite DSN not read-only: %q", d)
		}
	})
}

func passwordOf(dsn string) string {
	m := dsnPassword.FindStringSubmatchIndex(dsn)
	if m == nil {
		return ""
	}
	return dsn[m[3] : m[1]-1]
}
