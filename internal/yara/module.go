package yara

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// A module is a named set of functions and constants that a rule file brings
// in with `import "name"`. Functions are overloaded on their argument types,
// as in YARA: a call must match one signature exactly (an integer where a
// float is declared is "wrong arguments", as yara 4.2.3 says too).
type module struct {
	name   string
	funcs  map[string][]modFunc
	consts map[string]value
	// fields describes the data a module parses from the scanned file
	// (pe.sections[0].name); load builds it once per scan.
	fields map[string]*modField
	load   func(data []byte) *modObject
	// partial marks a module of which only some fields exist here: an unknown
	// member makes the rule unsupported (skipped or refused with the flag)
	// rather than a syntax error, since yara has it.
	partial bool
}

// modField is one member of a module's data: a value (typ), a structure
// (fields) or an array of elem.
type modField struct {
	typ    vtype
	fields map[string]*modField
	elem   *modField
	funcs  map[string][]modFunc // functions of a structure (pe.rich_signature.version)
}

func leaf(t vtype) *modField { return &modField{typ: t} }

// modObject is a module's data for one scan, shaped like its modFields.
// A missing member or a value with undef set is undefined.
type modObject struct {
	val    value
	fields map[string]*modObject
	items  []*modObject
	// native keeps what the module's functions need (the parsed file).
	native any
}

func (o *modObject) set(name string, v value) {
	if o.fields == nil {
		o.fields = map[string]*modObject{}
	}
	o.fields[name] = &modObject{val: v}
}

func (o *modObject) child(name string) *modObject {
	if o.fields == nil {
		o.fields = map[string]*modObject{}
	}
	c := &modObject{}
	o.fields[name] = c
	return c
}

// pathStep is one step from a module's root to a value: a field or an index.
type pathStep struct {
	field string
	index *node
}

// modFunc is one overload. args spells the argument types the way YARA
// declares them: i integer, f float, s string, b boolean.
type modFunc struct {
	args string
	ret  vtype
	call func(ctx *moduleCtx, args []value) value
}

// moduleCtx is what a module function may see of the scan.
type moduleCtx struct {
	data    []byte
	now     func() time.Time
	console io.Writer
	loaded  map[string]*modObject // per module, built on first use
	entry   *value                // the entrypoint keyword, computed on first use
	// ranges keeps results of functions over ranges of the data: rule
	// sets call math.entropy(0, filesize) or hash.md5(0, filesize) in many
	// rules, and yara too caches hashes per range.
	ranges map[rangeKey]value
}

type rangeKey struct {
	fn          string
	off, length int64
}

// maxCachedRanges bounds the cache when a loop calls a function over many
// ranges of one file.
const maxCachedRanges = 1024

// overRange applies f to the range (off, length) of the data, undefined as
// dataRange says, remembering the result for this scan.
func (c *moduleCtx) overRange(fn string, off, length int64, f func([]byte) value) value {
	k := rangeKey{fn, off, length}
	if v, ok := c.ranges[k]; ok {
		return v
	}
	b, ok := dataRange(c.data, off, length)
	v := undefined
	if ok {
		v = f(b)
	}
	if c.ranges == nil {
		c.ranges = map[rangeKey]value{}
	}
	if len(c.ranges) < maxCachedRanges {
		c.ranges[k] = v
	}
	return v
}

// entrypoint is the `entrypoint` keyword's value for this scan.
func (c *moduleCtx) entrypoint() value {
	if c.entry == nil {
		v := entrypoint(c.data)
		c.entry = &v
	}
	return *c.entry
}

// object returns module m's data for this scan, parsing the file once.
func (c *moduleCtx) object(m *module) *modObject {
	if o, ok := c.loaded[m.name]; ok {
		return o
	}
	if c.loaded == nil {
		c.loaded = map[string]*modObject{}
	}
	o := m.load(c.data)
	c.loaded[m.name] = o
	return o
}

// supportedModule returns the module named name, or nil when the engine
// lacks it. A new map per call keeps the tables out of package state.
func supportedModule(name string) *module {
	switch name {
	case "math":
		return mathModule()
	case "hash":
		return hashModule()
	case "string":
		return stringModule()
	case "time":
		return timeModule()
	case "console":
		return consoleModule()
	case "pe":
		return peModule()
	case "elf":
		return elfModule()
	}
	return nil
}

// SupportedModules lists the modules rules may import.
func SupportedModules() []string {
	return []string{"console", "elf", "hash", "math", "pe", "string", "time"}
}

func typeLetter(t vtype) byte {
	switch t {
	case tyInt:
		return 'i'
	case tyFloat:
		return 'f'
	case tyStr:
		return 's'
	case tyBool:
		return 'b'
	case tyRegex:
		return 'r'
	}
	return '?'
}

func letterType(c byte) vtype {
	switch c {
	case 'i':
		return tyInt
	case 'f':
		return tyFloat
	case 's':
		return tyStr
	case 'b':
		return tyBool
	}
	return tyRegex
}

// parseModuleExpr parses mod.name or mod.name(args) for a supported module.
func (p *parser) parseModuleExpr(m *module) (*node, error) {
	start := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isPunct(".") {
		return nil, p.errTok("syntax error: module %q used without a member", m.name)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tIdent {
		return nil, p.errTok("syntax error: expected field name")
	}
	member := p.tok.text
	memberTok := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if c, ok := m.consts[member]; ok {
		n := &node{line: start.line, col: start.col}
		switch c.t {
		case tyFloat:
			n.op, n.typ, n.f = opFloat, tyFloat, c.f
		case tyStr:
			n.op, n.typ, n.s = opStr, tyStr, c.s
		default:
			n.op, n.typ, n.i = opInt, tyInt, c.i
		}
		return p.maybeOf(n)
	}
	if f, ok := m.fields[member]; ok {
		return p.parseModuleField(m, f, member, start)
	}
	overloads, ok := m.funcs[member]
	if !ok {
		if m.partial {
			return p.unsupportedMember(m, start)
		}
		return nil, &CompileError{File: p.lx.file, Line: memberTok.line, Col: memberTok.col,
			Message: fmt.Sprintf("invalid field name %q in module %q", member, m.name)}
	}
	return p.parseModuleCall(m, overloads, m.name+"."+member, member, memberTok, start)
}

// parseModuleCall parses the arguments of a call to one of overloads
// (named name, such as pe.imports) and picks the overload they match.
func (p *parser) parseModuleCall(m *module, overloads []modFunc, name, member string, memberTok, start token) (*node, error) {
	if !p.isPunct("(") {
		return nil, p.errTok("syntax error: %s.%s is a function; expected \"(\"", m.name, member)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	var args []*node
	var sig strings.Builder
	unknown := false
	for !p.isPunct(")") {
		var x *node
		if p.isPunct("/") {
			// A regular expression argument: no function here takes one,
			// so it only selects an overload the engine lacks.
			t, err := p.lx.regex(p.tok)
			if err != nil {
				return nil, err
			}
			p.tok = t
			x = &node{op: opRegex, typ: tyRegex, line: t.line, col: t.col}
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else {
			var err error
			if x, err = p.parseExpr(); err != nil {
				return nil, err
			}
		}
		if x.typ == tyModule {
			unknown = true
		}
		args = append(args, x)
		sig.WriteByte(typeLetter(x.typ))
		if p.isPunct(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else if !p.isPunct(")") {
			return nil, p.errTok("syntax error: expected \",\" or \")\", found %s", p.describe())
		}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n := &node{op: opModCall, line: start.line, col: start.col, name: name, list: args, mod: m}
	for i := range overloads {
		if overloads[i].args == sig.String() {
			n.fn = &overloads[i]
			n.typ = overloads[i].ret
		}
	}
	if n.fn == nil {
		if m.partial && !unknown {
			return p.unsupportedMember(m, start)
		}
		if !unknown {
			return nil, &CompileError{File: p.lx.file, Line: memberTok.line, Col: memberTok.col,
				Message: fmt.Sprintf("wrong arguments for function %q: %s", member, describeOverloads(name, overloads))}
		}
		// An argument comes from a module this engine lacks: the rule is
		// skipped or refused for that module, so the call is never run.
		n.op, n.typ = opModule, tyModule
	}
	if n.typ == tyInt {
		return p.maybeOf(n)
	}
	return n, nil
}

func describeOverloads(name string, fs []modFunc) string {
	var forms []string
	for _, f := range fs {
		var a []string
		for i := 0; i < len(f.args); i++ {
			a = append(a, letterType(f.args[i]).String())
		}
		forms = append(forms, name+"("+strings.Join(a, ", ")+")")
	}
	return "expected " + strings.Join(forms, " or ")
}

// evalModCall runs a module function. As in YARA, an undefined argument
// makes the result undefined without calling the function, and a float
// result that is NaN (0/0 over an empty range) is undefined.
func (e *evalEnv) evalModCall(n *node) (value, error) {
	args := make([]value, len(n.list))
	for i, x := range n.list {
		v, err := e.eval(x)
		if err != nil {
			return undefined, err
		}
		if v.undef {
			return undefined, nil
		}
		args[i] = v
	}
	v := n.fn.call(&e.st.mod, args)
	if !v.undef && v.t == tyFloat && math.IsNaN(v.f) {
		return undefined, nil
	}
	return v, nil
}

// dataRange is the part of the scanned data that YARA's module functions
// see for (offset, length): undefined when offset is negative or not inside
// the data (so also for any range of an empty file) or length is negative;
// a length past the end is cut at the end.
func dataRange(data []byte, offset, length int64) ([]byte, bool) {
	if offset < 0 || length < 0 || offset >= int64(len(data)) {
		return nil, false
	}
	end := int64(len(data))
	if length < end-offset {
		end = offset + length
	}
	return data[offset:end], true
}

func strVal(b []byte) value { return value{t: tyStr, s: b} }

func newModuleCtx(data []byte, opts ScanOptions) moduleCtx {
	c := moduleCtx{data: data, now: opts.Now, console: opts.Console}
	if c.now == nil {
		c.now = time.Now
	}
	if c.console == nil {
		c.console = io.Discard
	}
	return c
}

// maxConstructText bounds how much of a rule's source an error quotes.
const maxConstructText = 80

// constructText is a module expression as written, on one line.
func constructText(src []byte) string {
	s := strings.Join(strings.Fields(string(src)), " ")
	if len(s) > maxConstructText {
		s = s[:maxConstructText] + "…"
	}
	return s
}

// unsupportedUse says why rule d cannot run: its first use of a module the
// engine lacks, or its first reference to a rule already skipped. Both
// results are nil when the rule can run.
func unsupportedUse(rules []*ruleDecl, skipped []bool, d *ruleDecl) (SkippedRule, *CompileError) {
	sk := SkippedRule{Rule: d.name, File: d.file}
	ce := &CompileError{File: d.file, Rule: d.name, Unsupported: true}
	switch {
	case len(d.modules) > 0:
		u := d.modules[0]
		sk.Line, sk.Col, sk.Module = u.line, u.col, u.module
		sk.Reason = fmt.Sprintf("module %q is not supported", u.module)
		ce.Construct, ce.Module = u.construct, u.module
		ce.Message = fmt.Sprintf("rule %q uses %s, but module %q is not supported", d.name, u.construct, u.module)
		if u.partial {
			// The reason names the member without arguments or keys, so that
			// the summary counts pe.version_info["A"] and ["B"] together.
			member := u.construct
			if k := strings.IndexAny(member, "(["); k >= 0 {
				member = member[:k]
			}
			sk.Reason = fmt.Sprintf("%s is not supported", member)
			ce.Message = fmt.Sprintf("rule %q uses %s, which the %s module here lacks", d.name, u.construct, u.module)
			if u.loop {
				// Indexing the member may well be supported: say so, so
				// that the rule's author can rewrite it.
				sk.Reason = fmt.Sprintf("iterating %s with for ... in is not supported", member)
				ce.Message = fmt.Sprintf("rule %q iterates %s with for ... in, which is not supported here; index it instead (%s[i] in a for i in (0..N-1) loop)", d.name, u.construct, u.construct)
			}
		}
	default:
		for k, dep := range d.deps {
			if skipped[dep] {
				sk.Line, sk.Col = d.depPos[k][0], d.depPos[k][1]
				sk.Reason = "depends on a skipped rule"
				ce.Construct = rules[dep].name
				ce.Message = fmt.Sprintf("rule %q depends on rule %q, which uses a module that is not supported", d.name, rules[dep].name)
				break
			}
		}
		if sk.Reason == "" {
			return SkippedRule{}, nil
		}
	}
	ce.Line, ce.Col = sk.Line, sk.Col
	return sk, ce
}

// parseModuleField parses the rest of a path into module data, such as
// [0].name after pe.sections, and checks it ends at a value.
func (p *parser) parseModuleField(m *module, f *modField, member string, start token) (*node, error) {
	n := &node{op: opModField, line: start.line, col: start.col, name: m.name + "." + member, mod: m,
		path: []pathStep{{field: member}}}
	for {
		switch {
		case f.elem != nil && p.isPunct("["):
			if err := p.advance(); err != nil {
				return nil, err
			}
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.requireInt(x); err != nil {
				return nil, err
			}
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			n.path = append(n.path, pathStep{index: x})
			f = f.elem
		case f.fields != nil && p.isPunct("."):
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tIdent {
				return nil, p.errTok("syntax error: expected field name")
			}
			sub, ok := f.fields[p.tok.text]
			if fs, isFunc := f.funcs[p.tok.text]; !ok && isFunc {
				tok := p.tok
				if err := p.advance(); err != nil {
					return nil, err
				}
				return p.parseModuleCall(m, fs, n.name+"."+tok.text, tok.text, tok, start)
			}
			if !ok {
				if m.partial {
					return p.unsupportedMember(m, start)
				}
				return nil, p.errTok("invalid field name %q", p.tok.text)
			}
			n.path = append(n.path, pathStep{field: p.tok.text})
			f = sub
			if err := p.advance(); err != nil {
				return nil, err
			}
		case f.elem != nil || f.fields != nil:
			if m.partial && (p.isPunct(".") || p.isPunct("[") || p.isPunct("(")) {
				return p.unsupportedMember(m, start)
			}
			return nil, p.errNode(n, "%s is not a value: it needs an index or a field", n.name)
		default:
			n.typ = f.typ
			if n.typ == tyInt {
				return p.maybeOf(n)
			}
			return n, nil
		}
	}
}

// unsupportedMember handles a member of a partly supported module that the
// engine lacks: the rest of the expression is parsed as for a module the
// engine lacks, so the rule is refused or skipped naming the construct.
func (p *parser) unsupportedMember(m *module, start token) (*node, error) {
	// Re-lex from the module name so that the construct is named whole.
	p.lx.pos = start.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	return p.parseModuleUse()
}

// evalModField walks a path into a module's data for this scan.
func (e *evalEnv) evalModField(n *node) (value, error) {
	o := e.st.mod.object(n.mod)
	for _, s := range n.path {
		if s.index != nil {
			v, err := e.eval(s.index)
			if err != nil || v.undef {
				return undefined, err
			}
			if v.i < 0 || v.i >= int64(len(o.items)) {
				return undefined, nil
			}
			o = o.items[v.i]
			continue
		}
		c, ok := o.fields[s.field]
		if !ok {
			return undefined, nil
		}
		o = c
	}
	if o.fields != nil || o.items != nil {
		return undefined, nil
	}
	if o.val.t != n.typ && !o.val.undef {
		return undefined, fmt.Errorf("internal error: %s holds a %s, declared %s", n.name, o.val.t, n.typ)
	}
	return o.val, nil
}

// parseModuleLoop parses "for q x[, y] in pe.sections : (...)": iterating
// a module's array or dictionary is not supported, so the iterable marks
// the rule unsupported (skipped or refused with the flag) and the loop's
// variables stand for module values in the body.
func (p *parser) parseModuleLoop(n *node, vars []string) (*node, error) {
	if _, err := p.parseModuleUse(); err != nil {
		return nil, err
	}
	p.rule.modules[len(p.rule.modules)-1].loop = true
	if err := p.expectPunct(":"); err != nil {
		return nil, err
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	for _, v := range vars {
		p.loopVars = append(p.loopVars, v)
		p.loopTypes = append(p.loopTypes, tyModule)
	}
	body, err := p.parseExpr()
	p.loopVars = p.loopVars[:len(p.loopVars)-len(vars)]
	p.loopTypes = p.loopTypes[:len(p.loopTypes)-len(vars)]
	if err != nil {
		return nil, err
	}
	n.op, n.typ, n.a = opModule, tyModule, body
	return n, p.expectPunct(")")
}

// parseModuleItem parses a use of a module-valued loop variable such as
// section.name: a module value, undefined, in a rule that is never run.
func (p *parser) parseModuleItem() (*node, error) {
	n := p.newNode(opModule, tyModule)
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.isPunct(".") || p.isPunct("[") {
		if p.isPunct(".") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tIdent {
				return nil, p.errTok("syntax error: expected field name")
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if _, err := p.parseExpr(); err != nil {
			return nil, err
		}
		if err := p.expectPunct("]"); err != nil {
			return nil, err
		}
	}
	return n, nil
}
