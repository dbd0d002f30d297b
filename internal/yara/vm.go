package yara

import "errors"

type instOp uint8

const (
	iSet instOp = iota
	iSplit
	iJmp
	iMatch
	iBOL
	iEOL
	iWordB
	iNotWordB
)

type inst struct {
	op   instOp
	x, y int32
	set  byteSet
}

// program is a compiled regular expression or hex string: a Thompson NFA
// run by a Pike VM, so matching is linear in the bytes examined.
type program struct {
	insts    []inst
	minLen   int
	first    byteSet // bytes a non-empty match may start with
	anyStart bool    // the first byte is unconstrained or the match may be empty
}

const maxProgramSize = 200000

var errProgramTooLarge = errors.New("regular expression or hex string too large")

func compileProgram(n *reNode) (*program, error) {
	c := &progCompiler{}
	if err := c.emit(n); err != nil {
		return nil, err
	}
	c.insts = append(c.insts, inst{op: iMatch})
	p := &program{insts: c.insts, minLen: minLen(n)}
	p.computeFirst()
	return p, nil
}

type progCompiler struct {
	insts []inst
}

func (c *progCompiler) add(i inst) (int, error) {
	if len(c.insts) >= maxProgramSize {
		return 0, errProgramTooLarge
	}
	c.insts = append(c.insts, i)
	return len(c.insts) - 1, nil
}

func (c *progCompiler) emit(n *reNode) error {
	switch n.kind {
	case rSet:
		_, err := c.add(inst{op: iSet, set: n.set})
		return err
	case rEmpty:
		return nil
	case rBOL:
		_, err := c.add(inst{op: iBOL})
		return err
	case rEOL:
		_, err := c.add(inst{op: iEOL})
		return err
	case rWordB:
		_, err := c.add(inst{op: iWordB})
		return err
	case rNotWordB:
		_, err := c.add(inst{op: iNotWordB})
		return err
	case rCat:
		for _, s := range n.subs {
			if err := c.emit(s); err != nil {
				return err
			}
		}
		return nil
	case rAlt:
		var jumps []int
		for i, s := range n.subs {
			if i < len(n.subs)-1 {
				split, err := c.add(inst{op: iSplit})
				if err != nil {
					return err
				}
				c.insts[split].x = int32(split + 1)
				if err := c.emit(s); err != nil {
					return err
				}
				j, err := c.add(inst{op: iJmp})
				if err != nil {
					return err
				}
				jumps = append(jumps, j)
				c.insts[split].y = int32(len(c.insts))
			} else if err := c.emit(s); err != nil {
				return err
			}
		}
		for _, j := range jumps {
			c.insts[j].x = int32(len(c.insts))
		}
		return nil
	case rRep:
		sub := n.subs[0]
		for i := 0; i < n.min; i++ {
			if err := c.emit(sub); err != nil {
				return err
			}
		}
		if n.max < 0 {
			split, err := c.add(inst{op: iSplit})
			if err != nil {
				return err
			}
			if err := c.emit(sub); err != nil {
				return err
			}
			if _, err := c.add(inst{op: iJmp, x: int32(split)}); err != nil {
				return err
			}
			c.setSplit(split, split+1, len(c.insts), n.greedy)
			return nil
		}
		var splits []int
		for i := n.min; i < n.max; i++ {
			split, err := c.add(inst{op: iSplit})
			if err != nil {
				return err
			}
			splits = append(splits, split)
			if err := c.emit(sub); err != nil {
				return err
			}
		}
		for _, s := range splits {
			c.setSplit(s, s+1, len(c.insts), n.greedy)
		}
		return nil
	}
	return nil
}

func (c *progCompiler) setSplit(at, body, out int, greedy bool) {
	if greedy {
		c.insts[at].x, c.insts[at].y = int32(body), int32(out)
	} else {
		c.insts[at].x, c.insts[at].y = int32(out), int32(body)
	}
}

// computeFirst finds the bytes a match can start with, following epsilon
// transitions from the start.
func (p *program) computeFirst() {
	seen := make([]bool, len(p.insts))
	stack := []int32{0}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		in := &p.insts[pc]
		switch in.op {
		case iSet:
			p.first.union(&in.set)
		case iMatch:
			p.anyStart = true
		case iSplit:
			stack = append(stack, in.x, in.y)
		case iJmp:
			stack = append(stack, in.x)
		default:
			stack = append(stack, pc+1)
		}
	}
	if p.first.count() == 256 {
		p.anyStart = true
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// pikeVM holds the matching buffers for one program; used by one scan at a
// time (kept between scans in Rules.caches).
type pikeVM struct {
	prog      *program
	cur, next []int32
	onList    []uint32 // generation marks
	gen       uint32
	stack     []int32
}

func newPikeVM(p *program) *pikeVM {
	return &pikeVM{prog: p, onList: make([]uint32, len(p.insts))}
}

// add follows epsilon transitions from pc at position pos, appending the
// reachable byte-consuming and match instructions to list in priority order.
// It returns true when a match instruction was reached.
func (vm *pikeVM) add(list []int32, pc int32, data []byte, pos int) []int32 {
	stack := append(vm.stack[:0], pc)
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if vm.onList[pc] == vm.gen {
			continue
		}
		vm.onList[pc] = vm.gen
		in := &vm.prog.insts[pc]
		switch in.op {
		case iSet, iMatch:
			list = append(list, pc)
		case iJmp:
			stack = append(stack, in.x)
		case iSplit:
			stack = append(stack, in.y, in.x)
		case iBOL:
			if pos == 0 {
				stack = append(stack, pc+1)
			}
		case iEOL:
			if pos == len(data) {
				stack = append(stack, pc+1)
			}
		case iWordB, iNotWordB:
			before := pos > 0 && isWordByte(data[pos-1])
			after := pos < len(data) && isWordByte(data[pos])
			if (before != after) == (in.op == iWordB) {
				stack = append(stack, pc+1)
			}
		}
	}
	vm.stack = stack
	return list
}

func (vm *pikeVM) nextGen() {
	vm.gen++
	if vm.gen == 0 {
		clear(vm.onList)
		vm.gen = 1
	}
}

// matchAt returns the length of the leftmost-first match starting exactly at
// start, or -1. Matches longer than limit bytes are not found.
func (vm *pikeVM) matchAt(data []byte, start, limit int) int {
	end := len(data)
	if limit >= 0 && start+limit < end {
		end = start + limit
	}
	vm.nextGen()
	cur := vm.add(vm.cur[:0], 0, data, start)
	best := -1
	for pos := start; len(cur) > 0; pos++ {
		vm.nextGen()
		next := vm.next[:0]
		for _, pc := range cur {
			in := &vm.prog.insts[pc]
			if in.op == iMatch {
				best = pos - start
				break // lower-priority threads lose
			}
			if pos < end && in.set.has(data[pos]) {
				next = vm.add(next, pc+1, data, pos+1)
			}
		}
		vm.cur, vm.next = next, cur
		cur = next
	}
	vm.cur = cur[:0]
	return best
}

// search reports whether the program matches anywhere in data (used by the
// "matches" operator on short strings).
func (vm *pikeVM) search(data []byte) bool {
	for i := 0; i <= len(data); i++ {
		if i < len(data) && !vm.prog.anyStart && !vm.prog.first.has(data[i]) {
			continue
		}
		if vm.matchAt(data, i, -1) >= 0 {
			return true
		}
	}
	return false
}

func compileRegexSource(src, flags string, mods regexMods) (*program, error) {
	for _, f := range flags {
		switch f {
		case 'i':
			mods.nocase = true
		case 's':
			mods.dotAll = true
		}
	}
	n, err := parseRegex(src, mods)
	if err != nil {
		return nil, err
	}
	if mods.wide {
		n = widen(n)
	}
	return compileProgram(n)
}
