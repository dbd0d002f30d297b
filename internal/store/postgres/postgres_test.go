package postgres_test

import (
	"testing"

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
