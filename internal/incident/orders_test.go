package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/scan"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func TestReadOrdersCSV(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	t.Run("columns are mapped by flag names, times without a zone are read in the shop's zone", func(t *testing.T) {
		in := "\ufeffOrder No,Ordered At,Mail,Customer\n" +
			"A-1,2020-12-08 10:00:00,a@example.jp,7\n" +
			"A-2,2020-12-09T11:30:00+00:00,b@example.jp,\n"
		var got []Order
		n, err := ReadOrdersCSV(strings.NewReader(in), Columns{ID: "order no", Time: "Ordered At", Email: "mail", Customer: "customer", Name: "name"}, "", jst,
			func(o Order) error { got = append(got, o); return nil })
		if err != nil || n != 2 {
			t.Fatal(n, err)
		}
		want := []Order{
			{ID: "A-1", Kind: KindOrder, Time: time.Date(2020, 12, 8, 1, 0, 0, 0, time.UTC), CustomerID: "7", Email: "a@example.jp"},
			{ID: "A-2", Kind: KindOrder, Time: time.Date(2020, 12, 9, 11, 30, 0, 0, time.UTC), Email: "b@example.jp"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("a lang column gives each order its customer's language, read from a locale", func(t *testing.T) {
		var got []string
		in := "id,time,locale\n1,1607400000,ja_JP\n2,1607400000,en-US\n3,1607400000,\n4,1607400000,default\n"
		cols := DefaultColumns
		cols.Lang = "locale"
		_, err := ReadOrdersCSV(strings.NewReader(in), cols, "", nil, func(o Order) error { got = append(got, o.Lang); return nil })
		if err != nil || strings.Join(got, ",") != "ja,en,," {
			t.Errorf("langs = %q, %v; want ja, en and none for the empty and the non-language cell", got, err)
		}
	})
	t.Run("a kind column makes a row a registration", func(t *testing.T) {
		var got []Order
		_, err := ReadOrdersCSV(strings.NewReader("id,time,kind\nr1,1607400000,registration\n"), DefaultColumns, "", nil, func(o Order) error { got = append(got, o); return nil })
		if err != nil || len(got) != 1 || got[0].Kind != KindRegistration || !got[0].Time.Equal(time.Unix(1607400000, 0)) {
			t.Errorf("got %+v, %v", got, err)
		}
	})
	for _, tc := range []struct{ name, in string }{
		{"a missing ID column is an error naming it", "no,time\n1,2020-12-08 10:00\n"},
		{"a time that does not parse is an error naming the line", "id,time\n1,yesterday\n"},
		{"an empty order ID is an error", "id,time\n,2020-12-08 10:00\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadOrdersCSV(strings.NewReader(tc.in), DefaultColumns, "", nil, func(Order) error { return nil })
			if !errors.Is(err, ErrOrders) {
				t.Errorf("err = %v, want ErrOrders", err)
			}
		})
	}
}

// Each preset's tables with only the columns the preset reads, as the
// platforms name them; {ts} is the dialect's timestamp type.
var presetSchemas = map[string][]string{
	"eccube4": {
		"CREATE TABLE dtb_order (id INT PRIMARY KEY, order_date {ts} NULL, customer_id INT NULL, email VARCHAR(255), name01 VARCHAR(255), name02 VARCHAR(255))",
		"CREATE TABLE dtb_customer (id INT PRIMARY KEY, create_date {ts}, email VARCHAR(255), name01 VARCHAR(255), name02 VARCHAR(255))",
		"INSERT INTO dtb_order VALUES (1, '2020-12-08 10:00:00', 7, 'a@example.jp', 'Hanako', 'Yamada'), (2, '2020-12-09 11:30:00', NULL, 'b@example.jp', 'Taro', 'Sato'), (3, NULL, 7, 'a@example.jp', 'Hanako', 'Yamada')",
		"INSERT INTO dtb_customer VALUES (7, '2020-12-01 09:00:00', 'a@example.jp', 'Hanako', 'Yamada')",
	},
	"magento2": {
		"CREATE TABLE sales_order (entity_id INT PRIMARY KEY, increment_id VARCHAR(50), created_at {ts}, customer_id INT NULL, customer_email VARCHAR(255), customer_firstname VARCHAR(255), customer_lastname VARCHAR(255), store_id INT)",
		"CREATE TABLE customer_entity (entity_id INT PRIMARY KEY, created_at {ts}, email VARCHAR(255), firstname VARCHAR(255), lastname VARCHAR(255), store_id INT)",
		"CREATE TABLE core_config_data (config_id INT PRIMARY KEY, scope VARCHAR(8), scope_id INT, path VARCHAR(255), value TEXT)",
		"INSERT INTO sales_order VALUES (10, '1', '2020-12-08 10:00:00', 7, 'a@example.jp', 'Hanako', 'Yamada', 1), (11, '2', '2020-12-09 11:30:00', NULL, 'b@example.jp', 'Taro', 'Sato', 2)",
		"INSERT INTO customer_entity VALUES (7, '2020-12-01 09:00:00', 'a@example.jp', 'Hanako', 'Yamada', 1)",
		// Store view 2 is the English one; the default is Japanese.
		"INSERT INTO core_config_data VALUES (1, 'default', 0, 'general/locale/code', 'ja_JP'), (2, 'stores', 2, 'general/locale/code', 'en_US'), (3, 'stores', 2, 'web/url', 'x')",
	},
	"woocommerce": {
		"CREATE TABLE wp_posts (ID INT PRIMARY KEY, post_date_gmt {ts}, post_type VARCHAR(20))",
		"CREATE TABLE wp_postmeta (meta_id INT PRIMARY KEY, post_id INT, meta_key VARCHAR(255), meta_value TEXT)",
		"CREATE TABLE wp_users (ID INT PRIMARY KEY, user_registered {ts}, user_email VARCHAR(100), display_name VARCHAR(250))",
		"INSERT INTO wp_posts VALUES (1, '2020-12-08 10:00:00', 'shop_order'), (2, '2020-12-09 11:30:00', 'shop_order'), (5, '2020-12-08 12:00:00', 'page')",
		"INSERT INTO wp_postmeta VALUES (1, 1, '_customer_user', '7'), (2, 1, '_billing_email', 'a@example.jp'), (3, 1, '_billing_first_name', 'Hanako'), (4, 1, '_billing_last_name', 'Yamada'), " +
			"(5, 2, '_customer_user', '0'), (6, 2, '_billing_email', 'b@example.jp'), (7, 2, '_billing_first_name', 'Taro'), (8, 2, '_billing_last_name', 'Sato')",
		"INSERT INTO wp_users VALUES (7, '2020-12-01 09:00:00', 'a@example.jp', 'Hanako Yamada')",
		"CREATE TABLE wp_usermeta (umeta_id INT PRIMARY KEY, user_id INT, meta_key VARCHAR(255), meta_value TEXT)",
		"INSERT INTO wp_usermeta VALUES (1, 7, 'locale', 'en_GB'), (2, 7, 'nickname', 'hanako')",
	},
	"woocommerce-hpos": {
		"CREATE TABLE wp_wc_orders (id INT PRIMARY KEY, date_created_gmt {ts}, customer_id INT NULL, billing_email VARCHAR(320), type VARCHAR(20))",
		"CREATE TABLE wp_wc_order_addresses (id INT PRIMARY KEY, order_id INT, address_type VARCHAR(20), first_name TEXT, last_name TEXT)",
		"CREATE TABLE wp_users (ID INT PRIMARY KEY, user_registered {ts}, user_email VARCHAR(100), display_name VARCHAR(250))",
		"INSERT INTO wp_wc_orders VALUES (1, '2020-12-08 10:00:00', 7, 'a@example.jp', 'shop_order'), (2, '2020-12-09 11:30:00', 0, 'b@example.jp', 'shop_order'), (3, '2020-12-09 12:00:00', 7, 'a@example.jp', 'shop_order_refund')",
		"INSERT INTO wp_wc_order_addresses VALUES (1, 1, 'billing', 'Hanako', 'Yamada'), (2, 2, 'billing', 'Taro', 'Sato'), (3, 1, 'shipping', 'X', 'Y')",
		"INSERT INTO wp_users VALUES (7, '2020-12-01 09:00:00', 'a@example.jp', 'Hanako Yamada')",
		"CREATE TABLE wp_usermeta (umeta_id INT PRIMARY KEY, user_id INT, meta_key VARCHAR(255), meta_value TEXT)",
		"INSERT INTO wp_usermeta VALUES (1, 7, 'locale', 'en_GB'), (2, 7, 'nickname', 'hanako')",
	},
}

// wantPreset is what every preset reads from its fixture (the order IDs
// are the platform's own: Magento's increment ID).
func wantPreset(preset string) []Order {
	id1, id2 := "1", "2"
	name1, name2 := "Hanako Yamada", "Taro Sato"
	if preset == "woocommerce" || preset == "woocommerce-hpos" {
		name1 = "Hanako Yamada"
	}
	// The customer's language where the platform keeps one: Magento's
	// store view (order 2 was placed in the English one), WordPress's
	// user locale (customer 7 chose English; the guest has none).
	lang1, lang2, langReg := "", "", ""
	switch preset {
	case "magento2":
		lang1, lang2, langReg = "ja", "en", "ja"
	case "woocommerce", "woocommerce-hpos":
		lang1, langReg = "en", "en"
	}
	return []Order{
		{ID: id1, Kind: KindOrder, Time: time.Date(2020, 12, 8, 10, 0, 0, 0, time.UTC), CustomerID: "7", Email: "a@example.jp", Name: name1, Lang: lang1},
		{ID: id2, Kind: KindOrder, Time: time.Date(2020, 12, 9, 11, 30, 0, 0, time.UTC), Email: "b@example.jp", Name: name2, Lang: lang2},
		{ID: "7", Kind: KindRegistration, Time: time.Date(2020, 12, 1, 9, 0, 0, 0, time.UTC), CustomerID: "7", Email: "a@example.jp", Name: "Hanako Yamada", Lang: langReg},
	}
}

// testPresets loads each preset's fixture through db (made fresh per
// preset by fresh) and checks what ReadOrdersDB reads, and that a write
// through the same connection is refused.
func testPresets(t *testing.T, fresh func(t *testing.T, preset string) (dsn string, db *sql.DB), ts string) {
	ctx := context.Background()
	for _, preset := range Presets {
		t.Run("the "+preset+" preset reads orders and registrations", func(t *testing.T) {
			dsn, db := fresh(t, preset)
			for _, s := range presetSchemas[preset] {
				if _, err := db.ExecContext(ctx, strings.ReplaceAll(s, "{ts}", ts)); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			var got []Order
			n, err := ReadOrdersDB(ctx, DBSource{DSN: dsn, Preset: preset}, func(o Order) error { got = append(got, o); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if want := wantPreset(preset); n != len(want) || !reflect.DeepEqual(got, want) {
				t.Errorf("read %d:\n got %+v\nwant %+v", n, got, want)
			}
		})
	}
	t.Run("a query that writes is refused by the read-only transaction and changes nothing", func(t *testing.T) {
		dsn, db := fresh(t, "eccube4")
		for _, s := range presetSchemas["eccube4"] {
			if _, err := db.ExecContext(ctx, strings.ReplaceAll(s, "{ts}", ts)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := ReadOrdersDB(ctx, DBSource{DSN: dsn, Query: "UPDATE dtb_order SET email = 'attacker@example.com'"}, func(Order) error { return nil })
		if err == nil || !strings.Contains(strings.ToLower(strings.ReplaceAll(err.Error(), "-", " ")), "read") {
			t.Errorf("err = %v, want a read-only refusal", err)
		}
		var changed int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dtb_order WHERE email = 'attacker@example.com'").Scan(&changed); err != nil || changed != 0 {
			t.Errorf("%d rows changed (%v), want none", changed, err)
		}
	})
}

func TestReadOrdersDBSQLite(t *testing.T) {
	testPresets(t, func(t *testing.T, preset string) (string, *sql.DB) {
		path := filepath.Join(t.TempDir(), "shop.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return "sqlite:" + path, db
	}, "TEXT")
}

func TestReadOrdersDBPostgres(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	var missing error
	if dsn == "" {
		missing = errors.New("$" + storetest.EnvPostgres + " is not set (export " + storetest.EnvPostgres + "=$(scripts/postgres.sh))")
	}
	testsupport.Need(t, "PostgreSQL", missing)
	testPresets(t, func(t *testing.T, preset string) (string, *sql.DB) {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Close() })
		schema := fmt.Sprintf("incident_orders_%d", time.Now().UnixNano())
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
		sdsn := dsn + "&search_path=" + schema
		if !strings.Contains(dsn, "?") {
			sdsn = dsn + "?search_path=" + schema
		}
		db, err := sql.Open("pgx", sdsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return sdsn, db
	}, "TIMESTAMP")
}

func TestReadOrdersDBMariaDB(t *testing.T) {
	testsupport.Need(t, "MariaDB", nil) // -short skips before a server starts
	dsn := testsupport.StartMariaDB(t)
	_, _, driverDSN, err := scan.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	root, err := sql.Open("mysql", driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	n := 0
	testPresets(t, func(t *testing.T, preset string) (string, *sql.DB) {
		n++
		name := fmt.Sprintf("shop%d", n)
		if _, err := root.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		pdsn := strings.TrimSuffix(dsn, "shop") + name
		_, _, d, err := scan.ParseDSN(pdsn)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("mysql", d)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return pdsn, db
	}, "DATETIME")
}

func FuzzReadOrdersCSV(f *testing.F) {
	f.Add("id,time,email\n1,2020-12-08 10:00:00,a@example.jp\n")
	f.Add("\ufeffid,time,kind\n\"x\"\"y\",1607400000,registration\n")
	f.Add("id,time\n1,2020-12-08T10:00:00+09:00\n2,\n")
	f.Add("id,time,lang\n1,1607400000,ja_JP\n2,1607400000,EN-us\n3,1607400000,\u65e5\u672c\n")
	f.Fuzz(func(t *testing.T, in string) {
		n := 0
		got, err := ReadOrdersCSV(strings.NewReader(in), DefaultColumns, "", time.UTC, func(o Order) error {
			if o.ID == "" || o.Time.IsZero() || o.Time.Location() != time.UTC {
				t.Fatalf("accepted an order without ID or time, or not in UTC: %+v", o)
			}
			if o.Kind == "" {
				t.Fatalf("order %q without kind", o.ID)
			}
			if o.Lang != LangOf(o.Lang) {
				t.Fatalf("order %q has language %q, which is not a language LangOf gives", o.ID, o.Lang)
			}
			n++
			return nil
		})
		if got != n {
			t.Fatalf("reported %d orders, delivered %d", got, n)
		}
		if err != nil && !errors.Is(err, ErrOrders) {
			t.Fatalf("error %v does not wrap ErrOrders", err)
		}
	})
}

func FuzzLangOf(f *testing.F) {
	for _, s := range []string{"ja_JP", "en-US", "EN", "default", "", "zh_Hant_TW", "ja.UTF-8", "1", "\u00e9n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := LangOf(s)
		if l == "" {
			return
		}
		if len(l) < 2 || len(l) > 3 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("%q gave %q, want two or three lower-case letters or nothing", s, l)
		}
		if LangOf(l) != l {
			t.Fatalf("%q gave %q, which does not read back as itself", s, l)
		}
	})
}

func FuzzParseOrderTime(f *testing.F) {
	for _, s := range []string{"2020-12-08 10:00:00", "2020-12-08T10:00:00Z", "2020/12/08 10:00", "1607400000", "2020-12-08 10:00:00.123456+09", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseOrderTime(s, time.FixedZone("JST", 9*3600))
		if err != nil {
			if !errors.Is(err, ErrOrders) {
				t.Fatalf("error %v does not wrap ErrOrders", err)
			}
			return
		}
		if got.Location() != time.UTC || got.IsZero() {
			t.Fatalf("%q gave %v, want a UTC time", s, got)
		}
	})
}
