package yara

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The prefilter runs each 64 KiB chunk as four quarters at once; atoms that
// straddle a quarter or chunk boundary must be found exactly once, in order.
func TestPrefilterFindsAtomsAcrossHalvesAndChunks(t *testing.T) {
	lits := []string{"abca", "bcab", "cab", "ab"}
	src := "rule r { strings:"
	for i, l := range lits {
		src += fmt.Sprintf(" $s%d = %q", i, l)
	}
	src += " condition: any of them }"
	rs := mustCompile(t, src, CompileOptions{})
	rng := rand.New(rand.NewPCG(7, 9))
	for _, size := range []int{0, 1, 511, 512, 513, 4097, checkEvery - 1, checkEvery, checkEvery + 1, checkEvery + checkEvery/2 + 3, 3*checkEvery + 77} {
		t.Run(fmt.Sprintf("%d bytes of a three-letter alphabet", size), func(t *testing.T) {
			data := make([]byte, size)
			for i := range data {
				data[i] = "abcx"[rng.IntN(4)]
			}
			// Plant atoms right across every quarter and chunk boundary.
			for from := 0; from < size; from += checkEvery {
				n := min(checkEvery, size-from)
				q := n / 4
				for _, at := range []int{from + q - 1, from + 2*q - 2, from + 3*q - 3, from + n - 2} {
					if at >= 0 && at+4 <= size {
						copy(data[at:], "abca")
					}
				}
			}
			ms, err := rs.ScanBytes(context.Background(), data, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]int64{}
			for _, m := range ms {
				for _, s := range m.Strings {
					got[s.ID] = append(got[s.ID], s.Offset)
				}
			}
			for i, l := range lits {
				var want []int64
				for k := 0; k+len(l) <= len(data); k++ {
					if bytes.HasPrefix(data[k:], []byte(l)) {
						want = append(want, int64(k))
					}
				}
				id := fmt.Sprintf("$s%d", i)
				if !slices.Equal(got[id], want) {
					t.Errorf("%s %q: %d matches, want %d", id, l, len(got[id]), len(want))
				}
			}
		})
	}
}
