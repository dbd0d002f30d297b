package yara

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// firstAtoms returns each atom group's first atom, as "offset:atom".
func firstAtoms(t *testing.T, src string, nocase bool) []string {
	t.Helper()
	tree, err := parseRegex(src, regexMods{nocase: nocase})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range treeAtoms(tree) {
		out = append(out, string(rune('0'+g.off))+":"+string(g.atoms[0]))
	}
	slices.Sort(out)
	return out
}

func TestAtomsComeFromEveryPathThroughTheString(t *testing.T) {
	tests := []struct {
		name, re string
		nocase   bool
		want     []string
	}{
		{"a literal prefix gives one atom, its rarest window", `checkout[0-9]+`, false, []string{"1:heck"}},
		{"an alternation after a one-byte prefix gives an atom per branch (branches with the same atom at the same offset share it)", `\.(innerHTML|outerHTML|insertAdjacentHTML)\b`, false, []string{"6:HTML", "?:HTML"}},
		{"an optional separator splits the string into paths", `cc[_-]?num[a-z]{0,30}`, false, []string{"1:cnum", "2:-num"}},
		{"a leading alternation gives an atom per branch", `(eval|assert)\s*\(`, false, []string{"0:asse", "0:eval"}},
		{"the first copy of an unbounded repetition is at a fixed offset", `ab\s+cd`, false, []string{"0:ab\t"}},
		{"nocase atoms are kept whole", `x(abc|def)`, true, []string{"0:XABC", "0:XDEF"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := firstAtoms(t, tc.re, tc.nocase)
			if !slices.Equal(got, tc.want) {
				t.Errorf("atoms of /%s/: got %q, want %q", tc.re, got, tc.want)
			}
		})
	}
}

// Strings whose atoms come from several paths must still find the matches
// of every path, at the right offset.
func TestPathAtomsFindEveryBranch(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = /cc[_-]?num/ nocase $b = /\.(innerHTML|outerHTML)\b/ condition: any of them }`, CompileOptions{})
	data := []byte("CCNUM cc-num x.cc_Num el.outerHTML=1;el.innerHTMLx el.innerHTML")
	ms, err := rs.ScanBytes(context.Background(), data, ScanOptions{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("got %v, %v", ms, err)
	}
	var got []string
	for _, s := range ms[0].Strings {
		got = append(got, s.ID+"@"+string(rune('0'+s.Offset/10))+string(rune('0'+s.Offset%10))+"="+string(s.Data))
	}
	want := []string{"$a@00=CCNUM", "$a@06=cc-num", "$a@15=cc_Num", "$b@24=.outerHTML", "$b@53=.innerHTML"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// Identical strings in several rules are verified once but each rule still
// sees all of its matches, with its own modifiers kept apart.
func TestIdenticalStringsInSeveralRulesEachGetTheirMatches(t *testing.T) {
	rs := mustCompile(t, `
rule one { strings: $a = /new\s+Image\b/ condition: #a == 3 }
rule two { strings: $x = "q" $b = /new\s+Image\b/ condition: #b == 3 and @b[2] == 17 and $x }
rule three { strings: $c = /new\s+Image\b/ fullword condition: #c == 2 }
rule four { strings: $d = /new\s+Image\b/ nocase condition: #d == 4 }
`, CompileOptions{})
	shared := 0
	for _, p := range rs.patterns {
		if p.shared {
			shared++
		}
	}
	if shared != 1 {
		t.Errorf("%d patterns share another's verification, want 1 (only rule two's $b is identical to rule one's $a)", shared)
	}
	ms, err := rs.ScanBytes(context.Background(), []byte("new Image(); q.x=new  Image; NEW IMAGE xnew Image"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"one", "two", "three", "four"}
	if got := ruleNames(ms); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// A literal's atom is its window of the rarest bytes in web text: with one
// score for every letter, "gzdecode(" nocase searched for "ode(", which
// every other function call in a PHP file contains.
func TestLiteralAtomsAreTheRarestWindow(t *testing.T) {
	tests := []struct {
		name, lit string
		nocase    bool
		want      string // offset:first atom
	}{
		{"a nocase call is searched by its rare letters, not by its parenthesis", "gzdecode(rawurldecode(", true, "0:GZDE"},
		{"a case-sensitive name is searched where its uppercase letters are", "document.getElementById", false, "19:ById"},
		{"a superglobal is searched by its symbols and capitals", "$_POST['cmd']", false, "0:$_PO"},
		{"a wide string keeps its zeros out of the score where it can", "c\x00m\x00d\x00", false, "0:c\x00m\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs := literalAtoms([]byte(tc.lit), tc.nocase)
			if len(gs) != 1 {
				t.Fatalf("got %d atom groups", len(gs))
			}
			got := fmt.Sprintf("%d:%s", gs[0].off, gs[0].atoms[0])
			if got != tc.want {
				t.Errorf("atom of %q: got %q, want %q", tc.lit, got, tc.want)
			}
		})
	}
}
