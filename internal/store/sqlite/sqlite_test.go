package sqlite_test

import (
	"path/filepath"
	"testing"

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

func TestSuiteOnAFile(t *testing.T)   { storetest.Run(t, newFile) }
func TestSuiteInMemory(t *testing.T)  { storetest.Run(t, newMemory) }
func BenchmarkMerge100(b *testing.B)  { storetest.BenchmarkMerge(b, newFile, 100) }
func BenchmarkMerge1000(b *testing.B) { storetest.BenchmarkMerge(b, newFile, 1000) }
