package yara

import (
	"encoding/binary"
	"slices"
)

// automaton is an Aho-Corasick automaton over atoms, compiled to a dense
// transition table so the scan loop does one lookup per input byte.
type automaton struct {
	out   [][]int32 // row -> atom entries ending in its state (including via failure links)
	entry []acEntry
	// next is delta in the form the scan loop reads: next[v&^0xff|byte]
	// is the following state's row offset (row*256), with bit 0 set when
	// that state has outputs. One lookup and one bit test per byte.
	//
	// When the states outnumber maxACRows, only states with children have
	// a row. A leaf (about half the states: atoms rarely extend one
	// another) goes wherever its failure state goes, so entering it gives
	// that state's row with bit 1 set and the leaf's depth in bits 2-4;
	// acHit finds its outputs in leaves by the bytes that led there. This
	// about doubles the atoms that fit before strings fall back to the
	// slow full-scan path.
	next []uint32
	// leaves maps leafKey of a leaf's bytes to its atom entries.
	leaves map[uint64][]int32
	// depth is the longest atom: the state after a byte depends only on the
	// depth bytes ending there.
	depth int
}

type acEntry struct {
	pattern int32
	atomLen int32
	atomOff int32
}

// maxACRows bounds the table at 64 MiB; patterns whose atoms do not fit,
// even with leaves folded, fall back to the full-scan path.
const maxACRows = 1 << 16

// leafKey identifies a leaf by the (at most four) bytes that lead to it.
func leafKey(b []byte) uint64 {
	k := uint64(len(b)) << 32
	for _, c := range b {
		k = k&^0xffffffff | (k<<8|uint64(c))&0xffffffff
	}
	return k
}

// buildPrefilter builds the automaton with at most maxRows rows (maxACRows
// but in tests).
func (r *Rules) buildPrefilter(maxRows int) {
	a := &automaton{out: [][]int32{nil}}
	// The trie is built sparse (edges per state) and turned into the dense
	// table in one breadth-first pass, where each state's row starts as a
	// copy of its failure state's finished row: a memmove per state instead
	// of 256 lookups, which was most of compiling a large collection.
	edges := [][]acEdge{nil}
	rows := 1 // states with children, and the root
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
		// Each atom byte may add a row (the state it extends stops being a
		// leaf), so need bounds the new rows.
		if rows+need > maxRows {
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
						if s != 0 && len(edges[s]) == 0 {
							rows++
						}
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
	// Breadth-first, so that a state's failure state (always shallower) has
	// its outputs and its row complete when the state is reached.
	n := len(a.out)
	rowOf := make([]int32, n) // the row a state's transitions are read from
	fail := make([]int32, n)
	hasOut := make([]bool, n)
	// Leaves are folded only when every state would not get its own row:
	// finding a folded leaf's outputs costs a map lookup per atom hit
	// (about a tenth of the scan time on text dense in hits).
	fold := n > maxRows
	if !fold {
		rows = n
	}
	out := make([][]int32, 1, rows)
	a.next = make([]uint32, 256*rows)
	if fold {
		a.leaves = map[uint64][]int32{}
	}
	path := make([][]byte, n) // a state's bytes, for a leaf's key
	value := func(c int32) uint32 {
		v := uint32(rowOf[c]) << 8
		if hasOut[c] {
			v |= 1
		}
		if fold && len(edges[c]) == 0 {
			v |= 2 | uint32(len(path[c]))<<2
		}
		return v
	}
	queue := make([]int32, 0, n)
	enqueue := func(s, c int32, b byte) {
		// The failure of c is the longest proper suffix of its bytes that
		// is a state: follow s's failure chain until one has a child on b.
		if s != 0 {
			f := fail[s]
			for {
				if g := child(f, b); g >= 0 {
					fail[c] = g
					break
				}
				if f == 0 {
					break
				}
				f = fail[f]
			}
		}
		if fold {
			path[c] = append(slices.Clone(path[s]), b)
		}
		hasOut[c] = len(a.out[c]) > 0 || hasOut[fail[c]]
		if !fold || len(edges[c]) > 0 {
			rowOf[c] = int32(len(out))
			out = append(out, nil)
		} else {
			rowOf[c] = rowOf[fail[c]]
		}
		queue = append(queue, c)
	}
	for _, e := range edges[0] {
		enqueue(0, e.to, e.b)
	}
	for _, e := range edges[0] {
		a.next[int(e.b)] = value(e.to)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(a.out[f]) > 0 {
			a.out[s] = append(a.out[s], a.out[f]...)
		}
		if fold && len(edges[s]) == 0 {
			a.leaves[leafKey(path[s])] = a.out[s]
			continue
		}
		out[rowOf[s]] = a.out[s]
		r := int(rowOf[s]) * 256
		row := a.next[r : r+256]
		f := int(rowOf[fail[s]]) * 256
		copy(row, a.next[f:f+256])
		for _, e := range edges[s] {
			enqueue(s, e.to, e.b)
		}
		for _, e := range edges[s] {
			row[e.b] = value(e.to)
		}
	}
	a.out = out
	r.ac = a
}

// acEdge is one trie edge while the automaton is built.
type acEdge struct {
	b  byte
	to int32
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
