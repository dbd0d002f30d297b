// Package acbench compares Aho-Corasick automata on a realistic prefilter
// workload for the YARA engine. It is its own module (under testdata, so the
// main module ignores it) to keep these libraries out of skimwatch's go.mod.
//
// Run: cd internal/yara/testdata/acbench && go test -bench . -benchtime 5x
package acbench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	bobu "github.com/BobuSumisu/aho-corasick"
	cloudflare "github.com/cloudflare/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"
)

// atoms mimics what skimmer rules produce: 4-byte atoms from keywords plus
// the 255 xor variants of one string.
func atoms() [][]byte {
	words := []string{"atob(", "eval(", "document.cookie", "cc_number", "cvv", "card", "fetch(", "XMLHttpRequest",
		"btoa(", "onsubmit", "checkout", "billing", "payment", "WebSocket", "sendBeacon", "String.fromCharCode",
		"unescape", "\\x63\\x61", "base64", "localStorage", "navigator", "googletagmanager", "jquery.min", "new Image"}
	var out [][]byte
	seen := map[string]bool{}
	add := func(b []byte) {
		if len(b) > 4 {
			b = b[:4]
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	for _, w := range words {
		add([]byte(w))
		add([]byte(strings.ToUpper(w)))
	}
	for k := 1; k < 256; k++ {
		x := []byte("skimmer")
		for i := range x {
			x[i] ^= byte(k)
		}
		add(x)
	}
	return out
}

// input is ~8 MiB of minified-JavaScript-like text.
func input() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	toks := []string{"function", "(", ")", "{", "}", "var ", "return ", "this.", "=", ";", "if(", "else", "&&", "||",
		"document.getElementById(", "\"", "'", ",", ".", "0", "1", "null", "true", "window.", "e", "t", "n", "r", "a",
		"cart", "price", "payment", "checkout", "eval(", "\n"}
	var sb strings.Builder
	for sb.Len() < 8<<20 {
		sb.WriteString(toks[r.IntN(len(toks))])
		if r.IntN(5) == 0 {
			fmt.Fprintf(&sb, "_%x", r.Uint32())
		}
	}
	return []byte(sb.String())
}

// dense is the engine's own automaton: a dense 256-way table per state.
type dense struct {
	delta []int32
	out   [][]int32
}

func buildDense(pats [][]byte) *dense {
	a := &dense{delta: make([]int32, 256), out: [][]int32{nil}}
	for i := range a.delta {
		a.delta[i] = -1
	}
	for pi, p := range pats {
		s := int32(0)
		for _, b := range p {
			nx := a.delta[int(s)*256+int(b)]
			if nx < 0 {
				nx = int32(len(a.out))
				a.out = append(a.out, nil)
				for j := 0; j < 256; j++ {
					a.delta = append(a.delta, -1)
				}
				a.delta[int(s)*256+int(b)] = nx
			}
			s = nx
		}
		a.out[s] = append(a.out[s], int32(pi))
	}
	fail := make([]int32, len(a.out))
	var queue []int32
	for b := 0; b < 256; b++ {
		if nx := a.delta[b]; nx > 0 {
			queue = append(queue, nx)
		} else {
			a.delta[b] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(a.out[s], a.out[fail[s]]...)
		for b := 0; b < 256; b++ {
			nx := a.delta[int(s)*256+b]
			fb := a.delta[int(fail[s])*256+b]
			if nx > 0 {
				fail[nx] = fb
				queue = append(queue, nx)
			} else {
				a.delta[int(s)*256+b] = fb
			}
		}
	}
	return a
}

func (a *dense) count(data []byte) int {
	n, s := 0, int32(0)
	for _, c := range data {
		s = a.delta[int(s)*256+int(c)]
		n += len(a.out[s])
	}
	return n
}

func BenchmarkPrefilter(b *testing.B) {
	pats := atoms()
	data := input()
	strs := make([]string, len(pats))
	for i, p := range pats {
		strs[i] = string(p)
	}
	own := buildDense(pats)
	want := own.count(data)
	b.Run("own-dense", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if own.count(data) != want {
				b.Fatal("count changed")
			}
		}
	})
	pb := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
	pd := pb.BuildByte(pats)
	b.Run("petar-dambovaliev-dfa-overlapping", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			n := 0
			it := pd.IterOverlappingByte(data)
			for m := it.Next(); m != nil; m = it.Next() {
				n++
			}
			if n != want {
				b.Fatalf("petar found %d hits, own %d", n, want)
			}
		}
	})
	bt := bobu.NewTrieBuilder().AddPatterns(pats).Build()
	b.Run("bobusumisu", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if n := len(bt.Match(data)); n != want {
				b.Fatalf("bobusumisu found %d hits, own %d", n, want)
			}
		}
	})
	cf := cloudflare.NewMatcher(pats)
	b.Run("cloudflare-no-offsets", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			_ = cf.Match(data)
		}
	})
}
