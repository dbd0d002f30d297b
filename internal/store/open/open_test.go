package open_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

func TestOpen(t *testing.T) {
	t.Run("a sqlite file DSN creates its directory private and keeps data across opens", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "skimwatch")
		dsn := "sqlite://" + filepath.Join(dir, "s.db")
		s, err := open.Open(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendEvent(t.Context(), store.Event{Type: "t", Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
		// The WAL exists while the store is open and takes the file's mode.
		checkMode(t, filepath.Join(dir, "s.db-wal"), 0o600)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
		checkMode(t, filepath.Join(dir, "s.db"), 0o600)
		// Reopening re-runs migrations, which must be a no-op.
		s, err = open.Open(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if n, err := s.VerifyEvents(t.Context()); err != nil || n != 1 {
			t.Fatalf("after reopen: n=%d err=%v", n, err)
		}
	})
	t.Run("an in-memory sqlite DSN opens", func(t *testing.T) {
		s, err := open.Open(t.Context(), "sqlite::memory:", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unknown scheme is a clear error", func(t *testing.T) {
		_, err := open.Open(t.Context(), "mysql://root@localhost/db", nil)
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), `"mysql"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a postgres DSN opens the postgres backend", func(t *testing.T) {
		s, err := open.Open(t.Context(), storetest.PostgresDSN(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unreachable postgres server fails without showing the password", func(t *testing.T) {
		if testing.Short() {
			t.Skip("dials a closed local port")
		}
		_, err := open.Open(t.Context(), "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2", nil)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("err = %v", err)
		}
	})
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
	}
}
