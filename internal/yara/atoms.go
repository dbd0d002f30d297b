package yara

import (
	"encoding/binary"
	"slices"
)

const maxAtomLen = 4

// byteQuality scores how selective one byte is as part of an atom: the
// rarer the byte in what skimwatch scans (web trees: PHP, JavaScript,
// HTML, CSS, mostly ASCII text), the higher. The tiers follow byte
// frequencies measured on such text (the project's own PHP, JavaScript and
// HTML files, about 0.7 MB): the eight most frequent letters take 3.8 to
// 4.9 bits each, the next group of letters and the punctuation of code
// 5 to 6.5 bits, then 6.5 to 8 bits, and uppercase letters, most digits and
// the rest 8 bits or more. A flat score for all letters made the first
// window of a word its atom, so "gzdecode(" searched for "ode(" and every
// function call in a PHP file was verified.
func byteQuality(b byte) int {
	switch b {
	case 0x00, 0x20, 0xff, 0xcc, 0x90, '\n', '\r', '\t':
		return 4
	case 'e', 't', 'n', 'r', 'i', 's', 'a', 'o':
		return 6
	case '.', 'l', '=', ')', '(', ',', 'd', 'c', 'u', 'h', 'p', '"':
		return 8
	case 'f', '}', '{', 'm', '>', '<', ';', 'g', ':', '0', '/', 'v', 'b', 'y', '1', '-', '|', 'w', '[', ']':
		return 10
	}
	return 12
}

// atomPos is one position of the fixed-offset prefix of a string; nil set
// means any byte may appear there.
type atomPos struct {
	set *byteSet
}

// atomGroup is a set of alternative atoms found at the same offset of a match.
type atomGroup struct {
	atoms [][]byte
	off   int
}

func literalAtoms(lit []byte, nocase bool) []atomGroup {
	pos := make([]atomPos, len(lit))
	for i, b := range lit {
		s := setOf(b)
		if nocase {
			s.foldCase()
		}
		pos[i] = atomPos{set: &s}
	}
	atoms, off, score := chooseAtoms(pos)
	if score == 0 {
		return nil
	}
	return []atomGroup{{atoms: atoms, off: off}}
}

// goodAtomScore is the score below which alternatives are tried instead.
const goodAtomScore = 20

// treeAtoms extracts atoms at a fixed offset from the start of a regex or hex
// string. It first tries the paths through the string's leading part
// (pathAtoms): an alternation or a short optional part anywhere before the
// first unbounded repetition splits the string into paths, each with its own
// atoms, as YARA does. When that gives nothing better, the fixed-length prefix
// is used, and when that has no good atom and the string starts with an
// alternation, each alternative contributes its own atoms.
func treeAtoms(n *reNode) []atomGroup {
	var pos []atomPos
	flattenFixed(n, &pos, 0)
	_, _, prefixScore := chooseAtoms(pos)
	if groups, score := pathAtoms(n); score > prefixScore {
		return groups
	}
	return prefixAtoms(n)
}

// maxAtomPaths bounds how many paths pathAtoms follows.
const maxAtomPaths = 16

// pathAtoms expands the string's leading part into at most maxAtomPaths
// paths of fixed-offset positions (branching at alternations and at
// repetitions of at most three extra copies) and picks the best atoms of each
// path. Every match follows one path, so it contains one of the path atoms at
// the path's offset: verifying from there finds all matches. score is the
// worst path's; 0 means no usable atoms.
func pathAtoms(n *reNode) ([]atomGroup, int) {
	var paths [][]atomPos
	if !expandPaths([]*reNode{n}, nil, &paths, 0) {
		return nil, 0
	}
	var groups []atomGroup
	seen := map[string]bool{}
	worst, total := 0, 0
	for i, p := range paths {
		atoms, off, sc := chooseAtoms(p)
		if sc == 0 {
			return nil, 0
		}
		if i == 0 || sc < worst {
			worst = sc
		}
		key := atomsKey(off, atoms)
		if seen[key] {
			continue
		}
		seen[key] = true
		total += len(atoms)
		groups = append(groups, atomGroup{atoms: atoms, off: off})
	}
	if total > 4*maxAtomVariants {
		return nil, 0
	}
	return groups, worst
}

// expandPaths appends to out every path of fixed-offset positions through
// seq that starts with pre. It returns false when there would be more than
// maxAtomPaths paths.
func expandPaths(seq []*reNode, pre []atomPos, out *[][]atomPos, depth int) bool {
	for len(seq) > 0 && len(pre) <= 64 && depth <= 50 {
		n := seq[0]
		seq = seq[1:]
		switch n.kind {
		case rSet:
			s := n.set
			pre = append(pre, atomPos{set: &s})
			continue
		case rEmpty, rBOL, rWordB, rNotWordB:
			continue
		case rCat:
			seq = append(slices.Clone(n.subs), seq...)
			depth++
			continue
		case rAlt:
			for _, sub := range n.subs {
				if !expandPaths(append([]*reNode{sub}, seq...), slices.Clone(pre), out, depth+1) {
					return false
				}
			}
			return true
		case rRep:
			if n.max >= 0 && n.max-n.min <= 3 && n.max <= 64 && n.min != n.max {
				for k := n.min; k <= n.max; k++ {
					next := slices.Clone(seq)
					for range k {
						next = append([]*reNode{n.subs[0]}, next...)
					}
					if !expandPaths(next, slices.Clone(pre), out, depth+1) {
						return false
					}
				}
				return true
			}
			// The first n.min copies are at fixed offsets; what follows an
			// unbounded or long repetition is not.
			var next []*reNode
			for range min(n.min, 64) {
				next = append(next, n.subs[0])
			}
			if n.min == n.max {
				next = append(next, seq...)
			}
			seq = next
			depth++
			continue
		}
		break // rEOL and anything else end the path
	}
	if len(*out) >= maxAtomPaths {
		return false
	}
	*out = append(*out, pre)
	return true
}

// prefixAtoms is treeAtoms' fallback on the fixed-length prefix.
func prefixAtoms(n *reNode) []atomGroup {
	var pos []atomPos
	flattenFixed(n, &pos, 0)
	atoms, off, score := chooseAtoms(pos)
	var single []atomGroup
	if score > 0 {
		single = []atomGroup{{atoms: atoms, off: off}}
	}
	if score >= goodAtomScore {
		return single
	}
	first := n
	if n.kind == rCat {
		first = n.subs[0]
	}
	if first.kind != rAlt {
		return single
	}
	var groups []atomGroup
	total := 0
	for _, b := range first.subs {
		var bp []atomPos
		flattenFixed(b, &bp, 0)
		a, o, sc := chooseAtoms(bp)
		if sc == 0 || sc <= score {
			return single
		}
		total += len(a)
		groups = append(groups, atomGroup{atoms: a, off: o})
	}
	if total > 4*maxAtomVariants {
		return single
	}
	return groups
}

// flattenFixed appends the positions of n's fixed-length prefix. It returns
// false once the length stops being fixed, after which nothing is appended.
func flattenFixed(n *reNode, pos *[]atomPos, depth int) bool {
	if len(*pos) > 64 || depth > 50 {
		return false
	}
	switch n.kind {
	case rSet:
		s := n.set
		*pos = append(*pos, atomPos{set: &s})
		return true
	case rEmpty, rBOL, rWordB, rNotWordB:
		return true
	case rEOL:
		return false
	case rCat:
		for _, s := range n.subs {
			if !flattenFixed(s, pos, depth+1) {
				return false
			}
		}
		return true
	case rRep:
		if n.max == n.min && n.min <= 64 {
			for i := 0; i < n.min; i++ {
				if !flattenFixed(n.subs[0], pos, depth+1) {
					return false
				}
			}
			return true
		}
		return false
	case rAlt:
		l := fixedLen(n)
		if l < 0 {
			return false
		}
		for i := 0; i < l; i++ {
			*pos = append(*pos, atomPos{})
		}
		return true
	}
	return false
}

func fixedLen(n *reNode) int {
	switch n.kind {
	case rSet:
		return 1
	case rEmpty, rBOL, rWordB, rNotWordB:
		return 0
	case rCat:
		t := 0
		for _, s := range n.subs {
			l := fixedLen(s)
			if l < 0 {
				return -1
			}
			t += l
		}
		return t
	case rAlt:
		l := -1
		for _, s := range n.subs {
			sl := fixedLen(s)
			if sl < 0 || (l >= 0 && sl != l) {
				return -1
			}
			l = sl
		}
		return l
	case rRep:
		if n.min == n.max {
			if l := fixedLen(n.subs[0]); l >= 0 {
				return l * n.min
			}
		}
	}
	return -1
}

const maxAtomVariants = 64

// chooseAtoms picks the best window of up to maxAtomLen positions and expands
// it into the byte strings the prefilter looks for.
func chooseAtoms(pos []atomPos) ([][]byte, int, int) {
	// Each position's size and quality are computed once: a window of up to
	// maxAtomLen starts at every position, and long literals have many.
	counts := make([]int, len(pos))
	quals := make([]int, len(pos))
	var members [256]byte
	for i, p := range pos {
		if p.set == nil {
			continue
		}
		c := p.set.count()
		counts[i] = c
		// A set is as selective as its most frequent member (the
		// lowercase one of a nocase letter).
		q := 12
		for _, b := range p.set.appendMembers(members[:0]) {
			q = min(q, byteQuality(b))
		}
		// A set of c bytes is about log2(c) bits less selective.
		for x := c; x > 1; x >>= 1 {
			q -= 3
		}
		quals[i] = max(q, 1)
	}
	bestScore, bestStart, bestLen := 0, -1, 0
	for start := range pos {
		score, variants := 0, 1
		for l := 1; l <= maxAtomLen && start+l <= len(pos); l++ {
			i := start + l - 1
			if pos[i].set == nil {
				break
			}
			c := counts[i]
			if c == 0 || variants*c > maxAtomVariants {
				break
			}
			variants *= c
			score += quals[i]
			if score > bestScore {
				bestScore, bestStart, bestLen = score, start, l
			}
		}
	}
	if bestStart < 0 || bestScore < 4 {
		return nil, 0, 0
	}
	atoms := [][]byte{nil}
	for i := bestStart; i < bestStart+bestLen; i++ {
		ms := pos[i].set.appendMembers(members[:0])
		next := make([][]byte, 0, len(atoms)*len(ms))
		for _, a := range atoms {
			for _, b := range ms {
				next = append(next, append(append(make([]byte, 0, bestLen), a...), b))
			}
		}
		atoms = next
	}
	return atoms, bestStart, bestScore
}

// atomsKey identifies a group of atoms at an offset (atoms are at most
// maxAtomLen bytes, so a length byte before each keeps keys unambiguous).
func atomsKey(off int, atoms [][]byte) string {
	b := binary.AppendUvarint(nil, uint64(off))
	for _, a := range atoms {
		b = append(append(b, byte(len(a))), a...)
	}
	return string(b)
}
