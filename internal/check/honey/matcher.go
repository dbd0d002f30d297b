package honey

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// Defaults for MatcherOptions.
const (
	DefaultMaxPayload = 8 << 20
	DefaultMaxDepth   = 3
	DefaultMaxDecoded = 32 << 20
	// ShortWindow is how close (in bytes of the same layer) a short value must
	// be to a long one to count.
	ShortWindow = 64
	// longMin is the length from which a value is searched on its own.
	longMin = 8
	// minValue is the shortest value searched at all.
	minValue = 3
	// maxHitsPerLayer bounds memory on payloads that repeat a value endlessly.
	maxHitsPerLayer = 4096
)

// MatcherOptions bounds the work done per payload. Zero fields take defaults.
type MatcherOptions struct {
	// MaxPayload is how many bytes of a payload are searched.
	MaxPayload int
	// MaxDepth is how many encodings deep the matcher decodes.
	MaxDepth int
	// MaxDecoded caps the bytes of all decoded layers of one payload.
	MaxDecoded int
}

// Match is one honey value found in a payload.
type Match struct {
	Class string
	// Value is the honey value as given to NewMatcher.
	Value string
	// Encoding lists what was undone to find it, outermost first, e.g.
	// "base64>xor(0x5a)>reversed", or "raw".
	Encoding string
	// Offset is where in the payload the (encoded) value starts; for values
	// inside base64 or hex it is the start of the character group holding
	// the value's first byte.
	Offset int
}

// Result is what Scan found, and whether it searched everything.
type Result struct {
	Matches []Match
	// Incomplete says which limits cut the search short; empty when the
	// whole payload was searched to MaxDepth.
	Incomplete []string
}

// Matcher finds honey values in payloads. It is safe for concurrent use.
type Matcher struct {
	values   []Value
	long     []pattern
	short    []pattern
	maxShort int
	// filter is a bitset over hashed 8-byte difference keys of long patterns;
	// byKey maps the keys themselves to patterns.
	filter []uint64
	byKey  map[uint64][]int32
	// subFilter and bySub do the same for the differences of neighbouring
	// bytes, which adding a constant to every byte does not change.
	subFilter []uint64
	bySub     map[uint64][]int32
	// shortByFirst lists forward short patterns by first byte.
	shortByFirst [256][]int32
	opts         MatcherOptions
	margin       int
}

type pattern struct {
	value int
	text  []byte
	rev   bool
	// plus is set for the form-encoded variant of a value with spaces.
	plus bool
}

// NewMatcher prepares a matcher for values with default limits.
func NewMatcher(values []Value) *Matcher {
	return NewMatcherWith(values, MatcherOptions{})
}

// NewMatcherWith prepares a matcher for values. Values shorter than 3 bytes
// are ignored: they would match everywhere.
func NewMatcherWith(values []Value, opts MatcherOptions) *Matcher {
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxDecoded <= 0 {
		opts.MaxDecoded = DefaultMaxDecoded
	}
	m := &Matcher{
		values:    slices.Clone(values),
		filter:    make([]uint64, 1<<16/64),
		byKey:     map[uint64][]int32{},
		subFilter: make([]uint64, 1<<16/64),
		bySub:     map[uint64][]int32{},
		opts:      opts,
	}
	seen := map[string]bool{}
	for vi, v := range m.values {
		isShort := shortClass(v.Class)
		for _, form := range variants(v) {
			if len(form) < minValue || seen[form] {
				continue
			}
			seen[form] = true
			forms := []pattern{{value: vi, text: []byte(form)}}
			// Form encoding turns spaces into "+"; search that form directly
			// rather than decode every "+" (which would break base64).
			if plus := strings.ReplaceAll(form, " ", "+"); plus != form && !seen[plus] {
				seen[plus] = true
				forms = append(forms, pattern{value: vi, text: []byte(plus), plus: true})
			}
			for _, f := range forms {
				fwd, rev := f, f
				rev.text, rev.rev = reversed(f.text), true
				if isShort || len(form) < longMin {
					m.short = append(m.short, fwd, rev)
					m.maxShort = max(m.maxShort, len(form))
					continue
				}
				for _, p := range []pattern{fwd, rev} {
					x := binary.LittleEndian.Uint64(p.text)
					k := diffKey(x)
					h := filterHash(k)
					m.filter[h>>6] |= 1 << (h & 63)
					m.byKey[k] = append(m.byKey[k], int32(len(m.long)))
					k = subKey(x)
					h = filterHash(k)
					m.subFilter[h>>6] |= 1 << (h & 63)
					m.bySub[k] = append(m.bySub[k], int32(len(m.long)))
					m.long = append(m.long, p)
				}
			}
		}
	}
	for i, p := range m.short {
		if !p.rev {
			m.shortByFirst[p.text[0]] = append(m.shortByFirst[p.text[0]], int32(i))
		}
	}
	longest := 0
	for _, p := range m.long {
		longest = max(longest, len(p.text))
	}
	m.margin = 6*(longest+ShortWindow+m.maxShort) + 64
	return m
}

// Find returns every honey value found in payload, however it is encoded.
// Each (class, value, encoding) is reported once, at its first offset.
func (m *Matcher) Find(payload []byte) []Match {
	return m.Scan(payload).Matches
}

// Scan is Find, and also says whether a limit cut the search short.
func (m *Matcher) Scan(payload []byte) Result {
	s := &scan{m: m}
	if len(payload) > m.opts.MaxPayload {
		s.incomplete = append(s.incomplete, fmt.Sprintf("payload of %d bytes: only the first %d searched", len(payload), m.opts.MaxPayload))
		payload = payload[:m.opts.MaxPayload]
	}
	if len(m.long)+len(m.short) == 0 {
		return Result{}
	}
	s.visit(&layer{data: payload}, 0)
	return s.result()
}

func shortClass(class string) bool {
	switch class {
	case observation.FieldCVV, observation.FieldExpiry, observation.FieldPostcode:
		return true
	}
	return false
}

// variants returns the forms a value is typed or sent in.
func variants(v Value) []string {
	t := strings.TrimSpace(v.Text)
	switch v.Class {
	case observation.FieldCardNumber:
		d := onlyDigits(t)
		if len(d) < 12 {
			return []string{t}
		}
		out := []string{d}
		groups := []int{4, 4, 4, 4, 4}
		if len(d) == 15 {
			groups = []int{4, 6, 5}
		}
		for _, sep := range []string{" ", "-"} {
			out = append(out, group(d, groups, sep))
		}
		return out
	case observation.FieldPhone:
		d := onlyDigits(t)
		out := []string{t, d}
		if d == "" || d[0] != '0' || len(d) != 10 && len(d) != 11 {
			return out
		}
		out = append(out, "+81"+d[1:])
		// Where the hyphens go: 11-digit 0A0 numbers split 3-4-4; a
		// geographic 10-digit number's area code is 2 to 5 digits with the
		// 0, and the subscriber number is always the last 4.
		splits := [][2]int{{3, 7}}
		if len(d) == 10 {
			splits = [][2]int{{2, 6}, {3, 6}, {4, 6}, {5, 6}}
		}
		for _, sp := range splits {
			a, b, c := d[:sp[0]], d[sp[0]:sp[1]], d[sp[1]:]
			for _, sep := range []string{"-", " "} {
				out = append(out, a+sep+b+sep+c, "+81"+sep+a[1:]+sep+b+sep+c)
			}
		}
		return out
	case observation.FieldPostcode:
		d := onlyDigits(t)
		out := []string{t}
		if len(d) == 7 {
			out = append(out, d, d[:3]+"-"+d[3:])
		}
		return out
	case observation.FieldExpiry:
		mm, yy, ok := splitExpiry(t)
		if !ok {
			return []string{t}
		}
		out := []string{t}
		for _, y := range []string{yy, "20" + yy} {
			for _, sep := range []string{"/", "", "-", " / ", "|"} {
				out = append(out, mm+sep+y)
			}
		}
		// The year alone, for forms with separate month and year fields
		// (the month alone, two digits, is too short to mean anything).
		return append(out, "20"+yy+"-"+mm, "20"+yy+mm, "20"+yy)
	}
	return []string{t}
}

// splitExpiry reads "MM/YY", "MM/YYYY", "MMYY" or "MM-YY".
func splitExpiry(t string) (mm, yy string, ok bool) {
	d := onlyDigits(t)
	switch len(d) {
	case 4:
		return d[:2], d[2:], true
	case 6:
		if d[2:4] == "20" {
			return d[:2], d[4:], true
		}
	}
	return "", "", false
}

func group(d string, sizes []int, sep string) string {
	var b strings.Builder
	for _, n := range sizes {
		if d == "" {
			break
		}
		n = min(n, len(d))
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(d[:n])
		d = d[n:]
	}
	if d != "" {
		b.WriteString(sep)
		b.WriteString(d)
	}
	return b.String()
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i, c := range b {
		r[len(b)-1-i] = c
	}
	return r
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// diffKey turns 8 little-endian bytes into the 7 XORs of neighbouring bytes,
// which are the same under every single-byte XOR key.
func diffKey(x uint64) uint64 { return (x ^ x>>8) & 0x00ff_ffff_ffff_ffff }

// subKey turns 8 little-endian bytes into the 7 differences (mod 256) of
// neighbouring bytes, which are the same whatever constant was added to every
// byte. The subtraction is done on all lanes at once without borrows.
func subKey(x uint64) uint64 {
	const h = 0x8080_8080_8080_8080
	y := x >> 8
	return (((y | h) - (x &^ h)) ^ ((y ^ ^x) & h)) & 0x00ff_ffff_ffff_ffff
}

func filterHash(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> 48 }

// hit is one value found in one layer.
type hit struct {
	start, end int
	pat        int32 // index into long (or short when isShort)
	isShort    bool
	mask       mask // XOR or added key; the zero mask for none
	rev        bool
}

type hitKey struct {
	start   int
	pat     int32
	isShort bool
	mask    mask
}

type scan struct {
	m          *Matcher
	decoded    int
	incomplete []string
	found      []Match
	limitNoted map[string]bool
}

func (s *scan) note(msg string) {
	if s.limitNoted == nil {
		s.limitNoted = map[string]bool{}
	}
	if !s.limitNoted[msg] {
		s.limitNoted[msg] = true
		s.incomplete = append(s.incomplete, msg)
	}
}

func (s *scan) visit(l *layer, depth int) {
	s.search(l)
	if depth >= s.m.opts.MaxDepth {
		return
	}
	for _, dec := range decoders {
		if s.decoded >= s.m.opts.MaxDecoded {
			s.note(fmt.Sprintf("decoding budget of %d bytes spent: deeper encodings not tried", s.m.opts.MaxDecoded))
			return
		}
		child := dec(l, limits{budget: s.m.opts.MaxDecoded - s.decoded, margin: s.m.margin})
		if child == nil {
			continue
		}
		if child.overBudget {
			s.note(fmt.Sprintf("decoding budget of %d bytes spent: deeper encodings not tried", s.m.opts.MaxDecoded))
			if child.parent == nil {
				continue
			}
		}
		s.decoded += len(child.data)
		s.visit(child, depth+1)
	}
}

// search finds long values, then short ones, in one layer.
func (s *scan) search(l *layer) {
	m := s.m
	b := l.data
	var longs []hit
	if len(m.long) > 0 {
		add := func(i int, pi int32, mk mask) bool {
			p := &m.long[pi]
			hh := hit{start: i, end: i + len(p.text), pat: pi, mask: mk, rev: p.rev}
			if !s.keep(l, hh) {
				return true
			}
			if len(longs) == maxHitsPerLayer {
				s.note(fmt.Sprintf("more than %d honey matches in one layer: the rest not reported", maxHitsPerLayer))
				return false
			}
			longs = append(longs, hh)
			return true
		}
	positions:
		for i := 0; i+longMin <= len(b); i++ {
			x := binary.LittleEndian.Uint64(b[i : i+8])
			k := diffKey(x)
			if h := filterHash(k); m.filter[h>>6]&(1<<(h&63)) != 0 {
				for _, pi := range m.byKey[k] {
					p := &m.long[pi]
					mk := mask{key: b[i] ^ p.text[0]}
					if i+len(p.text) <= len(b) && mk.equal(b[i:i+len(p.text)], p.text) && !add(i, pi, mk) {
						break positions
					}
				}
			}
			k = subKey(x)
			if h := filterHash(k); m.subFilter[h>>6]&(1<<(h&63)) != 0 {
				for _, pi := range m.bySub[k] {
					p := &m.long[pi]
					mk := mask{add: true, key: b[i] - p.text[0]}
					// Key 0 is the plain value, found above.
					if mk.key != 0 && i+len(p.text) <= len(b) && mk.equal(b[i:i+len(p.text)], p.text) && !add(i, pi, mk) {
						break positions
					}
				}
			}
		}
	}
	// Remember every hit, even those about to be dropped as contained in a
	// longer one, so that child layers holding the same bytes skip them too.
	for _, h := range longs {
		l.remember(h)
	}
	longs = dropContained(longs, m)
	for _, h := range longs {
		s.record(l, h)
	}
	if len(m.short) > 0 {
		s.searchShort(l, longs)
	}
}

// keep rejects hits that straddle two decoded runs, and hits a decoding did
// not touch: the parent layer holds the same bytes and reports them itself.
func (s *scan) keep(l *layer, h hit) bool {
	if l.parent == nil {
		return true
	}
	if len(l.segs) > 0 {
		if sg := l.segAt(h.start); h.end > sg.out+sg.n {
			return false
		}
	}
	if l.pos == nil {
		return true
	}
	ps, pe := int(l.pos[h.start]), int(l.pos[h.end])
	if pe-ps != h.end-h.start || !bytes.Equal(l.parent.data[ps:pe], l.data[h.start:h.end]) {
		return true
	}
	return !l.parent.has(hitKey{start: ps, pat: h.pat, isShort: h.isShort, mask: h.mask})
}

// dropContained removes hits lying inside a longer hit of the same class and
// encoding, such as the family name inside the full name.
func dropContained(hs []hit, m *Matcher) []hit {
	if len(hs) < 2 {
		return hs
	}
	slices.SortFunc(hs, func(a, b hit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	type group struct {
		class string
		mask  mask
		rev   bool
	}
	reach := map[group]int{}
	out := hs[:0]
	for _, h := range hs {
		g := group{m.values[m.long[h.pat].value].Class, h.mask, h.rev}
		if e, ok := reach[g]; ok && e >= h.end {
			continue
		}
		reach[g] = max(reach[g], h.end)
		out = append(out, h)
	}
	return out
}

func (s *scan) searchShort(l *layer, longs []hit) {
	m := s.m
	b := l.data
	overlapsLong := func(a, e int) bool {
		for _, h := range longs {
			if a < h.end && h.start < e {
				return true
			}
		}
		return false
	}
	var shorts []hit
	add := func(h hit) {
		if len(shorts) < maxHitsPerLayer && s.keep(l, h) {
			shorts = append(shorts, h)
		}
	}
	// Near a long value, encoded the same way. A digit next to a candidate
	// is allowed when it belongs to the long value or to another candidate,
	// so "card+cvv+expiry" sent as one run of digits still counts.
	var needle []byte
	var cands []hit
	for _, lh := range longs {
		lo := max(0, lh.start-ShortWindow-m.maxShort)
		hi := min(len(b), lh.end+ShortWindow+m.maxShort)
		cands = cands[:0]
		for pi, p := range m.short {
			if p.rev != lh.rev {
				continue
			}
			needle = lh.mask.encode(needle[:0], p.text)
			for off := lo; off < hi; {
				j := bytes.Index(b[off:hi], needle)
				if j < 0 {
					break
				}
				j += off
				off = j + 1
				e := j + len(needle)
				gap := max(lh.start-e, j-lh.end, 0)
				if gap > ShortWindow || overlapsLong(j, e) {
					continue
				}
				cands = append(cands, hit{start: j, end: e, pat: int32(pi), isShort: true, mask: lh.mask, rev: lh.rev})
			}
		}
		covered := func(i int) bool {
			if i >= lh.start && i < lh.end {
				return true
			}
			for _, c := range cands {
				if i >= c.start && i < c.end {
					return true
				}
			}
			return false
		}
		inside := func(c hit) bool {
			for _, d := range cands {
				if d.start <= c.start && c.end <= d.end && d.end-d.start > c.end-c.start {
					return true
				}
			}
			return false
		}
		for _, c := range cands {
			// A CVV of 729 inside an expiry of 07/29 is the expiry.
			if inside(c) {
				continue
			}
			if c.start > 0 && isDigit(c.mask.decode(b[c.start-1])) && !covered(c.start-1) {
				continue
			}
			if c.end < len(b) && isDigit(c.mask.decode(b[c.end])) && !covered(c.end) {
				continue
			}
			add(c)
		}
	}
	// After a key that names the field. Such a value follows "=", ":" or
	// ">" and at most a few quotes or spaces, so only those places are tried.
	for _, sep := range []byte("=:>") {
		for off := 0; off < len(b); {
			k := bytes.IndexByte(b[off:], sep)
			if k < 0 {
				break
			}
			j := off + k + 1
			off = j
			for n := 0; n < 3 && j < len(b) && (b[j] == ' ' || b[j] == '"' || b[j] == '\''); n++ {
				j++
			}
			if j >= len(b) {
				continue
			}
			for _, pi := range m.shortByFirst[b[j]] {
				p := &m.short[pi]
				e := j + len(p.text)
				if e > len(b) || !bytes.Equal(b[j:e], p.text) {
					continue
				}
				if overlapsLong(j, e) || j > 0 && isDigit(b[j-1]) || e < len(b) && isDigit(b[e]) {
					continue
				}
				if namedField(b, j, m.values[p.value].Class) {
					add(hit{start: j, end: e, pat: pi, isShort: true})
				}
			}
		}
	}
	for _, h := range shorts {
		l.remember(h)
		s.record(l, h)
	}
}

// fieldKeys name the short classes in payload keys, lower-case.
var fieldKeys = map[string][]string{
	observation.FieldCVV:      {"cvv", "cvc", "csc", "cvn", "securitycode", "security_code", "security-code", "seccode", "sec_code", "cardcode", "card_code", "verification"},
	observation.FieldExpiry:   {"exp", "valid", "mmyy", "yymm"},
	observation.FieldPostcode: {"zip", "postal", "postcode", "post_code", "yubin", "zipcode"},
}

// namedField reports whether the bytes before j are a key naming class, as in
// `cvv=`, `"cvc": "`, `card[exp]=`, `<zip>`.
func namedField(b []byte, j int, class string) bool {
	keys := fieldKeys[class]
	if len(keys) == 0 {
		return false
	}
	i := j
	for n := 0; n < 4 && i > 0 && strings.IndexByte(" \t\"':=>", b[i-1]) >= 0; n++ {
		i--
	}
	if i == j {
		return false
	}
	end := i
	for i > 0 && end-i < 40 && isKeyByte(b[i-1]) {
		i--
	}
	if i == end {
		return false
	}
	ident := strings.ToLower(string(b[i:end]))
	for _, k := range keys {
		if strings.Contains(ident, k) {
			return true
		}
	}
	return false
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']'
}

// mask is how a value's bytes were hidden: XORed with key, or (add) key
// added to each byte. The zero mask hides nothing.
type mask struct {
	key byte
	add bool
}

func (mk mask) decode(c byte) byte {
	if mk.add {
		return c - mk.key
	}
	return c ^ mk.key
}

func (mk mask) encode(dst, src []byte) []byte {
	for _, c := range src {
		if mk.add {
			dst = append(dst, c+mk.key)
		} else {
			dst = append(dst, c^mk.key)
		}
	}
	return dst
}

// equal reports whether got, decoded, is want.
func (mk mask) equal(got, want []byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if mk.decode(got[i]) != want[i] {
			return false
		}
	}
	return true
}

func (mk mask) label() string {
	switch {
	case mk.key == 0:
		return ""
	case mk.add:
		return fmt.Sprintf("add(0x%02x)", mk.key)
	}
	return fmt.Sprintf("xor(0x%02x)", mk.key)
}

func (s *scan) record(l *layer, h hit) {
	var p *pattern
	if h.isShort {
		p = &s.m.short[h.pat]
	} else {
		p = &s.m.long[h.pat]
	}
	v := s.m.values[p.value]
	var labels []string
	for c := l; c.parent != nil; c = c.parent {
		labels = append(labels, c.label)
	}
	slices.Reverse(labels)
	if p.plus && (len(labels) == 0 || labels[len(labels)-1] != "url") {
		labels = append(labels, "url")
	}
	if lb := h.mask.label(); lb != "" {
		labels = append(labels, lb)
	}
	if h.rev {
		labels = append(labels, "reversed")
	}
	enc := "raw"
	if len(labels) > 0 {
		enc = strings.Join(labels, ">")
	}
	s.found = append(s.found, Match{Class: v.Class, Value: v.Text, Encoding: enc, Offset: l.rootOffset(h.start)})
}

func (s *scan) result() Result {
	ms := s.found
	slices.SortStableFunc(ms, func(a, b Match) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		if c := strings.Compare(a.Class, b.Class); c != 0 {
			return c
		}
		if c := strings.Compare(a.Encoding, b.Encoding); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	type key struct{ class, value, enc string }
	seen := map[key]bool{}
	out := ms[:0]
	for _, m := range ms {
		k := key{m.Class, m.Value, m.Encoding}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	if len(out) == 0 {
		out = nil
	}
	return Result{Matches: out, Incomplete: s.incomplete}
}
