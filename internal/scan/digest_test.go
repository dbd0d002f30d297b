package scan

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRulesDigest(t *testing.T) {
	dir := t.TempDir()
	rule := filepath.Join(dir, "a.yar")
	write := func(text string) {
		if err := os.WriteFile(rule, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`rule a { strings: $a = "one" condition: $a }`)
	digest := func(t *testing.T, o Options) (string, bool) {
		t.Helper()
		d, ok, err := RulesDigest(o)
		if err != nil {
			t.Fatal(err)
		}
		return d, ok
	}
	user := Options{NoDefaultRules: true, Rules: []string{rule}}
	first, ok := digest(t, user)
	if !ok || first == "" {
		t.Fatalf("no digest for plain rules (%q, %v)", first, ok)
	}
	tests := []struct {
		name   string
		change func() Options
		same   bool
		ok     bool
	}{
		{"the same rules give the same digest", func() Options { return user }, true, true},
		{"other scan options give the same digest", func() Options { o := user; o.Workers = 7; return o }, true, true},
		{"the bundled rules too are other rules", func() Options { return Options{Rules: []string{rule}} }, false, true},
		{"an external variable is part of the rules", func() Options { o := user; o.Externals = map[string]any{"x": 1}; return o }, false, true},
		{"skipping unsupported imports is part of the rules", func() Options { o := user; o.SkipUnsupportedImports = true; return o }, false, true},
		{"an edited rule file is other rules", func() Options { write(`rule a { strings: $a = "two" condition: $a }`); return user }, false, true},
		{"a rule file with an include cannot be vouched for", func() Options { write(`include "b.yar"`); return user }, false, false},
		{"saved rules cannot be vouched for", func() Options { return Options{LoadRules: rule} }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := digest(t, tt.change())
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (d == first) != tt.same {
				t.Errorf("digest %s against first %s: same = %v, want %v", d, first, d == first, tt.same)
			}
		})
	}
}
