package honey

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// fuzzEncoders are the outer encodings FuzzMatcher stacks, up to MaxDepth.
var fuzzEncoders = []struct {
	label string
	enc   func(string) string
}{
	{"base64", b64},
	{"base64", b64url},
	{"hex", hexLower},
	{"hex", hexUpper},
	{"url", pctAll},
	{"json", jsonAll},
	// In brackets, as JSON.stringify writes an array: a list glued to other
	// digits would change its first and last numbers.
	{"charcodes", func(s string) string { return "[" + charCodes(s) + "]" }},
}

// FuzzMatcher hides a long honey value under a random stack of encodings
// between arbitrary bytes, and checks it is found.
func FuzzMatcher(f *testing.F) {
	f.Add([]byte("d="), []byte("&x=1"), uint8(0), uint16(0x0000), uint8(0))
	f.Add([]byte("abc"), []byte("def"), uint8(1), uint16(0x0321), uint8(0x5a))
	f.Add([]byte{0xff, 0x00, '+'}, []byte("=="), uint8(3), uint16(0x0154), uint8(1))
	f.Add([]byte(`{"a":"`), []byte(`"}`), uint8(6), uint16(0x0005), uint8(0x80))
	id := testIdentity(f, 42)
	m := NewMatcher(id.Values())
	var long []Value
	for _, v := range id.Values() {
		if !shortClass(v.Class) {
			long = append(long, v)
		}
	}
	f.Fuzz(func(t *testing.T, prefix, suffix []byte, which uint8, chain uint16, key uint8) {
		if len(prefix) > 4096 || len(suffix) > 4096 {
			return
		}
		v := long[int(which)%len(long)]
		s := v.Text
		var labels []string
		// Inner transforms first (they apply within one layer), then up to
		// three outer encodings: chain's low bits say how many, then which.
		if chain&0x1000 != 0 {
			s = rev(s)
		}
		if key != 0 {
			if chain&0x2000 != 0 {
				s = shift(s, key)
			} else {
				s = xor(s, key)
			}
		}
		n := int(chain & 3)
		for i := 0; i < n; i++ {
			e := fuzzEncoders[int(chain>>(2+3*i)&7)%len(fuzzEncoders)]
			s = e.enc(s)
			labels = append([]string{e.label}, labels...)
		}
		// A stray escape character right before the value would escape its
		// first byte, as it would in a real payload; keep them apart.
		if len(prefix) > 0 && (prefix[len(prefix)-1] == '\\' || prefix[len(prefix)-1] == '%') {
			prefix = append(slices.Clip(prefix), ' ')
		}
		payload := slices.Concat(prefix, []byte(s), suffix)
		for _, mt := range m.Find(payload) {
			if mt.Class == v.Class && mt.Value == v.Text {
				return
			}
		}
		t.Fatalf("%s %q under %v (key %#x added %v, reversed %v) not found in %q", v.Class, v.Text, labels, key, chain&0x2000 != 0, chain&0x1000 != 0, payload)
	})
}

// FuzzMatcherArbitrary feeds arbitrary bytes: no panic, the same answer
// twice, offsets inside the payload.
func FuzzMatcherArbitrary(f *testing.F) {
	id := testIdentity(f, 43)
	f.Add([]byte("cvv=" + id.CVV))
	f.Add([]byte(`\u00` + "%4" + `\ud800\udc00%u12`))
	f.Add([]byte(b64(id.CardNumber + id.CVV)))
	f.Add([]byte(hexLower(xor(id.Email, 7))))
	m := NewMatcherWith(id.Values(), MatcherOptions{MaxDecoded: 1 << 20})
	f.Fuzz(func(t *testing.T, payload []byte) {
		a := m.Scan(payload)
		b := m.Scan(bytes.Clone(payload))
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("two scans differ: %v / %v", a, b)
		}
		for _, mt := range a.Matches {
			if mt.Offset < 0 || mt.Offset > len(payload) {
				t.Fatalf("offset %d outside payload of %d", mt.Offset, len(payload))
			}
			if mt.Encoding == "" {
				t.Fatalf("empty encoding in %+v", mt)
			}
		}
	})
}

// FuzzPhonePrefix checks that any prefix NewIdentity accepts starts the
// phone it draws, and that the phone is a whole Japanese number: digits
// from 0, 11 long for 0A0 blocks and 10 otherwise.
func FuzzPhonePrefix(f *testing.F) {
	for _, s := range []string{"", "031", "070-1234", "0355550123", "9", "0-", "0000000000000", "06-6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		id, err := NewIdentity(Options{PhonePrefix: prefix})
		if err != nil {
			return
		}
		p := prefix
		if p == "" {
			p = DefaultPhonePrefix
		}
		p = string(bytes.ReplaceAll([]byte(p), []byte("-"), nil))
		ph := id.Phone
		if !allDigits(ph) || ph[0] != '0' || !bytes.HasPrefix([]byte(ph), []byte(p)) {
			t.Fatalf("prefix %q drew phone %q", prefix, ph)
		}
		want := 10
		if ph[1] != '0' && ph[2] == '0' {
			want = 11
		}
		if len(ph) != want {
			t.Fatalf("prefix %q drew phone %q of %d digits, want %d", prefix, ph, len(ph), want)
		}
	})
}
