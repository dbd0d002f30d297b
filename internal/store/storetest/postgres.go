package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// EnvPostgres names the environment variable with the test server's DSN.
const EnvPostgres = "SKIMWATCH_TEST_POSTGRES"

// PostgresDSN returns a DSN for a fresh, empty schema on the test server
// named by $SKIMWATCH_TEST_POSTGRES, dropped when the test ends, so tests are
// independent and repeatable. Without the variable (or under -short) the
// test is skipped, except with CI=true, where a missing server fails it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	var missing error
	if base == "" {
		missing = errors.New("$" + EnvPostgres + " is not set (export " + EnvPostgres + "=$(scripts/postgres.sh))")
	}
	testsupport.Need(t, "PostgreSQL", missing)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("$%s is not a postgres:// URL", EnvPostgres)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "skimwatch_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to $%s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
