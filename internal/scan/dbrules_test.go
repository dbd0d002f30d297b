package scan

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// TestBundledRulesFindScriptsInjectedIntoCMSRows stores loaders in the
// content tables of three carts (Magento's core_config_data, WordPress's
// wp_options, EC-CUBE's dtb_news) next to the harmless scripts such rows
// hold, scans each table as `skimwatch scan --db` does, and checks that
// db_injected_script_loader names exactly the injected rows.
func TestBundledRulesFindScriptsInjectedIntoCMSRows(t *testing.T) {
	loader := string(readSample(t, "db_injected_script_loader", "positive.html"))
	footer := string(readSample(t, "db_injected_script_loader", "positive-footer.html"))
	harmless := string(readSample(t, "db_injected_script_loader", "benign.html"))
	tables := []struct {
		cart, table, key, value string
		rows                    [][2]string // name, value
		injected                []int       // 1-based ids of the injected rows
	}{
		{"Magento", "core_config_data", "path", "value", [][2]string{
			{"design/head/includes", harmless}, {"design/footer/absolute_footer", footer}, {"web/secure/base_url", "https://shop.example/"},
		}, []int{2}},
		{"WordPress", "wp_options", "option_name", "option_value", [][2]string{
			{"siteurl", "https://shop.example"}, {"widget_custom_html", loader}, {"theme_mods_shop", harmless},
		}, []int{2}},
		{"EC-CUBE", "dtb_news", "title", "description", [][2]string{
			{"Opening hours", "<p>Open 10:00-18:00</p>"}, {"Summer sale", loader}, {"New arrivals", footer},
		}, []int{2, 3}},
	}
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if _, err := db.Exec(fmt.Sprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, %s TEXT, %s TEXT)", tb.table, tb.key, tb.value)); err != nil {
			t.Fatal(err)
		}
		for _, r := range tb.rows {
			if _, err := db.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (?, ?)", tb.table, tb.key, tb.value), r[0], r[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()
	s := dbScanner(t)
	for _, tb := range tables {
		t.Run("a loader injected into "+tb.cart+"'s "+tb.table+" is named by its row, and nothing else is", func(t *testing.T) {
			rep, err := s.ScanDB(context.Background(), DBOptions{DSN: "sqlite://" + path,
				Query: fmt.Sprintf("SELECT id, %s FROM %s", tb.value, tb.table)})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, id := range tb.injected {
				want[fmt.Sprintf("db:%s#row=%d&column=%s", tb.table, id, tb.value)] = true
			}
			got := map[string]bool{}
			for _, f := range rep.Findings {
				if f.Rule == "db_injected_script_loader" {
					got[f.Path] = true
				} else if f.Kind == KindMatch && !want[f.Path] {
					t.Errorf("unexpected %s at %s", f.Rule, f.Path)
				}
			}
			for p := range want {
				if !got[p] {
					t.Errorf("no db_injected_script_loader at %s (findings %+v)", p, rep.Findings)
				}
			}
			for p := range got {
				if !want[p] {
					t.Errorf("db_injected_script_loader at the harmless row %s", p)
				}
			}
		})
	}
}
