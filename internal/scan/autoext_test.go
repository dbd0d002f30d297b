package scan

import (
	"context"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAutoExternals scans a small tree with one rule per automatic external,
// with this engine and with the yara oracle, and checks which files each rule
// names: each rule is true only when its external holds that file's value.
func TestAutoExternals(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	rules := `
rule by_filename { condition: filename == "cart.php" }
rule by_filepath { condition: filepath endswith "/app/js" }
rule by_extension { condition: extension == ".js" }
rule by_filetype_exe { condition: filetype == "EXE" }
rule by_filetype_php { condition: filetype == "PHP" }
rule by_owner { condition: owner == "` + me.Username + `" and filename == "NOTES" }
rule no_extension { condition: extension == "" and filename == "NOTES" }
`
	for _, ne := range testEngines(t) {
		t.Run(ne.name+": each automatic external holds the scanned file's value", func(t *testing.T) {
			root := t.TempDir()
			rule := filepath.Join(root, "rules", "ext.yar")
			writeFile(t, rule, []byte(rules))
			shop := filepath.Join(root, "shop")
			writeFile(t, filepath.Join(shop, "cart.php"), []byte("<?php echo 1;"))
			writeFile(t, filepath.Join(shop, "app", "js", "Cart.JS"), []byte("var a = 1;"))
			writeFile(t, filepath.Join(shop, "tool.bin"), []byte("MZ\x90\x00"))
			writeFile(t, filepath.Join(shop, "NOTES"), []byte("plain text"))
			s, err := newScanner(Options{Rules: []string{rule}, NoDefaultRules: true, AutoExternals: true}, ne.eng)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.ScanPaths(context.Background(), []string{shop})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, f := range rep.Findings {
				got[f.Rule] = append(got[f.Rule], strings.TrimPrefix(f.Path, shop+"/"))
			}
			want := map[string][]string{
				"by_filename":     {"cart.php"},
				"by_filepath":     {"app/js/Cart.JS"},
				"by_extension":    {"app/js/Cart.JS"},
				"by_filetype_exe": {"tool.bin"},
				"by_filetype_php": {"cart.php"},
				"by_owner":        {"NOTES"},
				"no_extension":    {"NOTES"},
			}
			for rule, files := range want {
				g := got[rule]
				slices.Sort(g)
				if !slices.Equal(g, files) {
					t.Errorf("rule %s matched %q, want %q", rule, g, files)
				}
			}
			if len(got) != len(want) {
				t.Errorf("rules matched: %v, want exactly %d rules", got, len(want))
			}
		})
	}
}

func TestAutoExternalsRefusesADefinedName(t *testing.T) {
	_, err := New(Options{NoDefaultRules: true, Rules: []string{"x.yar"}, AutoExternals: true, Externals: map[string]any{"owner": "root"}})
	if err == nil || !strings.Contains(err.Error(), `external "owner" is defined with -d and filled per file by --auto-externals`) {
		t.Fatalf("err = %v, want the conflict named", err)
	}
}

func TestFileType(t *testing.T) {
	tests := []struct {
		name, header, ext, want string
	}{
		{"an MZ header is an EXE whatever the extension", "MZ\x90\x00", ".jpg", "EXE"},
		{"an ELF header is ELF", "\x7fELF\x02", "", "ELF"},
		{"a PHP open tag is PHP", "<?php\n", ".txt", "PHP"},
		{"a script without magic is named by its extension", "var a", ".js", "JS"},
		{"unknown content with an unknown extension has no type", "hello", ".txt", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fileType([]byte(tc.header), tc.ext); got != tc.want {
				t.Errorf("fileType(%q, %q) = %q, want %q", tc.header, tc.ext, got, tc.want)
			}
		})
	}
}
