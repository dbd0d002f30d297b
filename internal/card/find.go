package card

import (
	"bytes"
	"strings"
)

// Encodings a Candidate can be found in. Layers are written outermost
// first and joined with ">": "base64>url", "hex>utf16le".
const (
	EncodingASCII   = "ascii"
	EncodingURL     = "url"     // percent-escapes (and '+' for a space)
	EncodingUTF16LE = "utf16le" // each digit followed by a zero byte
	EncodingUTF16BE = "utf16be" // each digit after a zero byte
	EncodingHex     = "hex"
	EncodingBase64  = "base64" // standard or URL alphabet, padded or not
)

// Candidate is one card number found in a byte string.
type Candidate struct {
	// Start and End bound the bytes of the input that encode the number.
	// For base64 they are rounded out to whole characters.
	Start, End int
	// Digits is the card number alone. For a glued run it is the first
	// 13- to 19-digit window of the run that is a card number.
	Digits string
	// Encoding says how it was written, outermost layer first.
	Encoding string
	// Glued is true when the number was part of a longer run of digits.
	Glued bool
}

// Test reports whether the candidate is in the test range (see IsTest).
func (c Candidate) Test() bool { return IsTest(c.Digits) }

// maxDepth bounds the views: the input (raw, URL-escaped, UTF-16) is one,
// and each hex or base64 decoded below it one more, so base64 of hex of
// URL-escaped text is three. Each layer multiplies the work, and no skimmer we have seen
// nests deeper than two.
const maxDepth = 3

// Shortest encoded runs that can hold MinDigits digits: every digit is two
// hex characters, and three digits are four base64 characters.
const (
	minHexRun    = 2 * MinDigits
	minBase64Run = (MinDigits*4 + 2) / 3
)

// Find returns every card number in b, in every encoding it knows, test
// range included. The same number written in two encodings (a base64 run
// that is also hex) is found once per encoding.
func Find(b []byte) []Candidate {
	var out []Candidate
	find(b, 1, func(c Candidate) { out = append(out, c) })
	return out
}

// Contains reports whether s holds any card number, test range included.
func Contains(s string) bool {
	found := false
	find([]byte(s), 1, func(Candidate) { found = true })
	return found
}

func find(b []byte, depth int, yield func(Candidate)) {
	if !worthLooking(b) {
		return
	}
	scanRuns(textUnits(b), func(r run) {
		if c, ok := r.candidate(EncodingASCII); ok {
			yield(c)
		}
	})
	if bytes.IndexByte(b, 0) >= 0 {
		for _, v := range utf16Views {
			for a := range 2 {
				scanRuns(utf16Units(b, a, v.le), func(r run) {
					if c, ok := r.candidate(v.name); ok {
						yield(c)
					}
				})
			}
		}
	}
	if depth >= maxDepth {
		return
	}
	for _, l := range layers {
		for _, lr := range l.runs(b) {
			for a := range l.alignments {
				dec := l.decode(b[lr[0]:lr[1]], a)
				find(dec, depth+1, func(c Candidate) {
					c.Start, c.End = l.span(lr[0], a, c.Start, c.End)
					c.Encoding = l.name + ">" + c.Encoding
					yield(c)
				})
			}
		}
	}
}

// worthLooking is a cheap first pass: every encoding of a card holds at
// least MinDigits ASCII digits (raw, in UTF-16, in escapes like %34) or a
// long run of hex or base64 characters.
func worthLooking[T string | []byte](b T) bool {
	digits, alnum := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case isDigit(c):
			digits++
			alnum++
		case isBase64(c):
			alnum++
		default:
			alnum = 0
		}
		if digits >= MinDigits || alnum >= minBase64Run {
			return true
		}
	}
	return false
}

// unit is one character of a view of the input: a byte, a percent-escape,
// or a UTF-16 code unit.
type unit struct {
	c    byte // the character, or 0xff for anything not ASCII
	s, e int  // the bytes it takes in the input
	p    int  // where its ASCII byte is (for a plain byte or UTF-16)
	esc  bool // a percent-escape: masked by rewriting all of s..e
	url  bool // URL encoding: a percent-escape or '+' for a space
}

// textUnits reads raw ASCII and URL escapes in one view, so that a number
// written half escaped (4111%201111...) is still one run. An escape escaped
// again ("%2534", as a URL put into another URL's query gets) is one unit
// too, however often its '%' was escaped.
func textUnits(b []byte) func(yield func(unit) bool) {
	return func(yield func(unit) bool) {
		for i := 0; i < len(b); {
			u := unit{c: b[i], s: i, e: i + 1, p: i}
			switch {
			case b[i] == '%':
				if c, n := unescape(b[i:]); n > 0 {
					u = unit{c: c, s: i, e: i + n, esc: true, url: true}
				}
			case b[i] == '+':
				u.c, u.url = ' ', true
			}
			if !yield(u) {
				return
			}
			i = u.e
		}
	}
}

// unescape reads a percent-escape at the start of b, with any number of
// "%25" layers around it ("%34", "%2534", "%252534" are all '4'), and returns
// the byte and the escape's length, or 0 when b does not start with one.
func unescape(b []byte) (byte, int) {
	if len(b) < 3 || b[0] != '%' {
		return 0, 0
	}
	j := 1
	for j+1 < len(b) && isHex(b[j]) && isHex(b[j+1]) {
		if b[j] == '2' && b[j+1] == '5' && j+3 < len(b) && isHex(b[j+2]) && isHex(b[j+3]) {
			j += 2 // an escaped '%': the escape goes on
			continue
		}
		return hexVal(b[j])<<4 | hexVal(b[j+1]), j + 2
	}
	return 0, 0
}

var utf16Views = []struct {
	name string
	le   bool
}{{EncodingUTF16LE, true}, {EncodingUTF16BE, false}}

func utf16Units(b []byte, align int, le bool) func(yield func(unit) bool) {
	return func(yield func(unit) bool) {
		for i := align; i+1 < len(b); i += 2 {
			lo, hi := i, i+1
			if !le {
				lo, hi = i+1, i
			}
			u := unit{c: 0xff, s: i, e: i + 2, p: lo}
			if b[hi] == 0 {
				u.c = b[lo]
			}
			if !yield(u) {
				return
			}
		}
	}
}

// run is a maximal run of digits with single spaces or dashes between them.
type run struct {
	units []unit // the digits only
	url   bool   // some digit or separator was URL-encoded
}

func scanRuns(units func(func(unit) bool), yield func(run)) {
	var cur []unit
	sep, url := false, false
	flush := func() {
		if len(cur) >= MinDigits {
			yield(run{units: cur, url: url})
		}
		cur, sep, url = cur[:0], false, false
	}
	for u := range units {
		switch {
		case isDigit(u.c):
			cur = append(cur, u)
			sep = false
			url = url || u.url
		case (u.c == ' ' || u.c == '-') && len(cur) > 0 && !sep:
			sep = true
			url = url || u.url
		default:
			flush()
		}
	}
	flush()
}

func (r run) digits() string {
	var sb strings.Builder
	for _, u := range r.units {
		sb.WriteByte(u.c)
	}
	return sb.String()
}

// windows returns the card numbers the run holds: the run itself when it is
// of card length, or for a longer run every window of card length that is
// one (a card glued to other digits), earliest first and, from one start,
// 16 and 15 digits before the rarer lengths.
func (r run) windows() (cards []string, glued bool) {
	d := r.digits()
	if len(d) <= MaxDigits {
		if validDigits(d) {
			return []string{d}, false
		}
		return nil, false
	}
	for start := 0; start+MinDigits <= len(d); start++ {
		for _, n := range windowLengths {
			if start+n > len(d) {
				continue
			}
			if w := d[start : start+n]; validDigits(w) {
				cards = append(cards, w)
			}
		}
	}
	return cards, true
}

// windowLengths are card lengths, most common first.
var windowLengths = []int{16, 15, 19, 18, 17, 14, 13}

func (r run) candidate(plain string) (Candidate, bool) {
	cards, glued := r.windows()
	if len(cards) == 0 {
		return Candidate{}, false
	}
	enc := plain
	if r.url {
		enc = EncodingURL
	}
	return Candidate{Start: r.units[0].s, End: r.units[len(r.units)-1].e, Digits: cards[0], Encoding: enc, Glued: glued}, true
}

// layer is an encoding that is undone before looking again: hex or base64.
type layer struct {
	name       string
	alignments int
	minRun     int
	in         func(byte) bool
	decode     func(run []byte, align int) []byte
	// span maps a decoded range back to the input's bytes.
	span func(runStart, align, s, e int) (int, int)
	// encode rewrites the run's characters that hold decoded bytes [s, e)
	// so that they encode dec[s:e]; no other character changes.
	encode func(run []byte, align int, dec []byte, s, e int)
}

var layers = []layer{
	{
		name: EncodingHex, alignments: 2, minRun: minHexRun, in: isHex,
		decode: decodeHex,
		span: func(runStart, align, s, e int) (int, int) {
			return runStart + align + 2*s, runStart + align + 2*e
		},
		encode: encodeHex,
	},
	{
		name: EncodingBase64, alignments: 4, minRun: minBase64Run, in: isBase64,
		decode: decodeBase64,
		span: func(runStart, align, s, e int) (int, int) {
			head := []int{0, 1, 2}
			tail := []int{0, 2, 3}
			return runStart + align + s/3*4 + head[s%3], runStart + align + e/3*4 + tail[e%3]
		},
		encode: encodeBase64,
	},
}

// runs returns [start, end) of every run of the layer's characters long
// enough to hold a card.
func (l layer) runs(b []byte) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= len(b); i++ {
		if i < len(b) && l.in(b[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= l.minRun {
			out = append(out, [2]int{start, i})
		}
		start = -1
	}
	return out
}

func decodeHex(run []byte, align int) []byte {
	run = run[align:]
	out := make([]byte, len(run)/2)
	for i := range out {
		out[i] = hexVal(run[2*i])<<4 | hexVal(run[2*i+1])
	}
	return out
}

func encodeHex(run []byte, align int, dec []byte, s, e int) {
	digits := "0123456789abcdef"
	if bytes.ContainsAny(run, "ABCDEF") {
		digits = "0123456789ABCDEF"
	}
	for i := s; i < e; i++ {
		run[align+2*i] = digits[dec[i]>>4]
		run[align+2*i+1] = digits[dec[i]&0xf]
	}
}

const (
	base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// decodeBase64 reads both alphabets at once (skimmers use either) and a
// trailing partial quantum, so a run needs no padding.
func decodeBase64(run []byte, align int) []byte {
	run = run[align:]
	out := make([]byte, 0, len(run)*3/4)
	for i := 0; i+1 < len(run); i += 4 {
		n := min(4, len(run)-i)
		var v uint32
		for k := range 4 {
			v <<= 6
			if k < n {
				v |= uint32(base64Val(run[i+k]))
			}
		}
		q := []byte{byte(v >> 16), byte(v >> 8), byte(v)}
		out = append(out, q[:n-1]...)
	}
	return out
}

// encodeBase64 rewrites the quanta that hold decoded bytes [s, e), in the
// alphabet the run uses.
func encodeBase64(run []byte, align int, dec []byte, s, e int) {
	alpha := base64Std
	if bytes.ContainsAny(run, "-_") && !bytes.ContainsAny(run, "+/") {
		alpha = base64URL
	}
	for q := s / 3; q*3 < e; q++ {
		n := min(3, len(dec)-q*3) // bytes in this quantum
		var v uint32
		for k := range 3 {
			v <<= 8
			if k < n {
				v |= uint32(dec[q*3+k])
			}
		}
		at := align + q*4
		for k := 0; k <= n; k++ {
			run[at+k] = alpha[v>>(18-6*k)&0x3f]
		}
	}
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isBase64(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '+' || c == '/' || c == '-' || c == '_'
}

func base64Val(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case isDigit(c):
		return c - '0' + 52
	case c == '+' || c == '-':
		return 62
	}
	return 63
}
