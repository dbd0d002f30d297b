package webroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/scan"
)

const harvestSample = "../scan/testdata/samples/js_card_field_harvest/positive.js"

// verify is what the fim job does before it scans: the root against the
// baseline, as a report of what differs.
func verify(t *testing.T, root string, m *fim.Manifest) *finding.Report {
	t.Helper()
	rep, err := fim.Verify(context.Background(), root, m, fim.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func matches(rep *finding.Report, path string) int {
	n := 0
	for _, f := range rep.Findings {
		if f.Kind == scan.KindMatch && f.Path == path {
			n++
		}
	}
	return n
}

// TestScanMemoScansOnlyWhatChangedSinceTheLastScan: a deploy that writes
// files one by one, each write handed on with every file changed so far
// (as the watch does), scans each file once, not once per later write;
// a file written again is scanned again, and the skimmer found in the
// first file stays in every report.
func TestScanMemoScansOnlyWhatChangedSinceTheLastScan(t *testing.T) {
	root := t.TempDir()
	skimmer, err := os.ReadFile(harvestSample)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("app%d.js", i)), []byte("ok();\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := fim.Baseline(context.Background(), root, fim.Options{Excludes: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	memo, rules := NewScanMemo(), NewRuleCache("", nil)
	write := func(t *testing.T, name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name                  string
		change                func(t *testing.T)
		wantScanned, wantKept int
	}{
		{"the first write, a skimmer, is scanned", func(t *testing.T) { write(t, "app0.js", skimmer) }, 1, 0},
		{"the second write scans only its own file", func(t *testing.T) { write(t, "app1.js", []byte("two();\n")) }, 1, 1},
		{"the third write scans only its own file", func(t *testing.T) { write(t, "app2.js", []byte("three();\n")) }, 1, 2},
		{"a file written again is scanned again", func(t *testing.T) { write(t, "app1.js", []byte("two again();\n")) }, 1, 2},
		{"a run with no new write scans nothing", func(*testing.T) {}, 0, 3},
		{"a restored file is forgotten and the rest still reused", func(t *testing.T) { write(t, "app2.js", []byte("ok();\n")) }, 0, 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change(t)
			rep := verify(t, root, m)
			if err := ScanChangedWith(context.Background(), rep, ScanOptions{Cache: rules, Memo: memo}); err != nil {
				t.Fatal(err)
			}
			if got := rep.Details["scanned_files"]; got != s.wantScanned {
				t.Errorf("scanned %v files, want %d", got, s.wantScanned)
			}
			if got := rep.Details["reused_scans"]; got != s.wantKept {
				t.Errorf("reused %v scans, want %d", got, s.wantKept)
			}
			if matches(rep, "app0.js") == 0 || !rep.Complete {
				t.Errorf("the skimmer in app0.js is not reported (complete %v): %+v", rep.Complete, rep.Findings)
			}
		})
	}
	if st := rules.Stats(); st.Compiled != 1 {
		t.Errorf("rules compiled %d times across the runs, want 1 (%+v)", st.Compiled, st)
	}
}

// TestScanMemoScansAgainWithOtherRules: the memo belongs to the rules it
// scanned with; other rules (a new cache entry) scan every file again.
func TestScanMemoScansAgainWithOtherRules(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.js"), []byte("ok();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := fim.Baseline(context.Background(), root, fim.Options{Excludes: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a.js"), []byte("changed();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	memo := NewScanMemo()
	for i, want := range []int{1, 1} {
		// A fresh cache each time stands for rules compiled again.
		rep := verify(t, root, m)
		if err := ScanChangedWith(context.Background(), rep, ScanOptions{Cache: NewRuleCache("", nil), Memo: memo}); err != nil {
			t.Fatal(err)
		}
		if got := rep.Details["scanned_files"]; got != want {
			t.Errorf("run %d scanned %v files, want %d", i, got, want)
		}
	}
}

func writeRule(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRuleCacheReusesCompiledRulesUntilTheyChange walks the cache's life:
// compile once, reuse in memory, compile again after an edit, load what a
// previous process saved, and compile over a damaged saved file.
func TestRuleCacheReusesCompiledRulesUntilTheyChange(t *testing.T) {
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "compiled")
	ruleFile := filepath.Join(dir, "mine.yar")
	writeRule(t, ruleFile, `rule one { strings: $a = "skim-one" condition: $a }`)
	opts := scan.Options{NoDefaultRules: true, Rules: []string{ruleFile}}
	first := NewRuleCache(rulesDir, nil)
	var prev *scan.Scanner
	get := func(t *testing.T, c *RuleCache) *scan.Scanner {
		t.Helper()
		s, err := c.Scanner(opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	scanFor := func(t *testing.T, s *scan.Scanner, text string) int {
		t.Helper()
		rep, err := s.ScanBlobs(context.Background(), []scan.Blob{{Name: "x", Data: []byte(text)}})
		if err != nil {
			t.Fatal(err)
		}
		return len(rep.Findings)
	}
	steps := []struct {
		name  string
		cache *RuleCache
		edit  func(t *testing.T)
		want  RuleCacheStats
		check func(t *testing.T, s *scan.Scanner)
	}{
		{"the first run compiles the rules", first, func(*testing.T) {}, RuleCacheStats{Compiled: 1}, nil},
		{"the next run reuses the same compiled rules", first, func(*testing.T) {}, RuleCacheStats{Compiled: 1, Reused: 1},
			func(t *testing.T, s *scan.Scanner) {
				if s != prev {
					t.Error("a second scanner was made for unchanged rules")
				}
			}},
		{"an edited rule file is compiled again and its new rule applies", first, func(t *testing.T) {
			writeRule(t, ruleFile, `rule two { strings: $a = "skim-two" condition: $a }`)
		}, RuleCacheStats{Compiled: 2, Reused: 1}, func(t *testing.T, s *scan.Scanner) {
			if scanFor(t, s, "skim-two") != 1 || scanFor(t, s, "skim-one") != 0 {
				t.Error("the cache kept the rules from before the edit")
			}
		}},
		{"a new process loads the rules the last one saved", NewRuleCache(rulesDir, nil), func(*testing.T) {}, RuleCacheStats{Loaded: 1},
			func(t *testing.T, s *scan.Scanner) {
				if scanFor(t, s, "skim-two") != 1 {
					t.Error("the loaded rules do not match what the compiled ones did")
				}
			}},
		{"a damaged saved file is compiled over, not trusted", NewRuleCache(rulesDir, nil), func(t *testing.T) {
			saved, err := filepath.Glob(filepath.Join(rulesDir, "*.rules"))
			if err != nil || len(saved) == 0 {
				t.Fatalf("no saved rules in %s (%v)", rulesDir, err)
			}
			for _, f := range saved {
				writeRule(t, f, "not saved rules")
			}
		}, RuleCacheStats{Compiled: 1}, func(t *testing.T, s *scan.Scanner) {
			if scanFor(t, s, "skim-two") != 1 {
				t.Error("the rules compiled over a damaged file do not match")
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.edit(t)
			sc := get(t, s.cache)
			if got := s.cache.Stats(); got != s.want {
				t.Errorf("stats %+v, want %+v", got, s.want)
			}
			if s.check != nil {
				s.check(t, sc)
			}
			prev = sc
		})
	}
}

// TestRuleCacheCompilesRulesWithIncludesEveryTime: an included file is
// not in the digest, so such rules are never taken from the cache.
func TestRuleCacheCompilesRulesWithIncludesEveryTime(t *testing.T) {
	dir := t.TempDir()
	writeRule(t, filepath.Join(dir, "inc.yar"), `rule inc { strings: $a = "skim-inc" condition: $a }`)
	top := filepath.Join(dir, "top.yar")
	writeRule(t, top, `include "inc.yar"`+"\n")
	c := NewRuleCache("", nil)
	for range 2 {
		if _, err := c.Scanner(scan.Options{NoDefaultRules: true, Rules: []string{top}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Stats(); got != (RuleCacheStats{Compiled: 2}) {
		t.Errorf("stats %+v, want two compilations and no reuse", got)
	}
}
