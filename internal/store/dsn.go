package store

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// EnvStore names the environment variable that holds the default store DSN.
const EnvStore = "SKIMWATCH_STORE"

// Backend names a store implementation.
type Backend string

const (
	BackendSQLite   Backend = "sqlite"
	BackendPostgres Backend = "postgres"
)

// DSN is a parsed store address.
type DSN struct {
	Backend Backend
	// Path is the SQLite database file, or ":memory:" for a private
	// in-memory database.
	Path string
	// URL is the PostgreSQL connection string, passed to pgx unchanged.
	URL string
}

// Memory is the SQLite path of an in-memory database.
const Memory = ":memory:"

// ParseDSN reads a store address:
//
//	sqlite://relative/or/abs/path.db   sqlite:///abs/path.db   sqlite::memory:
//	postgres://user@host:port/db?...   postgresql://...
//
// Anything else is an error that says what is accepted. The password of a
// PostgreSQL URL never appears in an error.
func ParseDSN(dsn string) (DSN, error) {
	dsn = strings.TrimSpace(dsn)
	const accepted = `want sqlite://PATH, sqlite::memory: or postgres://...`
	switch {
	case dsn == "":
		return DSN{}, fmt.Errorf("%w: empty store DSN (%s)", ErrInvalid, accepted)
	case dsn == "sqlite::memory:" || dsn == "sqlite://:memory:":
		return DSN{Backend: BackendSQLite, Path: Memory}, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		p := strings.TrimPrefix(dsn, "sqlite://")
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			return DSN{}, fmt.Errorf("%w: sqlite DSN takes no query or fragment: %q", ErrInvalid, dsn)
		}
		if p == "" || strings.HasSuffix(p, "/") {
			return DSN{}, fmt.Errorf("%w: sqlite DSN %q names no file (%s)", ErrInvalid, dsn, accepted)
		}
		if strings.ContainsRune(p, 0) {
			return DSN{}, fmt.Errorf("%w: sqlite DSN contains a NUL byte", ErrInvalid)
		}
		p = filepath.Clean(p)
		if strings.TrimSpace(p) != p {
			return DSN{}, fmt.Errorf("%w: sqlite DSN %q: path begins or ends with space", ErrInvalid, dsn)
		}
		if p == "." || p == "/" || filepath.Base(p) == ".." {
			return DSN{}, fmt.Errorf("%w: sqlite DSN %q names a directory, not a file (%s)", ErrInvalid, dsn, accepted)
		}
		return DSN{Backend: BackendSQLite, Path: p}, nil
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return DSN{}, fmt.Errorf("%w: postgres DSN does not parse as a URL (%s)", ErrInvalid, accepted)
		}
		if u.Host == "" {
			return DSN{}, fmt.Errorf("%w: postgres DSN %q names no host", ErrInvalid, u.Redacted())
		}
		return DSN{Backend: BackendPostgres, URL: dsn}, nil
	}
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok || strings.ContainsAny(scheme, "/@") {
		scheme = ""
	}
	return DSN{}, fmt.Errorf("%w: unknown store scheme %q (%s)", ErrInvalid, scheme, accepted)
}

// Redacted returns the DSN with any password replaced, for logs and errors.
func (d DSN) Redacted() string {
	switch d.Backend {
	case BackendSQLite:
		if d.Path == Memory {
			return "sqlite::memory:"
		}
		return "sqlite://" + d.Path
	case BackendPostgres:
		if u, err := url.Parse(d.URL); err == nil {
			return u.Redacted()
		}
		return "postgres://(unparsable)"
	}
	return ""
}

// DefaultDSN is the embedded SQLite database under $XDG_DATA_HOME (or
// ~/.local/share)/skimwatch/skimwatch.db. It is pure: the SQLite backend
// creates the directory (mode 0700) when it opens the file.
func DefaultDSN() string {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			home = "."
		}
		base = filepath.Join(home, ".local", "share")
	}
	return "sqlite://" + filepath.Join(base, "skimwatch", "skimwatch.db")
}

// DSNFromEnv returns flag when set, else $SKIMWATCH_STORE when set, else
// DefaultDSN().
func DSNFromEnv(flag string) string {
	if s := strings.TrimSpace(flag); s != "" {
		return s
	}
	if s := strings.TrimSpace(os.Getenv(EnvStore)); s != "" {
		return s
	}
	return DefaultDSN()
}
