package yara

import (
	"bytes"
	"context"
	"fmt"
	"math/bits"
	"slices"
	"time"
)

type strMatch struct {
	off int64
	len int
}

type scanState struct {
	r        *Rules
	data     []byte
	matches  [][]strMatch // per string, the cache's
	lastHit  []int        // per pattern: last verified start + 1, the cache's
	cache    *scanCache
	limit    int
	overflow bool
	ext      map[string]any
	ctx      context.Context
	ruleVals []bool
	ruleDone []bool
	// dead marks the rules that cannot match this file whatever strings
	// are found (out of their size bounds, a file gate such as a header
	// test that does not hold, or skipped); nil when none is.
	dead []bool
	mod  moduleCtx
}

// scanCache is the matching state that depends only on the rules, kept
// between scans in Rules.caches so that small files do not pay for building
// lazy-DFA states again: one scanCache is used by one scan at a time.
type scanCache struct {
	vms    []*pikeVM   // per pattern, lazily
	dfas   []*lazyDFA  // per pattern, lazily
	starts []*startDFA // per pattern with a reversed program, lazily
	hits   [3][]acHit  // prefilter's buffers for a chunk's later quarters
	// Per-scan tables, kept so that a scan of a small file does not
	// allocate and clear one entry per string and per pattern of a large
	// collection: only the entries a scan touched are reset after it.
	matches     [][]strMatch // per string
	lastHit     []int        // per pattern
	touchedStr  []int        // strings with matches
	touchedPats []int        // patterns with lastHit set
	dead        []bool       // per rule, for scanState.dead
	matched     []bool       // per rule: a string matched (evaluate)
	gates       []uint8      // per Rules.gates, during markDead
}

// Bounds on what a scanCache keeps after a scan, so that a pathological
// pattern does not pin its largest cache (4096 forward or 32 MiB of reverse
// states) for the life of the rules: bigger ones are dropped and rebuilt.
const (
	maxKeptDFAStates      = 512
	maxKeptStartDFAStates = 512
)

func (r *Rules) getCache() *scanCache {
	if c, ok := r.caches.Get().(*scanCache); ok {
		return c
	}
	n := len(r.patterns)
	return &scanCache{vms: make([]*pikeVM, n), dfas: make([]*lazyDFA, n), starts: make([]*startDFA, n),
		matches: make([][]strMatch, len(r.strings)), lastHit: make([]int, n)}
}

// maxKeptMatches bounds the match list a cache keeps for one string.
const maxKeptMatches = 1024

func (r *Rules) putCache(c *scanCache) {
	for _, si := range c.touchedStr {
		if cap(c.matches[si]) > maxKeptMatches {
			c.matches[si] = nil
		} else {
			c.matches[si] = c.matches[si][:0]
		}
	}
	// Only a verified pattern can have grown its lazy DFA, and only the
	// patterns without atoms have start filters: going over every pattern
	// after each file was a cost per file of the collection's size.
	for _, pi := range c.touchedPats {
		c.lastHit[pi] = 0
		if d := c.dfas[pi]; d != nil && len(d.states) > maxKeptDFAStates {
			c.dfas[pi] = nil
		}
	}
	c.touchedStr, c.touchedPats = c.touchedStr[:0], c.touchedPats[:0]
	for _, pi := range r.fullScan {
		if d := c.starts[pi]; d != nil && len(d.states) > maxKeptStartDFAStates {
			c.starts[pi] = nil
		}
	}
	r.caches.Put(c)
}

// checkEvery is how many input bytes pass between cancellation checks.
const checkEvery = 1 << 16

// ScanBytes scans data and returns the matching rules in declaration order.
// When the context ends or the timeout passes, it returns an error and no
// result: the scan is incomplete, never clean.
func (r *Rules) ScanBytes(ctx context.Context, data []byte, opts ScanOptions) ([]Match, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	ext := r.externals
	if len(opts.Externals) > 0 {
		ext = make(map[string]any, len(r.externals))
		for k, v := range r.externals {
			ext[k] = v
		}
		for k, v := range opts.Externals {
			old, ok := r.externals[k]
			if !ok {
				return nil, fmt.Errorf("external %q was not declared at compile time", k)
			}
			nv, err := normalizeExternal(v)
			if err != nil {
				return nil, fmt.Errorf("external %q: %w", k, err)
			}
			if fmt.Sprintf("%T", nv) != fmt.Sprintf("%T", old) {
				return nil, fmt.Errorf("external %q: got %T, declared as %T", k, nv, old)
			}
			ext[k] = nv
		}
	}
	cache := r.getCache()
	st := &scanState{
		r: r, data: data, ext: ext, ctx: ctx,
		matches: cache.matches,
		lastHit: cache.lastHit,
		cache:   cache,
		limit:   opts.MaxMatchesPerString,
		mod:     newModuleCtx(data, opts),
	}
	// A fault in the middle of the search (a mapped file truncated under
	// us) unwinds through here with the cache half-updated: only a search
	// that returned gives its cache back to the pool.
	searched := false
	defer func() {
		if searched {
			r.putCache(st.cache)
		}
	}()
	if st.limit <= 0 {
		st.limit = DefaultMaxMatchesPerString
	}
	if !st.markDead() {
		// No rule can match a file of this size and header: nothing to
		// search.
		searched = true
		r.log.Debug("yara scan", "bytes", len(data), "matches", 0, "skipped", "no rule can match this file's size or header")
		return nil, nil
	}
	start := time.Now()
	err := st.search()
	searched = true
	if err != nil {
		return nil, err
	}
	for _, i := range st.cache.touchedStr {
		m := st.matches[i]
		slices.SortFunc(m, func(a, b strMatch) int {
			if a.off != b.off {
				return int(a.off - b.off)
			}
			return b.len - a.len
		})
		m = slices.CompactFunc(m, func(a, b strMatch) bool { return a.off == b.off })
		// YARA keeps only the fixed offset for strings used solely as
		// "$a at N", but (as observed with yara -s) only for literal strings.
		if d := r.strings[i].decl; d.fixedSeen && !d.variable && r.strings[i].allLiteral(r) {
			m = slices.DeleteFunc(m, func(x strMatch) bool { return x.off != d.fixedAt })
		}
		st.matches[i] = m
	}
	out, err := st.evaluate()
	if err != nil {
		return nil, err
	}
	r.log.Debug("yara scan", "bytes", len(data), "matches", len(out), "elapsed", time.Since(start))
	if st.overflow {
		return out, fmt.Errorf("scan incomplete: %w (limit %d)", ErrTooManyMatches, st.limit)
	}
	return out, nil
}

func (st *scanState) vm(pi int) *pikeVM {
	vms := st.cache.vms
	if vms[pi] == nil {
		vms[pi] = newPikeVM(st.r.patterns[pi].prog)
	}
	return vms[pi]
}

func (st *scanState) search() error {
	data := st.data
	ac := st.r.ac
	if len(ac.entry) > 0 {
		if err := st.prefilter(); err != nil {
			return err
		}
	}
	for _, pi := range st.r.fullScan {
		if st.dead != nil && st.patternDead(pi) {
			continue
		}
		p := &st.r.patterns[pi]
		if p.prog != nil && p.prog.minLen > p.limit {
			continue // can never match within the scan limit
		}
		if p.reverse != nil {
			ok, err := st.scanWithStartFilter(pi)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
		}
		if p.prog == nil && !p.nocase {
			// A literal whose atoms did not fit the automaton.
			for i := 0; i < len(data); {
				k := bytes.Index(data[i:], p.lit)
				if k < 0 {
					break
				}
				st.verify(pi, i+k)
				i += k + 1
				if err := st.ctx.Err(); err != nil {
					return fmt.Errorf("scan incomplete: %w", err)
				}
			}
			continue
		}
		for i := 0; i <= len(data); i++ {
			if i%checkEvery == 0 {
				if err := st.ctx.Err(); err != nil {
					return fmt.Errorf("scan incomplete: %w", err)
				}
			}
			if p.prog != nil && p.prog.minLen > p.limit {
				break // can never match within the scan limit
			}
			if i < len(data) && p.prog != nil && !p.prog.anyStart && !p.prog.first.has(data[i]) {
				continue
			}
			if i == len(data) && (p.prog == nil || p.prog.minLen > 0) {
				break
			}
			st.verify(pi, i)
		}
	}
	return st.ctx.Err()
}

// acHit is a prefilter hit: the automaton's value after data[pos].
type acHit struct {
	pos int
	v   uint32
}

// prefilter runs the atom automaton over the data and verifies every hit.
// The automaton's state depends only on the last ac.depth bytes, so each
// chunk is cut in four quarters run in the same loop: four independent
// lookup chains per iteration instead of one, which is several times faster
// for this latency-bound loop. The later quarters' hits are verified after
// the first's, quarter by quarter, so verification still goes in offset
// order. The context is checked between chunks.
func (st *scanState) prefilter() error {
	ac := st.r.ac
	data := st.data
	next := ac.next
	lead := ac.depth - 1 // bytes a quarter's run reads before its quarter
	v := uint32(0)
	for from := 0; from < len(data); from += checkEvery {
		if err := st.ctx.Err(); err != nil {
			return fmt.Errorf("scan incomplete: %w", err)
		}
		chunk := data[from:min(from+checkEvery, len(data))]
		q := len(chunk) / 4
		if q < 128 || q <= lead {
			for j, c := range chunk {
				v = next[v&^0xff|uint32(c)]
				if v&1 != 0 {
					st.acHit(from+j, v)
				}
			}
			continue
		}
		var in [4]uint32
		in[0] = v
		for l := 1; l < 4; l++ {
			s := uint32(0)
			for _, c := range chunk[l*q-lead : l*q] {
				s = next[s&^0xff|uint32(c)]
			}
			in[l] = s
		}
		a0 := chunk[:q]
		a1 := chunk[q : 2*q][:len(a0)]
		a2 := chunk[2*q : 3*q][:len(a0)]
		a3 := chunk[3*q:]
		a3q := a3[:len(a0)]
		v0, v1, v2, v3 := in[0], in[1], in[2], in[3]
		late := &st.cache.hits
		for l := range late {
			late[l] = late[l][:0]
		}
		for j, c := range a0 {
			v0 = next[v0&^0xff|uint32(c)]
			v1 = next[v1&^0xff|uint32(a1[j])]
			v2 = next[v2&^0xff|uint32(a2[j])]
			v3 = next[v3&^0xff|uint32(a3q[j])]
			if (v0|v1|v2|v3)&1 == 0 {
				continue
			}
			if v0&1 != 0 {
				st.acHit(from+j, v0)
			}
			if v1&1 != 0 {
				late[0] = append(late[0], acHit{from + q + j, v1})
			}
			if v2&1 != 0 {
				late[1] = append(late[1], acHit{from + 2*q + j, v2})
			}
			if v3&1 != 0 {
				late[2] = append(late[2], acHit{from + 3*q + j, v3})
			}
		}
		for l := range late {
			for _, h := range late[l] {
				st.acHit(h.pos, h.v)
			}
		}
		for j := len(a0); j < len(a3); j++ {
			v3 = next[v3&^0xff|uint32(a3[j])]
			if v3&1 != 0 {
				st.acHit(from+3*q+j, v3)
			}
		}
		v = v3
	}
	return nil
}

// markDead sets st.dead for the rules that cannot match this file by its
// size or their file gates, and reports whether any rule can.
func (st *scanState) markDead() bool {
	r := st.r
	n := int64(len(st.data))
	dead := st.cache.dead
	if len(dead) != len(r.rules) {
		dead = make([]bool, len(r.rules))
		st.cache.dead = dead
	}
	// Each distinct gate once: 0 not yet evaluated, 1 holds, 2 does not.
	gates := st.cache.gates
	if len(gates) != len(r.gates) {
		gates = make([]uint8, len(r.gates))
		st.cache.gates = gates
	}
	clear(gates)
	env := &evalEnv{st: st}
	holds := func(gi int) bool {
		if gates[gi] == 0 {
			gates[gi] = 2
			// A file-only node has no loop: it cannot fail.
			if v, err := env.eval(r.gates[gi]); err != nil || v.truth() {
				gates[gi] = 1
			}
		}
		return gates[gi] == 1
	}
	some, live := false, false
	for i := range r.rules {
		cr := &r.rules[i]
		// The same test as MayMatchSize, per rule, then the rule's gates.
		d := cr.skip || n < cr.sizeLo || n > cr.sizeHi
		for _, gi := range cr.gates {
			if d {
				break
			}
			d = !holds(gi)
		}
		dead[i] = d
		some = some || d
		live = live || !d
	}
	if some {
		st.dead = dead
	}
	return live
}

// patternDead reports whether every rule that uses pattern pi (its own
// string's and those of the identical strings it is verified for) cannot
// match this file, so that its hits need no verifying.
func (st *scanState) patternDead(pi int) bool {
	r := st.r
	p := &r.patterns[pi]
	if !st.dead[r.strings[p.str].rule] {
		return false
	}
	for _, q := range p.same {
		if !st.dead[r.strings[r.patterns[q].str].rule] {
			return false
		}
	}
	return true
}

// acHit verifies the atoms that end at data[i].
func (st *scanState) acHit(i int, v uint32) {
	ac := st.r.ac
	outs := ac.out[v>>8]
	if v&2 != 0 {
		d := int(v >> 2 & 7)
		outs = ac.leaves[leafKey(st.data[i+1-d:i+1])]
	}
	for _, e := range outs {
		en := &ac.entry[e]
		start := i + 1 - int(en.atomLen) - int(en.atomOff)
		if start < 0 || (st.dead != nil && st.patternDead(int(en.pattern))) {
			continue
		}
		st.verify(int(en.pattern), start)
	}
}

// verify checks pattern pi at offset start and records a match.
func (st *scanState) verify(pi, start int) {
	switch st.lastHit[pi] {
	case start + 1:
		return
	case 0:
		st.cache.touchedPats = append(st.cache.touchedPats, pi)
	}
	st.lastHit[pi] = start + 1
	p := &st.r.patterns[pi]
	if len(p.same) == 0 && len(st.matches[p.str]) >= st.limit {
		st.overflow = true
		return
	}
	data := st.data
	n := -1
	if p.prog == nil {
		if start+len(p.lit) > len(data) {
			return
		}
		w := data[start : start+len(p.lit)]
		if p.nocase {
			if !asciiEqualFold(w, p.lit) {
				return
			}
		} else if !bytes.Equal(w, p.lit) {
			return
		}
		n = len(p.lit)
	} else {
		if p.prog.minLen > p.limit {
			return
		}
		if p.dfaOK {
			dfas := st.cache.dfas
			if dfas[pi] == nil {
				dfas[pi] = newLazyDFA(st.vm(pi))
			}
			n = dfas[pi].matchAt(data, start, p.limit)
		} else {
			n = st.vm(pi).matchAt(data, start, p.limit)
		}
		if n < 0 {
			return
		}
	}
	if p.fullword && !isFullword(data, start, n, p.wide) {
		return
	}
	st.record(p.str, start, n)
	for _, q := range p.same {
		st.record(st.r.patterns[q].str, start, n)
	}
}

func (st *scanState) record(str, start, n int) {
	m := &st.matches[str]
	if len(*m) >= st.limit {
		st.overflow = true
		return
	}
	if len(*m) == 0 {
		st.cache.touchedStr = append(st.cache.touchedStr, str)
	}
	*m = append(*m, strMatch{off: int64(start), len: n})
}

func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 32
		}
		if y >= 'A' && y <= 'Z' {
			y += 32
		}
		if x != y {
			return false
		}
	}
	return true
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func isFullword(data []byte, start, n int, wide bool) bool {
	end := start + n
	if wide {
		if start >= 2 && data[start-1] == 0 && isAlnum(data[start-2]) {
			return false
		}
		if end+1 < len(data) && isAlnum(data[end]) && data[end+1] == 0 {
			return false
		}
		return true
	}
	if start > 0 && isAlnum(data[start-1]) {
		return false
	}
	if end < len(data) && isAlnum(data[end]) {
		return false
	}
	return true
}

func (cs *compiledString) allLiteral(r *Rules) bool {
	for _, pi := range cs.patterns {
		if !r.patterns[pi].literal {
			return false
		}
	}
	return len(cs.patterns) > 0
}

// startChunk bounds the start-filter bitmap (startChunk/8 bytes) so that
// multi-gigabyte files scan in bounded memory.
const startChunk = 16 << 20

// scanWithStartFilter verifies pattern pi only where the reversed program
// says a match starts. ok is false when the filter gave up.
func (st *scanState) scanWithStartFilter(pi int) (bool, error) {
	p := &st.r.patterns[pi]
	d := st.cache.starts[pi]
	if d == nil {
		d = newStartDFA(p.reverse)
		st.cache.starts[pi] = d
	}
	d.resets = 0 // the thrashing limit is per scan
	data := st.data
	for from := 0; from < len(data); from += startChunk {
		to := min(from+startChunk, len(data))
		// A match starting before "to" ends before to+limit, so the reverse
		// run can start fresh there.
		tail := len(data)
		if p.limit >= 0 && to+p.limit < tail {
			tail = to + p.limit
		}
		marks, ok, err := d.starts(data, from, to, tail, st.ctx.Err)
		if err != nil {
			return false, fmt.Errorf("scan incomplete: %w", err)
		}
		if !ok {
			return false, nil
		}
		for w, bitsw := range marks {
			for bitsw != 0 {
				b := bits.TrailingZeros64(bitsw)
				bitsw &^= 1 << b
				st.verify(pi, from+w*64+b)
			}
			if w%1024 == 0 {
				if err := st.ctx.Err(); err != nil {
					return false, fmt.Errorf("scan incomplete: %w", err)
				}
			}
		}
	}
	return true, nil
}
