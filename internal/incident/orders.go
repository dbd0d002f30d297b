package incident

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/scan"
)

// Order kinds: an order passes through the payment page, a registration
// through the new-member registration page.
const (
	KindOrder        = "order"
	KindRegistration = "registration"
)

// Order is one order or registration as the shop recorded it.
type Order struct {
	ID         string
	Kind       string
	Time       time.Time
	CustomerID string
	Email      string
	Name       string
	// Lang is the customer's language (ja, en ...) where the shop records
	// one, from a locale such as ja_JP; empty when it does not.
	Lang string
}

// LangOf reads a language from a locale or language code as shops store
// them (ja_JP, en-US, ja, EN); anything else (empty, "default", a number)
// is no language.
func LangOf(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(l, "_-."); i >= 0 {
		l = l[:i]
	}
	if len(l) < 2 || len(l) > 3 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") != "" {
		return ""
	}
	return l
}

// ErrOrders is wrapped by every error about order input (a missing column,
// a time that does not parse).
var ErrOrders = errors.New("bad order input")

// Columns maps CSV header names to order fields. ID and Time are required.
type Columns struct {
	ID, Time, Email, Name, Customer, Kind string
	// Lang is the customer's language or locale (ja, en_US ...).
	Lang string
}

// DefaultColumns are the header names used when a flag does not say.
var DefaultColumns = Columns{ID: "id", Time: "time", Email: "email", Name: "name", Customer: "customer_id", Kind: "kind", Lang: "lang"}

// timeLayouts are the ways shops export times, tried in order. A time
// without a zone is read in the shop's zone (OrderSource.Location).
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006/01/02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04"}

// ParseOrderTime reads an order time in one of the usual export layouts, or
// Unix seconds; a time without a zone is in loc.
func ParseOrderTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%w: time %q: want RFC 3339, YYYY-MM-DD hh:mm[:ss] or Unix seconds", ErrOrders, s)
}

// ReadOrdersCSV streams orders from a CSV export with a header row to fn.
// kind is the Kind of rows without a kind column ("order" when empty).
func ReadOrdersCSV(r io.Reader, cols Columns, kind string, loc *time.Location, fn func(Order) error) (int, error) {
	if kind == "" {
		kind = KindOrder
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("%w: CSV header: %v", ErrOrders, err)
	}
	idx := map[string]int{}
	for i, h := range head {
		// A UTF-8 byte-order mark is common in spreadsheet exports.
		idx[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	col := func(name string, required bool) (int, error) {
		if name == "" {
			return -1, nil
		}
		i, ok := idx[strings.ToLower(name)]
		if !ok && required {
			return -1, fmt.Errorf("%w: CSV has no column %q (columns: %s)", ErrOrders, name, strings.Join(head, ", "))
		}
		if !ok {
			return -1, nil
		}
		return i, nil
	}
	var at [7]int
	for i, c := range []struct {
		name     string
		required bool
	}{{cols.ID, true}, {cols.Time, true}, {cols.Email, false}, {cols.Name, false}, {cols.Customer, false}, {cols.Kind, false}, {cols.Lang, false}} {
		if at[i], err = col(c.name, c.required); err != nil {
			return 0, err
		}
	}
	get := func(rec []string, i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("%w: CSV: %v", ErrOrders, err)
		}
		line, _ := cr.FieldPos(0)
		t, err := ParseOrderTime(get(rec, at[1]), loc)
		if err != nil {
			return n, fmt.Errorf("CSV line %d: %w", line, err)
		}
		o := Order{ID: get(rec, at[0]), Time: t, Email: get(rec, at[2]), Name: get(rec, at[3]), CustomerID: get(rec, at[4]), Kind: kind, Lang: LangOf(get(rec, at[6]))}
		if k := strings.ToLower(strings.TrimSpace(get(rec, at[5]))); k != "" {
			o.Kind = k
		}
		if o.ID == "" {
			return n, fmt.Errorf("%w: CSV line %d: empty order ID", ErrOrders, line)
		}
		if err := fn(o); err != nil {
			return n, err
		}
		n++
	}
}

// Presets name the shop platforms whose tables we know.
var Presets = []string{"eccube4", "magento2", "woocommerce", "woocommerce-hpos"}

// presetQueries are, per platform, the queries for orders and for
// registrations. Each returns id, time, customer, email, name and the
// customer's locale where the platform keeps one (NULL where it does not).
// {p} is the table prefix (WordPress's wp_ by default). Times are read as
// text so that every driver returns them the same way.
var presetQueries = map[string][2]string{
	// EC-CUBE 4: order_date is set when the order is placed (NULL for a
	// cart that never became an order). EC-CUBE keeps no language per
	// customer: the shop has one locale.
	"eccube4": {
		"SELECT CAST(o.id AS CHAR(32)), CAST(o.order_date AS CHAR(40)), CAST(o.customer_id AS CHAR(32)), o.email, CONCAT_WS(' ', o.name01, o.name02), NULL FROM {p}dtb_order o WHERE o.order_date IS NOT NULL",
		"SELECT CAST(c.id AS CHAR(32)), CAST(c.create_date AS CHAR(40)), CAST(c.id AS CHAR(32)), c.email, CONCAT_WS(' ', c.name01, c.name02), NULL FROM {p}dtb_customer c",
	},
	// Magento 2: the locale is the store view's (general/locale/code),
	// else the default; a locale set per website is not read.
	"magento2": {
		"SELECT o.increment_id, CAST(o.created_at AS CHAR(40)), CAST(o.customer_id AS CHAR(32)), o.customer_email, CONCAT_WS(' ', o.customer_firstname, o.customer_lastname), " +
			magentoLocale("o.store_id") + " FROM {p}sales_order o",
		"SELECT CAST(c.entity_id AS CHAR(32)), CAST(c.created_at AS CHAR(40)), CAST(c.entity_id AS CHAR(32)), c.email, CONCAT_WS(' ', c.firstname, c.lastname), " +
			magentoLocale("c.store_id") + " FROM {p}customer_entity c",
	},
	// WooCommerce before HPOS: orders are posts, their fields post meta.
	// A registered customer's language is WordPress's per-user locale.
	"woocommerce": {
		"SELECT CAST(p.ID AS CHAR(32)), CAST(p.post_date_gmt AS CHAR(40)), " +
			"(SELECT m.meta_value FROM {p}postmeta m WHERE m.post_id = p.ID AND m.meta_key = '_customer_user' LIMIT 1), " +
			"(SELECT m.meta_value FROM {p}postmeta m WHERE m.post_id = p.ID AND m.meta_key = '_billing_email' LIMIT 1), " +
			"CONCAT_WS(' ', (SELECT m.meta_value FROM {p}postmeta m WHERE m.post_id = p.ID AND m.meta_key = '_billing_first_name' LIMIT 1), " +
			"(SELECT m.meta_value FROM {p}postmeta m WHERE m.post_id = p.ID AND m.meta_key = '_billing_last_name' LIMIT 1)), " +
			wpLocale("(SELECT m.meta_value FROM {p}postmeta m WHERE m.post_id = p.ID AND m.meta_key = '_customer_user' LIMIT 1)") + " " +
			"FROM {p}posts p WHERE p.post_type = 'shop_order'",
		"SELECT CAST(u.ID AS CHAR(32)), CAST(u.user_registered AS CHAR(40)), CAST(u.ID AS CHAR(32)), u.user_email, u.display_name, " +
			wpLocale("CAST(u.ID AS CHAR(32))") + " FROM {p}users u",
	},
	// WooCommerce with high-performance order storage.
	"woocommerce-hpos": {
		"SELECT CAST(o.id AS CHAR(32)), CAST(o.date_created_gmt AS CHAR(40)), CAST(o.customer_id AS CHAR(32)), o.billing_email, " +
			"CONCAT_WS(' ', a.first_name, a.last_name), " + wpLocale("CAST(o.customer_id AS CHAR(32))") + " " +
			"FROM {p}wc_orders o LEFT JOIN {p}wc_order_addresses a ON a.order_id = o.id AND a.address_type = 'billing' " +
			"WHERE o.type = 'shop_order'",
		"SELECT CAST(u.ID AS CHAR(32)), CAST(u.user_registered AS CHAR(40)), CAST(u.ID AS CHAR(32)), u.user_email, u.display_name, " +
			wpLocale("CAST(u.ID AS CHAR(32))") + " FROM {p}users u",
	},
}

// magentoLocale is the locale of the store view whose ID is the SQL
// expression storeID, else the installation's default.
func magentoLocale(storeID string) string {
	return "(SELECT cc.value FROM {p}core_config_data cc WHERE cc.path = 'general/locale/code' AND ((cc.scope = 'stores' AND cc.scope_id = " + storeID +
		") OR cc.scope = 'default') ORDER BY CASE WHEN cc.scope = 'stores' THEN 0 ELSE 1 END LIMIT 1)"
}

// wpLocale is the WordPress locale of the user whose ID is the SQL
// expression userID (text, so that one comparison works in every dialect).
func wpLocale(userID string) string {
	return "(SELECT um.meta_value FROM {p}usermeta um WHERE CAST(um.user_id AS CHAR(32)) = " + userID + " AND um.meta_key = 'locale' LIMIT 1)"
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// DBSource says how to read orders from the shop's own database.
type DBSource struct {
	// DSN as scan.ParseDSN reads it (postgres://, mysql://, sqlite:).
	DSN string
	// Preset is one of Presets; Query replaces it with the user's own,
	// returning id, time, customer, email, name and optionally the
	// customer's locale or language, in that order.
	Preset string
	Query  string
	// Kind is the Kind of the Query's rows (order by default).
	Kind string
	// Prefix is the table prefix (WooCommerce's wp_ by default).
	Prefix string
	// Location is the zone of times stored without one (EC-CUBE and
	// Magento keep local or UTC time per installation).
	Location *time.Location
}

// ReadOrdersDB streams orders and registrations from the shop's database
// to fn, inside a read-only transaction: the shop's data is evidence, and
// nothing here may change it. It returns how many rows were read.
func ReadOrdersDB(ctx context.Context, src DBSource, fn func(Order) error) (int, error) {
	kind, driver, driverDSN, err := scan.ParseDSN(src.DSN)
	if err != nil {
		return 0, err
	}
	if !prefixRE.MatchString(src.Prefix) {
		return 0, fmt.Errorf("%w: table prefix %q: letters, digits and _ only", ErrOrders, src.Prefix)
	}
	type q struct{ sql, kind string }
	var qs []q
	switch {
	case src.Query != "":
		k := src.Kind
		if k == "" {
			k = KindOrder
		}
		qs = []q{{src.Query, k}}
	default:
		pq, ok := presetQueries[src.Preset]
		if !ok {
			return 0, fmt.Errorf("%w: unknown preset %q (want one of %s, or a query)", ErrOrders, src.Preset, strings.Join(Presets, ", "))
		}
		prefix := src.Prefix
		if prefix == "" && strings.HasPrefix(src.Preset, "woocommerce") {
			prefix = "wp_"
		}
		for i, s := range pq {
			s = strings.ReplaceAll(s, "{p}", prefix)
			if kind == scan.DBPostgres {
				// PostgreSQL has no CHAR(n) cast that keeps a timestamp's
				// full text; TEXT does the same job.
				s = strings.ReplaceAll(s, "AS CHAR(40)", "AS TEXT")
				s = strings.ReplaceAll(s, "AS CHAR(32)", "AS TEXT")
			}
			if kind == scan.DBSQLite {
				s = strings.NewReplacer("AS CHAR(40)", "AS TEXT", "AS CHAR(32)", "AS TEXT", "CONCAT_WS(' ', ", "concat_ws(' ', ").Replace(s)
			}
			qs = append(qs, q{s, []string{KindOrder, KindRegistration}[i]})
		}
	}
	db, err := sql.Open(driver, driverDSN)
	if err != nil {
		return 0, fmt.Errorf("open the shop database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	n := 0
	for _, query := range qs {
		m, err := readRows(ctx, db, kind, query.sql, query.kind, src.Location, fn)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// BeginReadOnly opens a transaction the server itself keeps read-only:
// database/sql's ReadOnly option, and for PostgreSQL and MySQL the
// statement that says so, so that even a driver that ignores the option
// cannot write.
func BeginReadOnly(ctx context.Context, db *sql.DB, kind string) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin a read-only transaction: %w", err)
	}
	var stmt string
	switch kind {
	case scan.DBPostgres:
		stmt = "SET TRANSACTION READ ONLY"
	}
	if stmt != "" {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("make the transaction read-only: %w", err)
		}
	}
	return tx, nil
}

func readRows(ctx context.Context, db *sql.DB, kind, query, rowKind string, loc *time.Location, fn func(Order) error) (int, error) {
	tx, err := BeginReadOnly(ctx, db, kind)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return 0, fmt.Errorf("query the shop's %ss: %w", rowKind, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("query the shop's %ss: %w", rowKind, err)
	}
	n := 0
	for rows.Next() {
		var id, at, cust, email, name, locale sql.NullString
		dest := []any{&id, &at, &cust, &email, &name}
		if len(cols) == 6 {
			dest = append(dest, &locale)
		}
		if err := rows.Scan(dest...); err != nil {
			return n, fmt.Errorf("read the shop's %ss (want id, time, customer, email, name and optionally locale): %w", rowKind, err)
		}
		if !at.Valid {
			continue
		}
		t, err := ParseOrderTime(at.String, loc)
		if err != nil {
			return n, fmt.Errorf("%s %s: %w", rowKind, id.String, err)
		}
		c := cust.String
		if c == "0" {
			c = "" // guests: WooCommerce and EC-CUBE use 0 or NULL
		}
		if err := fn(Order{ID: id.String, Kind: rowKind, Time: t, CustomerID: c, Email: email.String, Name: name.String, Lang: LangOf(locale.String)}); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read the shop's %ss: %w", rowKind, err)
	}
	return n, nil
}
