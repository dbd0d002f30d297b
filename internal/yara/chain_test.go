package yara

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// chainRule is a rule whose condition is one long left-associative chain.
func chainRule(operand, op string, n int) string {
	var b strings.Builder
	b.WriteString("rule long_chain {\n condition:\n  ")
	b.WriteString(operand)
	for range n {
		b.WriteString(op)
		b.WriteString(operand)
	}
	if op == " + " || op == " * " || op == " | " {
		b.WriteString(" > 0")
	}
	b.WriteString("\n}\n")
	return b.String()
}

// TestCompileBoundsLongOperatorChains: the parser's nesting limit covered
// parentheses and prefixes but not chains such as a + b + c ..., which
// build a left-deep tree that the evaluator walks recursively; 300,000
// operators overflowed the goroutine stack (fatal, not recoverable).
func TestCompileBoundsLongOperatorChains(t *testing.T) {
	tooDeep := "nested too deeply: more than " + strconv.Itoa(maxConditionDepth) + " levels of operators (limit " + strconv.Itoa(maxConditionDepth) + ")"
	tooLarge := "condition too large: more than " + strconv.Itoa(maxConditionNodes) + " operators (limit " + strconv.Itoa(maxConditionNodes) + ")"
	// groups of short chains: many nodes, little depth.
	groups := strings.Repeat("(false or false or false or false or false or false or false or false or false or false) or\n", maxConditionNodes/10+1)
	cases := []struct {
		name, src string
		wantErr   string // empty: compiles, and scans with want
		want      bool
	}{
		{"a chain of 300,000 additions is refused as too large", chainRule("1", " + ", 300000), tooLarge, false},
		{"a chain of 300,000 ands is refused as too large", chainRule("true", " and ", 300000), tooLarge, false},
		{"a chain of 300,000 ors is refused as too large", chainRule("false", " or ", 300000), tooLarge, false},
		{"a chain just past the depth limit is refused as too deep", chainRule("1", " + ", maxConditionDepth), tooDeep, false},
		{"short parenthesised chains past the node limit are refused as too large", "rule long_chain {\n condition:\n  " + groups + " true }", tooLarge, false},
		{"a chain at the depth limit compiles and matches", chainRule("1", " + ", maxConditionDepth-2), "", true},
		{"a chain of a thousand ors compiles and does not match", chainRule("false", " or ", 1000), "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Compile([]byte(tc.src), "chain.yar", CompileOptions{})
			if tc.wantErr != "" {
				var ce *CompileError
				if !errors.As(err, &ce) {
					t.Fatalf("got %v, want a *CompileError", err)
				}
				if ce.Line < 3 || ce.File != "chain.yar" || !strings.Contains(ce.Message, tc.wantErr) {
					t.Errorf("error %q at %s:%d, want %q at line 3 or later of chain.yar", ce.Message, ce.File, ce.Line, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ms, err := rs.ScanBytes(context.Background(), []byte("x"), ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ms) == 1; got != tc.want {
				t.Errorf("matched %v, want a match: %v", ruleNames(ms), tc.want)
			}
		})
	}
}
