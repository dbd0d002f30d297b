package audit_test

import (
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// tree writes files (path → content) under a new folder; a path ending in
// "@0666" is written with that mode.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		mode := os.FileMode(0o644)
		if name, m, ok := strings.Cut(p, "@"); ok {
			p = name
			if m == "0666" {
				mode = 0o666
			}
		}
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	return root
}

// dirLine is one finding of audit DIR as a table pins it down.
func dirLine(f finding.Finding) string {
	e := f.Evidence
	switch f.Kind {
	case audit.KindVulnerable:
		return strings.Join([]string{f.Severity.String(), f.Kind, f.Path, e["package"].(string) + "@" + e["version"].(string), e["advisory"].(string)}, " ")
	case audit.KindPHPSetting:
		return strings.Join([]string{f.Severity.String(), f.Kind, f.Path, e["setting"].(string)}, " ")
	case audit.KindPlatform, audit.KindLibrary:
		name, _ := e["platform"].(string)
		if name == "" {
			name = e["library"].(string)
		}
		return strings.Join([]string{f.Severity.String(), f.Kind, f.Path, name + "@" + e["version"].(string)}, " ")
	}
	return f.Severity.String() + " " + f.Kind + " " + f.Path
}

func currentUser(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

// nobody is a web user that owns nothing in the test trees.
func nobody(t *testing.T) string {
	t.Helper()
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skipf("no user nobody here: %v", err)
	}
	return "nobody"
}

func TestAuditDirFindsVulnerableComponentsAndOpenDoors(t *testing.T) {
	db := fixtureDB(t)
	lock, err := os.ReadFile("testdata/locks/composer.lock")
	if err != nil {
		t.Fatal(err)
	}
	plock, err := os.ReadFile("testdata/locks/package-lock-v3.json")
	if err != nil {
		t.Fatal(err)
	}
	berry, err := os.ReadFile("testdata/locks/yarn-berry.lock")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   map[string]string
		webUser func(*testing.T) string
		want    []string
	}{
		{
			name:    "an EC-CUBE 4 tree's composer.lock, plug-in and bundled jQuery are matched against the advisories",
			webUser: nobody,
			files: map[string]string{
				"composer.lock":                    string(lock),
				"src/Eccube/Common/Constant.php":   "<?php\nnamespace Eccube\\Common;\nclass Constant\n{\n    const VERSION = '4.0.3';\n}\n",
				".env":                             "APP_ENV=prod\nDATABASE_URL=mysql://cube:honey-pass@127.0.0.1/cube\nECCUBE_ADMIN_ROUTE=mng7f3a\n",
				".env.dist":                        "DATABASE_URL=mysql://user:password@127.0.0.1/db\nMAILER_PASSWORD=\n",
				"app/Plugin/Coupon4/composer.json": `{"name": "ec-cube/coupon4", "version": "4.0.1", "type": "eccube-plugin"}`,
				"html/template/default/assets/js/vendor/jquery.min.js": "/*! jQuery v1.12.4 | (c) jQuery Foundation */\n!function(){}",
			},
			want: []string{
				"info audit.platform src/Eccube/Common/Constant.php EC-CUBE@4.0.3",
				"critical audit.vulnerable-component composer.lock ec-cube/ec-cube@4.0.3 SKWLAB-2021-0101",
				"critical audit.vulnerable-component src/Eccube/Common/Constant.php ec-cube/ec-cube@4.0.3 SKWLAB-2021-0101",
				"high audit.vulnerable-component composer.lock guzzlehttp/guzzle@7.4.4 SKWLAB-2023-0103",
				"info audit.js-library html/template/default/assets/js/vendor/jquery.min.js jquery@1.12.4",
				"medium audit.vulnerable-component html/template/default/assets/js/vendor/jquery.min.js jquery@1.12.4 SKWLAB-2019-0001",
				"medium audit.vulnerable-component html/template/default/assets/js/vendor/jquery.min.js jquery@1.12.4 SKWLAB-2020-0001",
				"high audit.secret-readable .env",
			},
		},
		{
			name:    "npm lockfiles of a theme are matched, aliases by the package they install",
			webUser: nobody,
			files: map[string]string{
				"theme/package-lock.json": string(plock),
				"admin-theme/yarn.lock":   string(berry),
			},
			want: []string{
				"medium audit.vulnerable-component admin-theme/yarn.lock jquery@1.12.4 SKWLAB-2019-0001",
				"medium audit.vulnerable-component admin-theme/yarn.lock jquery@1.12.4 SKWLAB-2020-0001",
				"medium audit.vulnerable-component admin-theme/yarn.lock jquery@3.4.1 SKWLAB-2020-0001",
				"medium audit.vulnerable-component theme/package-lock.json jquery@1.12.4 SKWLAB-2019-0001",
				"medium audit.vulnerable-component theme/package-lock.json jquery@1.12.4 SKWLAB-2020-0001",
				"medium audit.vulnerable-component theme/package-lock.json jquery@3.4.1 SKWLAB-2020-0001",
			},
		},
		{
			// npm installs from npm-shrinkwrap.json when both are there and
			// ignores package-lock.json; so does the audit. The stale
			// package-lock here pins jQuery 1.12.4 and 3.4.1; the shrinkwrap
			// has none of it.
			name:    "a package-lock.json beside an npm-shrinkwrap.json is not read, as npm does not read it",
			webUser: nobody,
			files: map[string]string{
				"theme/package-lock.json":   string(plock),
				"theme/npm-shrinkwrap.json": `{"name": "theme", "lockfileVersion": 3, "packages": {"": {"name": "theme"}, "node_modules/jquery": {"version": "3.7.1"}}}`,
			},
			want: nil,
		},
		{
			name:    "a WordPress tree's plug-in header wins over its readme, and its configuration is read",
			webUser: nobody,
			files: map[string]string{
				"wp-includes/version.php":                        "<?php\n$wp_version = '6.4.2';\n",
				"wp-content/plugins/woocommerce/woocommerce.php": "<?php\n/**\n * Plugin Name: WooCommerce\n * Version: 5.5.0\n */\n",
				"wp-content/plugins/woocommerce/readme.txt":      "=== WooCommerce ===\nStable tag: 5.5.2\n",
				"wp-content/plugins/hello/readme.txt":            "=== Hello ===\nStable tag: 1.7.2\n",
				"wp-config.php.bak":                              "<?php define('DB_PASSWORD', 'honey');",
				".user.ini":                                      "display_errors = On\nexpose_php = Off\n",
				".htaccess":                                      "php_flag allow_url_include on\n",
			},
			want: []string{
				"info audit.platform wp-includes/version.php WordPress@6.4.2",
				"critical audit.vulnerable-component wp-content/plugins/woocommerce/woocommerce.php woocommerce@5.5.0 SKWLAB-2021-0201",
				"high audit.secret-readable wp-config.php.bak",
				"medium audit.php-setting .user.ini display_errors",
				"high audit.php-setting .htaccess allow_url_include",
			},
		},
		{
			name:    "an EC-CUBE 4 whose .env keeps the admin route at admin, with a password in its yaml",
			webUser: nobody,
			files: map[string]string{
				"src/Eccube/Common/Constant.php": "<?php\nclass Constant { const VERSION = '4.2.3'; }\n",
				".env":                           "APP_ENV=prod\nECCUBE_ADMIN_ROUTE=admin\n",
				"app/config/eccube/packages/doctrine.yaml": "doctrine:\n  dbal:\n    url: '%env(DATABASE_URL)%'\n    password: honey-db-pass\n",
				"app/config/eccube/packages/mailer.yaml":   "swiftmailer:\n  password: '%env(MAILER_PASSWORD)%'\n",
			},
			want: []string{
				"info audit.platform src/Eccube/Common/Constant.php EC-CUBE@4.2.3",
				"medium audit.admin-default-path .env",
				"high audit.secret-readable app/config/eccube/packages/doctrine.yaml",
			},
		},
		{
			name:    "code the web server's user owns is writable by it, and a world-writable file is found",
			webUser: currentUser,
			files: map[string]string{
				"index.php":                    "<?php echo 'shop';",
				"upload/save_image/a.jpg@0666": "jpeg",
				"README.txt":                   "not code",
			},
			want: []string{
				"high audit.webroot-writable .",
				"high audit.world-writable .",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := tree(t, tt.files)
			rep, err := audit.RunDir(context.Background(), root, audit.DirOptions{Advisories: db, WebUser: tt.webUser(t)})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete {
				t.Fatalf("incomplete: %v", rep.Incomplete)
			}
			var got []string
			for _, f := range rep.Findings {
				if err := f.Validate(); err != nil {
					t.Error(err)
				}
				got = append(got, dirLine(f))
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			var locks []string
			for p := range tt.files {
				_, shrinkwrapped := tt.files[filepath.Join(filepath.Dir(p), "npm-shrinkwrap.json")]
				if b := filepath.Base(p); b == "composer.lock" || b == "package-lock.json" && !shrinkwrapped || b == "npm-shrinkwrap.json" || b == "yarn.lock" {
					locks = append(locks, p)
				}
			}
			slices.Sort(locks)
			if got, _ := rep.Details["lockfiles"].([]string); !slices.Equal(got, locks) {
				t.Errorf("details.lockfiles %v, want %v", got, locks)
			}
			for _, f := range rep.Findings {
				if s := f.Evidence["keys"]; s != nil && strings.Contains(strings.Join(s.([]string), " "), "honey") {
					t.Errorf("%s quotes a secret's value: %v", f.Kind, s)
				}
			}
		})
	}
}

func TestAuditDirCountsWhatTheWebUserCanRewrite(t *testing.T) {
	root := tree(t, map[string]string{"index.php": "<?php", "js/app.js": "x", "img/a.png": "png"})
	rep, err := audit.RunDir(context.Background(), root, audit.DirOptions{WebUser: currentUser(t)})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rep.Findings, func(f finding.Finding) bool { return f.Kind == audit.KindWebrootWritable })
	if i < 0 {
		t.Fatalf("no %s finding", audit.KindWebrootWritable)
	}
	ev := rep.Findings[i].Evidence
	// The root folder itself, index.php and js/app.js; not the image or
	// the js and img folders.
	if want := []string{".", "index.php", "js/app.js"}; ev["count"] != 3 || !reflect.DeepEqual(ev["sample"], want) {
		t.Errorf("evidence %v, want count 3 and sample %v", ev, want)
	}
}

func TestAuditDirDoesNotFollowSymlinksOutOfTheRoot(t *testing.T) {
	outside := tree(t, map[string]string{"composer.lock": `{"packages":[{"name":"guzzlehttp/guzzle","version":"7.4.4"}]}`})
	root := tree(t, map[string]string{"index.php": "<?php"})
	if err := os.Symlink(outside, filepath.Join(root, "vendor")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "composer.lock"), filepath.Join(root, "composer.lock")); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.RunDir(context.Background(), root, audit.DirOptions{Advisories: fixtureDB(t), WebUser: nobody(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || rep.Details["components"] != 0 {
		t.Errorf("read through a symlink: findings %v, components %v", rep.Findings, rep.Details["components"])
	}
}

func TestAuditDirStopsAtItsBoundAndSaysIncomplete(t *testing.T) {
	root := tree(t, map[string]string{"a.php": "", "b.php": "", "c.php": ""})
	rep, err := audit.RunDir(context.Background(), root, audit.DirOptions{MaxFiles: 2, WebUser: nobody(t)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || !slices.ContainsFunc(rep.Incomplete, func(s string) bool { return strings.Contains(s, "more than 2 entries") }) {
		t.Errorf("complete %v, reasons %v; want incomplete naming the bound", rep.Complete, rep.Incomplete)
	}
}

func TestAuditDirWithoutAWebUserSaysTheWritableChecksDidNotRun(t *testing.T) {
	root := tree(t, map[string]string{"index.php": "<?php"})
	rep, err := audit.RunDir(context.Background(), root, audit.DirOptions{WebUser: "skimwatch-no-such-user"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || !slices.ContainsFunc(rep.Incomplete, func(s string) bool { return strings.Contains(s, "--web-user") }) {
		t.Errorf("complete %v, reasons %v; want incomplete naming --web-user", rep.Complete, rep.Incomplete)
	}
}

func TestAuditDirRejectsAMissingFolder(t *testing.T) {
	_, err := audit.RunDir(context.Background(), filepath.Join(t.TempDir(), "nope"), audit.DirOptions{})
	if !errors.Is(err, audit.ErrInvalidTarget) {
		t.Errorf("error %v, want ErrInvalidTarget", err)
	}
}
