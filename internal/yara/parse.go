package yara

import (
	"fmt"
	"slices"
	"strings"
)

var keywords = map[string]bool{
	"all": true, "and": true, "any": true, "ascii": true, "at": true, "base64": true, "base64wide": true,
	"condition": true, "contains": true, "endswith": true, "entrypoint": true, "false": true, "filesize": true,
	"for": true, "fullword": true, "global": true, "import": true, "icontains": true, "iendswith": true,
	"iequals": true, "in": true, "include": true, "int16": true, "int16be": true, "int32": true, "int32be": true,
	"int8": true, "int8be": true, "istartswith": true, "matches": true, "meta": true, "nocase": true, "none": true,
	"not": true, "of": true, "or": true, "private": true, "rule": true, "startswith": true, "strings": true,
	"them": true, "true": true, "uint16": true, "uint16be": true, "uint32": true, "uint32be": true, "uint8": true,
	"uint8be": true, "wide": true, "xor": true, "defined": true,
}

// parser parses one source file. Rules it finds go to the compiler.
type parser struct {
	c         *compiler
	lx        *lexer
	tok       token
	imports   map[string]bool // modules imported by this file
	rule      *ruleDecl
	loopVars  []string
	loopTypes []vtype
	inForOf   int
	depth     int
	nodes     int // condition nodes built for the current rule
}

const maxExprDepth = 200

// Bounds on one rule's condition tree. Chains like a + b + c and long
// and/or chains are parsed by loops, so maxExprDepth does not see them, but
// they build a left-deep tree that evaluation walks recursively: 300,000
// operators overflowed the goroutine stack. 10,000 levels cost the
// evaluator well under 10 MB of stack; 100,000 nodes about 20 MB.
const (
	maxConditionDepth = 10000
	maxConditionNodes = 100000
)

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errTok(format string, args ...any) *CompileError {
	return &CompileError{File: p.lx.file, Line: p.tok.line, Col: p.tok.col, Message: fmt.Sprintf(format, args...)}
}

func (p *parser) errNode(n *node, format string, args ...any) *CompileError {
	return &CompileError{File: p.lx.file, Line: n.line, Col: n.col, Message: fmt.Sprintf(format, args...)}
}

func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of file"
	case tString:
		return "text string"
	case tInt, tFloat:
		return "number"
	}
	return fmt.Sprintf("%q", p.lx.src[p.tok.pos:p.lx.pos])
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }
func (p *parser) isKw(s string) bool    { return p.tok.kind == tIdent && p.tok.text == s }

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.errTok("syntax error: expected %q, found %s", s, p.describe())
	}
	return p.advance()
}

func (p *parser) expectKw(s string) error {
	if !p.isKw(s) {
		return p.errTok("syntax error: expected %q, found %s", s, p.describe())
	}
	return p.advance()
}

func (p *parser) parseFile() error {
	if err := p.advance(); err != nil {
		return err
	}
	for p.tok.kind != tEOF {
		switch {
		case p.isKw("import"):
			if err := p.advance(); err != nil {
				return err
			}
			if p.tok.kind != tString {
				return p.errTok("syntax error: import needs a module name string")
			}
			mod := string(p.tok.str)
			p.imports[mod] = true
			if supportedModule(mod) == nil {
				p.c.warn(Warning{File: p.lx.file, Line: p.tok.line, Col: p.tok.col,
					Message: fmt.Sprintf("module %q is not supported; rules that use it are refused or skipped", mod)})
			}
			if err := p.advance(); err != nil {
				return err
			}
		case p.isKw("include"):
			if err := p.advance(); err != nil {
				return err
			}
			if p.tok.kind != tString {
				return p.errTok("syntax error: include needs a file name string")
			}
			t := p.tok
			if err := p.c.include(p.lx.file, string(t.str), t.line, t.col); err != nil {
				return err
			}
			if err := p.advance(); err != nil {
				return err
			}
		default:
			if err := p.parseRule(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) parseRule() error {
	r := &ruleDecl{file: p.lx.file, namespace: p.c.namespace}
	for {
		if p.isKw("private") {
			r.private = true
		} else if p.isKw("global") {
			r.global = true
		} else {
			break
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	if !p.isKw("rule") {
		return p.errTok("syntax error: expected \"rule\", found %s", p.describe())
	}
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind != tIdent || keywords[p.tok.text] {
		return p.errTok("syntax error: expected rule name, found %s", p.describe())
	}
	r.name, r.line, r.col = p.tok.text, p.tok.line, p.tok.col
	if _, dup := p.c.ruleIndex[r.namespace+":"+r.name]; dup {
		return p.errTok("duplicated identifier %q", r.name)
	}
	if _, dup := p.c.opts.Externals[r.name]; dup {
		return p.errTok("duplicated identifier %q (also an external variable)", r.name)
	}
	p.rule = r
	if err := p.advance(); err != nil {
		return err
	}
	if p.isPunct(":") {
		if err := p.advance(); err != nil {
			return err
		}
		for p.tok.kind == tIdent && !keywords[p.tok.text] {
			if slices.Contains(r.tags, p.tok.text) {
				return p.errTok("duplicated tag %q", p.tok.text)
			}
			r.tags = append(r.tags, p.tok.text)
			if err := p.advance(); err != nil {
				return err
			}
		}
		if len(r.tags) == 0 {
			return p.errTok("syntax error: expected tag, found %s", p.describe())
		}
	}
	if err := p.expectPunct("{"); err != nil {
		return err
	}
	if p.isKw("meta") {
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.expectPunct(":"); err != nil {
			return err
		}
		if err := p.parseMeta(r); err != nil {
			return err
		}
	}
	if p.isKw("strings") {
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.expectPunct(":"); err != nil {
			return err
		}
		if err := p.parseStrings(r); err != nil {
			return err
		}
	}
	if err := p.expectKw("condition"); err != nil {
		return err
	}
	if err := p.expectPunct(":"); err != nil {
		return err
	}
	p.nodes = 0
	cond, err := p.parseExpr()
	if err != nil {
		return err
	}
	if err := p.checkDepth(cond); err != nil {
		return err
	}
	if cond.typ == tyRegex {
		return p.errNode(cond, "a regular expression is not a condition")
	}
	r.cond = cond
	if !p.isPunct("}") {
		return p.errTok("syntax error: expected \"}\", found %s", p.describe())
	}
	for _, s := range r.strings {
		if !s.used {
			return &CompileError{File: r.file, Line: s.line, Col: s.col, Message: fmt.Sprintf("unreferenced string %q", s.id)}
		}
	}
	p.c.addRule(r)
	p.rule = nil
	return p.advance()
}

func (p *parser) parseMeta(r *ruleDecl) error {
	for p.tok.kind == tIdent && !p.isKw("strings") && !p.isKw("condition") {
		key := p.tok.text
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.expectPunct("="); err != nil {
			return err
		}
		neg := false
		if p.isPunct("-") {
			neg = true
			if err := p.advance(); err != nil {
				return err
			}
		}
		var v any
		switch {
		case p.tok.kind == tString && !neg:
			v = string(p.tok.str)
		case p.tok.kind == tInt:
			v = p.tok.ival
			if neg {
				v = -p.tok.ival
			}
		case p.isKw("true") && !neg:
			v = true
		case p.isKw("false") && !neg:
			v = false
		default:
			return p.errTok("syntax error: bad meta value %s", p.describe())
		}
		r.meta = append(r.meta, Meta{Key: key, Value: v})
		if err := p.advance(); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) parseStrings(r *ruleDecl) error {
	for p.tok.kind == tStrID {
		s := &stringDecl{id: p.tok.text, line: p.tok.line, col: p.tok.col}
		if strings.HasSuffix(s.id, "*") {
			return p.errTok("syntax error: bad string identifier %q", s.id)
		}
		if s.id != "$" {
			for _, o := range r.strings {
				if o.id == s.id {
					return p.errTok("duplicated string identifier %q", s.id)
				}
			}
		}
		if err := p.advance(); err != nil {
			return err
		}
		if !p.isPunct("=") {
			return p.errTok("syntax error: expected \"=\", found %s", p.describe())
		}
		if err := p.advance(); err != nil {
			return err
		}
		var err error
		switch {
		case p.tok.kind == tString:
			s.kind = skText
			s.text = p.tok.str
			if len(s.text) == 0 {
				return p.errTok("empty string %q", s.id)
			}
		case p.isPunct("{"):
			s.kind = skHex
			p.tok, err = p.lx.hex(p.tok)
			s.source = p.tok.text
		case p.isPunct("/"):
			s.kind = skRegex
			p.tok, err = p.lx.regex(p.tok)
			s.source, s.reFlags = p.tok.text, p.tok.reFlags
		default:
			return p.errTok("syntax error: expected string value, found %s", p.describe())
		}
		if err != nil {
			return err
		}
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.parseModifiers(s); err != nil {
			return err
		}
		r.strings = append(r.strings, s)
	}
	if len(r.strings) == 0 {
		return p.errTok("syntax error: empty strings section")
	}
	return nil
}

func (p *parser) parseModifiers(s *stringDecl) error {
	seen := map[string]bool{}
	for p.tok.kind == tIdent {
		m := p.tok.text
		switch m {
		case "nocase", "wide", "ascii", "fullword", "private", "xor", "base64", "base64wide":
		default:
			return nil
		}
		if seen[m] {
			return p.errTok("duplicated modifier %q", m)
		}
		seen[m] = true
		mt := p.tok
		if err := p.advance(); err != nil {
			return err
		}
		switch m {
		case "nocase":
			s.nocase = true
		case "wide":
			s.wide = true
		case "ascii":
			s.ascii = true
		case "fullword":
			s.fullword = true
		case "private":
			s.private = true
		case "xor":
			s.xor, s.xorMin, s.xorMax = true, 0, 255
			if p.isPunct("(") {
				if err := p.advance(); err != nil {
					return err
				}
				if p.tok.kind != tInt || p.tok.ival < 0 || p.tok.ival > 255 {
					return p.errTok("invalid xor range: expected a value 0-255")
				}
				s.xorMin, s.xorMax = int(p.tok.ival), int(p.tok.ival)
				if err := p.advance(); err != nil {
					return err
				}
				if p.isPunct("-") {
					if err := p.advance(); err != nil {
						return err
					}
					if p.tok.kind != tInt || p.tok.ival < 0 || p.tok.ival > 255 {
						return p.errTok("invalid xor range: expected a value 0-255")
					}
					s.xorMax = int(p.tok.ival)
					if err := p.advance(); err != nil {
						return err
					}
				}
				if s.xorMax < s.xorMin {
					return p.errTok("invalid xor range: lower bound exceeds upper bound")
				}
				if err := p.expectPunct(")"); err != nil {
					return err
				}
			}
		case "base64", "base64wide":
			if m == "base64" {
				s.base64 = true
			} else {
				s.base64w = true
			}
			if p.isPunct("(") {
				if err := p.advance(); err != nil {
					return err
				}
				if p.tok.kind != tString || len(p.tok.str) != 64 {
					return p.errTok("invalid base64 alphabet: must be a 64-byte string")
				}
				if s.b64alpha != "" && s.b64alpha != string(p.tok.str) {
					return p.errTok("base64 and base64wide must use the same alphabet")
				}
				s.b64alpha = string(p.tok.str)
				if err := p.advance(); err != nil {
					return err
				}
				if err := p.expectPunct(")"); err != nil {
					return err
				}
			}
		}
		if s.kind != skText && m != "nocase" && m != "wide" && m != "ascii" && m != "fullword" && m != "private" {
			return &CompileError{File: p.lx.file, Line: mt.line, Col: mt.col, Message: fmt.Sprintf("modifier %q not allowed on %s", m, map[stringKind]string{skHex: "hex strings", skRegex: "regular expressions"}[s.kind])}
		}
		if s.kind == skHex && m != "private" {
			return &CompileError{File: p.lx.file, Line: mt.line, Col: mt.col, Message: fmt.Sprintf("modifier %q not allowed on hex strings", m)}
		}
	}
	if s.xor && (s.nocase || s.base64 || s.base64w) {
		return p.errTok("invalid modifier combination: xor with nocase or base64")
	}
	if (s.base64 || s.base64w) && (s.nocase || s.fullword) {
		return p.errTok("invalid modifier combination: base64 with nocase or fullword")
	}
	return nil
}

// checkDepth refuses a condition tree deeper than maxConditionDepth. It
// walks the tree with an explicit stack: recursion is what it guards.
func (p *parser) checkDepth(root *node) error {
	type item struct {
		n     *node
		depth int
	}
	stack := []item{{root, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth > maxConditionDepth {
			return p.errNode(it.n, "condition nested too deeply: more than %d levels of operators (limit %d); split long chains of operators across several rules", maxConditionDepth, maxConditionDepth)
		}
		for _, c := range []*node{it.n.a, it.n.b, it.n.c, it.n.qexpr} {
			if c != nil {
				stack = append(stack, item{c, it.depth + 1})
			}
		}
		for _, c := range it.n.list {
			if c != nil {
				stack = append(stack, item{c, it.depth + 1})
			}
		}
	}
	return nil
}

// chainLink counts one more operator node of a chain and refuses the rule
// when its condition has grown past maxConditionNodes, before the tree
// can take more memory.
func (p *parser) chainLink() error {
	p.nodes++
	if p.nodes > maxConditionNodes {
		return p.errTok("condition too large: more than %d operators (limit %d)", maxConditionNodes, maxConditionNodes)
	}
	return nil
}
