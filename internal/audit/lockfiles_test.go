package audit_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/audit"
)

func sorted(ps []audit.Package) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name+"@"+p.Version)
	}
	slices.Sort(out)
	return out
}

func TestLockfileParsersReadEveryPinnedPackage(t *testing.T) {
	// The same tree in each format, where the format can say it.
	npmTree := []string{"@scope/widget@2.0.0-beta.1", "bootstrap@4.3.1", "jquery@1.12.4", "jquery@3.4.1", "popper.js@1.14.7"}
	tests := []struct {
		name  string
		file  string
		parse func([]byte) ([]audit.Package, error)
		want  []string
	}{
		{"package-lock v1 nests dependencies and skips file: versions", "package-lock-v1.json", audit.ParsePackageLock,
			[]string{"bootstrap@4.3.1", "jquery@3.4.1", "popper.js@1.14.7"}},
		// npm audit reads "npm:name@version" as name at version; found by
		// TestNpmAuditAndAuditDirReportTheSameAdvisoriesOnRealLockfiles.
		{"package-lock v1 reads npm: aliases as the package they install", "package-lock-v1-alias.json", audit.ParsePackageLock,
			[]string{"@scope/widget@2.0.0-beta.1", "bootstrap@3.3.7", "jquery@1.12.4", "jquery@3.0.0-rc1", "popper.js@1.14.7", "theme@1.0.0"}},
		{"package-lock v3 keys packages by path, reads aliases by name and skips links", "package-lock-v3.json", audit.ParsePackageLock, npmTree},
		{"yarn v1 reads quoted and grouped headers and npm: aliases", "yarn-v1.lock", audit.ParseYarnLock, npmTree},
		{"yarn berry reads npm: specs and skips workspace entries and __metadata", "yarn-berry.lock", audit.ParseYarnLock, npmTree},
		{"composer.lock reads packages and packages-dev and drops a leading v", "composer.lock", audit.ParseComposerLock,
			[]string{"ec-cube/ec-cube@4.0.3", "guzzlehttp/guzzle@7.4.4", "phpunit/phpunit@8.5.33", "symfony/http-kernel@3.4.49"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/locks", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := tt.parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := sorted(ps); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestParsePHPSettingsReadsIniAndHtaccessForms(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []audit.PHPSetting
	}{
		{"php.ini key = value with a comment", "php.ini", "[PHP]\n; display_errors = On\ndisplay_errors = On ; for debugging\n",
			[]audit.PHPSetting{{Key: "display_errors", On: true, Line: 3, Text: "display_errors = On ; for debugging"}}},
		{".user.ini with a quoted 1", ".user.ini", "allow_url_include = \"1\"\n",
			[]audit.PHPSetting{{Key: "allow_url_include", On: true, Line: 1, Text: `allow_url_include = "1"`}}},
		{"display_errors to stderr counts as on", "php.ini", "display_errors=stderr\n",
			[]audit.PHPSetting{{Key: "display_errors", On: true, Line: 1, Text: "display_errors=stderr"}}},
		{".htaccess php_flag off", ".htaccess", "<IfModule mod_php7.c>\n  php_flag expose_php Off\n</IfModule>\n",
			[]audit.PHPSetting{{Key: "expose_php", On: false, Line: 2, Text: "php_flag expose_php Off"}}},
		{".htaccess php_admin_value on", ".htaccess", "php_admin_value allow_url_include 1\n",
			[]audit.PHPSetting{{Key: "allow_url_include", On: true, Line: 1, Text: "php_admin_value allow_url_include 1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := audit.ParsePHPSettings(tt.file, []byte(tt.text)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func FuzzParsePackageLock(f *testing.F) {
	addFiles(f, "package-lock-v1.json", "package-lock-v1-alias.json", "package-lock-v3.json")
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = audit.ParsePackageLock(data) })
}

func FuzzParseYarnLock(f *testing.F) {
	addFiles(f, "yarn-v1.lock", "yarn-berry.lock")
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := audit.ParseYarnLock(data)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Name == "" || strings.Contains(p.Name[1:], "@") {
				t.Errorf("package name %q from %q", p.Name, data)
			}
		}
	})
}

func FuzzParseComposerLock(f *testing.F) {
	addFiles(f, "composer.lock")
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = audit.ParseComposerLock(data) })
}

func FuzzParsePHPSettings(f *testing.F) {
	f.Add(".htaccess", []byte("php_flag display_errors on\n"))
	f.Add("php.ini", []byte("allow_url_include = On ; x\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) { _ = audit.ParsePHPSettings(name, data) })
}

func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata/locks", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}
