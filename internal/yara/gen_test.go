package yara

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// caseGen builds random rules and inputs over a tiny alphabet so that
// strings actually collide with the data.
type caseGen struct {
	r *rand.Rand
}

const genAlphabet = "abcAB 0"

func (g *caseGen) char() byte { return genAlphabet[g.r.IntN(len(genAlphabet))] }

func (g *caseGen) word(min, max int) string {
	n := min + g.r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		c := g.char()
		if c == '0' {
			c = 'c'
		}
		b[i] = c
	}
	return string(b)
}

func (g *caseGen) textString() string {
	s := fmt.Sprintf("%q", g.word(1, 4))
	mods := []string{}
	pick := func(m string, p float64) {
		if g.r.Float64() < p {
			mods = append(mods, m)
		}
	}
	xor := g.r.Float64() < 0.15
	b64 := !xor && g.r.Float64() < 0.1
	if !xor && !b64 {
		pick("nocase", 0.3)
		pick("fullword", 0.2)
	}
	pick("wide", 0.25)
	if len(mods) > 0 && mods[len(mods)-1] == "wide" {
		pick("ascii", 0.5)
	}
	if xor {
		lo := g.r.IntN(4)
		mods = append(mods, fmt.Sprintf("xor(%d-%d)", lo, lo+g.r.IntN(3)))
	}
	if b64 {
		if g.r.IntN(2) == 0 {
			mods = append(mods, "base64")
		} else {
			mods = append(mods, "base64wide")
		}
		s = fmt.Sprintf("%q", g.word(3, 6))
	}
	pick("private", 0.1)
	return s + " " + strings.Join(mods, " ")
}

func (g *caseGen) hexByte() string {
	c := g.char()
	switch g.r.IntN(8) {
	case 0:
		return "??"
	case 1:
		return fmt.Sprintf("%X?", c>>4)
	case 2:
		return fmt.Sprintf("?%X", c&15)
	}
	return fmt.Sprintf("%02X", c)
}

func (g *caseGen) hexString() string {
	parts := []string{fmt.Sprintf("%02X", g.char())}
	n := 1 + g.r.IntN(4)
	for i := 0; i < n; i++ {
		switch g.r.IntN(6) {
		case 0:
			lo := g.r.IntN(3)
			parts = append(parts, fmt.Sprintf("[%d-%d]", lo, lo+g.r.IntN(4)))
		case 1:
			parts = append(parts, fmt.Sprintf("( %02X | %02X %02X )", g.char(), g.char(), g.char()))
		}
		parts = append(parts, g.hexByte())
	}
	parts = append(parts, fmt.Sprintf("%02X", g.char()))
	return "{ " + strings.Join(parts, " ") + " }"
}

func (g *caseGen) regexAtom() string {
	switch g.r.IntN(7) {
	case 0:
		return "[ab]"
	case 1:
		return "[^a ]"
	case 2:
		return "."
	case 3:
		return "(a|bc)"
	case 4:
		return `\w`
	}
	return string(g.word(1, 1))
}

func (g *caseGen) regexString() string {
	var sb strings.Builder
	if g.r.IntN(8) == 0 {
		sb.WriteString("^")
	}
	sb.WriteString(g.word(1, 1))
	for i := 0; i < 1+g.r.IntN(3); i++ {
		sb.WriteString(g.regexAtom())
		switch g.r.IntN(6) {
		case 0:
			sb.WriteString("+")
		case 1:
			sb.WriteString("?")
		case 2:
			sb.WriteString(fmt.Sprintf("{1,%d}", 1+g.r.IntN(3)))
		case 3:
			sb.WriteString("*?")
		}
	}
	sb.WriteString(g.word(1, 1))
	s := "/" + sb.String() + "/"
	if g.r.IntN(4) == 0 {
		s += "i"
	}
	if g.r.IntN(5) == 0 {
		s += " wide"
	}
	if g.r.IntN(6) == 0 {
		s += " fullword"
	}
	return s
}

func (g *caseGen) condition(ids []string, depth int) string {
	id := ids[g.r.IntN(len(ids))][1:]
	if depth > 2 {
		return "$" + id
	}
	switch g.r.IntN(16) {
	case 0:
		return fmt.Sprintf("(%s and %s)", g.condition(ids, depth+1), g.condition(ids, depth+1))
	case 1:
		return fmt.Sprintf("(%s or %s)", g.condition(ids, depth+1), g.condition(ids, depth+1))
	case 2:
		return "not " + g.condition(ids, depth+1)
	case 3:
		return fmt.Sprintf("#%s %s %d", id, []string{"==", ">=", "<", "!="}[g.r.IntN(4)], g.r.IntN(4))
	case 4:
		return fmt.Sprintf("@%s[1] %s %d", id, []string{"==", ">", "<"}[g.r.IntN(3)], g.r.IntN(20))
	case 5:
		return fmt.Sprintf("!%s[1] %s %d", id, []string{"==", ">", "<"}[g.r.IntN(3)], 1+g.r.IntN(6))
	case 6:
		return fmt.Sprintf("$%s at %d", id, g.r.IntN(10))
	case 7:
		lo := g.r.IntN(20)
		return fmt.Sprintf("$%s in (%d..%d)", id, lo, lo+g.r.IntN(20))
	case 8:
		return fmt.Sprintf("%s of them", []string{"any", "all", "none", "1", "2", "50%"}[g.r.IntN(6)])
	case 9:
		return fmt.Sprintf("for any of them : ( # > %d )", g.r.IntN(3))
	case 10:
		return fmt.Sprintf("for all i in (1..#%s) : ( @%s[i] >= %d )", id, id, g.r.IntN(5))
	case 11:
		// Every comparison, both ways round: the scan skips rules whose
		// and-chain of these excludes the file's size (sizeBounds).
		op := []string{">", "<", ">=", "<=", "=="}[g.r.IntN(5)]
		if g.r.IntN(3) == 0 {
			return fmt.Sprintf("%d %s filesize", g.r.IntN(100), op)
		}
		return fmt.Sprintf("filesize %s %d", op, g.r.IntN(100))
	case 12:
		return fmt.Sprintf("#%s in (0..%d) >= 1", id, g.r.IntN(40))
	case 13:
		switch g.r.IntN(4) {
		case 0:
			lo := g.r.IntN(20)
			return fmt.Sprintf("any of them in (%d..%d)", lo, lo+g.r.IntN(30))
		case 1:
			return fmt.Sprintf("for any of them : ( @ > %d )", g.r.IntN(30))
		case 2:
			return fmt.Sprintf("for all of them : ( ! < %d )", 2+g.r.IntN(6))
		}
		return fmt.Sprintf("for any i in (%d, %d) : ( $%s at i )", g.r.IntN(10), g.r.IntN(10), id)
	case 14:
		// A header test: the scan evaluates these first (file gates).
		return fmt.Sprintf("uint8(%d) == %d", g.r.IntN(3), g.char())
	}
	return "$" + id
}

// genCase returns a rule file and a few inputs.
func genCase(seed uint64) (string, [][]byte) {
	g := &caseGen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
	var sb strings.Builder
	for ri := 0; ri < 3; ri++ {
		fmt.Fprintf(&sb, "rule r%d {\n  strings:\n", ri)
		var ids []string
		for si := 0; si < 1+g.r.IntN(3); si++ {
			id := fmt.Sprintf("$s%d", si)
			ids = append(ids, id)
			var v string
			switch g.r.IntN(3) {
			case 0:
				v = g.textString()
			case 1:
				v = g.hexString()
			default:
				v = g.regexString()
			}
			fmt.Fprintf(&sb, "    %s = %s\n", id, v)
		}
		cond := g.condition(ids, 0)
		for _, id := range ids {
			if !strings.Contains(cond, id[1:]) && !strings.Contains(cond, "them") {
				cond = fmt.Sprintf("(%s) or (%s and false)", cond, id)
			}
		}
		fmt.Fprintf(&sb, "  condition:\n    %s\n}\n", cond)
	}
	var inputs [][]byte
	for i := 0; i < 3; i++ {
		n := g.r.IntN(120)
		b := make([]byte, n)
		for j := range b {
			b[j] = g.char()
			if b[j] == '0' {
				b[j] = 0
			}
		}
		if g.r.IntN(3) == 0 {
			// plant a string literally so that positive cases are common
			w := []byte(g.word(2, 4))
			if len(b) > len(w) {
				copy(b[g.r.IntN(len(b)-len(w)):], w)
			}
		}
		inputs = append(inputs, b)
	}
	return sb.String(), inputs
}

func runGenCase(t *testing.T, seed uint64) {
	rules, inputs := genCase(seed)
	dir := t.TempDir()
	rf := filepath.Join(dir, "rules.yar")
	if err := os.WriteFile(rf, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	sd := filepath.Join(dir, "samples")
	if err := os.Mkdir(sd, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		if err := os.WriteFile(filepath.Join(sd, fmt.Sprintf("in%d", i)), in, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := CompileFiles([]string{rf}, CompileOptions{})
	if err != nil {
		// YARA must reject the same rules; check that it does.
		if o := oracleCompiles(t, rf); o {
			t.Fatalf("engine rejected rules yara accepts: %v\n%s", err, rules)
		}
		return
	}
	if !oracleCompiles(t, rf) {
		t.Fatalf("engine accepted rules yara rejects:\n%s", rules)
	}
	want := oracleMatches(t, rf, sd)
	got := engineMatches(t, rs, sd)
	before := t.Failed()
	diffMatches(t, want, got)
	wantOff, gotOff := oracleOffsets(t, rf, sd), engineOffsets(t, rs, sd)
	for f := range wantOff {
		if !slices.Equal(wantOff[f], gotOff[f]) {
			t.Errorf("%s: string offsets differ:\n yara   %v\n engine %v", f, wantOff[f], gotOff[f])
		}
	}
	for f := range gotOff {
		if _, ok := wantOff[f]; !ok && len(gotOff[f]) > 0 {
			t.Errorf("%s: engine reported %v, yara nothing", f, gotOff[f])
		}
	}
	if !before && t.Failed() {
		t.Logf("seed %d rules:\n%s", seed, rules)
		for i, in := range inputs {
			t.Logf("in%d: %q", i, in)
		}
	}
}

func TestDifferentialGenerated(t *testing.T) {
	needYara(t)
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprintf("generated case %d matches the same files as yara", seed), func(t *testing.T) {
			runGenCase(t, seed)
		})
	}
}

func FuzzDifferential(f *testing.F) {
	for s := uint64(1000); s < 1010; s++ {
		f.Add(s)
	}
	needYara(f)
	f.Fuzz(func(t *testing.T, seed uint64) {
		runGenCase(t, seed)
	})
}
