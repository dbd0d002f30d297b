package yara

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// minifiedJS returns n bytes of one-line, minified-JavaScript-like text.
func minifiedJS(n int) []byte {
	r := rand.New(rand.NewPCG(7, 9))
	toks := []string{"function", "(", ")", "{", "}", "var ", "return ", "this.", "=", ";", "if(", "else", "&&", "||",
		"document.getElementById(", "\"", "'", ",", ".", "0", "1", "null", "true", "window.", "e", "t", "n", "r", "a",
		"cart", "price", "checkout", " "}
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(toks[r.IntN(len(toks))])
		if r.IntN(5) == 0 {
			fmt.Fprintf(&sb, "_%x", r.Uint32())
		}
	}
	return []byte(sb.String()[:n])
}

const skimmerRules = `
rule atob_eval { strings: $a = "atob(" $b = "eval(" condition: $a and $b }
rule cookie { strings: $a = "document.cookie" nocase condition: $a }
rule card_fields { strings: $a = "cc_number" $b = "cvv" fullword $c = "expiry" condition: 2 of them }
rule xor_beacon { strings: $a = "skimmer" xor(1-255) condition: $a }
rule b64_url { strings: $a = "https://" base64 condition: $a }
rule hex_loader { strings: $a = { 3C 73 63 72 69 70 74 [0-20] 73 72 63 3D } condition: $a }
rule exfil { strings: $a = /(fetch|sendBeacon)\(['"]https?:\/\/[a-z0-9.-]{4,60}/ condition: $a }
rule charcode { strings: $a = /String\.fromCharCode\(([0-9]{2,3},){8}/ condition: $a }
rule wide_card { strings: $a = "cardnumber" wide condition: $a }
rule websocket { strings: $a = /new WebSocket\(["']wss?:/ condition: $a }
`

// BenchmarkScanSkimmerRules scans 8 MiB of minified JavaScript with a typical
// rule set. "baseline" is one plain literal on the same data.
func BenchmarkScanSkimmerRules(b *testing.B) {
	data := minifiedJS(8 << 20)
	base, err := Compile([]byte(`rule r { strings: $a = "atob(" condition: $a }`), "b.yar", CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rules, err := Compile([]byte(skimmerRules), "b.yar", CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		rs   *Rules
	}{{"baseline-one-literal", base}, {"skimmer-rule-set", rules}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := bc.rs.ScanBytes(context.Background(), data, ScanOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLongLineRegex is the case where yara goes quadratic: a regex with
// no atom and a long repetition over a line with no newline. Linear time shows
// as the 10 MB case taking about 10 times the 1 MB case.
func BenchmarkLongLineRegex(b *testing.B) {
	big := minifiedJS(10 << 20)
	small := big[:1<<20]
	for _, bc := range []struct {
		name, rule string
		data       []byte
	}{
		{"baseline-one-literal-10MB", `rule r { strings: $a = "atob(" condition: $a }`, big},
		{"no-newline-5000-10MB", `rule r { strings: $a = /[^\n]{5000}/ condition: $a }`, big},
		{"no-newline-3000-then-Q-1MB", `rule r { strings: $a = /[^\n]{3000}Q/ condition: $a }`, small},
		{"no-newline-3000-then-Q-10MB", `rule r { strings: $a = /[^\n]{3000}Q/ condition: $a }`, big},
		{"no-newline-3000-then-digit-100KB", `rule r { strings: $a = /[^\n]{3000}[0-9]/ condition: $a }`, noDigits(small[:100_000])},
		{"no-newline-3000-then-digit-200KB", `rule r { strings: $a = /[^\n]{3000}[0-9]/ condition: $a }`, noDigits(big[:200_000])},
		{"no-newline-64-every-offset-matches-10MB", `rule r { strings: $a = /[^\n]{64}/ condition: #a > 0 }`, big},
		{"regex-with-atom-10MB", `rule r { strings: $a = /checkout[^\n]{0,200}price/ condition: $a }`, big},
	} {
		rs, err := Compile([]byte(bc.rule), "b.yar", CompileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				_, _ = rs.ScanBytes(context.Background(), bc.data, ScanOptions{})
			}
		})
	}
}

// noDigits copies data with digits replaced, so /...[0-9]/ cannot match.
func noDigits(data []byte) []byte {
	out := append([]byte(nil), data...)
	for i, c := range out {
		if c >= '0' && c <= '9' {
			out[i] = 'x'
		}
	}
	return out
}

// BenchmarkCompileRuleSet compiles 1 000 and 4 000 generated rules; compile
// time should grow about linearly (4x).
func BenchmarkCompileRuleSet(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "rule r%d : web {\n meta:\n  id = %d\n strings:\n  $a = \"skim%dmer\" nocase\n  $b = { 3C 73 [0-4] %02X }\n  $c = /pay[a-z]{1,8}%d/\n condition:\n  2 of them\n}\n", i, i, i, i%256, i)
		}
		src := []byte(sb.String())
		b.Run(fmt.Sprintf("%d-rules", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := Compile(src, "big.yar", CompileOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
