package scan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/skimwatch/skimwatch/internal/finding"
)

// Defaults for DBOptions fields left at zero.
const (
	DefaultMaxRows          = 100_000
	DefaultStatementTimeout = 60 * time.Second
)

// DBOptions says which rows to scan. Skimmers live in CMS blocks, page
// builder content and configuration rows (footer scripts, custom HTML) as
// often as in files.
type DBOptions struct {
	// DSN names the database:
	//   postgres://user@host:5432/db?sslmode=disable  (also postgresql://)
	//   mysql://user:pass@tcp(host:3306)/db           (MySQL and MariaDB)
	//   sqlite:///var/lib/shop.db or sqlite:relative/path.db
	DSN string
	// Query selects the rows. Its first column names the row in findings;
	// every text or binary column is scanned.
	Query string
	// Label names the rows in findings (default: the first table after FROM).
	Label string
	// MaxRows stops the scan after this many rows; more rows make the report
	// incomplete (default DefaultMaxRows).
	MaxRows int
	// StatementTimeout limits the query on the server and the whole read
	// (default DefaultStatementTimeout).
	StatementTimeout time.Duration
}

// Database kinds a DSN can name.
const (
	DBPostgres = "postgres"
	DBMySQL    = "mysql"
	DBSQLite   = "sqlite"
)

// ErrDSN is wrapped by every DSN parsing error.
var ErrDSN = errors.New("invalid database DSN")

// ParseDSN returns the database kind, the database/sql driver name and the
// driver's own DSN. The driver DSN is made read-only where the driver allows
// it (SQLite mode=ro and query_only).
func ParseDSN(dsn string) (kind, driver, driverDSN string, err error) {
	scheme, rest, ok := strings.Cut(dsn, ":")
	if !ok || rest == "" {
		return "", "", "", fmt.Errorf("%w %q: want postgres://, mysql:// or sqlite: followed by the address", ErrDSN, redactDSN(dsn))
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		if _, err := url.Parse(dsn); err != nil {
			return "", "", "", fmt.Errorf("%w %q: %v", ErrDSN, redactDSN(dsn), err)
		}
		return DBPostgres, "pgx", dsn, nil
	case "mysql", "mariadb":
		raw := strings.TrimPrefix(rest, "//")
		cfg, err := mysql.ParseDSN(raw)
		if err != nil {
			return "", "", "", fmt.Errorf("%w %q: %v (want mysql://user:pass@tcp(host:3306)/db)", ErrDSN, redactDSN(dsn), err)
		}
		// Text columns come back as bytes either way; this keeps times readable.
		cfg.ParseTime = false
		return DBMySQL, "mysql", cfg.FormatDSN(), nil
	case "sqlite", "sqlite3", "file":
		path := rest
		if strings.HasPrefix(path, "//") {
			path = strings.TrimPrefix(path, "//")
		}
		path, query, _ := strings.Cut(path, "?")
		if path == "" {
			return "", "", "", fmt.Errorf("%w %q: no database file", ErrDSN, dsn)
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", "", "", fmt.Errorf("%w %q: %v", ErrDSN, dsn, err)
		}
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "busy_timeout(5000)")
		return DBSQLite, "sqlite", "file:" + path + "?" + q.Encode(), nil
	}
	return "", "", "", fmt.Errorf("%w %q: unknown scheme %q (want postgres, mysql or sqlite)", ErrDSN, redactDSN(dsn), scheme)
}

var dsnPassword = regexp.MustCompile(`(://[^:/@]*:)[^@]*@`)

// redactDSN hides a password in a DSN before it is shown.
func redactDSN(dsn string) string { return dsnPassword.ReplaceAllString(dsn, "${1}***@") }

var fromTable = regexp.MustCompile(`(?is)\bfrom\s+([A-Za-z0-9_."` + "`" + `]+)`)

func labelFor(query string) string {
	if m := fromTable.FindStringSubmatch(query); m != nil {
		return strings.Trim(m[1], "\"`")
	}
	return "query"
}

// ScanDB runs one read-only query and scans every text and binary value of
// every row. Findings are named db:<label>#row=<first column>&column=<name>.
// A database that cannot be reached or a query that fails is an error; a
// read cut short (row cap, timeout) makes the report incomplete.
func (s *Scanner) ScanDB(ctx context.Context, o DBOptions) (*finding.Report, error) {
	if strings.TrimSpace(o.Query) == "" {
		return nil, errors.New("no query: --db needs --query")
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.Label == "" {
		o.Label = labelFor(o.Query)
	}
	kind, driver, driverDSN, err := ParseDSN(o.DSN)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, driverDSN)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", redactDSN(o.DSN), err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	qctx, cancel := context.WithTimeout(ctx, o.StatementTimeout)
	defer cancel()
	// Read-only on the server where the database supports it: a query that
	// tries to write fails instead of changing the shop's data.
	tx, err := db.BeginTx(qctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("connecting to %s database %s: %w", kind, redactDSN(o.DSN), err)
	}
	defer tx.Rollback()
	// The client deadline decides; the server's limit, a little later, is
	// the backstop should this process die. (MariaDB ends an interrupted
	// SLEEP with a normal result, so the server must not win the race.)
	if err := setStatementTimeout(qctx, tx, kind, o.StatementTimeout+2*time.Second); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(qctx, o.Query)
	if err != nil {
		if qctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return nil, fmt.Errorf("query failed: it ran past the %s statement timeout: %w", o.StatementTimeout, err)
		}
		return nil, fmt.Errorf("query failed: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("reading columns: %w", err)
	}

	r := s.newRun([]string{"db:" + o.Label})
	jobs := make(chan Blob)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() {
			for b := range jobs {
				s.scanBlob(ctx, r, b)
			}
		})
	}
	n, readErr := s.feedRows(qctx, rows, cols, o, jobs)
	close(jobs)
	wg.Wait()
	switch {
	case readErr != nil && qctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		r.incomplete(fmt.Sprintf("db:%s: the query ran past the %s statement timeout after %d rows", o.Label, o.StatementTimeout, n))
	case readErr != nil:
		r.incomplete(fmt.Sprintf("db:%s: reading rows failed after %d rows: %v", o.Label, n, readErr))
	}
	rep := s.finish(ctx, r)
	rep.Details["rows_scanned"] = n
	rep.Details["database"] = kind
	return rep, nil
}

func setStatementTimeout(ctx context.Context, tx *sql.Tx, kind string, d time.Duration) error {
	var stmt string
	switch kind {
	case DBPostgres:
		stmt = fmt.Sprintf("SET LOCAL statement_timeout = %d", d.Milliseconds())
	case DBMySQL:
		// MariaDB and MySQL name it differently; try MariaDB's first.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %g", d.Seconds())); err == nil {
			return nil
		}
		stmt = fmt.Sprintf("SET SESSION MAX_EXECUTION_TIME = %d", d.Milliseconds())
	default:
		return nil // SQLite: the context deadline interrupts the query
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("setting the statement timeout: %w", err)
	}
	return nil
}

// feedRows turns each text or binary value into a blob.
func (s *Scanner) feedRows(ctx context.Context, rows *sql.Rows, cols []string, o DBOptions, jobs chan<- Blob) (int, error) {
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if n >= o.MaxRows {
			return n, fmt.Errorf("stopped at the %d-row limit; more rows were left unscanned", o.MaxRows)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
		id := valueString(vals[0])
		if id == "" {
			id = strconv.Itoa(n)
		}
		for i, v := range vals {
			var data []byte
			switch v := v.(type) {
			case string:
				data = []byte(v)
			case []byte:
				data = append([]byte(nil), v...)
			default:
				continue // numbers, times and NULLs cannot hold code
			}
			b := Blob{Name: fmt.Sprintf("db:%s#row=%s&column=%s", o.Label, id, cols[i]), Data: data}
			select {
			case jobs <- b:
			case <-ctx.Done():
				return n, ctx.Err()
			}
		}
	}
	return n, rows.Err()
}

func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}
