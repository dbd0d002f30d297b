package sqlite_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

func newFile(t testing.TB) store.Store {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sub", "skimwatch.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newMemory(t testing.TB) store.Store {
	db, err := sqlite.Open(t.Context(), store.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSuiteOnAFile(t *testing.T)  { storetest.Run(t, newFile) }
func TestSuiteInMemory(t *testing.T) { storetest.Run(t, newMemory) }
func BenchmarkMerge100(b *testing.B) { storetest.BenchmarkMerge(b, newFile, 100) }

// The in-memory database is the baseline: the ratio to it is what the file
// (and its write-ahead log) costs.
func BenchmarkMerge1000InMemory(b *testing.B) { storetest.BenchmarkMerge(b, newMemory, 1000) }
func BenchmarkMerge1000(b *testing.B)         { storetest.BenchmarkMerge(b, newFile, 1000) }

func TestTwoHandlesOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var dbs []store.Store
	for range 2 {
		db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	storetest.RunTwoWriters(t, dbs[0], dbs[1])
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("reopening applies nothing twice and keeps data", func(t *testing.T) {
		if _, err := db.AppendEvent(t.Context(), store.Event{Type: "t"}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if db, err = sqlite.Open(t.Context(), path, sqlite.Options{}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.VerifyEvents(t.Context()); n != 1 || err != nil {
			t.Fatalf("n=%d err=%v", n, err)
		}
	})
	t.Run("a schema newer than this build is refused", func(t *testing.T) {
		if err := db.Exec(t.Context(), "INSERT INTO schema_version (version, applied) VALUES (9999, 0)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := sqlite.Open(t.Context(), path, sqlite.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestClocked(t *testing.T) {
	storetest.RunClocked(t, func(t testing.TB, now func() time.Time) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), sqlite.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
