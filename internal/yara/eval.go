package yara

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

type value struct {
	undef bool
	t     vtype
	i     int64 // also bool (0/1)
	f     float64
	s     []byte
}

var undefined = value{undef: true}

func boolVal(b bool) value {
	if b {
		return value{t: tyBool, i: 1}
	}
	return value{t: tyBool}
}
func intVal(i int64) value     { return value{t: tyInt, i: i} }
func floatVal(f float64) value { return value{t: tyFloat, f: f} }

func (v value) truth() bool {
	if v.undef {
		return false
	}
	switch v.t {
	case tyFloat:
		return v.f != 0
	case tyStr:
		return len(v.s) > 0
	}
	return v.i != 0
}

func (v value) num() float64 {
	if v.t == tyFloat {
		return v.f
	}
	return float64(v.i)
}

type evalEnv struct {
	st    *scanState
	rule  *compiledRule
	vars  []value
	anon  []int // string index stack for for-of loops
	steps int
}

// maxLoopSteps bounds for-loops over huge ranges; exceeding it fails the scan.
const maxLoopSteps = 1 << 26

func (st *scanState) evaluate() ([]Match, error) {
	r := st.r
	st.ruleVals = make([]bool, len(r.rules))
	// One environment for all rules: a fresh one per rule was most of the
	// allocation of a scan over many small files.
	env := &evalEnv{st: st, vars: make([]value, 8)}
	// The rules with a matched string, from the strings the search touched
	// rather than from every string of every rule.
	matched := st.cache.matched
	if len(matched) != len(r.rules) {
		matched = make([]bool, len(r.rules))
		st.cache.matched = matched
	}
	for _, si := range st.cache.touchedStr {
		matched[r.strings[si].rule] = matched[r.strings[si].rule] || len(st.matches[si]) > 0
	}
	defer func() {
		for _, si := range st.cache.touchedStr {
			matched[r.strings[si].rule] = false
		}
	}()
	for i := range r.rules {
		cr := &r.rules[i]
		if cr.skip || (st.dead != nil && st.dead[i]) || (cr.needsMatch && !matched[i]) {
			continue
		}
		env.rule, env.anon, env.steps = cr, env.anon[:0], 0
		clear(env.vars)
		v, err := env.eval(cr.decl.cond)
		if err != nil {
			return nil, err
		}
		st.ruleVals[i] = v.truth()
	}
	failedNS := map[string]bool{}
	for i := range r.rules {
		if d := r.rules[i].decl; d.global && !st.ruleVals[i] && !r.rules[i].skip {
			failedNS[d.namespace] = true
		}
	}
	var out []Match
	for i := range r.rules {
		cr := &r.rules[i]
		d := cr.decl
		if !st.ruleVals[i] || d.private || failedNS[d.namespace] {
			continue
		}
		m := Match{Rule: d.name, Namespace: d.namespace, Tags: append([]string(nil), d.tags...), Meta: append([]Meta(nil), d.meta...)}
		for _, si := range cr.strings {
			s := &r.strings[si]
			if s.decl.private {
				continue
			}
			for _, sm := range st.matches[si] {
				end := min(int(sm.off)+sm.len, int(sm.off)+maxMatchData)
				m.Strings = append(m.Strings, StringMatch{ID: s.decl.id, Offset: sm.off, Length: sm.len,
					Data: append([]byte(nil), st.data[sm.off:end]...)})
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func (e *evalEnv) strIndex(local int) int {
	if local < 0 {
		return e.anon[len(e.anon)-1]
	}
	return e.rule.strings[local]
}

func (e *evalEnv) eval(n *node) (value, error) {
	switch n.op {
	case opTrue:
		return boolVal(true), nil
	case opFalse:
		return boolVal(false), nil
	case opInt:
		return intVal(n.i), nil
	case opFloat:
		return floatVal(n.f), nil
	case opStr:
		return value{t: tyStr, s: n.s}, nil
	case opFilesize:
		return intVal(int64(len(e.st.data))), nil
	case opEntrypoint:
		return e.st.mod.entrypoint(), nil
	case opModule:
		return undefined, nil
	case opModCall:
		return e.evalModCall(n)
	case opModField:
		return e.evalModField(n)
	case opExternal:
		switch x := e.st.ext[n.name].(type) {
		case string:
			return value{t: tyStr, s: []byte(x)}, nil
		case int64:
			return intVal(x), nil
		case float64:
			return floatVal(x), nil
		case bool:
			return boolVal(x), nil
		}
		return undefined, nil
	case opRuleRef:
		return boolVal(e.st.ruleVals[n.slot]), nil
	case opLoopVar:
		return e.vars[n.slot], nil
	case opStrFound:
		return boolVal(len(e.st.matches[e.strIndex(n.str)]) > 0), nil
	case opStrAt:
		at, err := e.eval(n.a)
		if err != nil || at.undef {
			return boolVal(false), err
		}
		for _, m := range e.st.matches[e.strIndex(n.str)] {
			if m.off == at.i {
				return boolVal(true), nil
			}
			if m.off > at.i {
				break
			}
		}
		return boolVal(false), nil
	case opStrIn:
		lo, hi, ok, err := e.rng(n.a, n.b)
		if err != nil || !ok {
			return boolVal(false), err
		}
		for _, m := range e.st.matches[e.strIndex(n.str)] {
			if m.off >= lo && m.off <= hi {
				return boolVal(true), nil
			}
		}
		return boolVal(false), nil
	case opStrCount:
		ms := e.st.matches[e.strIndex(n.str)]
		if n.a == nil {
			return intVal(int64(len(ms))), nil
		}
		lo, hi, ok, err := e.rng(n.a, n.b)
		if err != nil || !ok {
			return undefined, err
		}
		c := 0
		for _, m := range ms {
			if m.off >= lo && m.off <= hi {
				c++
			}
		}
		return intVal(int64(c)), nil
	case opStrOffset, opStrLength:
		idx, err := e.eval(n.a)
		if err != nil || idx.undef {
			return undefined, err
		}
		ms := e.st.matches[e.strIndex(n.str)]
		if idx.i < 1 || idx.i > int64(len(ms)) {
			return undefined, nil
		}
		m := ms[idx.i-1]
		if n.op == opStrOffset {
			return intVal(m.off), nil
		}
		return intVal(int64(m.len)), nil
	case opReadInt:
		return e.readInt(n)
	case opNot:
		v, err := e.eval(n.a)
		if err != nil || v.undef {
			return undefined, err
		}
		return boolVal(!v.truth()), nil
	case opDefined:
		v, err := e.eval(n.a)
		return boolVal(!v.undef), err
	case opNeg, opBitNot:
		v, err := e.eval(n.a)
		if err != nil || v.undef {
			return undefined, err
		}
		if n.op == opBitNot {
			return intVal(^v.i), nil
		}
		if v.t == tyFloat {
			return floatVal(-v.f), nil
		}
		return intVal(-v.i), nil
	case opAnd:
		a, err := e.eval(n.a)
		if err != nil {
			return a, err
		}
		if !a.truth() {
			return boolVal(false), nil
		}
		b, err := e.eval(n.b)
		return boolVal(b.truth()), err
	case opOr:
		a, err := e.eval(n.a)
		if err != nil {
			return a, err
		}
		if a.truth() {
			return boolVal(true), nil
		}
		b, err := e.eval(n.b)
		return boolVal(b.truth()), err
	case opBinary:
		return e.binary(n)
	case opOf:
		return e.of(n)
	case opForOf:
		return e.forOf(n)
	case opForIn:
		return e.forIn(n)
	}
	return undefined, fmt.Errorf("internal error: unknown node %d", n.op)
}

func (e *evalEnv) rng(a, b *node) (int64, int64, bool, error) {
	lo, err := e.eval(a)
	if err != nil || lo.undef {
		return 0, 0, false, err
	}
	hi, err := e.eval(b)
	if err != nil || hi.undef {
		return 0, 0, false, err
	}
	return lo.i, hi.i, true, nil
}

func (e *evalEnv) readInt(n *node) (value, error) {
	off, err := e.eval(n.a)
	if err != nil || off.undef {
		return undefined, err
	}
	name := n.name
	signed := name[0] == 'i'
	be := len(name) > 2 && name[len(name)-2:] == "be"
	width := 1
	switch {
	case bytes.Contains([]byte(name), []byte("16")):
		width = 2
	case bytes.Contains([]byte(name), []byte("32")):
		width = 4
	}
	data := e.st.data
	if off.i < 0 || off.i > int64(len(data))-int64(width) {
		return undefined, nil
	}
	b := data[off.i : off.i+int64(width)]
	var u uint64
	switch width {
	case 1:
		u = uint64(b[0])
	case 2:
		if be {
			u = uint64(binary.BigEndian.Uint16(b))
		} else {
			u = uint64(binary.LittleEndian.Uint16(b))
		}
	case 4:
		if be {
			u = uint64(binary.BigEndian.Uint32(b))
		} else {
			u = uint64(binary.LittleEndian.Uint32(b))
		}
	}
	if signed {
		shift := 64 - 8*width
		return intVal(int64(u<<shift) >> shift), nil
	}
	return intVal(int64(u)), nil
}

func lower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		out[i] = c
	}
	return out
}

func (e *evalEnv) binary(n *node) (value, error) {
	a, err := e.eval(n.a)
	if err != nil {
		return undefined, err
	}
	if n.name == "matches" {
		if a.undef {
			return undefined, nil
		}
		vm := newPikeVM(n.b.re)
		return boolVal(vm.search(a.s)), nil
	}
	b, err := e.eval(n.b)
	if err != nil {
		return undefined, err
	}
	if a.undef || b.undef {
		return undefined, nil
	}
	switch n.name {
	case "contains":
		return boolVal(bytes.Contains(a.s, b.s)), nil
	case "icontains":
		return boolVal(bytes.Contains(lower(a.s), lower(b.s))), nil
	case "startswith":
		return boolVal(bytes.HasPrefix(a.s, b.s)), nil
	case "istartswith":
		return boolVal(bytes.HasPrefix(lower(a.s), lower(b.s))), nil
	case "endswith":
		return boolVal(bytes.HasSuffix(a.s, b.s)), nil
	case "iendswith":
		return boolVal(bytes.HasSuffix(lower(a.s), lower(b.s))), nil
	case "iequals":
		return boolVal(bytes.Equal(lower(a.s), lower(b.s))), nil
	}
	if a.t == tyStr && b.t == tyStr {
		c := bytes.Compare(a.s, b.s)
		return compareResult(n.name, c), nil
	}
	isFloat := a.t == tyFloat || b.t == tyFloat
	switch n.name {
	case "==", "!=", "<", ">", "<=", ">=":
		if isFloat {
			x, y := a.num(), b.num()
			c := 0
			if x < y {
				c = -1
			} else if x > y {
				c = 1
			}
			return compareResult(n.name, c), nil
		}
		c := 0
		if a.i < b.i {
			c = -1
		} else if a.i > b.i {
			c = 1
		}
		return compareResult(n.name, c), nil
	}
	if isFloat {
		x, y := a.num(), b.num()
		switch n.name {
		case "+":
			return floatVal(x + y), nil
		case "-":
			return floatVal(x - y), nil
		case "*":
			return floatVal(x * y), nil
		case "\\":
			if y == 0 {
				return undefined, nil
			}
			return floatVal(x / y), nil
		}
		return undefined, nil
	}
	x, y := a.i, b.i
	switch n.name {
	case "+":
		return intVal(x + y), nil
	case "-":
		return intVal(x - y), nil
	case "*":
		return intVal(x * y), nil
	case "\\":
		if y == 0 || (x == math.MinInt64 && y == -1) {
			return undefined, nil
		}
		return intVal(x / y), nil
	case "%":
		if y == 0 || (x == math.MinInt64 && y == -1) {
			return undefined, nil
		}
		return intVal(x % y), nil
	case "&":
		return intVal(x & y), nil
	case "|":
		return intVal(x | y), nil
	case "^":
		return intVal(x ^ y), nil
	case "<<":
		if y < 0 {
			return undefined, nil
		}
		if y >= 64 {
			return intVal(0), nil
		}
		return intVal(x << uint(y)), nil
	case ">>":
		if y < 0 {
			return undefined, nil
		}
		if y >= 64 {
			return intVal(0), nil
		}
		return intVal(x >> uint(y)), nil
	}
	return undefined, fmt.Errorf("internal error: operator %q", n.name)
}

func compareResult(op string, c int) value {
	switch op {
	case "==":
		return boolVal(c == 0)
	case "!=":
		return boolVal(c != 0)
	case "<":
		return boolVal(c < 0)
	case ">":
		return boolVal(c > 0)
	case "<=":
		return boolVal(c <= 0)
	}
	return boolVal(c >= 0)
}

// need returns how many items must satisfy the quantifier out of total;
// -1 means "none".
func (e *evalEnv) need(n *node, total int) (int, bool, error) {
	switch n.quant {
	case qAll:
		return total, true, nil
	case qAny:
		return 1, true, nil
	case qNone:
		return -1, true, nil
	}
	v, err := e.eval(n.qexpr)
	if err != nil || v.undef {
		return 0, false, err
	}
	if n.percent {
		return int(math.Ceil(float64(v.i) * float64(total) / 100)), true, nil
	}
	return int(v.i), true, nil
}

func quantResult(need, hits, total int) bool {
	if need < 0 {
		return hits == 0
	}
	if need == 0 {
		// "0 of them" holds only when none matched.
		return hits == 0
	}
	return hits >= need
}

func (e *evalEnv) of(n *node) (value, error) {
	need, ok, err := e.need(n, len(n.set))
	if err != nil || !ok {
		return boolVal(false), err
	}
	hits := 0
	for _, local := range n.set {
		ms := e.st.matches[e.rule.strings[local]]
		hit := len(ms) > 0
		if n.a != nil {
			at, err := e.eval(n.a)
			if err != nil {
				return undefined, err
			}
			hit = false
			if !at.undef {
				for _, m := range ms {
					if m.off == at.i {
						hit = true
						break
					}
				}
			}
		} else if n.b != nil {
			lo, hi, ok, err := e.rng(n.b, n.c)
			if err != nil {
				return undefined, err
			}
			hit = false
			for _, m := range ms {
				if ok && m.off >= lo && m.off <= hi {
					hit = true
					break
				}
			}
		}
		if hit {
			hits++
		}
	}
	return boolVal(quantResult(need, hits, len(n.set))), nil
}

func (e *evalEnv) step() error {
	e.steps++
	if e.steps > maxLoopSteps {
		return fmt.Errorf("condition loop exceeded %d iterations", maxLoopSteps)
	}
	if e.steps%4096 == 0 {
		if err := e.st.ctx.Err(); err != nil {
			return fmt.Errorf("scan incomplete: %w", err)
		}
	}
	return nil
}

func (e *evalEnv) forOf(n *node) (value, error) {
	need, ok, err := e.need(n, len(n.set))
	if err != nil || !ok {
		return boolVal(false), err
	}
	hits := 0
	// YARA pushes the set and pops it, so it runs the body for the last
	// string first (console.log in the body shows the order).
	for k := len(n.set) - 1; k >= 0; k-- {
		local := n.set[k]
		if err := e.step(); err != nil {
			return undefined, err
		}
		e.anon = append(e.anon, e.rule.strings[local])
		v, err := e.eval(n.a)
		e.anon = e.anon[:len(e.anon)-1]
		if err != nil {
			return undefined, err
		}
		if v.truth() {
			hits++
		}
	}
	return boolVal(quantResult(need, hits, len(n.set))), nil
}

func (e *evalEnv) forIn(n *node) (value, error) {
	var items []value
	var lo, hi int64
	count := 0
	if n.list != nil {
		for _, x := range n.list {
			v, err := e.eval(x)
			if err != nil {
				return undefined, err
			}
			items = append(items, v)
		}
		count = len(items)
	} else {
		var ok bool
		var err error
		lo, hi, ok, err = e.rng(n.b, n.c)
		if err != nil || !ok {
			return boolVal(false), err
		}
		if hi < lo {
			return boolVal(false), nil
		}
		if uint64(hi-lo) >= maxLoopSteps {
			return undefined, fmt.Errorf("for loop range %d..%d exceeds %d iterations", lo, hi, maxLoopSteps)
		}
		count = int(hi-lo) + 1
	}
	need, ok, err := e.need(n, count)
	if err != nil || !ok {
		return boolVal(false), err
	}
	for len(e.vars) <= n.slot {
		e.vars = append(e.vars, value{})
	}
	hits := 0
	for k := 0; k < count; k++ {
		if err := e.step(); err != nil {
			return undefined, err
		}
		if items != nil {
			e.vars[n.slot] = items[k]
		} else {
			e.vars[n.slot] = intVal(lo + int64(k))
		}
		v, err := e.eval(n.a)
		if err != nil {
			return undefined, err
		}
		if v.truth() {
			hits++
		}
		// Decide early like YARA: "any" and "N" stop once enough items
		// held, which console.log in the body shows. "none" stops at the
		// first hit, where its result is settled.
		if (n.quant == qAny || n.quant == qNone) && hits > 0 {
			break
		}
		if n.quant == qExpr && need > 0 && hits >= need {
			break
		}
		if n.quant == qAll && hits <= k {
			break
		}
	}
	if n.quant == qAll {
		return boolVal(hits == count), nil
	}
	return boolVal(quantResult(need, hits, count)), nil
}
