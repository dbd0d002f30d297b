package yara

import (
	"encoding/binary"
	"slices"
)

// automaton is an Aho-Corasick automaton over atoms, compiled to a dense
// transition table so the scan loop does one lookup per input byte.
type automaton struct {
	// delta (state*256 + byte -> state) exists only while building: the
	// scan reads next, and with thousands of rules delta alone is tens of MiB.
	delta []int32
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
	r.shareIdentical()
	// The trie has at most one state per atom byte: reserving that much
	// (within maxACStates) up front spares growing a table of tens of MiB
	// again and again, which was most of compiling a large collection.
	states := 1
	for pi := range r.patterns {
		if p := &r.patterns[pi]; !p.shared && p.hasAtom {
			for _, g := range p.groups {
				for _, at := range g.atoms {
					states += len(at)
				}
			}
		}
	}
	a := &automaton{delta: make([]int32, 256, 256*min(states, maxACStates+1)), out: make([][]int32, 1, min(states, maxACStates+1))}
	for i := range a.delta {
		a.delta[i] = -1
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
					nx := a.delta[int(s)*256+int(b)]
					if nx < 0 {
						nx = int32(len(a.out))
						a.out = append(a.out, nil)
						row := len(a.delta)
						a.delta = slices.Grow(a.delta, 256)[:row+256]
						for j := row; j < row+256; j++ {
							a.delta[j] = -1
						}
						a.delta[int(s)*256+int(b)] = nx
					}
					s = nx
				}
				if !containsInt32(a.out[s], e) {
					a.out[s] = append(a.out[s], e)
				}
			}
		}
	}
	// Breadth-first failure links, folded into the dense table.
	fail := make([]int32, len(a.out))
	queue := make([]int32, 0, len(a.out))
	for b := 0; b < 256; b++ {
		if nx := a.delta[b]; nx > 0 {
			fail[nx] = 0
			queue = append(queue, nx)
		} else {
			a.delta[b] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(a.out[f]) > 0 {
			a.out[s] = append(a.out[s], a.out[f]...)
		}
		for b := 0; b < 256; b++ {
			nx := a.delta[int(s)*256+b]
			fb := a.delta[int(fail[s])*256+b]
			if nx > 0 {
				fail[nx] = fb
				queue = append(queue, nx)
			} else {
				a.delta[int(s)*256+b] = fb
			}
		}
	}
	a.next = make([]uint32, len(a.delta))
	for i, s := range a.delta {
		v := uint32(s) << 8
		if len(a.out[s]) > 0 {
			v |= 1
		}
		a.next[i] = v
	}
	a.delta = nil
	r.ac = a
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
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
