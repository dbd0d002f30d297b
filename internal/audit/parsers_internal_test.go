package audit

import (
	"reflect"
	"slices"
	"testing"
)

func TestLibrariesAreNamedByTheirBannerOrURL(t *testing.T) {
	tests := []struct {
		name   string
		script string
		body   string
		want   []string // name@version how
	}{
		{"a minified jQuery by its banner", "https://shop.test/js/jquery.min.js", "/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */\n!function(){}", []string{"jquery@1.12.4 banner"}},
		{"an unminified jQuery by its long banner", "https://shop.test/js/jq.js", "/*!\n * jQuery JavaScript Library v3.4.1\n */", []string{"jquery@3.4.1 banner"}},
		{"jQuery UI is not read as jQuery", "https://shop.test/js/ui.js", "/*! jQuery UI - v1.12.1 - 2016-09-14\n*/", []string{"jquery-ui@1.12.1 banner"}},
		{"a bundle holds jQuery and Bootstrap", "https://shop.test/js/vendor.js", "/*! jQuery v3.3.1 */\n/*!\n  * Bootstrap v4.1.3 (https://getbootstrap.com/)\n  */", []string{"bootstrap@4.1.3 banner", "jquery@3.3.1 banner"}},
		{"a jQuery without banner by its fn.jquery", "https://shop.test/js/x.js", `var w={jquery:"2.2.4",constructor:w}`, []string{"jquery@2.2.4 content"}},
		{"moment by its banner", "https://shop.test/js/m.js", "//! moment.js\n//! version : 2.29.1\n", []string{"moment@2.29.1 banner"}},
		{"a script that is no library", "https://shop.test/js/app.js", "console.log('jQuery v1.0')", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range librariesFromContent(tt.script, []byte(tt.body)) {
				got = append(got, l.Name+"@"+l.Version+" "+l.How)
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	urls := []struct {
		name, url, want string
	}{
		{"jQuery by its file name", "https://shop.test/js/jquery-1.12.4.min.js", "jquery@1.12.4 filename"},
		{"jQuery by a CDN path", "https://cdn.test/ajax/libs/jquery/3.4.1/jquery.min.js", "jquery@3.4.1 path"},
		{"jQuery UI by its file name", "https://shop.test/js/jquery-ui-1.11.4.custom.min.js", "jquery-ui@1.11.4 filename"},
		{"jQuery Migrate is not read as jQuery", "https://shop.test/js/jquery-migrate-1.4.1.min.js", "jquery-migrate@1.4.1 filename"},
		{"an unversioned file name names nothing", "https://shop.test/js/jquery.min.js", ""},
	}
	for _, tt := range urls {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if l, ok := libraryFromURL(tt.url); ok {
				got = l.Name + "@" + l.Version + " " + l.How
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScriptURLsResolvesAgainstThePage(t *testing.T) {
	body := `<script src="/a.js"></script><script src='b.js?v=1#x'></script><SCRIPT SRC=https://cdn.test/c.js></SCRIPT>` +
		`<script src="data:text/javascript,1"></script><script src="/a.js"></script><script>inline()</script>`
	got := scriptURLs("https://shop.test/shopping/payment", []byte(body))
	want := []string{"https://shop.test/a.js", "https://shop.test/shopping/b.js?v=1", "https://cdn.test/c.js"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func FuzzLibrariesFromContent(f *testing.F) {
	f.Add("https://shop.test/jquery-1.12.4.min.js", []byte("/*! jQuery v1.12.4 */"))
	f.Add("/x", []byte("//! moment.js\n//! version : 2.29.1\n"))
	f.Fuzz(func(t *testing.T, u string, body []byte) {
		_ = librariesFromContent(u, body)
		_, _ = libraryFromURL(u)
		_ = scriptURLs("https://shop.test/", body)
	})
}

func FuzzVersionFiles(f *testing.F) {
	f.Add([]byte(`{"name":"ec-cube/ec-cube","version":"4.0.3"}`))
	f.Add([]byte("=== WooCommerce ===\nStable tag: 5.5.0\n"))
	f.Add([]byte("<?php\n/**\n * Plugin Name: WooCommerce\n * Version: 5.5.0\n */"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = composerVersion(data, []string{"ec-cube/ec-cube"})
		_, _ = stableTag(data)
		_, _ = pluginHeader(data)
		_ = generatorRe.FindAllSubmatch(data, 4)
	})
}
