package yara

import (
	"context"
	"io"
	"math"
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

// A rule is not searched or evaluated on a file outside the sizes its
// and-chain of filesize tests allows; each bound must be exact: the
// condition really is false just outside it (with every string present),
// and can be true just inside.
func TestSizeBounds(t *testing.T) {
	const inf = math.MaxInt64
	cases := []struct {
		name, cond string
		lo, hi     int64
	}{
		{"an upper bound in KB", "filesize < 1KB and $a", 0, 1023},
		{"an upper bound with <=", "filesize <= 40 and $a", 0, 40},
		{"a lower and an upper bound", "filesize > 30 and filesize < 60 and $a", 31, 59},
		{"a bound written the other way round", "50 >= filesize and $a", 0, 50},
		{"an exact size", "filesize == 45 and $a", 45, 45},
		{"a bound inside parentheses of an and-chain", "uint16(0) == 0x3f3c and (filesize < 50 and $a)", 0, 49},
		{"a bound under an or does not bound the rule", "(filesize < 10 and $a) or $a", 0, inf},
		{"a bound under not does not bound the rule", "not (filesize > 40) and $a", 0, inf},
		{"a rule without strings is bounded too", "filesize < 20", 0, 19},
		{"a rule that loops is not bounded", "filesize < 20 and for any i in (1..2) : ($a at i)", 0, inf},
		{"a rule that prints is not bounded", `filesize < 20 and console.log("x")`, 0, inf},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := `import "console" rule r { strings: $a = "ab" condition: ` + c.cond + " }"
			if !strings.Contains(c.cond, "$a") {
				src = `import "console" rule r { condition: ` + c.cond + " }"
			}
			rs := mustCompile(t, src, CompileOptions{})
			cr := &rs.rules[0]
			if cr.sizeLo != c.lo || cr.sizeHi != c.hi {
				t.Fatalf("bounds of %s: got [%d, %d], want [%d, %d]", c.cond, cr.sizeLo, cr.sizeHi, c.lo, c.hi)
			}
			for _, n := range []int64{c.lo - 1, c.lo, c.hi, c.hi + 1} {
				if n < 2 || n > 4096 {
					continue
				}
				// "<?" then "ab" everywhere: every string test holds.
				data := []byte("<?" + strings.Repeat("ab", int(n))[:n-2])
				got := evalWithoutBounds(t, rs, data)
				if out := n < c.lo || n > c.hi; out && got {
					t.Errorf("%s holds on %d bytes, outside [%d, %d]", c.cond, n, c.lo, c.hi)
				}
				ms, err := rs.ScanBytes(context.Background(), data, ScanOptions{Console: io.Discard})
				if err != nil {
					t.Fatal(err)
				}
				if (len(ms) == 1) != got {
					t.Errorf("on %d bytes ScanBytes gives %d matches, the condition gives %v", n, len(ms), got)
				}
			}
		})
	}
}

// evalWithoutBounds searches data and evaluates the first rule's condition
// without the size bounds or the needs-a-match shortcut.
func evalWithoutBounds(t *testing.T, rs *Rules, data []byte) bool {
	t.Helper()
	c := rs.getCache()
	st := &scanState{r: rs, data: data, ext: rs.externals, ctx: context.Background(), cache: c,
		matches: c.matches, lastHit: c.lastHit, limit: DefaultMaxMatchesPerString,
		ruleVals: make([]bool, len(rs.rules)),
		mod:      newModuleCtx(data, ScanOptions{Console: io.Discard})}
	if err := st.search(); err != nil {
		t.Fatal(err)
	}
	env := &evalEnv{st: st, rule: &rs.rules[0], vars: make([]value, 8)}
	v, err := env.eval(rs.rules[0].decl.cond)
	if err != nil {
		t.Fatal(err)
	}
	rs.putCache(c)
	return v.truth()
}

// A file is worth reading only when some rule's size bounds include it.
func TestMayMatchSize(t *testing.T) {
	cases := []struct {
		name, rules string
		sizes       map[int64]bool
	}{
		{"bounded rules admit the sizes of either", `
			rule small { strings: $a = "ab" condition: filesize < 100 and $a }
			rule mid { strings: $a = "ab" condition: filesize > 1000 and filesize <= 2000 and $a }`,
			map[int64]bool{0: true, 99: true, 100: false, 1000: false, 1001: true, 2000: true, 2001: false}},
		{"one unbounded rule admits every size", `
			rule small { strings: $a = "ab" condition: filesize < 100 and $a }
			rule unbounded { strings: $a = "ab" condition: $a }`,
			map[int64]bool{0: true, 100: true, 1 << 40: true}},
		{"a bound under or admits every size", `
			rule either { strings: $a = "ab" condition: filesize < 100 or $a }`,
			map[int64]bool{0: true, 100: true, 1 << 40: true}},
		{"a skipped rule admits nothing", `
			import "pe"
			rule small { strings: $a = "ab" condition: filesize < 100 and $a }
			rule exe { condition: pe.number_of_resources > 1 }`,
			map[int64]bool{99: true, 100: false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := mustCompile(t, c.rules, CompileOptions{SkipUnsupportedImports: true})
			for size, want := range c.sizes {
				if got := rs.MayMatchSize(size); got != want {
					t.Errorf("MayMatchSize(%d) = %v, want %v", size, got, want)
				}
			}
		})
	}
}

// A rule whose and-chain has a test of the file alone (a header, an
// external) that does not hold is left out of the search; the same test in
// many rules is one gate, and a rule is left out only when it really is
// false.
func TestFileGates(t *testing.T) {
	cases := []struct {
		name, cond string
		gates      int
	}{
		{"a header test is a gate", "uint16(0) == 0x3f3c and $a", 1},
		{"a header test in parentheses with an or is one gate", "(uint16(0) == 0x3f3c or uint16(0) == 0x253c) and $a", 1},
		{"two header tests are two gates", "uint8(0) == 0x3c and uint32(0) == 0x68703f3c and $a", 2},
		{"a filesize comparison is a size bound, not a gate", "filesize < 100 and $a", 0},
		{"filesize arithmetic is a gate", "filesize % 2 == 0 and $a", 1},
		{"an external is a gate", `ext == "php" and $a`, 1},
		{"a header test under or is not a gate", "uint16(0) == 0x3f3c or $a", 0},
		{"a test of a string's offset is not a gate", "@a[1] == 0 and $a", 0},
		{"a regex match of an external is not a gate", `ext matches /ph/ and $a`, 0},
		{"a rule that prints has no gates", `uint16(0) == 0x3f3c and $a and console.log("x")`, 0},
	}
	inputs := []string{"<?php ab", "<% ab %>", "ab <?php", "<?", "", "<?ph ab ab"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := `import "console" rule r { strings: $a = "ab" condition: ` + c.cond + " }"
			rs, err := Compile([]byte(src), "test.yar", CompileOptions{Externals: map[string]any{"ext": "php"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs.rules[0].gates) != c.gates {
				t.Fatalf("%s: %d gates, want %d", c.cond, len(rs.rules[0].gates), c.gates)
			}
			for _, in := range inputs {
				want := evalWithoutBounds(t, rs, []byte(in))
				ms, err := rs.ScanBytes(context.Background(), []byte(in), ScanOptions{Console: io.Discard})
				if err != nil {
					t.Fatal(err)
				}
				if (len(ms) == 1) != want {
					t.Errorf("on %q ScanBytes gives %d matches, the condition gives %v", in, len(ms), want)
				}
			}
		})
	}
	t.Run("the same header test in two rules is one gate", func(t *testing.T) {
		rs := mustCompile(t, `
			rule a { strings: $a = "ab" condition: uint16(0) == 0x3f3c and $a }
			rule b { strings: $b = "cd" condition: filesize < 10KB and uint16(0) == 0x3f3c and $b }`, CompileOptions{})
		if len(rs.gates) != 1 {
			t.Errorf("%d gates, want 1", len(rs.gates))
		}
	})
}
