package yara

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
)

// byteSet is a set of bytes.
type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		s.add(byte(c))
	}
}
func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}
func (s *byteSet) union(o *byteSet) {
	for i := range s {
		s[i] |= o[i]
	}
}
func (s *byteSet) count() int {
	return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) + bits.OnesCount64(s[2]) + bits.OnesCount64(s[3])
}

// appendMembers appends the set's bytes in increasing order. Compiling
// thousands of rules asks this of every atom position, so it walks set bits
// rather than all 256 bytes.
func (s *byteSet) appendMembers(dst []byte) []byte {
	for w, word := range s {
		for word != 0 {
			dst = append(dst, byte(w<<6|bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	return dst
}
func (s *byteSet) foldCase() {
	for c := 'a'; c <= 'z'; c++ {
		if s.has(byte(c)) || s.has(byte(c-32)) {
			s.add(byte(c))
			s.add(byte(c - 32))
		}
	}
}

type reKind int

const (
	rSet reKind = iota
	rCat
	rAlt
	rRep
	rEmpty
	rBOL
	rEOL
	rWordB
	rNotWordB
)

// reNode is the shared syntax tree of regular expressions and hex strings.
type reNode struct {
	kind     reKind
	set      byteSet
	subs     []*reNode
	min, max int // max -1: unbounded
	greedy   bool
}

type regexMods struct {
	nocase, dotAll, wide bool
}

const maxRepeat = 32767

type reParser struct {
	src                string
	pos                int
	mods               regexMods
	depth              int
	sawGreedy, sawLazy bool
}

func parseRegex(src string, mods regexMods) (*reNode, error) {
	p := &reParser{src: src, mods: mods}
	n, err := p.alt()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.src[p.pos], p.pos)
	}
	return n, nil
}

func (p *reParser) alt() (*reNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 100 {
		return nil, errors.New("regular expression nested too deeply")
	}
	var alts []*reNode
	for {
		c, err := p.concat()
		if err != nil {
			return nil, err
		}
		alts = append(alts, c)
		if p.pos < len(p.src) && p.src[p.pos] == '|' {
			p.pos++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &reNode{kind: rAlt, subs: alts}, nil
}

func (p *reParser) concat() (*reNode, error) {
	var items []*reNode
	for p.pos < len(p.src) && p.src[p.pos] != '|' && p.src[p.pos] != ')' {
		a, err := p.atom()
		if err != nil {
			return nil, err
		}
		a, err = p.quant(a)
		if err != nil {
			return nil, err
		}
		items = append(items, a)
	}
	if len(items) == 0 {
		return &reNode{kind: rEmpty}, nil
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &reNode{kind: rCat, subs: items}, nil
}

func (p *reParser) quant(a *reNode) (*reNode, error) {
	quantified := false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		min, max := 0, 0
		switch c {
		case '*':
			min, max = 0, -1
			p.pos++
		case '+':
			min, max = 1, -1
			p.pos++
		case '?':
			min, max = 0, 1
			p.pos++
		case '{':
			lo, hi, n, ok := parseRepeat(p.src[p.pos:])
			if !ok {
				return a, nil
			}
			min, max = lo, hi
			p.pos += n
		default:
			return a, nil
		}
		if a.kind == rBOL || a.kind == rEOL || a.kind == rWordB || a.kind == rNotWordB {
			return nil, errors.New("quantifier after an anchor")
		}
		if quantified {
			return nil, errors.New("nested quantifier")
		}
		quantified = true
		greedy := true
		if p.pos < len(p.src) && p.src[p.pos] == '?' {
			greedy = false
			p.pos++
		}
		if greedy {
			p.sawGreedy = true
		} else {
			p.sawLazy = true
		}
		if p.sawGreedy && p.sawLazy {
			// YARA refuses this too; its matcher has one greediness per regex.
			return nil, errors.New("greedy and ungreedy quantifiers can't be mixed in a regular expression")
		}
		a = &reNode{kind: rRep, subs: []*reNode{a}, min: min, max: max, greedy: greedy}
	}
	return a, nil
}

// parseRepeat parses {n}, {n,}, {,m}, {n,m}.
func parseRepeat(s string) (lo, hi, n int, ok bool) {
	end := -1
	for i := 1; i < len(s); i++ {
		if s[i] == '}' {
			end = i
			break
		}
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == ',') {
			return 0, 0, 0, false
		}
	}
	if end < 0 {
		return 0, 0, 0, false
	}
	body := s[1:end]
	comma := -1
	for i := range body {
		if body[i] == ',' {
			if comma >= 0 {
				return 0, 0, 0, false
			}
			comma = i
		}
	}
	atoi := func(x string) (int, bool) {
		v, err := strconv.Atoi(x)
		return v, err == nil && v <= maxRepeat
	}
	if comma < 0 {
		v, ok := atoi(body)
		if !ok {
			return 0, 0, 0, false
		}
		return v, v, end + 1, true
	}
	l, r := body[:comma], body[comma+1:]
	if l == "" && r == "" {
		return 0, 0, 0, false
	}
	lo = 0
	if l != "" {
		if lo, ok = atoi(l); !ok {
			return 0, 0, 0, false
		}
	}
	hi = -1
	if r != "" {
		if hi, ok = atoi(r); !ok || hi < lo {
			return 0, 0, 0, false
		}
	}
	return lo, hi, end + 1, true
}

func setOf(cs ...byte) byteSet {
	var s byteSet
	for _, c := range cs {
		s.add(c)
	}
	return s
}

func classEscape(c byte) (byteSet, bool) {
	var s byteSet
	switch c {
	case 'w', 'W':
		s.addRange('a', 'z')
		s.addRange('A', 'Z')
		s.addRange('0', '9')
		s.add('_')
	case 's', 'S':
		s = setOf(' ', '\t', '\n', '\r', '\f', '\v')
	case 'd', 'D':
		s.addRange('0', '9')
	default:
		return s, false
	}
	if c >= 'A' && c <= 'Z' {
		s.invert()
	}
	return s, true
}

// escapeByte decodes the escape after a backslash at p.pos (pointing past it).
func (p *reParser) escapeByte() (byte, error) {
	if p.pos >= len(p.src) {
		return 0, errors.New("trailing backslash")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'n':
		return '\n', nil
	case 't':
		return '\t', nil
	case 'r':
		return '\r', nil
	case 'f':
		return '\f', nil
	case 'a':
		return 7, nil
	case 'v':
		return '\v', nil
	case 'x':
		if p.pos+1 >= len(p.src)+0 || hexVal(p.src[p.pos]) < 0 || p.pos+1 >= len(p.src) || hexVal(p.src[p.pos+1]) < 0 {
			return 0, errors.New("bad \\x escape")
		}
		v := byte(hexVal(p.src[p.pos])<<4 | hexVal(p.src[p.pos+1]))
		p.pos += 2
		return v, nil
	}
	if c >= '0' && c <= '9' {
		return 0, errors.New("backreferences are not supported")
	}
	return c, nil
}

func (p *reParser) lit(b byte) *reNode {
	n := &reNode{kind: rSet}
	n.set.add(b)
	if p.mods.nocase {
		n.set.foldCase()
	}
	return n
}

func (p *reParser) atom() (*reNode, error) {
	c := p.src[p.pos]
	p.pos++
	switch c {
	case '(':
		if p.pos+1 < len(p.src) && p.src[p.pos] == '?' && p.src[p.pos+1] == ':' {
			p.pos += 2
		}
		n, err := p.alt()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, errors.New("missing closing parenthesis")
		}
		p.pos++
		return n, nil
	case '.':
		n := &reNode{kind: rSet}
		n.set.invert()
		if !p.mods.dotAll {
			n.set[0] &^= 1 << '\n'
		}
		return n, nil
	case '^':
		return &reNode{kind: rBOL}, nil
	case '$':
		return &reNode{kind: rEOL}, nil
	case '[':
		return p.class()
	case '*', '+', '?':
		return nil, fmt.Errorf("missing argument to repetition operator %q", c)
	case '\\':
		if p.pos < len(p.src) {
			e := p.src[p.pos]
			if s, ok := classEscape(e); ok {
				p.pos++
				return &reNode{kind: rSet, set: s}, nil
			}
			if e == 'b' {
				p.pos++
				return &reNode{kind: rWordB}, nil
			}
			if e == 'B' {
				p.pos++
				return &reNode{kind: rNotWordB}, nil
			}
		}
		b, err := p.escapeByte()
		if err != nil {
			return nil, err
		}
		return p.lit(b), nil
	}
	return p.lit(c), nil
}

func (p *reParser) class() (*reNode, error) {
	n := &reNode{kind: rSet}
	neg := false
	if p.pos < len(p.src) && p.src[p.pos] == '^' {
		neg = true
		p.pos++
	}
	first := true
	for {
		if p.pos >= len(p.src) {
			return nil, errors.New("missing closing ]")
		}
		c := p.src[p.pos]
		if c == ']' && !first {
			p.pos++
			break
		}
		first = false
		p.pos++
		var lo byte
		if c == '\\' {
			if p.pos < len(p.src) {
				if s, ok := classEscape(p.src[p.pos]); ok {
					p.pos++
					n.set.union(&s)
					continue
				}
			}
			b, err := p.escapeByte()
			if err != nil {
				return nil, err
			}
			lo = b
		} else {
			lo = c
		}
		if p.pos+1 < len(p.src) && p.src[p.pos] == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			hc := p.src[p.pos]
			p.pos++
			hi := hc
			if hc == '\\' {
				b, err := p.escapeByte()
				if err != nil {
					return nil, err
				}
				hi = b
			}
			if hi < lo {
				return nil, errors.New("bad character range")
			}
			n.set.addRange(lo, hi)
			continue
		}
		n.set.add(lo)
	}
	if p.mods.nocase {
		n.set.foldCase()
	}
	if neg {
		n.set.invert()
	}
	return n, nil
}

// parseHex parses a hex string body into the shared syntax tree.
func parseHex(src string) (*reNode, error) {
	p := &hexParser{src: src}
	n, err := p.seq(0)
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q in hex string", p.src[p.pos])
	}
	if err := checkHexEnds(n); err != nil {
		return nil, err
	}
	return n, nil
}

type hexParser struct {
	src string
	pos int
}

func (p *hexParser) skip() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func checkHexEnds(n *reNode) error {
	if n.kind != rCat {
		if n.kind == rRep {
			return errors.New("hex string cannot start or end with a jump")
		}
		return nil
	}
	if n.subs[0].kind == rRep || n.subs[len(n.subs)-1].kind == rRep {
		return errors.New("hex string cannot start or end with a jump")
	}
	return nil
}

func (p *hexParser) seq(depth int) (*reNode, error) {
	if depth > 20 {
		return nil, errors.New("hex alternatives nested too deeply")
	}
	var items []*reNode
	for {
		p.skip()
		if p.pos >= len(p.src) || p.src[p.pos] == '|' || p.src[p.pos] == ')' {
			break
		}
		c := p.src[p.pos]
		switch {
		case c == '(':
			p.pos++
			var alts []*reNode
			for {
				a, err := p.seq(depth + 1)
				if err != nil {
					return nil, err
				}
				if a.kind == rEmpty {
					return nil, errors.New("empty alternative in hex string")
				}
				alts = append(alts, a)
				p.skip()
				if p.pos < len(p.src) && p.src[p.pos] == '|' {
					p.pos++
					continue
				}
				break
			}
			if p.pos >= len(p.src) || p.src[p.pos] != ')' {
				return nil, errors.New("missing ) in hex string")
			}
			p.pos++
			if len(alts) == 1 {
				items = append(items, alts[0])
			} else {
				items = append(items, &reNode{kind: rAlt, subs: alts})
			}
		case c == '[':
			end := p.pos + 1
			for end < len(p.src) && p.src[end] != ']' {
				end++
			}
			if end >= len(p.src) {
				return nil, errors.New("missing ] in hex jump")
			}
			body := stripSpaces(p.src[p.pos+1 : end])
			p.pos = end + 1
			lo, hi, err := parseJump(body)
			if err != nil {
				return nil, err
			}
			if len(items) > 0 && items[len(items)-1].kind == rRep {
				return nil, errors.New("consecutive jumps in hex string")
			}
			var any reNode
			any.kind = rSet
			any.set.invert()
			items = append(items, &reNode{kind: rRep, subs: []*reNode{&any}, min: lo, max: hi, greedy: false})
		case c == '~':
			p.pos++
			b, err := p.hexByte()
			if err != nil {
				return nil, err
			}
			b.set.invert()
			items = append(items, b)
		default:
			b, err := p.hexByte()
			if err != nil {
				return nil, err
			}
			items = append(items, b)
		}
	}
	if len(items) == 0 {
		return &reNode{kind: rEmpty}, nil
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &reNode{kind: rCat, subs: items}, nil
}

func stripSpaces(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func parseJump(body string) (int, int, error) {
	if body == "-" {
		return 0, -1, nil
	}
	num := func(s string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > maxRepeat {
			return 0, fmt.Errorf("bad jump %q", body)
		}
		return v, nil
	}
	dash := -1
	for i := range body {
		if body[i] == '-' {
			dash = i
			break
		}
	}
	if dash < 0 {
		v, err := num(body)
		return v, v, err
	}
	lo, hi := 0, -1
	var err error
	if body[:dash] != "" {
		if lo, err = num(body[:dash]); err != nil {
			return 0, 0, err
		}
	}
	if body[dash+1:] != "" {
		if hi, err = num(body[dash+1:]); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("invalid jump range [%s]", body)
		}
	}
	return lo, hi, nil
}

func (p *hexParser) hexByte() (*reNode, error) {
	if p.pos+1 >= len(p.src) {
		return nil, errors.New("odd number of hex digits")
	}
	hiC, loC := p.src[p.pos], p.src[p.pos+1]
	p.pos += 2
	if (hiC != '?' && hexVal(hiC) < 0) || (loC != '?' && hexVal(loC) < 0) {
		return nil, fmt.Errorf("invalid hex byte %q", string([]byte{hiC, loC}))
	}
	// Nibble ranges rather than a test of all 256 values: collections have
	// tens of thousands of hex bytes.
	hiLo, hiHi, loLo, loHi := 0, 15, 0, 15
	if hiC != '?' {
		hiLo, hiHi = hexVal(hiC), hexVal(hiC)
	}
	if loC != '?' {
		loLo, loHi = hexVal(loC), hexVal(loC)
	}
	n := &reNode{kind: rSet}
	for h := hiLo; h <= hiHi; h++ {
		for l := loLo; l <= loHi; l++ {
			n.set.add(byte(h<<4 | l))
		}
	}
	return n, nil
}

// widen inserts a zero byte after every byte matcher (YARA's "wide").
func widen(n *reNode) *reNode {
	switch n.kind {
	case rSet:
		z := &reNode{kind: rSet}
		z.set.add(0)
		return &reNode{kind: rCat, subs: []*reNode{n, z}}
	case rCat, rAlt, rRep:
		c := *n
		c.subs = make([]*reNode, len(n.subs))
		for i, s := range n.subs {
			c.subs[i] = widen(s)
		}
		return &c
	}
	return n
}

// minLen is the shortest match length.
func minLen(n *reNode) int {
	switch n.kind {
	case rSet:
		return 1
	case rCat:
		t := 0
		for _, s := range n.subs {
			t += minLen(s)
		}
		return t
	case rAlt:
		m := -1
		for _, s := range n.subs {
			if l := minLen(s); m < 0 || l < m {
				m = l
			}
		}
		return m
	case rRep:
		return n.min * minLen(n.subs[0])
	}
	return 0
}
