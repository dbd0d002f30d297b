package yara

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
)

// The matching state kept between scans (lazy DFAs, reverse start filters,
// Pike VM buffers) must not leak one scan's input into another's result.
func TestScansSharingCachedStateMatchLikeFreshRules(t *testing.T) {
	const src = `
rule forward_dfa { strings: $a = /new Image\(\)\.src\s*=\s*[a-z]+/ condition: $a }
rule reverse_filter { strings: $a = /[^\n]{3}Q[0-9]+/ condition: #a > 1 }
rule at_start { strings: $a = /^ab+c/ condition: $a }
rule alternation { strings: $a = /(eval|assert)\s*\(\s*atob/ nocase condition: $a }
rule hex { strings: $a = { 61 ?? 63 [1-3] 64 } condition: $a at 0 or #a > 2 }
`
	shared := mustCompile(t, src, CompileOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"new Image().src = x", "new Image().src=", "abbbc", "ab", "xyzQ12", "Q", "\n", "EVAL ( atob", "assert(atob", "axcd", "a c  d", " ", "zz"}
	inputs := make([][]byte, 200)
	for i := range inputs {
		var b []byte
		for range rng.IntN(40) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		inputs[i] = b
	}
	want := make([][]Match, len(inputs))
	for i, in := range inputs {
		fresh := mustCompile(t, src, CompileOptions{})
		ms, err := fresh.ScanBytes(context.Background(), in, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = ms
	}
	hits := map[string]int{}
	for _, ms := range want {
		for _, m := range ms {
			hits[m.Rule]++
		}
	}
	for _, r := range []string{"forward_dfa", "reverse_filter", "at_start", "alternation", "hex"} {
		if hits[r] == 0 || hits[r] == len(inputs) {
			t.Fatalf("rule %s matched %d of %d inputs: the inputs do not exercise it", r, hits[r], len(inputs))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(inputs))
	for w := range 4 {
		wg.Go(func() {
			for k := range inputs {
				i := (k*7 + w*13) % len(inputs)
				got, err := shared.ScanBytes(context.Background(), inputs[i], ScanOptions{})
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(got, want[i]) {
					errs <- fmt.Errorf("input %d %q: got %v, want %v", i, inputs[i], ruleNames(got), ruleNames(want[i]))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
