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
// no atom and a long repetition over a 10 MB line with no newline.
func BenchmarkLongLineRegex(b *testing.B) {
	data := minifiedJS(10 << 20)
	for _, bc := range []struct{ name, rule string }{
		{"baseline-one-literal", `rule r { strings: $a = "atob(" condition: $a }`},
		{"no-newline-5000", `rule r { strings: $a = /[^\n]{5000}/ condition: $a }`},
		{"no-newline-64-atomless", `rule r { strings: $a = /[^\n]{64}/ condition: #a > 0 }`},
		{"regex-with-atom", `rule r { strings: $a = /checkout[^\n]{0,200}price/ condition: $a }`},
	} {
		rs, err := Compile([]byte(bc.rule), "b.yar", CompileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, _ = rs.ScanBytes(context.Background(), data, ScanOptions{})
			}
		})
	}
}
