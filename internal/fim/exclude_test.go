package fim

import "testing"

func TestExcluder(t *testing.T) {
	x, err := newExcluder(append(DefaultExcludes(), "html/upload/**/*.jpg", "/media/tmp/**"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		dir  bool
		want bool
	}{
		{"the cache folder itself is pruned", "var/cache", true, true},
		{"a file deep in the cache is excluded", "var/cache/prod/a/b.php", false, true},
		{"a file named like the cache elsewhere is kept", "html/var/cache/x.php", false, false},
		{"a log file at any depth is excluded", "app/deep/error.log", false, true},
		{"a PHP file next to logs is kept", "var/log.php", false, false},
		{"the var folder itself is walked", "var", true, false},
		{"session files are excluded", "var/sessions/sess_abc", false, true},
		{"a doublestar in the middle matches any depth", "html/upload/2024/05/a.jpg", false, true},
		{"a doublestar pattern does not match other extensions", "html/upload/2024/05/a.php", false, false},
		{"a leading slash anchors at the root", "media/tmp/x", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := x.excluded(tc.path, tc.dir); got != tc.want {
				t.Errorf("excluded(%q, dir=%v) = %v, want %v", tc.path, tc.dir, got, tc.want)
			}
		})
	}
	if _, err := newExcluder([]string{"[bad"}); err == nil {
		t.Error("an invalid glob was accepted")
	}
}

func TestIsWebCode(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"index.php", true}, {"a/B.PHTML", true}, {".htaccess", true}, {"x/.user.ini", true},
		{"js/app.min.js", true}, {"img/logo.svg", true}, {"t/Shopping/index.twig", true},
		{"img/logo.png", false}, {"css/site.css", false}, {"README.md", false}, {"php", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := IsWebCode(tc.path); got != tc.want {
				t.Errorf("IsWebCode(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}
