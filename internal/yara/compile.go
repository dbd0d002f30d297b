package yara

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

const maxIncludeDepth = 16

type compiler struct {
	opts      CompileOptions
	namespace string
	rules     []*ruleDecl
	ruleIndex map[string]int // namespace:name
	warnings  []Warning
	includes  []string // stack of files being parsed, for cycle detection
	log       *slog.Logger
	// sources records every file parsed, so that the compiled rules can be
	// saved with what they were compiled from (see save.go).
	sources savedSources
	// loaded is set when the rules come from a saved file: includes are
	// resolved from it, and atoms are taken from it instead of chosen.
	loaded *savedRules
	// acRows bounds the automaton's table; zero means maxACRows. Tests
	// lower it to reach the folded-leaf form with a small rule set.
	acRows int
}

func (c *compiler) warn(w Warning) { c.warnings = append(c.warnings, w) }

func (c *compiler) addRule(r *ruleDecl) {
	c.ruleIndex[r.namespace+":"+r.name] = len(c.rules)
	c.rules = append(c.rules, r)
}

func newCompiler(opts CompileOptions) (*compiler, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ext := make(map[string]any, len(opts.Externals))
	for k, v := range opts.Externals {
		nv, err := normalizeExternal(v)
		if err != nil {
			return nil, fmt.Errorf("external %q: %w", k, err)
		}
		if keywords[k] || k == "" || !isIdentStart(k[0]) {
			return nil, fmt.Errorf("external %q: invalid name", k)
		}
		ext[k] = nv
	}
	opts.Externals = ext
	return &compiler{opts: opts, namespace: "default", ruleIndex: map[string]int{}, log: log}, nil
}

func normalizeExternal(v any) (any, error) {
	switch x := v.(type) {
	case string, int64, float64, bool:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	}
	return nil, fmt.Errorf("unsupported type %T (want string, int64, float64 or bool)", v)
}

// Compile compiles one rule source. filename is used in error messages and
// as the base for relative includes.
func Compile(src []byte, filename string, opts CompileOptions) (*Rules, error) {
	c, err := newCompiler(opts)
	if err != nil {
		return nil, err
	}
	if err := c.parseSource(src, filename); err != nil {
		return nil, err
	}
	return c.finish()
}

// CompileFiles compiles several rule files into one set. Like the yara
// command line, every file goes into the namespace "default", so a rule name
// may appear only once across all files.
func CompileFiles(paths []string, opts CompileOptions) (*Rules, error) {
	c, err := newCompiler(opts)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		if err := c.parseSource(src, p); err != nil {
			return nil, err
		}
	}
	return c.finish()
}

func (c *compiler) parseSource(src []byte, filename string) error {
	if len(c.includes) >= maxIncludeDepth {
		return fmt.Errorf("%s: includes nested deeper than %d", filename, maxIncludeDepth)
	}
	if len(c.includes) == 0 {
		c.sources.files = append(c.sources.files, savedSource{name: filename, data: src})
	}
	c.includes = append(c.includes, filename)
	defer func() { c.includes = c.includes[:len(c.includes)-1] }()
	p := &parser{c: c, lx: &lexer{file: filename, src: src}, imports: map[string]bool{}}
	return p.parseFile()
}

func (c *compiler) include(from, name string, line, col int) error {
	errAt := func(format string, args ...any) error {
		return &CompileError{File: from, Line: line, Col: col, Message: fmt.Sprintf(format, args...)}
	}
	if c.opts.DisableIncludes {
		return errAt("includes are disabled")
	}
	var target string
	var src []byte
	var err error
	if c.loaded != nil {
		inc, ok := c.loaded.sources.include(from, name)
		if !ok {
			return errAt("include %q is not in the saved rules", name)
		}
		target, src = inc.target, inc.data
	} else if c.opts.IncludeFS != nil {
		target = name
		if !path.IsAbs(name) {
			target = path.Join(path.Dir(filepath.ToSlash(from)), name)
		}
		target = strings.TrimPrefix(path.Clean(target), "/")
		src, err = fs.ReadFile(c.opts.IncludeFS, target)
	} else {
		target = name
		if !filepath.IsAbs(name) {
			base := filepath.Dir(from)
			if len(c.includes) == 1 && c.opts.IncludeDir != "" {
				base = c.opts.IncludeDir
			}
			target = filepath.Join(base, name)
		}
		var f *os.File
		f, err = os.Open(target)
		if err == nil {
			src, err = io.ReadAll(io.LimitReader(f, 64<<20))
			f.Close()
		}
	}
	if err != nil {
		return errAt("can't open include file %q: %v", name, err)
	}
	for _, inc := range c.includes {
		if inc == target {
			return errAt("include cycle through %q", name)
		}
	}
	c.sources.includes = append(c.sources.includes, savedInclude{from: from, name: name, target: target, data: src})
	return c.parseSource(src, target)
}

// pattern is one concrete form of a string (ascii, wide, one xor key, ...).
type pattern struct {
	str      int // index in Rules.strings
	lit      []byte
	nocase   bool
	prog     *program
	limit    int
	wide     bool
	fullword bool
	groups   []atomGroup
	hasAtom  bool
	dfaOK    bool     // the program can run on a lazy DFA
	literal  bool     // a fixed byte sequence (text string or all-literal hex/regex)
	reverse  *program // reversed program used to find match starts without atoms
	// same lists the later patterns (of other strings) that are identical to
	// this one: they are verified once, here, and get the same matches.
	same []int32
	// shared marks a pattern listed in another's same: never searched itself.
	shared bool
	// tree is the syntax tree while compiling, for the reverse program
	// (settle); nil afterwards.
	tree *reNode
}

// settle completes a pattern once its atoms are known (chosen, or loaded
// from saved rules): without atoms, a string that may start with many bytes
// gets a reversed program to find where its matches start.
func (p *pattern) settle() {
	p.hasAtom = len(p.groups) > 0
	if p.prog != nil && !p.hasAtom && broadStart(p.prog) {
		p.reverse = reverseProgram(p.tree)
	}
	p.tree = nil
}

type compiledString struct {
	decl     *stringDecl
	rule     int
	patterns []int
}

type compiledRule struct {
	decl    *ruleDecl
	strings []int // global string indices, in declaration order
	skip    bool
	// needsMatch: the condition is false when none of strings matched
	// (needsMatch in needmatch.go), so such a scan need not evaluate it.
	needsMatch bool
	// sizeLo and sizeHi bound the file sizes the rule can match
	// (sizeBounds in needmatch.go).
	sizeLo, sizeHi int64
	// gates are indexes in Rules.gates of the file-only conjuncts of the
	// condition (fileGates in needmatch.go).
	gates []int
}

// Rules is a compiled rule set. It is immutable and safe for concurrent use.
type Rules struct {
	rules     []compiledRule
	strings   []compiledString
	patterns  []pattern
	ac        *automaton
	fullScan  []int   // patterns without atoms
	gates     []*node // distinct file-only conjuncts of the rules' conditions
	externals map[string]any
	warnings  []Warning
	skipped   []SkippedRule
	log       *slog.Logger
	// saved is what Save writes besides the patterns' atoms.
	saved savedRules
	// caches keeps per-goroutine matching state (Pike VM buffers, lazy-DFA
	// states) between scans; see scanCache. Never copied: Rules is used by
	// pointer only.
	caches sync.Pool
}

// Warnings returns the compilation warnings.
func (r *Rules) Warnings() []Warning { return append([]Warning(nil), r.warnings...) }

// Skipped lists the rules left out because they use a module the engine
// lacks (with CompileOptions.SkipUnsupportedImports), in source order.
func (r *Rules) Skipped() []SkippedRule { return append([]SkippedRule(nil), r.skipped...) }

// RuleCount returns the number of rules, including private and skipped ones.
func (r *Rules) RuleCount() int { return len(r.rules) }

// MayMatchSize reports whether any rule can match a file of size bytes.
// False means a scan of such a file finds nothing, whatever it contains (every
// rule's and-chain has a filesize test that excludes it), so a caller need
// not read the file at all: public collections bound nearly every rule by
// size, and a web tree's large bundles are half of its bytes.
func (r *Rules) MayMatchSize(size int64) bool {
	for i := range r.rules {
		cr := &r.rules[i]
		if !cr.skip && size >= cr.sizeLo && size <= cr.sizeHi {
			return true
		}
	}
	return false
}

func (c *compiler) finish() (*Rules, error) {
	rs := &Rules{externals: c.opts.Externals, log: c.log}
	skipped := make([]bool, len(c.rules))
	for i, d := range c.rules {
		sk, ce := unsupportedUse(c.rules, skipped, d)
		if ce == nil {
			continue
		}
		if !c.opts.SkipUnsupportedImports {
			return nil, ce
		}
		skipped[i] = true
		rs.skipped = append(rs.skipped, sk)
		c.warn(Warning{File: d.file, Line: sk.Line, Col: sk.Col, Rule: d.name, Message: "rule skipped: " + ce.Message})
	}
	gateIndex := map[string]int{}
	for i, d := range c.rules {
		cr := compiledRule{decl: d, skip: skipped[i], needsMatch: len(d.strings) > 0 && needsMatch(d.cond)}
		cr.sizeLo, cr.sizeHi = sizeBounds(d.cond)
		for _, g := range fileGates(d.cond) {
			k := gateKey(g)
			gi, ok := gateIndex[k]
			if !ok {
				gi = len(rs.gates)
				gateIndex[k] = gi
				rs.gates = append(rs.gates, g)
			}
			cr.gates = append(cr.gates, gi)
		}
		for _, s := range d.strings {
			si := len(rs.strings)
			cs := compiledString{decl: s, rule: i}
			if !skipped[i] {
				pats, err := buildPatterns(s, si, c.loaded == nil)
				if err != nil {
					return nil, &CompileError{File: d.file, Line: s.line, Col: s.col, Message: fmt.Sprintf("string %s: %v", s.id, err)}
				}
				for _, p := range pats {
					cs.patterns = append(cs.patterns, len(rs.patterns))
					rs.patterns = append(rs.patterns, p)
				}
			}
			cr.strings = append(cr.strings, si)
			rs.strings = append(rs.strings, cs)
		}
		rs.rules = append(rs.rules, cr)
	}
	if c.loaded != nil {
		if err := c.loaded.applyAtoms(rs.patterns); err != nil {
			return nil, err
		}
	}
	for i := range rs.patterns {
		rs.patterns[i].settle()
	}
	rs.saved = savedRules{options: c.opts, sources: c.sources}
	rs.warnings = c.warnings
	if c.loaded != nil {
		if err := c.loaded.applyShared(rs.patterns); err != nil {
			return nil, err
		}
	} else {
		rs.shareIdentical()
	}
	rows := c.acRows
	if rows == 0 {
		rows = maxACRows
	}
	rs.buildPrefilter(rows)
	slow := slices.Clone(rs.fullScan)
	for _, pi := range rs.fullScan {
		for _, q := range rs.patterns[pi].same {
			slow = append(slow, int(q))
		}
	}
	slices.Sort(slow)
	for _, pi := range slow {
		p := &rs.patterns[pi]
		d := rs.strings[p.str].decl
		r := rs.rules[rs.strings[p.str].rule].decl
		rs.warnings = append(rs.warnings, Warning{File: r.file, Line: d.line, Col: d.col, Rule: r.name,
			Message: fmt.Sprintf("string %s has no usable atom and is checked at every offset; it may slow down scanning", d.id)})
	}
	return rs, nil
}

func wideBytes(b []byte) []byte {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, c, 0)
	}
	return out
}

const stdBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// base64Forms returns the three substrings that any base64 encoding of s
// must contain, one per alignment, dropping characters that depend on the
// surrounding bytes.
func base64Forms(s []byte, alphabet string) ([][]byte, error) {
	if alphabet == "" {
		alphabet = stdBase64
	}
	if err := validAlphabet(alphabet); err != nil {
		return nil, err
	}
	enc := base64.NewEncoding(alphabet).WithPadding(base64.NoPadding)
	var out [][]byte
	for i := 0; i < 3; i++ {
		buf := append(make([]byte, i), s...)
		e := enc.EncodeToString(buf)
		lo := (8*i + 5) / 6
		hi := 8 * (i + len(s)) / 6
		if hi <= lo || hi > len(e) {
			continue
		}
		out = append(out, []byte(e[lo:hi]))
	}
	if len(out) == 0 {
		return nil, errors.New("string too short for base64")
	}
	return out, nil
}

func validAlphabet(a string) (err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("invalid base64 alphabet")
		}
	}()
	if len(a) != 64 {
		return errors.New("base64 alphabet must be 64 bytes")
	}
	for i := 0; i < len(a); i++ {
		if a[i] == '\n' || a[i] == '\r' || a[i] == '=' {
			return errors.New("invalid base64 alphabet")
		}
		if bytes.IndexByte([]byte(a[i+1:]), a[i]) >= 0 {
			return errors.New("base64 alphabet has repeated characters")
		}
	}
	base64.NewEncoding(a)
	return nil
}

// buildPatterns compiles one string's patterns. Their atoms are chosen when
// chooseAtoms is set; loaded rules bring their own (see savedRules).
// settle must be called on each pattern once its atoms are in place.
func buildPatterns(s *stringDecl, si int, chooseAtoms bool) ([]pattern, error) {
	useASCII := s.ascii || !s.wide
	var pats []pattern
	switch s.kind {
	case skText:
		if s.base64 || s.base64w {
			src := [][]byte{}
			if useASCII {
				src = append(src, s.text)
			}
			if s.wide {
				src = append(src, wideBytes(s.text))
			}
			for _, t := range src {
				forms, err := base64Forms(t, s.b64alpha)
				if err != nil {
					return nil, err
				}
				for _, f := range forms {
					if s.base64 {
						pats = append(pats, pattern{str: si, lit: f})
					}
					if s.base64w {
						pats = append(pats, pattern{str: si, lit: wideBytes(f), wide: true})
					}
				}
			}
			break
		}
		var forms []pattern
		if useASCII {
			forms = append(forms, pattern{str: si, lit: s.text, nocase: s.nocase, fullword: s.fullword})
		}
		if s.wide {
			forms = append(forms, pattern{str: si, lit: wideBytes(s.text), nocase: s.nocase, wide: true, fullword: s.fullword})
		}
		if !s.xor {
			pats = forms
			break
		}
		for _, f := range forms {
			for k := s.xorMin; k <= s.xorMax; k++ {
				x := make([]byte, len(f.lit))
				for i, b := range f.lit {
					x[i] = b ^ byte(k)
				}
				g := f
				g.lit = x
				pats = append(pats, g)
			}
		}
	case skHex:
		tree, err := parseHex(s.source)
		if err != nil {
			return nil, err
		}
		prog, err := compileProgram(tree)
		if err != nil {
			return nil, err
		}
		p := pattern{str: si, prog: prog, limit: maxHexMatchLength, literal: literalTree(tree), tree: tree}
		if chooseAtoms {
			p.groups = treeAtoms(tree)
		}
		pats = append(pats, p)
	case skRegex:
		mods := regexMods{nocase: s.nocase || strings.Contains(s.reFlags, "i"), dotAll: strings.Contains(s.reFlags, "s")}
		tree, err := parseRegex(s.source, mods)
		if err != nil {
			return nil, err
		}
		trees := []*reNode{}
		wides := []bool{}
		if useASCII {
			trees, wides = append(trees, tree), append(wides, false)
		}
		if s.wide {
			trees, wides = append(trees, widen(tree)), append(wides, true)
		}
		for i, t := range trees {
			prog, err := compileProgram(t)
			if err != nil {
				return nil, err
			}
			p := pattern{str: si, prog: prog, limit: MaxMatchLength, wide: wides[i], fullword: s.fullword, literal: literalTree(tree), tree: t}
			if chooseAtoms {
				p.groups = treeAtoms(t)
			}
			pats = append(pats, p)
		}
	}
	for i := range pats {
		p := &pats[i]
		if p.prog != nil {
			p.dfaOK = dfaEligible(p.prog)
		}
		if p.prog == nil {
			p.literal = true
			if chooseAtoms {
				p.groups = literalAtoms(p.lit, p.nocase)
			}
		}
	}
	return pats, nil
}

// maxHexMatchLength bounds hex strings with large or unbounded jumps. YARA
// does not apply its regex scan limit to hex jumps.
const maxHexMatchLength = 1 << 20

// reverseProgram compiles the reversed tree, or returns nil when the start
// filter cannot be used.
func reverseProgram(t *reNode) *program {
	if minLen(t) == 0 {
		return nil
	}
	rt, ok := reverseTree(t)
	if !ok {
		return nil
	}
	p, err := compileProgram(rt)
	if err != nil {
		return nil
	}
	return p
}

// broadStart reports whether a match may start with many different bytes.
// Narrow starts are cheaper to find with the first-byte filter; the reverse
// start filter pays off when almost every offset is a candidate.
func broadStart(p *program) bool {
	return p.anyStart || p.first.count() > 32
}

// literalTree reports whether every position of the tree is one exact byte.
func literalTree(t *reNode) bool {
	switch t.kind {
	case rSet:
		return t.set.count() == 1
	case rCat:
		for _, s := range t.subs {
			if !literalTree(s) {
				return false
			}
		}
		return true
	}
	return false
}
