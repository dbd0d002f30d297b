package card

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func seeds(f *testing.F) {
	for _, s := range []string{
		visa, "4539 1488 0343 6467", "cc=4539%201488%200343%206467", visa + "0729123",
		hex.EncodeToString([]byte(visa)), base64.StdEncoding.EncodeToString([]byte("cc=" + master)),
		string(utf16le("n=" + jcb)), string(utf16be(jcb)), honey, "1732982400001", "", "%3", "4%", "\x00",
	} {
		f.Add([]byte(s))
	}
}

func FuzzFind(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, c := range Find(in) {
			if c.Start < 0 || c.End > len(in) || c.Start >= c.End {
				t.Fatalf("span [%d,%d) outside %d bytes", c.Start, c.End, len(in))
			}
			if !validDigits(c.Digits) {
				t.Fatalf("candidate %q is not a card number", c.Digits)
			}
			if c.Encoding == EncodingASCII && !c.Glued {
				if got := Valid(string(in[c.Start:c.End])); !got {
					t.Fatalf("ASCII span %q is not the card %s", in[c.Start:c.End], c.Digits)
				}
			}
		}
	})
}

func FuzzMaskBytes(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		out := MaskBytes(in)
		if len(out) != len(in) {
			t.Fatalf("length changed: %d -> %d", len(in), len(out))
		}
		for _, c := range Find(out) {
			if !c.Test() {
				t.Fatalf("card %s left in %s at [%d,%d) of %q (input %q)", c.Digits, c.Encoding, c.Start, c.End, out, in)
			}
		}
		// Only bytes that encode a card may change: a byte outside every
		// candidate's span is left as it was.
		inSpan := make([]bool, len(in))
		for _, c := range Find(in) {
			for i := c.Start; i < c.End; i++ {
				inSpan[i] = true
			}
		}
		for i := range in {
			if in[i] != out[i] && !inSpan[i] {
				t.Fatalf("byte %d changed from %q to %q outside any card (input %q)", i, in[i], out[i], in)
			}
		}
		if again := MaskBytes(out); string(again) != string(out) {
			t.Fatalf("masking twice changed %q to %q", out, again)
		}
	})
}
