package card

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"
)

// Real-shaped numbers: Luhn-valid, with real issuer prefixes, outside the
// test range. None is a customer's card.
const (
	visa     = "4539148803436467"
	master   = "5425233430109903"
	amex     = "378282246310005"
	jcb      = "3530111333300000"
	master2  = "2223000048410010"
	diners14 = "36227206271667"
	honey    = "4111111111111111"
)

func TestLuhn(t *testing.T) {
	tests := []struct {
		name   string
		digits string
		want   bool
	}{
		{"a Visa-shaped number passes", visa, true},
		{"an Amex-shaped 15-digit number passes", amex, true},
		{"the last digit changed fails", visa[:15] + "8", false},
		{"two neighbouring digits swapped fail", "4593148803436467", false},
		{"a single digit is not enough", "0", false},
		{"a space inside is not a digit", "4539 1488", false},
		{"an empty string fails", "", false},
		{"the textbook example 79927398713 passes", "79927398713", true},
		{"the textbook example with its last digit changed fails", "79927398710", false},
		{"two zeros pass", "00", true},
		{"a letter fails", "411111111111111a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Luhn(tt.digits); got != tt.want {
				t.Errorf("Luhn(%q) = %v, want %v", tt.digits, got, tt.want)
			}
		})
	}
}

func TestCheckDigitMakesLuhnValidNumbers(t *testing.T) {
	for _, body := range []string{"453914880343646", "41111111111111", "1", "99999999999999999"} {
		t.Run("a body of "+body+" gets a digit that passes Luhn", func(t *testing.T) {
			d := CheckDigit(body)
			if d < 0 || d > 9 || !Luhn(body+string(rune('0'+d))) {
				t.Errorf("CheckDigit(%q) = %d", body, d)
			}
		})
	}
	if d := CheckDigit("12a"); d != -1 {
		t.Errorf("CheckDigit of a non-digit = %d, want -1", d)
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		name   string
		number string
		want   bool
	}{
		{"a Visa-shaped number is a card", visa, true},
		{"groups of four with spaces are a card", "4539 1488 0343 6467", true},
		{"groups with dashes are a card", "5425-2334-3010-9903", true},
		{"a Mastercard 2-series number is a card", master2, true},
		{"a 14-digit Diners number is a card", diners14, true},
		{"a 13-digit Luhn-valid number is a card", "4222222222222", true},
		{"a 12-digit Luhn-valid number is too short", "422222222222", false},
		{"a 20-digit number is too long", "42222222222222200046", false},
		{"a millisecond timestamp that passes Luhn starts with 1", "1732982400001", false},
		{"a Japanese mobile number starts with 0", "09012345678", false},
		{"an order number that fails Luhn is not a card", "2024113000123", false},
		{"letters are not a card", "SPRING-SALE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.number); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.number, got, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a 16-digit number keeps its first six and last four", visa, "453914******6467"},
		{"separators stay where they were", "4539 1488 0343 6467", "4539 14** **** 6467"},
		{"a 15-digit Amex keeps six and four", amex, "378282*****0005"},
		{"ten digits or fewer are left alone", "0312345678", "0312345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestFind(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		digits   string
		encoding string
		glued    bool
	}{
		{"a bare number is found", []byte(visa), visa, EncodingASCII, false},
		{"a number in a URL path is found", []byte("https://evil.example/c/" + master + "/x.gif"), master, EncodingASCII, false},
		{"a number in groups in a query is found", []byte("?cc=4539-1488-0343-6467&exp=0729"), visa, EncodingASCII, false},
		{"a URL-escaped number with escaped spaces is found", []byte("cc=" + url.PathEscape("4539 1488 0343 6467")), visa, EncodingURL, false},
		{"a number with '+' for spaces is found", []byte("cc=5425+2334+3010+9903"), master, EncodingURL, false},
		{"a doubly escaped number is found", []byte("u=https%3A%2F%2Fevil.example%2Fc%3Fn%3D4539%25201488%25200343%25206467"), visa, EncodingURL, false},
		{"a fully percent-escaped number is found", []byte("%34%35%33%39%31%34%38%38%30%33%34%33%36%34%36%37"), visa, EncodingURL, false},
		{"a UTF-16LE number is found", append([]byte("\xff\xfe"), utf16le("card="+jcb)...), jcb, EncodingUTF16LE, false},
		{"a UTF-16BE number is found", utf16be("card=" + jcb), jcb, EncodingUTF16BE, false},
		{"a hex-encoded number is found", []byte("d=" + hex.EncodeToString([]byte("cc="+visa))), visa, "hex>ascii", false},
		{"an upper-case hex number is found", []byte(strings.ToUpper(hex.EncodeToString([]byte(amex)))), amex, "hex>ascii", false},
		{"a base64 number is found", []byte("x=" + base64.StdEncoding.EncodeToString([]byte(`{"n":"`+master+`"}`))), master, "base64>ascii", false},
		{"an unpadded URL-alphabet base64 number is found", []byte("/p/" + base64.RawURLEncoding.EncodeToString([]byte("??>"+master2))), master2, "base64>ascii", false},
		{"base64 of a URL-escaped number is found", []byte(base64.StdEncoding.EncodeToString([]byte("cc=" + url.QueryEscape("4539 1488 0343 6467")))), visa, "base64>url", false},
		{"a number glued to a CVV past 19 digits is found", []byte(visa + "1234"), visa, EncodingASCII, true},
		{"a test-range number is found too", []byte(honey), honey, EncodingASCII, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := Find(tt.in)
			for _, c := range cs {
				if c.Digits == tt.digits && c.Encoding == tt.encoding && c.Glued == tt.glued {
					if c.Start < 0 || c.End > len(tt.in) || c.Start >= c.End {
						t.Fatalf("span [%d,%d) outside the input of %d bytes", c.Start, c.End, len(tt.in))
					}
					return
				}
			}
			t.Errorf("Find(%q) = %+v, want %s in %s (glued %v)", tt.in, cs, tt.digits, tt.encoding, tt.glued)
		})
	}
}

func TestFindSpansCoverTheEncodedNumber(t *testing.T) {
	tests := []struct {
		name, prefix, encoded string
	}{
		{"a raw number's span is the number", "id=", visa},
		{"a grouped number's span runs from first to last digit", "id=", "4539 1488 0343 6467"},
		{"a hex number's span is its hex", "h=", hex.EncodeToString([]byte(visa))},
		{"an escaped number's span ends after its last escape", "u=", "%34%35%33%39%31%34%38%38%30%33%34%33%36%34%36%37"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.prefix + tt.encoded + ";"
			cs := Find([]byte(in))
			if len(cs) == 0 {
				t.Fatalf("nothing found in %q", in)
			}
			c := cs[len(cs)-1]
			if got := in[c.Start:c.End]; got != tt.encoded {
				t.Errorf("span = %q, want %q", got, tt.encoded)
			}
		})
	}
}

func TestFindIgnoresNearMisses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"an order number that fails Luhn", "order ORD-2024113000123 placed"},
		{"a millisecond timestamp that passes Luhn", `{"t":1732982400001}`},
		{"a Japanese mobile number with dashes", "tel 090-1234-5678"},
		{"an international phone number", "+81 90 1234 5678"},
		{"a 12-digit Luhn-valid number is too short", "n=422222222222"},
		{"a date and time", "2026-11-30 19:25:43"},
		{"a number split by two spaces is two numbers", "4539 1488  0343 6467"},
		{"a Visa-shaped number that fails Luhn", "4539148803436468"},
		{"a hex digest", "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"plain text", "querySelector('#cc_number').value"},
		{"a literal percent sign before digits", "100%25 off 4539148803436468"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if cs := Find([]byte(tt.in)); len(cs) != 0 {
				t.Errorf("Find(%q) = %+v, want nothing", tt.in, cs)
			}
		})
	}
}

func TestMaskBytes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a raw number in a URL path keeps six and four", "https://evil.example/c/" + visa + "/x.gif", "https://evil.example/c/453914******6467/x.gif"},
		{"a grouped number keeps its separators", "cc=4539 1488 0343 6467&cvv=123", "cc=4539 14** **** 6467&cvv=123"},
		{"raw digits between escaped spaces become stars", "cc=4539%201488%200343%206467", "cc=4539%2014**%20****%206467"},
		{"a doubly escaped digit stays doubly escaped", "n%3D%2534%2535%2533%2539%2531%2534%2538%2538%2530%2533%2534%2533%2536%2534%2536%2537", "n%3D%2534%2535%2533%2539%2531%2534%252A%252A%252A%252A%252A%252A%2536%2534%2536%2537"},
		{"a percent-escaped digit becomes %2A", "%34%35%33%39%31%34%38%38%30%33%34%33%36%34%36%37", "%34%35%33%39%31%34%2A%2A%2A%2A%2A%2A%36%34%36%37"},
		{"a number glued past 19 digits keeps six and four of the run", visa + "0729123", "453914*************9123"},
		{"a test-range number is left for the honey matcher", "cc=" + honey, "cc=" + honey},
		{"an order number that fails Luhn is left alone", "order=2024113000123", "order=2024113000123"},
		{"text without a card is unchanged", "querySelector('#cc_number')", "querySelector('#cc_number')"},
		{"a hex number is re-encoded masked", "h=" + hex.EncodeToString([]byte(visa)) + ";", "h=" + hex.EncodeToString([]byte("453914******6467")) + ";"},
		{"an upper-case hex number stays upper case", strings.ToUpper(hex.EncodeToString([]byte("cc=" + visa))), strings.ToUpper(hex.EncodeToString([]byte("cc=453914******6467")))},
		{"a base64 number is re-encoded masked", "b=" + base64.StdEncoding.EncodeToString([]byte("cc="+master+"&")), "b=" + base64.StdEncoding.EncodeToString([]byte("cc=542523******9903&"))},
		{"a URL-alphabet base64 number keeps its alphabet", base64.RawURLEncoding.EncodeToString([]byte("\xfb\xff" + master)), base64.RawURLEncoding.EncodeToString([]byte("\xfb\xff542523******9903"))},
		{"a UTF-16LE number is masked in place", string(utf16le("n=" + jcb)), string(utf16le("n=353011******0000"))},
		{"a UTF-16BE number is masked in place", string(utf16be("n=" + jcb)), string(utf16be("n=353011******0000"))},
		{"two numbers in one string are both masked", visa + "," + amex, "453914******6467,378282*****0005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(MaskBytes([]byte(tt.in))); got != tt.want {
				t.Errorf("MaskBytes(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if got := MaskString(tt.in); got != tt.want {
				t.Errorf("MaskString(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskCut(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a whole card is masked as by MaskString", "x(" + visa + ")", "x(453914******6467)"},
		{"a card cut short at the end keeps only its first six", "Element innerHTML|4539 1488 0343 6", "Element innerHTML|4539 14** **** *"},
		{"ten digits at the end are too few to be most of a card", "tel=0312345678", "tel=0312345678"},
		{"a long digit run not at the end is left alone", "id=45391488034360 x", "id=45391488034360 x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskCut(tt.in); got != tt.want {
				t.Errorf("MaskCut(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskBytesReturnsTheInputWhenNothingIsMasked(t *testing.T) {
	in := []byte("nothing to see: 2024113000123")
	if out := MaskBytes(in); &out[0] != &in[0] {
		t.Error("a copy was made although nothing was masked")
	}
}

// The collector masks every field of every report: these are its common
// case (an asset URL with a hash, no card) and its worst (an alphanumeric
// base64 token, decoded three layers deep).
func BenchmarkMaskString(b *testing.B) {
	for _, bc := range []struct{ name, s string }{
		{"asset URL with a hash", "https://cdn.shop.example/assets/app.3f9a8b7c6d5e4f3a2b1c0d9e.js"},
		{"URL with a card in the path", "https://evil.example/c/" + visa + "/p.gif"},
		{"URL with an alphanumeric base64 token", "https://shop.example/pay?s=" + base64.RawURLEncoding.EncodeToString([]byte("abcdefghijklmnopqrstuvwxyz0123456789"))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				MaskString(bc.s)
			}
		})
	}
}
