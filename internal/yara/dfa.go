package yara

import (
	"encoding/binary"
)

// lazyDFA caches the Pike VM's ordered thread lists as DFA states, so an
// anchored match costs one table lookup per byte instead of one step per
// live thread. Its states depend only on the program, so it is kept between
// scans in Rules.caches (one goroutine at a time uses it), and it is built
// only for programs whose assertions do not depend on the position beyond
// the start (no $, \b, \B).
type lazyDFA struct {
	vm     *pikeVM
	states []dfaState
	index  map[string]int32
	starts [2]int32 // at offset 0, elsewhere
}

type dfaState struct {
	pcs   []int32
	match bool
	next  [256]int32 // 0 unknown, -1 dead, else state+1
}

// maxDFAStates bounds the cache; past it, matching falls back to the Pike VM.
const maxDFAStates = 4096

func dfaEligible(p *program) bool {
	for _, in := range p.insts {
		if in.op == iEOL || in.op == iWordB || in.op == iNotWordB {
			return false
		}
	}
	return true
}

func newLazyDFA(vm *pikeVM) *lazyDFA {
	return &lazyDFA{vm: vm, index: map[string]int32{}, starts: [2]int32{-2, -2}}
}

// intern truncates the ordered list after its first match instruction (lower
// priority threads can never win) and returns the state's index.
func (d *lazyDFA) intern(pcs []int32) (int32, bool) {
	match := false
	for i, pc := range pcs {
		if d.vm.prog.insts[pc].op == iMatch {
			pcs, match = pcs[:i+1], true
			break
		}
	}
	if len(pcs) == 0 {
		return -1, true
	}
	key := make([]byte, 4*len(pcs))
	for i, pc := range pcs {
		binary.LittleEndian.PutUint32(key[4*i:], uint32(pc))
	}
	if id, ok := d.index[string(key)]; ok {
		return id, true
	}
	if len(d.states) >= maxDFAStates {
		return 0, false
	}
	d.states = append(d.states, dfaState{pcs: append([]int32(nil), pcs...), match: match})
	id := int32(len(d.states) - 1)
	d.index[string(key)] = id
	return id, true
}

// matchAt has the same contract as pikeVM.matchAt.
func (d *lazyDFA) matchAt(data []byte, start, limit int) int {
	end := len(data)
	if limit >= 0 && start+limit < end {
		end = start + limit
	}
	si := 1
	if start == 0 {
		si = 0
	}
	s := d.starts[si]
	if s == -2 {
		d.vm.nextGen()
		var ok bool
		s, ok = d.intern(d.vm.add(nil, 0, data, start))
		if !ok {
			return d.vm.matchAt(data, start, limit)
		}
		d.starts[si] = s
	}
	best := -1
	for pos := start; s >= 0; pos++ {
		st := &d.states[s]
		if st.match {
			best = pos - start
		}
		if pos >= end {
			break
		}
		c := data[pos]
		nx := st.next[c]
		if nx == 0 {
			d.vm.nextGen()
			var list []int32
			for _, pc := range st.pcs {
				in := &d.vm.prog.insts[pc]
				if in.op == iMatch {
					break
				}
				if in.set.has(c) {
					// pos+1 > 0, so BOL cannot pass; no other assertion exists.
					list = d.vm.add(list, pc+1, data, pos+1)
				}
			}
			id, ok := d.intern(list)
			if !ok {
				return d.vm.matchAt(data, start, limit)
			}
			st = &d.states[s]
			if id < 0 {
				st.next[c] = -1
			} else {
				st.next[c] = id + 1
			}
			nx = st.next[c]
		}
		if nx < 0 {
			break
		}
		s = nx - 1
	}
	return best
}
