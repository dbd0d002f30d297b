package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

type namedEngine struct {
	name string
	eng  engine
}

// testEngines are the engines every rule test runs on: skimwatch's own and
// the yara oracle.
func testEngines(t *testing.T) []namedEngine {
	t.Helper()
	var out []namedEngine
	switch e := defaultEngine().(type) {
	case *toolEngine, missingEngine:
		t.Log("internal/yara is not in this build yet: testing with the yara oracle only")
	default:
		out = append(out, namedEngine{"skimwatch", e})
	}
	return append(out, namedEngine{"yara-cli", requireYara(t)})
}

var ruleDecl = regexp.MustCompile(`(?m)^rule\s+([A-Za-z0-9_]+)`)
var metaLine = regexp.MustCompile(`(?m)^\s+(description|severity|reference)\s*=\s*"([^"]*)"`)

// bundledRuleNames parses rule names and their meta from the embedded files.
func bundledRuleMeta(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, err := BundledRuleFiles()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for name, src := range files {
		locs := ruleDecl.FindAllSubmatchIndex(src, -1)
		if len(locs) == 0 {
			t.Fatalf("%s declares no rules", name)
		}
		for i, loc := range locs {
			end := len(src)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			rule := string(src[loc[2]:loc[3]])
			if _, dup := out[rule]; dup {
				t.Fatalf("rule %s is declared twice", rule)
			}
			meta := map[string]string{}
			for _, m := range metaLine.FindAllSubmatch(src[loc[0]:end], -1) {
				meta[string(m[1])] = string(m[2])
			}
			out[rule] = meta
		}
	}
	return out
}

func TestBundledRulesHaveMetaAndSamples(t *testing.T) {
	meta := bundledRuleMeta(t)
	dirs, err := os.ReadDir(filepath.Join("testdata", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	var sampleRules []string
	for _, d := range dirs {
		if d.IsDir() {
			sampleRules = append(sampleRules, d.Name())
		}
	}
	for rule, m := range meta {
		t.Run(rule+" has a description, a valid severity, a reference and samples", func(t *testing.T) {
			if len(m["description"]) < 20 {
				t.Errorf("description %q is missing or too short", m["description"])
			}
			if _, err := finding.ParseSeverity(m["severity"]); err != nil || m["severity"] == "info" {
				t.Errorf("severity %q is not one of critical, high, medium, low", m["severity"])
			}
			if m["reference"] == "" {
				t.Error("reference is missing")
			}
			if !slices.Contains(sampleRules, rule) {
				t.Errorf("no testdata/samples/%s directory", rule)
			}
		})
	}
	for _, d := range sampleRules {
		if _, ok := meta[d]; !ok {
			t.Errorf("testdata/samples/%s has no bundled rule of that name", d)
		}
	}
}

// TestBundledRulesMatchPositiveAndNotBenignSamples is the rule contract:
// each rule fires on its positive samples and stays quiet on its benign
// near-misses, in both engines.
func TestBundledRulesMatchPositiveAndNotBenignSamples(t *testing.T) {
	meta := bundledRuleMeta(t)
	src, err := bundledSources()
	if err != nil {
		t.Fatal(err)
	}
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) {
			set, err := ne.eng.compile(src, compileOptions{})
			if err != nil {
				t.Fatalf("bundled rules do not compile: %v", err)
			}
			if w := set.warnings(); len(w) > 0 {
				t.Errorf("bundled rules compile with warnings: %v", w)
			}
			if set.count() != len(meta) {
				t.Errorf("engine counts %d rules, the sources declare %d", set.count(), len(meta))
			}
			for rule := range meta {
				files, _ := filepath.Glob(filepath.Join("testdata", "samples", rule, "*"))
				var positives, benigns int
				for _, f := range files {
					base := filepath.Base(f)
					want := strings.HasPrefix(base, "positive")
					if !want && !strings.HasPrefix(base, "benign") {
						continue
					}
					if want {
						positives++
					} else {
						benigns++
					}
					name := rule + " does not match " + base
					if want {
						name = rule + " matches " + base
					}
					t.Run(name, func(t *testing.T) {
						data, err := os.ReadFile(f)
						if err != nil {
							t.Fatal(err)
						}
						ms, err := set.scanBytes(context.Background(), data, matchOptions{})
						if err != nil {
							t.Fatal(err)
						}
						got := slices.ContainsFunc(ms, func(m Match) bool { return m.Rule == rule })
						if got != want {
							t.Errorf("matched=%v, want %v (all matches: %v)", got, want, ruleNames(ms))
						}
					})
				}
				if positives == 0 || benigns == 0 {
					t.Errorf("%s needs at least one positive and one benign sample (has %d and %d)", rule, positives, benigns)
				}
			}
		})
	}
}

// TestBundledRulesStayQuietOnVendorCode guards against false positives on
// realistic library, framework and template code.
func TestBundledRulesStayQuietOnVendorCode(t *testing.T) {
	src, err := bundledSources()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "vendor", "*"))
	if len(files) < 5 {
		t.Fatalf("expected at least 5 vendor files, found %d", len(files))
	}
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) {
			set, err := ne.eng.compile(src, compileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				t.Run("no rule matches "+filepath.Base(f), func(t *testing.T) {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					ms, err := set.scanBytes(context.Background(), data, matchOptions{})
					if err != nil {
						t.Fatal(err)
					}
					if len(ms) > 0 {
						t.Errorf("false positive: %v", ruleNames(ms))
					}
				})
			}
		})
	}
}

// TestEachBundledRuleFileCompilesAlone keeps the files independent, so a
// user can copy one into another YARA deployment.
func TestEachBundledRuleFileCompilesAlone(t *testing.T) {
	files, err := BundledRuleFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, ne := range testEngines(t) {
		for name, data := range files {
			t.Run(ne.name+" compiles "+name, func(t *testing.T) {
				if _, err := ne.eng.compile([]ruleSource{{Path: name, Data: data}}, compileOptions{}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func ruleNames(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

// TestEnginesAgreeOnBundledRuleMatches compares, sample by sample, which
// rules matched and where each string matched (id and offset) in
// skimwatch's engine and in the yara oracle.
func TestEnginesAgreeOnBundledRuleMatches(t *testing.T) {
	engines := testEngines(t)
	if len(engines) < 2 {
		t.Skip("skipping: only one engine in this build")
	}
	src, err := bundledSources()
	if err != nil {
		t.Fatal(err)
	}
	sets := make([]ruleSet, len(engines))
	for i, ne := range engines {
		if sets[i], err = ne.eng.compile(src, compileOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "samples", "*", "*"))
	vendor, _ := filepath.Glob(filepath.Join("testdata", "vendor", "*"))
	for _, f := range append(files, vendor...) {
		t.Run("both engines agree on "+f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var got [2][]string
			for i := range 2 {
				ms, err := sets[i].scanBytes(context.Background(), data, matchOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					for _, s := range m.Strings {
						got[i] = append(got[i], fmt.Sprintf("%s %s@%d", m.Rule, s.ID, s.Offset))
					}
					if len(m.Strings) == 0 {
						got[i] = append(got[i], m.Rule)
					}
				}
				slices.Sort(got[i])
			}
			if !slices.Equal(got[0], got[1]) {
				t.Errorf("%s: %v\n%s: %v", engines[0].name, got[0], engines[1].name, got[1])
			}
		})
	}
}
