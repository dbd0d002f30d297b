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
	}
	return nil
}

// SupportedModules lists the modules rules may import.
func SupportedModules() []string {
	return []string{"console", "hash", "math", "string", "time"}
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
	overloads, ok := m.funcs[member]
	if !ok {
		return nil, &CompileError{File: p.lx.file, Line: memberTok.line, Col: memberTok.col,
			Message: fmt.Sprintf("invalid field name %q in module %q", member, m.name)}
	}
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
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
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
	n := &node{op: opModCall, line: start.line, col: start.col, name: m.name + "." + member, list: args}
	for i := range overloads {
		if overloads[i].args == sig.String() {
			n.fn = &overloads[i]
			n.typ = overloads[i].ret
		}
	}
	if n.fn == nil {
		if !unknown {
			return nil, &CompileError{File: p.lx.file, Line: memberTok.line, Col: memberTok.col,
				Message: fmt.Sprintf("wrong arguments for function %q: %s", member, describeOverloads(m.name+"."+member, overloads))}
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
