package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseDSN(t *testing.T) {
	for _, c := range []struct {
		name, dsn string
		want      DSN
		err       string
	}{
		{"a relative sqlite path is kept relative", "sqlite://data/s.db", DSN{Backend: BackendSQLite, Path: "data/s.db"}, ""},
		{"three slashes give an absolute path", "sqlite:///var/lib/skimwatch/s.db", DSN{Backend: BackendSQLite, Path: "/var/lib/skimwatch/s.db"}, ""},
		{"the memory form is recognised", "sqlite::memory:", DSN{Backend: BackendSQLite, Path: Memory}, ""},
		{"the memory form with slashes is recognised", "sqlite://:memory:", DSN{Backend: BackendSQLite, Path: Memory}, ""},
		{"surrounding space is ignored", "  sqlite://s.db\n", DSN{Backend: BackendSQLite, Path: "s.db"}, ""},
		{"a postgres URL is passed on unchanged", "postgres://u:p@db:5432/sw?sslmode=disable", DSN{Backend: BackendPostgres, URL: "postgres://u:p@db:5432/sw?sslmode=disable"}, ""},
		{"postgresql is the same scheme", "postgresql://db/sw", DSN{Backend: BackendPostgres, URL: "postgresql://db/sw"}, ""},
		{"an empty DSN is refused", "", DSN{}, "empty store DSN"},
		{"a sqlite DSN without a file is refused", "sqlite://", DSN{}, "names no file"},
		{"a sqlite DSN naming a directory is refused", "sqlite:///tmp/", DSN{}, "names no file"},
		{"a sqlite DSN with a query is refused", "sqlite://s.db?mode=ro", DSN{}, "no query"},
		{"a postgres DSN without a host is refused", "postgres:///db", DSN{}, "names no host"},
		{"an unknown scheme names the scheme", "mysql://root@h/db", DSN{}, `unknown store scheme "mysql"`},
		{"a bare path is refused", "/var/lib/s.db", DSN{}, "unknown store scheme"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDSN(c.dsn)
			if c.err != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want ErrInvalid containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseDSNNeverShowsAPassword(t *testing.T) {
	for _, dsn := range []string{"postgres://u:s3cret@/db", "postgres://u:s3cret@h/db", "postgres://u:s3cret@h:bad/db"} {
		d, err := ParseDSN(dsn)
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error shows the password: %v", dsn, err)
		}
		if err == nil && strings.Contains(d.Redacted(), "s3cret") {
			t.Errorf("%q: Redacted shows the password: %s", dsn, d.Redacted())
		}
	}
}

func TestDSNFromEnv(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv(EnvStore, "")
	t.Run("the default lives under XDG_DATA_HOME", func(t *testing.T) {
		if got := DSNFromEnv(""); got != "sqlite:///data/skimwatch/skimwatch.db" {
			t.Fatal(got)
		}
	})
	t.Run("the environment beats the default", func(t *testing.T) {
		t.Setenv(EnvStore, "postgres://db/sw")
		if got := DSNFromEnv(""); got != "postgres://db/sw" {
			t.Fatal(got)
		}
	})
	t.Run("the flag beats the environment", func(t *testing.T) {
		t.Setenv(EnvStore, "postgres://db/sw")
		if got := DSNFromEnv("sqlite::memory:"); got != "sqlite::memory:" {
			t.Fatal(got)
		}
	})
	t.Run("without XDG_DATA_HOME the default is under the home directory", func(t *testing.T) {
		t.Setenv("XDG_DATA_HOME", "")
		t.Setenv("HOME", "/home/u")
		if got := DSNFromEnv(""); got != "sqlite://"+filepath.Join("/home/u", ".local", "share", "skimwatch", "skimwatch.db") {
			t.Fatal(got)
		}
	})
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"sqlite://a.db", "sqlite::memory:", "postgres://u:p@h:1/d?x=y", "postgresql://h", "mysql://x", "", "sqlite://", "sqlite:///", "::", "postgres://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDSN(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		switch d.Backend {
		case BackendSQLite:
			if d.Path == "" || d.URL != "" || strings.ContainsAny(d.Path, "?\x00") {
				t.Fatalf("bad sqlite DSN %+v from %q", d, s)
			}
		case BackendPostgres:
			if d.URL == "" || d.Path != "" {
				t.Fatalf("bad postgres DSN %+v from %q", d, s)
			}
		default:
			t.Fatalf("unknown backend %q from %q", d.Backend, s)
		}
		// A parsed DSN prints back to one that parses to the same place.
		if d.Backend == BackendSQLite && utf8.ValidString(d.Path) {
			again, err := ParseDSN(d.Redacted())
			if err != nil || again != d {
				t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, d, d.Redacted(), again, err)
			}
		}
	})
}
