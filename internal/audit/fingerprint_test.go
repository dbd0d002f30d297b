package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// shopOf serves page at / and /pay, and files at their paths; everything
// else is a 404.
func shopOf(t *testing.T, header http.Header, page string, files map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || r.URL.Path == "/pay" {
			for k, vs := range header {
				w.Header()[k] = vs
			}
			fmt.Fprint(w, "<!doctype html><html><head><title>Shop</title>"+page+"</head><body></body></html>")
			return
		}
		if body, ok := files[r.URL.Path]; ok {
			fmt.Fprint(w, body)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type platformWant struct {
	Platform, Generation, Version, Confidence any
}

func platforms(rep *finding.Report) []platformWant {
	var out []platformWant
	for _, f := range rep.Findings {
		if f.Kind == audit.KindPlatform {
			e := f.Evidence
			out = append(out, platformWant{e["platform"], e["generation"], e["version"], e["confidence"]})
		}
	}
	slices.SortFunc(out, func(a, b platformWant) int { return strings.Compare(a.Platform.(string), b.Platform.(string)) })
	return out
}

func TestFingerprintsNameEachPlatformWithItsEvidenceAndConfidence(t *testing.T) {
	cookie := func(name string) http.Header {
		return http.Header{"Set-Cookie": {name + "=x; Path=/; HttpOnly; SameSite=Lax"}}
	}
	tests := []struct {
		name   string
		header http.Header
		page   string
		files  map[string]string
		want   []platformWant
	}{
		{"EC-CUBE 2 by its user_data theme path and eccube.js, without a version",
			nil, `<link href="/user_data/packages/default/css/import.css"><script src="/js/eccube.js"></script>`, nil,
			[]platformWant{{"EC-CUBE", "2", nil, "medium"}}},
		{"EC-CUBE 3 by its template path and cookie, with the version its composer.json states",
			cookie("eccube"), `<link href="/html/template/default/css/style.css">`,
			map[string]string{"/composer.json": `{"name":"ec-cube/ec-cube","version":"3.0.18"}`},
			[]platformWant{{"EC-CUBE", "3", "3.0.18", "high"}}},
		{"Magento 1 by skin/frontend and js/varien",
			cookie("frontend"), `<link href="/skin/frontend/default/modern/css/styles.css"><script src="/js/varien/js.js"></script>`, nil,
			[]platformWant{{"Magento", "1", nil, "medium"}}},
		{"Magento 2 by /magento_version alone gives the generation, not a version to match",
			http.Header{"X-Magento-Tags": {"store"}}, `<script type="text/x-magento-init">{}</script>`,
			map[string]string{"/magento_version": "Magento/2.4 (Community)"},
			[]platformWant{{"Magento", "2", nil, "medium"}}},
		{"WordPress and WooCommerce by their generator tags",
			nil, `<meta name="generator" content="WordPress 6.4.2"><meta name="generator" content="WooCommerce 8.2.1"><link href="/wp-content/plugins/woocommerce/assets/css/woocommerce.css">`, nil,
			[]platformWant{{"WooCommerce", "8", "8.2.1", "high"}, {"WordPress", "6", "6.4.2", "high"}}},
		{"WooCommerce without a generator tag by its readme's Stable tag",
			nil, `<link href="/wp-content/plugins/woocommerce/assets/css/woocommerce.css">`,
			map[string]string{"/wp-content/plugins/woocommerce/readme.txt": "=== WooCommerce ===\nContributors: automattic\nStable tag: 5.5.0\n"},
			[]platformWant{{"WooCommerce", "5", "5.5.0", "high"}, {"WordPress", nil, nil, "medium"}}},
		{"PrestaShop 1.7 by its cookie and prestashop object",
			cookie("PrestaShop-0123456789abcdef"), `<script>var prestashop = {"currency":{}};</script>`, nil,
			[]platformWant{{"PrestaShop", "1.7", nil, "medium"}}},
		{"OpenCart by its cookie, its routes and its generator tag",
			cookie("OCSESSID"), `<meta name="generator" content="OpenCart 3.0.3.8"><a href="/index.php?route=product/category&path=20">`, nil,
			[]platformWant{{"OpenCart", "3", "3.0.3.8", "high"}}},
		{"a generator tag without a version, on the page and the home page, is one marker",
			nil, `<meta name="generator" content="PrestaShop">`, nil,
			[]platformWant{{"PrestaShop", nil, nil, "medium"}}},
		{"an X-Magento header on a proxy alone names nothing",
			http.Header{"X-Magento-Cache-Debug": {"MISS"}}, `<p>hello</p>`, nil, nil},
		{"a plain page names nothing", nil, `<p>hello</p>`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := shopOf(t, tt.header, tt.page, tt.files)
			rep, err := audit.Run(context.Background(), srv.URL+"/pay", fast(srv))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete {
				t.Fatalf("incomplete: %v", rep.Incomplete)
			}
			if got := platforms(rep); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("platforms %v, want %v", got, tt.want)
			}
		})
	}
}
