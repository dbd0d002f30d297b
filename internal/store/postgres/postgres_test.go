package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/postgres"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

func newStore(t testing.TB) store.Store {
	db, err := postgres.Open(t.Context(), storetest.PostgresDSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after PostgresDSN's cleanup, so it runs before the schema
	// is dropped.
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSuite(t *testing.T)          { storetest.Run(t, newStore) }
func BenchmarkMerge100(b *testing.B)  { storetest.BenchmarkMerge(b, newStore, 100) }
func BenchmarkMerge1000(b *testing.B) { storetest.BenchmarkMerge(b, newStore, 1000) }

func TestTwoPoolsOnOneDatabase(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	var dbs []store.Store
	for range 2 {
		db, err := postgres.Open(t.Context(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	storetest.RunTwoWriters(t, dbs[0], dbs[1])
}

func TestMigrations(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	db, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Run("reopening applies nothing twice and keeps data", func(t *testing.T) {
		if _, err := db.AppendEvent(t.Context(), store.Event{Type: "t"}); err != nil {
			t.Fatal(err)
		}
		again, err := postgres.Open(t.Context(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if n, err := again.VerifyEvents(t.Context()); n != 1 || err != nil {
			t.Fatalf("n=%d err=%v", n, err)
		}
	})
	t.Run("a schema newer than this build is refused", func(t *testing.T) {
		if err := db.Exec(t.Context(), "INSERT INTO schema_version (version, applied) VALUES (9999, now())"); err != nil {
			t.Fatal(err)
		}
		if _, err := postgres.Open(t.Context(), dsn, postgres.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestClocked(t *testing.T) {
	storetest.RunClocked(t, func(t testing.TB, now func() time.Time) store.Store {
		db, err := postgres.Open(t.Context(), storetest.PostgresDSN(t), postgres.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
