package yara

import (
	"encoding/binary"
)

// automaton is an Aho-Corasick automaton over atoms, compiled to a dense
// transition table so the scan loop does one lookup per input byte.
type automaton struct {
	out   [][]int32 // state -> atom entries ending here (including via failure links)
	entry []acEntry
	// next is delta in the form the scan loop reads: next[v&^0xff|byte]
	// is the following state's row offset (state*256), with the low bit set
	// when that state has outputs. One lookup and one bit test per byte.
	next []uint32
	// depth is the longest atom: the state after a byte depends only on the
	// depth bytes ending there.
	depth int
}

type acEntry struct {
	pattern int32
	atomLen int32
	atomOff int32
}

// maxACStates bounds the table at 64 MiB; patterns whose atoms do not fit
// fall back to the full-scan path.
const maxACStates = 1 << 16

func (r *Rules) buildPrefilter() {
	a := &automaton{out: [][]int32{nil}}
	// The trie is built sparse (edges per state) and turned into the dense
	// table in one breadth-first pass, where each state's row starts as a
	// copy of its failure state's finished row: a memmove per state instead
	// of 256 lookups, which was most of compiling a large collection.
	edges := [][]acEdge{nil}
	child := func(s int32, b byte) int32 {
		for _, e := range edges[s] {
			if e.b == b {
				return e.to
			}
		}
		return -1
	}
	for pi := range r.patterns {
		p := &r.patterns[pi]
		if p.shared {
			continue
		}
		if !p.hasAtom {
			r.fullScan = append(r.fullScan, pi)
			continue
		}
		need := 0
		for _, g := range p.groups {
			for _, at := range g.atoms {
				need += len(at)
			}
		}
		if len(a.out)+need > maxACStates {
			p.hasAtom = false
			r.fullScan = append(r.fullScan, pi)
			continue
		}
		for _, g := range p.groups {
			e := int32(len(a.entry))
			a.entry = append(a.entry, acEntry{pattern: int32(pi), atomLen: int32(len(g.atoms[0])), atomOff: int32(g.off)})
			for _, at := range g.atoms {
				a.depth = max(a.depth, len(at))
				s := int32(0)
				for _, b := range at {
					nx := child(s, b)
					if nx < 0 {
						nx = int32(len(a.out))
						a.out = append(a.out, nil)
						edges = append(edges, nil)
						edges[s] = append(edges[s], acEdge{b: b, to: nx})
					}
					s = nx
				}
				// e is the newest entry, so a repeat can only be the last
				// one: checking the whole list was quadratic when thousands
				// of strings share an atom.
				if o := a.out[s]; len(o) == 0 || o[len(o)-1] != e {
					a.out[s] = append(a.out[s], e)
				}
			}
		}
	}
	// next rows are written in breadth-first order, so a state's failure
	// state (always shallower) has its row and its outputs complete.
	n := len(a.out)
	a.next = make([]uint32, 256*n)
	fail := make([]int32, n)
	hasOut := make([]bool, n)
	queue := make([]int32, 0, n)
	for _, e := range edges[0] {
		hasOut[e.to] = len(a.out[e.to]) > 0
		a.next[int(e.b)] = acValue(e.to, hasOut[e.to])
		queue = append(queue, e.to)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if len(a.out[f]) > 0 {
			a.out[s] = append(a.out[s], a.out[f]...)
		}
		row := a.next[int(s)*256 : int(s)*256+256]
		copy(row, a.next[int(f)*256:int(f)*256+256])
		for _, e := range edges[s] {
			// The failure of s's child on b is where f goes on b; f's row
			// is final (f is shallower than s).
			cf := int32(a.next[int(f)*256+int(e.b)] >> 8)
			fail[e.to] = cf
			hasOut[e.to] = len(a.out[e.to]) > 0 || hasOut[cf]
			row[e.b] = acValue(e.to, hasOut[e.to])
			queue = append(queue, e.to)
		}
	}
	r.ac = a
}

// acEdge is one trie edge while the automaton is built.
type acEdge struct {
	b  byte
	to int32
}

// acValue is a next entry: the state's row offset, and bit 0 when it has
// outputs.
func acValue(s int32, out bool) uint32 {
	v := uint32(s) << 8
	if out {
		v |= 1
	}
	return v
}

// shareIdentical links patterns that would match exactly the same bytes
// (rule sets repeat strings such as /new\s+Image\b/ across rules), so that
// each candidate offset is verified once for all of them.
func (r *Rules) shareIdentical() {
	first := map[string]int{}
	for pi := range r.patterns {
		k := r.patterns[pi].shareKey()
		if c, ok := first[k]; ok {
			r.patterns[c].same = append(r.patterns[c].same, int32(pi))
			r.patterns[pi].shared = true
			continue
		}
		first[k] = pi
	}
}

// shareKey identifies what a pattern matches: its literal or program, and the
// modifiers applied when verifying.
func (p *pattern) shareKey() string {
	// Fixed-width binary fields, not fmt: this runs for every pattern of
	// every rule, and formatting was a visible part of compiling thousands.
	b := make([]byte, 0, 16+len(p.lit))
	b = binary.LittleEndian.AppendUint64(b, uint64(p.limit))
	b = append(b, boolByte(p.nocase), boolByte(p.wide), boolByte(p.fullword))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(p.lit)))
	b = append(b, p.lit...)
	if p.prog != nil {
		b = append(b, 'p')
		for _, in := range p.prog.insts {
			b = binary.LittleEndian.AppendUint64(b, uint64(in.op))
			b = binary.LittleEndian.AppendUint64(b, uint64(in.x))
			b = binary.LittleEndian.AppendUint64(b, uint64(in.y))
			for _, w := range in.set {
				b = binary.LittleEndian.AppendUint64(b, w)
			}
		}
	}
	return string(b)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
