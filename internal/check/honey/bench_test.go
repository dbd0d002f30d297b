package honey

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// benchPayload builds n bytes of what checkout pages send: form bodies,
// JSON, a base64 blob, analytics query strings, with the honey card base64-
// encoded near the end so the whole payload is always searched.
func benchPayload(id Identity, n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		w := make([]byte, 3+r.IntN(8))
		for i := range w {
			w[i] = letters[r.IntN(len(letters))]
		}
		return string(w)
	}
	tail := "&d=" + b64(`{"n":"`+id.CardNumber+`"}`)
	for b.Len() < n-len(tail) {
		switch r.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "%s=%s&", word(), url.QueryEscape(word()+" "+word()+"/"+word()))
		case 1:
			fmt.Fprintf(&b, `{"%s":%d,"%s":"%s"},`, word(), r.IntN(1e6), word(), word())
		case 2:
			blob := make([]byte, 48)
			for i := range blob {
				blob[i] = byte(r.Uint32())
			}
			fmt.Fprintf(&b, "img=%s&", b64(string(blob)))
		case 3:
			fmt.Fprintf(&b, "_ga=GA1.2.%d.%d&cid=%x&", r.Uint32(), r.Uint32(), r.Uint64())
		}
	}
	out := b.Bytes()[:n-len(tail)]
	return append(out, tail...)
}

// BenchmarkFind measures the matcher against bytes.Index of one needle over
// the same payload: the ratio is what decoding every encoding and searching
// all values under all XOR keys costs over the cheapest possible search.
func BenchmarkFind(b *testing.B) {
	id := testIdentity(b, 99)
	m := NewMatcher(id.Values())
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		p := benchPayload(id, size)
		if !strings.Contains(fmt.Sprint(m.Find(p)), id.CardNumber) {
			b.Fatalf("card not found in the %d-byte payload", size)
		}
		needle := []byte(id.Email)
		b.Run(fmt.Sprintf("baseline-bytes.Index/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if bytes.Index(p, needle) >= 0 {
					b.Fatal("found")
				}
			}
		})
		b.Run(fmt.Sprintf("matcher/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				m.Find(p)
			}
			b.ReportMetric(amplification(m, p), "decoded/byte")
		})
	}
	beacon := []byte("https://www.google-analytics.example/g/collect?v=2&tid=G-X1Y2Z3&cid=1732541234.1732541234" +
		"&dl=https%3A%2F%2Fshop.example%2Fcheckout%2Fpayment&dt=%E3%81%8A%E6%94%AF%E6%89%95%E3%81%84&en=page_view" +
		"&_p=1732541299123&sid=1732541234&sct=3&seg=1&_et=5123&uafvl=Chromium%3B131.0.6778.85\n")
	b.Run("baseline-bytes.Index/beacon-URL", func(b *testing.B) {
		b.SetBytes(int64(len(beacon)))
		for b.Loop() {
			bytes.Index(beacon, []byte(id.Email))
		}
	})
	b.Run("matcher/beacon-URL", func(b *testing.B) {
		b.SetBytes(int64(len(beacon)))
		for b.Loop() {
			m.Find(beacon)
		}
		b.ReportMetric(amplification(m, beacon), "decoded/byte")
	})
	rnd := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	b.Run("matcher/1024KB-random", func(b *testing.B) {
		b.SetBytes(int64(len(rnd)))
		for b.Loop() {
			m.Find(rnd)
		}
		b.ReportMetric(amplification(m, rnd), "decoded/byte")
	})
}

// amplification is the bytes of decoded layers per payload byte: the work
// the matcher does beyond the payload itself, independent of machine load.
func amplification(m *Matcher, p []byte) float64 {
	s := &scan{m: m}
	s.visit(&layer{data: p}, 0)
	return float64(s.decoded) / float64(len(p))
}
