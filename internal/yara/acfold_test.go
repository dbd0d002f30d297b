package yara

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"testing"
)

// compileWithRows compiles files with the automaton's table limited to rows.
func compileWithRows(t testing.TB, paths []string, rows int) *Rules {
	t.Helper()
	c, err := newCompiler(CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.acRows = rows
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.parseSource(src, p); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := c.finish()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestFoldedLeavesMatchLikeRows checks the automaton's folded form, used
// when a collection's atoms need more states than the table has rows:
// with leaves folded, the rules find exactly what they find with a row per
// state, and no string falls back to the slow path.
func TestFoldedLeavesMatchLikeRows(t *testing.T) {
	paths := writeCollection(t, t.TempDir(), collectionShape{Files: 30, RulesPerFile: 10, Seed: 9})
	full := compileWithRows(t, paths, maxACRows)
	states := len(full.ac.out)
	folded := compileWithRows(t, paths, states*3/4)
	if folded.ac.leaves == nil || len(folded.ac.out) >= states {
		t.Fatalf("the automaton was not folded: %d rows for %d states", len(folded.ac.out), states)
	}
	if len(folded.fullScan) != 0 || len(full.fullScan) != 0 {
		t.Fatalf("strings fell back to the full scan: %d folded, %d with rows", len(folded.fullScan), len(full.fullScan))
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"a PHP file quoting the rules' strings gives the same matches", collectionTarget(full)},
		{"every text string in upper case and in UTF-16 gives the same matches", shoutedTarget(full)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := full.ScanBytes(context.Background(), tc.data, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := folded.ScanBytes(context.Background(), tc.data, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("no rule matched: the comparison would prove nothing")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("folded automaton matched %d rules, the full one %d", len(got), len(want))
			}
		})
	}
}

// shoutedTarget writes every text string of the rules in upper case and in
// UTF-16, so that nocase and wide strings match through the automaton.
func shoutedTarget(rs *Rules) []byte {
	var b []byte
	for _, r := range rs.rules {
		for _, s := range r.decl.strings {
			if s.kind == skText {
				up := bytes.ToUpper(s.text)
				b = append(append(append(b, up...), ' '), wideBytes(s.text)...)
				b = append(b, '\n')
			}
		}
	}
	return b
}
