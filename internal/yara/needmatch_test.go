package yara

import (
	"context"
	"strings"
	"testing"
)

// A rule whose condition needs one of its strings is not evaluated on a
// scan that found none of them; each condition marked so must really be
// false on every input without matches, whatever its size and header.
func TestNeedsMatch(t *testing.T) {
	cases := []struct {
		name, cond string
		want       bool
	}{
		{"a string on its own needs it", "$a", true},
		{"any of them needs a match", "any of them", true},
		{"all of them needs a match", "all of them", true},
		{"two of a set needs a match", "2 of ($a, $b)", true},
		{"one percent of them needs a match", "1% of them", true},
		{"none of them holds without matches", "none of them", false},
		{"zero of them holds without matches", "0 of them", false},
		{"a filesize test and a string needs the string", "filesize < 100KB and $a", true},
		{"a header test and an of needs the of", "uint16(0) == 0x3f3c and (1 of ($a, $b) or 2 of them)", true},
		{"an or with a branch without strings does not", "$a or filesize > 10", false},
		{"an or where both branches need strings does", "($a and filesize < 10) or #b > 2", true},
		{"a string at an offset needs it", "$a at 0", true},
		{"a string in a range needs it", "$a in (0..filesize)", true},
		{"a count above zero needs a match", "#a > 0", true},
		{"a count of at least one needs a match", "#a >= 1", true},
		{"a count of at least zero does not", "#a >= 0", false},
		{"a count equal to zero does not", "#a == 0", false},
		{"a count below two does not", "#a < 2", false},
		{"a negated string does not", "not $a", false},
		{"a string and a loop is evaluated (the loop can fail the scan)", "$a and for all i in (1..3) : (i > 0)", false},
		{"a string and a module call is evaluated (console prints)", `$a and console.log("x")`, false},
		{"a string and a math call is evaluated", "$a and math.entropy(0, filesize) > 7", false},
		{"a rule reference and a string needs the string", "r0 and $b", true},
	}
	inputs := []string{"", "<?php echo 1; ?>", "<% x %>", strings.Repeat("z", 200_000)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// "or ($a and $b and false)" only keeps both strings referenced:
			// it neither needs a match nor holds without one.
			src := `import "console" import "math" rule r0 { condition: true } rule r { strings: $a = "needle-a" $b = { 6E 65 65 64 6C 65 2D 62 } condition: (` + c.cond + ") or ($a and $b and false) }"
			rs := mustCompile(t, src, CompileOptions{})
			cr := &rs.rules[1]
			if cr.needsMatch != c.want {
				t.Fatalf("needsMatch(%s) = %v, want %v", c.cond, cr.needsMatch, c.want)
			}
			if !c.want {
				return
			}
			for _, in := range inputs {
				data := []byte(in)
				st := &scanState{r: rs, data: data, ctx: context.Background(),
					matches:  make([][]strMatch, len(rs.strings)),
					ruleVals: []bool{true, false},
					mod:      newModuleCtx(data, ScanOptions{})}
				env := &evalEnv{st: st, rule: cr, vars: make([]value, 8)}
				v, err := env.eval(cr.decl.cond)
				if err != nil {
					t.Fatal(err)
				}
				if v.truth() {
					t.Errorf("%s is true on %d bytes without any match", c.cond, len(data))
				}
			}
		})
	}
}
