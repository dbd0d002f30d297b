package yara

import "math/bits"

// Strings without an atom would have to be tried at every offset, and each try
// can run up to MaxMatchLength bytes: that is where yara goes quadratic. We
// instead run the reversed expression once backwards over the data as an
// unanchored lazy DFA. Its state after reading data[i] accepts exactly when a
// match starts at i, so only real match starts are verified forwards and the
// work is linear in the input plus the size of the reported matches.

// reverseTree reverses a syntax tree; ok is false for trees with anchors or
// word boundaries, whose meaning does not survive reversal here.
func reverseTree(n *reNode) (*reNode, bool) {
	switch n.kind {
	case rSet, rEmpty:
		return n, true
	case rBOL, rEOL, rWordB, rNotWordB:
		return nil, false
	}
	c := *n
	c.subs = make([]*reNode, len(n.subs))
	for i, s := range n.subs {
		r, ok := reverseTree(s)
		if !ok {
			return nil, false
		}
		if n.kind == rCat {
			c.subs[len(n.subs)-1-i] = r
		} else {
			c.subs[i] = r
		}
	}
	return &c, true
}

// startFinder is the immutable part: the reversed program.
type startFinder struct {
	prog *program
}

// startDFA is the lazy DFA over sets of reversed-program states, kept between
// scans in Rules.caches like lazyDFA.
type startDFA struct {
	prog    *program
	words   int
	states  []sdState
	index   map[string]int32
	startSt []uint64 // closure of the start instruction
	resets  int
}

type sdState struct {
	set    []uint64
	accept bool
	next   [256]int32 // 0 unknown, else state+1
}

// maxStartDFABytes bounds the cache; when full it is flushed and rebuilt.
const maxStartDFABytes = 32 << 20

// maxStartDFAResets gives up on the filter (falling back to trying every
// offset) when the cache thrashes.
const maxStartDFAResets = 16

func newStartDFA(p *program) *startDFA {
	d := &startDFA{prog: p, words: (len(p.insts) + 63) / 64, index: map[string]int32{}}
	d.startSt = make([]uint64, d.words)
	d.closure(d.startSt, 0)
	return d
}

func (d *startDFA) closure(set []uint64, pc int32) {
	stack := []int32{pc}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if set[pc>>6]&(1<<(pc&63)) != 0 {
			continue
		}
		set[pc>>6] |= 1 << (pc & 63)
		in := &d.prog.insts[pc]
		switch in.op {
		case iJmp:
			stack = append(stack, in.x)
		case iSplit:
			stack = append(stack, in.x, in.y)
		}
	}
}

func (d *startDFA) intern(set []uint64) (int32, bool) {
	key := make([]byte, 8*len(set))
	for i, w := range set {
		for b := 0; b < 8; b++ {
			key[8*i+b] = byte(w >> (8 * b))
		}
	}
	if id, ok := d.index[string(key)]; ok {
		return id, true
	}
	if (len(d.states)+1)*(8*d.words+1100) > maxStartDFABytes {
		return 0, false
	}
	match := int32(len(d.prog.insts) - 1) // compileProgram ends with iMatch
	accept := set[match>>6]&(1<<(match&63)) != 0
	d.states = append(d.states, sdState{set: set, accept: accept})
	id := int32(len(d.states) - 1)
	d.index[string(key)] = id
	return id, true
}

func (d *startDFA) reset() {
	d.states = d.states[:0]
	clear(d.index)
	d.resets++
}

// step computes the state after reading c from state s (s < 0: empty set).
func (d *startDFA) step(s int32, c byte) (int32, bool) {
	cur := make([]uint64, d.words)
	copy(cur, d.startSt)
	if s >= 0 {
		for i, w := range d.states[s].set {
			cur[i] |= w
		}
	}
	out := make([]uint64, d.words)
	for i, w := range cur {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			w &^= 1 << b
			pc := int32(i*64 + b)
			in := &d.prog.insts[pc]
			if in.op == iSet && in.set.has(c) {
				d.closure(out, pc+1)
			}
		}
	}
	return d.intern(out)
}

// starts marks in a bitmap every offset in [from, to) where a match starts,
// running backwards from tail. ok is false when the cache thrashed; check is
// called periodically for cancellation.
func (d *startDFA) starts(data []byte, from, to, tail int, check func() error) ([]uint64, bool, error) {
	marks := make([]uint64, (to-from+63)/64)
	s := int32(-1)
	for i := tail - 1; i >= from; i-- {
		if i%checkEvery == 0 {
			if err := check(); err != nil {
				return nil, false, err
			}
		}
		c := data[i]
		var nx int32
		if s >= 0 && d.states[s].next[c] != 0 {
			nx = d.states[s].next[c] - 1
		} else {
			var ok bool
			nx, ok = d.step(s, c)
			if !ok {
				if d.resets >= maxStartDFAResets {
					return nil, false, nil
				}
				// Keep the current set across the flush.
				var keep []uint64
				if s >= 0 {
					keep = d.states[s].set
				}
				d.reset()
				s = -1
				if keep != nil {
					s, _ = d.intern(keep)
				}
				if nx, ok = d.step(s, c); !ok {
					return nil, false, nil
				}
			}
			if s >= 0 {
				d.states[s].next[c] = nx + 1
			}
		}
		s = nx
		if i < to && d.states[s].accept {
			marks[(i-from)>>6] |= 1 << ((i - from) & 63)
		}
	}
	return marks, true, nil
}
