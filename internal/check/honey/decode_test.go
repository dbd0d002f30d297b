package honey

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// asciiRunsSlow is the obvious way to find text runs, as an oracle.
func asciiRunsSlow(b []byte) [][2]int {
	var rs [][2]int
	start := 0
	for i := 0; i <= len(b); i++ {
		if i < len(b) && asciiText[b[i]] {
			continue
		}
		if i-start >= minText {
			rs = append(rs, [2]int{start, i})
		}
		start = i + 1
	}
	return rs
}

func TestASCIIRunsAgreesWithTheObviousScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := 0; n < 2000; n++ {
		b := make([]byte, r.IntN(80))
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = byte(r.IntN(32))
			} else {
				b[i] = 'a'
			}
		}
		got := asciiRuns(nil, b, 0, len(b))
		want := asciiRunsSlow(b)
		if !slices.Equal(got, want) {
			t.Fatalf("asciiRuns(%q) = %v, want %v", b, got, want)
		}
	}
}

func TestTextRegionsSkipJunkAlignments(t *testing.T) {
	l := &layer{data: []byte("q=" + b64(`{"cvv":"123","exp":"07/29"}`) + "&")}
	dec := decodeBase64(l, limits{budget: 1 << 20})
	if dec == nil {
		t.Fatal("no base64 layer")
	}
	var text []string
	for _, rg := range dec.regions() {
		text = append(text, string(dec.data[rg[0]:rg[1]]))
	}
	if !slices.Contains(text, `{"cvv":"123","exp":"07/29"}`) {
		t.Errorf("regions %q miss the JSON", text)
	}
}
