package honey

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// layer is a payload, or a payload with one more encoding undone.
type layer struct {
	data   []byte
	parent *layer
	label  string
	// pos maps each byte of data (and len(data)) to its offset in the parent,
	// for decoders that work byte by byte (URL, JSON, UTF-8, character codes).
	pos []int32
	// segs map runs decoded separately (base64, hex) back to the parent.
	segs []segment
	hits map[hitKey]struct{}
	// overBudget is set when the decoder stopped early to stay in budget.
	overBudget bool
	// escapes are the [start, end) of each decoded escape, in escape layers.
	escapes [][2]int32
	// textRegions caches regions for base64 and hex layers.
	textRegions [][2]int
	regionsDone bool
	// b64Runs and hexRuns cache what runs found.
	b64Runs, hexRuns [][2]int
	runsDone         bool
}

// regions returns the parts of l worth decoding further. Every encoding
// undone below base64 or hex is ASCII text, and runs decoded at the wrong
// alignment (or that were no encoding at all) give random bytes, so in those
// layers only runs of at least minText printable ASCII bytes are kept.
func (l *layer) regions() [][2]int {
	if len(l.segs) == 0 {
		return [][2]int{{0, len(l.data)}}
	}
	if l.pos != nil {
		// Escape windows: text by construction.
		rs := make([][2]int, len(l.segs))
		for i, sg := range l.segs {
			rs[i] = [2]int{sg.out, sg.out + sg.n}
		}
		return rs
	}
	if !l.regionsDone {
		l.regionsDone = true
		for _, sg := range l.segs {
			l.textRegions = asciiRuns(l.textRegions, l.data, sg.out, sg.out+sg.n)
		}
	}
	return l.textRegions
}

// minText is the shortest stretch of text decoded further: 7 bytes, the
// least any encoding of a value with its key takes.
const minText = 7

var asciiText = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\t'], t['\n'], t['\r'] = true, true, true
	return t
}()

// asciiRuns appends the runs of at least minText text bytes in b[lo:hi]. It
// tests every minText-th byte first, so random bytes cost few tests.
func asciiRuns(rs [][2]int, b []byte, lo, hi int) [][2]int {
	i := lo
	for i+minText <= hi {
		k := i + minText - 1
		if !asciiText[b[k]] {
			i = k + 1
			continue
		}
		// b[i-1] is never text here, so a run reaching back to i starts there.
		start := k
		for start > i && asciiText[b[start-1]] {
			start--
		}
		if start > i {
			i = start
			continue
		}
		end := k + 1
		for end < hi && asciiText[b[end]] {
			end++
		}
		rs = append(rs, [2]int{start, end})
		i = end + 1
	}
	return rs
}

// textual reports whether b reads as text: at least 3 in 4 bytes printable
// ASCII, white space, or part of a well-formed UTF-8 character. Random bytes
// score about 2 in 5; the slack is for junk decoded past the end of a real
// encoding glued to other base64 characters.
func textual(b []byte) bool {
	bad, limit := 0, len(b)/4
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				bad++
			}
			i++
		} else {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError {
				bad += n
			}
			i += n
		}
		if bad > limit {
			return false
		}
	}
	return true
}

// segment is one run of the parent decoded into data[out:out+n].
type segment struct {
	out, n int
	// src is the parent offset of the first decoded character; for a
	// reversed run, the offset of the character read first (the last one).
	src  int
	rev  bool
	unit int // 4 for base64, 2 for hex, 0 for escape windows (mapped by pos)
}

func (l *layer) remember(h hit) {
	if l.hits == nil {
		l.hits = map[hitKey]struct{}{}
	}
	l.hits[hitKey{start: h.start, pat: h.pat, isShort: h.isShort, mask: h.mask}] = struct{}{}
}

func (l *layer) has(k hitKey) bool {
	_, ok := l.hits[k]
	return ok
}

func (l *layer) segAt(i int) segment {
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].out > i }) - 1
	return l.segs[max(k, 0)]
}

// parentOffset maps offset i of l to its parent.
func (l *layer) parentOffset(i int) int {
	if l.pos != nil {
		return int(l.pos[min(i, len(l.pos)-1)])
	}
	// Only base64 and hex layers are left; their segments map arithmetically.
	if len(l.segs) == 0 {
		return i
	}
	sg := l.segAt(i)
	j := i - sg.out
	var c int
	switch sg.unit {
	case 4:
		c = j/3*4 + j%3
	default:
		c = j * 2
	}
	if sg.rev {
		return sg.src - c
	}
	return sg.src + c
}

func (l *layer) rootOffset(i int) int {
	for c := l; c.parent != nil; c = c.parent {
		i = c.parentOffset(i)
	}
	return i
}

// decoder undoes one encoding of l; nil when l shows no sign of it.
type decoder func(l *layer, lim limits) *layer

type limits struct {
	// budget is how many decoded bytes a decoder may still produce.
	budget int
	// margin is how far around an escape to decode: enough for the longest
	// value escaped six bytes for one, and short values around it.
	margin int
}

var decoders = []decoder{decodeURL, decodeEscapes, decodeLatin1, decodeCharCodes, decodeBase64, decodeBase64Reversed, decodeHex}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func hex2(b []byte) (byte, bool) {
	hi, ok1 := unhex(b[0])
	lo, ok2 := unhex(b[1])
	return hi<<4 | lo, ok1 && ok2
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		v, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// unescaper decodes the escape at b[i] onto out and says how many bytes it
// took; 0 when b[i:] is not an escape.
type unescaper func(out, b []byte, i int) ([]byte, int)

// decodeURL undoes %XX and %uXXXX. It leaves "+" alone, since escape()
// leaves the "+" of base64 alone; values with spaces are searched with "+" for
// space instead.
func decodeURL(l *layer, lim limits) *layer {
	return escapeLayer(l, lim, "%", "url", unURL)
}

func unURL(out, b []byte, i int) ([]byte, int) {
	if i+3 <= len(b) {
		if v, ok := hex2(b[i+1 : i+3]); ok {
			return append(out, v), 3
		}
	}
	if i+6 <= len(b) && (b[i+1] == 'u' || b[i+1] == 'U') {
		if r, ok := hex4(b[i+2 : i+6]); ok {
			return appendUnit(out, r), 6
		}
	}
	return out, 0
}

// decodeEscapes undoes JSON and JavaScript string escapes: \uXXXX (with
// surrogate pairs), \xHH and the one-letter escapes.
func decodeEscapes(l *layer, lim limits) *layer {
	return escapeLayer(l, lim, "\\", "json", unJSON)
}

func unJSON(out, b []byte, i int) ([]byte, int) {
	if i+1 >= len(b) {
		return out, 0
	}
	switch e := b[i+1]; e {
	case 'u':
		if i+6 > len(b) {
			return out, 0
		}
		r, ok := hex4(b[i+2 : i+6])
		if !ok {
			return out, 0
		}
		if utf16High(r) && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
			if r2, ok := hex4(b[i+8 : i+12]); ok && utf16Low(r2) {
				return utf8.AppendRune(out, (r-0xd800)<<10+(r2-0xdc00)+0x10000), 12
			}
		}
		return appendUnit(out, r), 6
	case 'x':
		if i+4 <= len(b) {
			if v, ok := hex2(b[i+2 : i+4]); ok {
				return append(out, v), 4
			}
		}
	case 'n':
		return append(out, '\n'), 2
	case 't':
		return append(out, '\t'), 2
	case 'r':
		return append(out, '\r'), 2
	case 'b':
		return append(out, '\b'), 2
	case 'f':
		return append(out, '\f'), 2
	case '/', '\\', '"', '\'':
		return append(out, e), 2
	}
	return out, 0
}

// appendUnit appends one escaped UTF-16 unit. Units up to 0xff become one
// byte, not UTF-8: a script that XORs a string and escapes it produces such
// units, standing for bytes. (Honey values hold no Latin-1 letters.)
func appendUnit(out []byte, r rune) []byte {
	if r <= 0xff {
		return append(out, byte(r))
	}
	return utf8.AppendRune(out, r)
}

// decodeLatin1 undoes the UTF-8 encoding of characters U+0080 to U+00FF, the
// form an XORed JavaScript string takes when sent as text.
func decodeLatin1(l *layer, lim limits) *layer {
	return escapeLayer(l, lim, "\xc2\xc3", "utf8", unLatin1)
}

func unLatin1(out, b []byte, i int) ([]byte, int) {
	if i+2 <= len(b) && (b[i] == 0xc2 || b[i] == 0xc3) && b[i+1]&0xc0 == 0x80 {
		return append(out, (b[i]&0x03)<<6|b[i+1]&0x3f), 2
	}
	return out, 0
}

// escapeGap is how far apart two escapes may be and still belong together.
const escapeGap = 32

// escapeCluster is a run of escapes at most escapeGap apart.
type escapeCluster struct{ start, end, n int }

// close turns the cluster into a window to decode, if it is credible: two
// or more escapes, or one escape amid text. A lone "%41" or "\\n" turns up
// every few kilobytes of binary data, and its window would be wasted work.
func (cl *escapeCluster) close(wins [][2]int, b []byte, lo0, hi0, margin int) [][2]int {
	if cl.n == 0 {
		return wins
	}
	n, s, e := cl.n, cl.start, cl.end
	*cl = escapeCluster{}
	if n == 1 && !textual(b[max(lo0, s-16):min(hi0, e+16)]) {
		return wins
	}
	lo, hi := max(lo0, s-margin), min(hi0, e+margin)
	if len(wins) > 0 && lo <= wins[len(wins)-1][1] {
		wins[len(wins)-1][1] = max(wins[len(wins)-1][1], hi)
		return wins
	}
	return append(wins, [2]int{lo, hi})
}

// escapeLayer decodes the escapes of l, but only in windows around them: a
// value the escapes did not touch is found in l itself, so decoding far from
// any escape would be wasted (and costly on binary payloads, where a stray
// "%41" or "\\n" turns up every few kilobytes).
func escapeLayer(l *layer, lim limits, triggers string, label string, un unescaper) *layer {
	b := l.data
	var wins [][2]int
	var scratch []byte
	var cl escapeCluster
	// next[t] is the next offset of triggers[t] at or after i (hi for none),
	// kept so several triggers cost one pass each.
	next := make([]int, len(triggers))
	for _, rg := range l.regions() {
		lo0, hi0 := rg[0], rg[1]
		for t := range next {
			next[t] = -1
		}
		for i := lo0; i < hi0; i++ {
			k := hi0
			for t := range next {
				if next[t] < i {
					if j := bytes.IndexByte(b[i:hi0], triggers[t]); j >= 0 {
						next[t] = i + j
					} else {
						next[t] = hi0
					}
				}
				k = min(k, next[t])
			}
			if k == hi0 {
				break
			}
			i = k
			_, n := un(scratch[:0], b[:hi0], i)
			if n == 0 {
				continue
			}
			if cl.n > 0 && i-cl.end > escapeGap {
				wins = cl.close(wins, b, lo0, hi0, lim.margin)
			}
			if cl.n == 0 {
				cl.start = i
			}
			cl.n++
			cl.end = i + n
			i += n - 1
		}
		wins = cl.close(wins, b, lo0, hi0, lim.margin)
	}
	if len(wins) == 0 {
		return nil
	}
	total := 0
	for _, w := range wins {
		total += w[1] - w[0]
	}
	if total > lim.budget {
		return &layer{overBudget: true}
	}
	nl := &layer{parent: l, label: label, data: make([]byte, 0, total), pos: make([]int32, 0, total+1)}
	for _, w := range wins {
		out := len(nl.data)
		wb := b[:w[1]]
		for i := w[0]; i < w[1]; {
			if strings.IndexByte(triggers, wb[i]) >= 0 {
				n0 := len(nl.data)
				var n int
				if nl.data, n = un(nl.data, wb, i); n > 0 {
					for range len(nl.data) - n0 {
						nl.pos = append(nl.pos, int32(i))
					}
					nl.escapes = append(nl.escapes, [2]int32{int32(n0), int32(len(nl.data))})
					i += n
					continue
				}
			}
			nl.data = append(nl.data, wb[i])
			nl.pos = append(nl.pos, int32(i))
			i++
		}
		nl.segs = append(nl.segs, segment{out: out, n: len(nl.data) - out})
	}
	nl.pos = append(nl.pos, int32(wins[len(wins)-1][1]))
	return nl
}

func utf16High(r rune) bool { return r >= 0xd800 && r < 0xdc00 }
func utf16Low(r rune) bool  { return r >= 0xdc00 && r < 0xe000 }

// minCharCodes is the fewest numbers in a list worth reading as characters.
const minCharCodes = 7

// decodeCharCodes reads lists of character codes, "52,49,49,49" or
// "[52, 49, 49]" (Array.from(s, c => c.charCodeAt(0)), a Uint8Array turned
// to text), as the bytes they stand for. Numbers above 255 end a list.
func decodeCharCodes(l *layer, lim limits) *layer {
	b := l.data
	var nl *layer
	for _, rg := range l.regions() {
		end := rg[1]
		for i := rg[0]; i < end; {
			k := bytes.IndexByte(b[i:end], ',')
			if k < 0 {
				break
			}
			// Back up to the start of the number before the comma.
			start := i + k
			for start > rg[0] && isDigit(b[start-1]) {
				start--
			}
			if start == i+k || start > rg[0] && (isDigit(b[start-1]) || b[start-1] == '.') {
				i += k + 1
				continue
			}
			codes, pos, next := readCharCodes(b[:end], start)
			if len(codes) < minCharCodes {
				i = max(next, i+k+1)
				continue
			}
			if nl == nil {
				nl = &layer{parent: l, label: "charcodes"}
			}
			if len(nl.data)+len(codes) > lim.budget {
				nl.overBudget = true
				break
			}
			out := len(nl.data)
			nl.data = append(nl.data, codes...)
			nl.pos = append(nl.pos, pos...)
			nl.segs = append(nl.segs, segment{out: out, n: len(codes)})
			nl.escapes = append(nl.escapes, [2]int32{int32(out), int32(len(nl.data))})
			i = next
		}
	}
	if nl == nil || len(nl.data) == 0 {
		return nil
	}
	nl.pos = append(nl.pos, nl.pos[len(nl.pos)-1]+1)
	return nl
}

// readCharCodes reads numbers 0..255 separated by commas (and spaces) from
// b[i:], returning the bytes, where each number starts, and where reading
// stopped.
func readCharCodes(b []byte, i int) (codes []byte, pos []int32, next int) {
	for i < len(b) {
		j, v := i, 0
		for j < len(b) && isDigit(b[j]) && j-i < 4 {
			v = v*10 + int(b[j]-'0')
			j++
		}
		if j == i || j-i > 3 || v > 255 || j < len(b) && isDigit(b[j]) {
			break
		}
		codes = append(codes, byte(v))
		pos = append(pos, int32(i))
		next = j
		for j < len(b) && b[j] == ' ' {
			j++
		}
		if j >= len(b) || b[j] != ',' {
			break
		}
		j++
		for j < len(b) && b[j] == ' ' {
			j++
		}
		i = j
	}
	return codes, pos, max(next, i)
}

// b64 maps both base64 alphabets to 6-bit values; -1 elsewhere.
var b64dec = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// Runs shorter than these cannot hold 7 decoded bytes, the least worth
// decoding (a short value with a short key around it).
const (
	minBase64Run = 10
	minHexRun    = 14
)

// Byte classes for finding runs.
const (
	classB64 = 1 << iota
	classHex
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		if b64dec[c] >= 0 {
			t[c] |= classB64
		}
		if _, ok := unhex(byte(c)); ok {
			t[c] |= classHex
		}
	}
	return t
}()

// runs returns the [start, end) of maximal runs of bytes of each class in
// the textual regions of l: base64 runs at least minBase64Run long, hex runs
// at least minHexRun. Both come from one pass and are kept on l.
func (l *layer) runs(class uint8) [][2]int {
	if !l.runsDone {
		l.runsDone = true
		b := l.data
		for _, rg := range l.regions() {
			end := rg[1]
			for i := rg[0]; i < end; {
				if byteClass[b[i]]&classB64 == 0 {
					i++
					continue
				}
				// A hex run lies inside a base64 run: both alphabets hold
				// every hex digit.
				j, h := i, i
				for j < end {
					c := byteClass[b[j]]
					if c&classB64 == 0 {
						break
					}
					if c&classHex == 0 {
						if j-h >= minHexRun {
							l.hexRuns = append(l.hexRuns, [2]int{h, j})
						}
						h = j + 1
					}
					j++
				}
				if j-h >= minHexRun {
					l.hexRuns = append(l.hexRuns, [2]int{h, j})
				}
				if j-i >= minBase64Run {
					l.b64Runs = append(l.b64Runs, [2]int{i, j})
				}
				i = j
			}
		}
		if l.pos != nil {
			// A run without escapes is the same bytes as part of a run in the
			// parent, decoded there already (at every alignment).
			l.b64Runs = slices.DeleteFunc(l.b64Runs, l.unescaped)
			l.hexRuns = slices.DeleteFunc(l.hexRuns, l.unescaped)
		}
	}
	if class == classHex {
		return l.hexRuns
	}
	return l.b64Runs
}

// unescaped reports whether no escape was decoded within r.
func (l *layer) unescaped(r [2]int) bool {
	k := sort.Search(len(l.escapes), func(k int) bool { return int(l.escapes[k][1]) > r[0] })
	return k == len(l.escapes) || int(l.escapes[k][0]) >= r[1]
}

func decodeBase64(l *layer, lim limits) *layer {
	return base64Layer(l, lim.budget, false)
}

func decodeBase64Reversed(l *layer, lim limits) *layer {
	return base64Layer(l, lim.budget, true)
}

// base64Layer decodes every base64 run of l at all four alignments, so a
// value is found whatever preceded its encoding in the run. reverse reads the
// runs backwards, for encodings reversed after base64.
func base64Layer(l *layer, budget int, reverse bool) *layer {
	rs := l.runs(classB64)
	if len(rs) == 0 {
		return nil
	}
	size := 0
	for _, r := range rs {
		size += (r[1] - r[0]) * 3
	}
	nl := &layer{parent: l, label: "base64", data: make([]byte, 0, min(size, budget)), segs: make([]segment, 0, 4*len(rs))}
	if reverse {
		nl.label = "reversed>base64"
	}
	var tmp []byte
	for _, r := range rs {
		run := l.data[r[0]:r[1]]
		if reverse {
			tmp = append(tmp[:0], run...)
			slices.Reverse(tmp)
			run = tmp
		}
		for a := 0; a < 4 && len(run)-a >= minBase64Run; a++ {
			if len(nl.data)+len(run)*3/4 > budget {
				nl.overBudget = true
				break
			}
			out := len(nl.data)
			nl.data = appendBase64(nl.data, run[a:])
			sg := segment{out: out, n: len(nl.data) - out, src: r[0] + a, unit: 4}
			if reverse {
				sg.src, sg.rev = r[1]-1-a, true
			}
			nl.segs = append(nl.segs, sg)
		}
	}
	if len(nl.data) == 0 {
		if nl.overBudget {
			return &layer{overBudget: true}
		}
		return nil
	}
	return nl
}

// appendBase64 decodes s (base64 characters only, no padding) onto dst; a
// trailing group of 2 or 3 characters gives 1 or 2 bytes.
func appendBase64(dst, s []byte) []byte {
	i := 0
	for ; i+4 <= len(s); i += 4 {
		v := uint32(b64dec[s[i]])<<18 | uint32(b64dec[s[i+1]])<<12 | uint32(b64dec[s[i+2]])<<6 | uint32(b64dec[s[i+3]])
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(s) - i {
	case 2:
		v := uint32(b64dec[s[i]])<<18 | uint32(b64dec[s[i+1]])<<12
		dst = append(dst, byte(v>>16))
	case 3:
		v := uint32(b64dec[s[i]])<<18 | uint32(b64dec[s[i+1]])<<12 | uint32(b64dec[s[i+2]])<<6
		dst = append(dst, byte(v>>16), byte(v>>8))
	}
	return dst
}

// decodeHex decodes every hex run (either case) at both alignments.
func decodeHex(l *layer, lim limits) *layer {
	budget := lim.budget
	rs := l.runs(classHex)
	if len(rs) == 0 {
		return nil
	}
	size := 0
	for _, r := range rs {
		size += r[1] - r[0]
	}
	nl := &layer{parent: l, label: "hex", data: make([]byte, 0, min(size, budget)), segs: make([]segment, 0, 2*len(rs))}
	for _, r := range rs {
		for a := 0; a < 2; a++ {
			s := l.data[r[0]+a : r[1]]
			if len(nl.data)+len(s)/2 > budget {
				nl.overBudget = true
				break
			}
			out := len(nl.data)
			for i := 0; i+2 <= len(s); i += 2 {
				v, _ := hex2(s[i : i+2])
				nl.data = append(nl.data, v)
			}
			nl.segs = append(nl.segs, segment{out: out, n: len(nl.data) - out, src: r[0] + a, unit: 2})
		}
	}
	if len(nl.data) == 0 {
		return nil
	}
	return nl
}
