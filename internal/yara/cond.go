package yara

import (
	"fmt"
	"strings"
)

func (p *parser) newNode(op opcode, typ vtype) *node {
	return &node{op: op, typ: typ, line: p.tok.line, col: p.tok.col}
}

func (p *parser) parseExpr() (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, p.errTok("condition nested too deeply (limit %d)", maxExprDepth)
	}
	return p.parseOr()
}

// prefixOperand consumes a prefix operator's token and parses its operand,
// with the same nesting limit as parenthesised expressions.
func (p *parser) prefixOperand(parse func() (*node, error)) (*node, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, p.errTok("condition nested too deeply")
	}
	return parse()
}

func (p *parser) boolOperand(n *node) error {
	if n.typ == tyRegex {
		return p.errNode(n, "a regular expression cannot be used as a boolean")
	}
	return nil
}

func (p *parser) parseOr() (*node, error) {
	x, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKw("or") {
		n := p.newNode(opOr, tyBool)
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if err := p.boolOperand(x); err != nil {
			return nil, err
		}
		if err := p.boolOperand(y); err != nil {
			return nil, err
		}
		n.a, n.b = x, y
		x = n
	}
	return x, nil
}

func (p *parser) parseAnd() (*node, error) {
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isKw("and") {
		n := p.newNode(opAnd, tyBool)
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		if err := p.boolOperand(x); err != nil {
			return nil, err
		}
		if err := p.boolOperand(y); err != nil {
			return nil, err
		}
		n.a, n.b = x, y
		x = n
	}
	return x, nil
}

func (p *parser) parseNot() (*node, error) {
	if p.isKw("not") || p.isKw("defined") {
		op := opNot
		if p.tok.text == "defined" {
			op = opDefined
		}
		n := p.newNode(op, tyBool)
		x, err := p.prefixOperand(p.parseNot)
		if err != nil {
			return nil, err
		}
		if err := p.boolOperand(x); err != nil {
			return nil, err
		}
		n.a = x
		return n, nil
	}
	return p.parseEq()
}

var strOps = map[string]bool{"contains": true, "icontains": true, "startswith": true, "istartswith": true,
	"endswith": true, "iendswith": true, "iequals": true, "matches": true}

func (p *parser) parseEq() (*node, error) {
	x, err := p.parseRel()
	if err != nil {
		return nil, err
	}
	for p.isPunct("==") || p.isPunct("!=") || (p.tok.kind == tIdent && strOps[p.tok.text]) {
		op := p.tok.text
		n := p.newNode(opBinary, tyBool)
		n.name = op
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		var y *node
		if op == "matches" {
			if !p.isPunct("/") {
				return nil, p.errTok("syntax error: matches needs a regular expression")
			}
			y = p.newNode(opRegex, tyRegex)
			t, err := p.lx.regex(p.tok)
			if err != nil {
				return nil, err
			}
			prog, err := compileRegexSource(t.text, t.reFlags, regexMods{})
			if err != nil {
				return nil, p.errNode(y, "invalid regular expression: %v", err)
			}
			y.re = prog
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else {
			y, err = p.parseRel()
			if err != nil {
				return nil, err
			}
		}
		if err := p.checkBinary(n, op, x, y); err != nil {
			return nil, err
		}
		n.a, n.b = x, y
		x = n
	}
	return x, nil
}

func (p *parser) checkBinary(n *node, op string, x, y *node) error {
	if x.typ == tyModule || y.typ == tyModule {
		n.typ = tyModule
		if op == "==" || op == "!=" || op == "<" || op == ">" || op == "<=" || op == ">=" || strOps[op] {
			n.typ = tyBool
		}
		return nil
	}
	num := func(t vtype) bool { return t == tyInt || t == tyFloat }
	switch op {
	case "matches":
		if x.typ != tyStr {
			return p.errNode(x, "wrong type for \"matches\": %s", x.typ)
		}
	case "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iequals":
		if x.typ != tyStr || y.typ != tyStr {
			return p.errNode(n, "wrong type for %q: need strings", op)
		}
	case "==", "!=", "<", ">", "<=", ">=":
		if !(num(x.typ) && num(y.typ)) && !(x.typ == tyStr && y.typ == tyStr) && !(x.typ == tyBool && y.typ == tyBool) {
			return p.errNode(n, "type mismatch for %q: %s and %s", op, x.typ, y.typ)
		}
	case "+", "-", "*", "\\":
		if op == "\\" && y.op == opInt && y.i == 0 {
			return p.errNode(n, "division by zero")
		}
		if !num(x.typ) || !num(y.typ) {
			return p.errNode(n, "wrong type for %q: %s and %s", op, x.typ, y.typ)
		}
		n.typ = tyInt
		if x.typ == tyFloat || y.typ == tyFloat {
			n.typ = tyFloat
		}
	case "%", "&", "|", "^", "<<", ">>":
		if op == "%" && y.op == opInt && y.i == 0 {
			return p.errNode(n, "division by zero")
		}
		if x.typ != tyInt || y.typ != tyInt {
			return p.errNode(n, "wrong type for %q: %s and %s", op, x.typ, y.typ)
		}
		n.typ = tyInt
	}
	return nil
}

func (p *parser) binaryLevel(ops []string, next func() (*node, error), result vtype) (*node, error) {
	x, err := next()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tPunct && contains(ops, p.tok.text) {
		if p.tok.text == "%" && p.peekIsOf() {
			return x, nil
		}
		op := p.tok.text
		n := p.newNode(opBinary, result)
		n.name = op
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := next()
		if err != nil {
			return nil, err
		}
		if err := p.checkBinary(n, op, x, y); err != nil {
			return nil, err
		}
		n.a, n.b = x, y
		x = n
	}
	return x, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// peekIsOf reports whether the token after the current one is "of".
func (p *parser) peekIsOf() bool {
	save := p.lx.pos
	t, err := p.lx.next()
	p.lx.pos = save
	return err == nil && t.kind == tIdent && t.text == "of"
}

func (p *parser) parseRel() (*node, error) {
	return p.binaryLevel([]string{"<", ">", "<=", ">="}, p.parseBitOr, tyBool)
}
func (p *parser) parseBitOr() (*node, error) {
	return p.binaryLevel([]string{"|"}, p.parseBitXor, tyInt)
}
func (p *parser) parseBitXor() (*node, error) {
	return p.binaryLevel([]string{"^"}, p.parseBitAnd, tyInt)
}
func (p *parser) parseBitAnd() (*node, error) {
	return p.binaryLevel([]string{"&"}, p.parseShift, tyInt)
}
func (p *parser) parseShift() (*node, error) {
	return p.binaryLevel([]string{"<<", ">>"}, p.parseAdd, tyInt)
}
func (p *parser) parseAdd() (*node, error) {
	return p.binaryLevel([]string{"+", "-"}, p.parseMul, tyInt)
}
func (p *parser) parseMul() (*node, error) {
	return p.binaryLevel([]string{"*", "\\", "%"}, p.parseUnary, tyInt)
}

func (p *parser) parseUnary() (*node, error) {
	if p.isPunct("-") || p.isPunct("~") {
		op := opNeg
		if p.tok.text == "~" {
			op = opBitNot
		}
		n := p.newNode(op, tyInt)
		x, err := p.prefixOperand(p.parseUnary)
		if err != nil {
			return nil, err
		}
		switch {
		case x.typ == tyModule:
			n.typ = tyModule
		case op == opNeg && (x.typ == tyInt || x.typ == tyFloat):
			n.typ = x.typ
		case op == opBitNot && x.typ == tyInt:
		default:
			return nil, p.errNode(x, "wrong type for unary operator: %s", x.typ)
		}
		n.a = x
		return n, nil
	}
	return p.parsePrimary()
}

func (p *parser) requireInt(n *node) error {
	if n.typ != tyInt && n.typ != tyModule {
		return p.errNode(n, "wrong type: expected integer, got %s", n.typ)
	}
	return nil
}

// parseRange parses "(a..b)".
func (p *parser) parseRange() (*node, *node, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, nil, err
	}
	lo, err := p.parseExpr()
	if err != nil {
		return nil, nil, err
	}
	if err := p.expectPunct(".."); err != nil {
		return nil, nil, err
	}
	hi, err := p.parseExpr()
	if err != nil {
		return nil, nil, err
	}
	if err := p.requireInt(lo); err != nil {
		return nil, nil, err
	}
	if err := p.requireInt(hi); err != nil {
		return nil, nil, err
	}
	return lo, hi, p.expectPunct(")")
}

// stringRef resolves $a (or $ inside for-of) to a string index.
func (p *parser) stringRef(id string) (int, error) {
	name := "$" + id[1:]
	if name == "$" {
		if p.inForOf == 0 {
			return 0, p.errTok("anonymous string reference outside a for-of loop")
		}
		return -1, nil
	}
	for i, s := range p.rule.strings {
		if s.id == name {
			s.used = true
			s.variable = true
			return i, nil
		}
	}
	return 0, p.errTok("undefined string identifier %q", name)
}

var readFuncs = map[string]bool{"int8": true, "int16": true, "int32": true, "uint8": true, "uint16": true, "uint32": true,
	"int8be": true, "int16be": true, "int32be": true, "uint8be": true, "uint16be": true, "uint32be": true}

func (p *parser) parsePrimary() (*node, error) {
	t := p.tok
	switch t.kind {
	case tInt, tFloat:
		n := p.newNode(opInt, tyInt)
		n.i = t.ival
		if t.kind == tFloat {
			n.op, n.typ, n.f = opFloat, tyFloat, t.fval
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.maybeOf(n)
	case tString:
		n := p.newNode(opStr, tyStr)
		n.s = t.str
		return n, p.advance()
	case tStrID:
		if strings.HasSuffix(t.text, "*") {
			return nil, p.errTok("syntax error: wildcard string %q outside a set", t.text)
		}
		var wasVariable bool
		if t.text != "$" {
			for _, s := range p.rule.strings {
				if s.id == t.text {
					wasVariable = s.variable
				}
			}
		}
		idx, err := p.stringRef(t.text)
		if err != nil {
			return nil, err
		}
		n := p.newNode(opStrFound, tyBool)
		n.str = idx
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isKw("at") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			x, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			if err := p.requireInt(x); err != nil {
				return nil, err
			}
			n.op, n.a = opStrAt, x
			if v, ok := constInt(x); idx >= 0 && ok {
				s := p.rule.strings[idx]
				if s.fixedSeen && s.fixedAt != v {
					s.variable = true
				} else {
					s.variable = wasVariable
					s.fixedSeen, s.fixedAt = true, v
				}
			}
		} else if p.isKw("in") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			lo, hi, err := p.parseRange()
			if err != nil {
				return nil, err
			}
			n.op, n.a, n.b = opStrIn, lo, hi
		}
		return n, nil
	case tStrCount:
		idx, err := p.stringRef(t.text)
		if err != nil {
			return nil, err
		}
		n := p.newNode(opStrCount, tyInt)
		n.str = idx
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isKw("in") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			lo, hi, err := p.parseRange()
			if err != nil {
				return nil, err
			}
			n.a, n.b = lo, hi
		}
		return p.maybeOf(n)
	case tStrOffset, tStrLength:
		idx, err := p.stringRef(t.text)
		if err != nil {
			return nil, err
		}
		n := p.newNode(opStrOffset, tyInt)
		if t.kind == tStrLength {
			n.op = opStrLength
		}
		n.str = idx
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isPunct("[") {
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
			n.a = x
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
		} else {
			n.a = &node{op: opInt, typ: tyInt, i: 1}
		}
		return n, nil
	case tPunct:
		if t.text == "(" {
			if err := p.advance(); err != nil {
				return nil, err
			}
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return p.maybeOf(x)
		}
		if t.text == "/" {
			return nil, p.errTok("syntax error: regular expression outside \"matches\"")
		}
	case tIdent:
		return p.parseIdentPrimary()
	}
	return nil, p.errTok("syntax error: unexpected %s", p.describe())
}

func (p *parser) parseIdentPrimary() (*node, error) {
	t := p.tok
	switch t.text {
	case "true", "false":
		n := p.newNode(opTrue, tyBool)
		if t.text == "false" {
			n.op = opFalse
		}
		return n, p.advance()
	case "filesize":
		return p.newNode(opFilesize, tyInt), p.advance()
	case "entrypoint":
		return p.newNode(opEntrypoint, tyInt), p.advance()
	case "all", "any", "none":
		n := p.newNode(opOf, tyBool)
		n.quant = map[string]quantKind{"all": qAll, "any": qAny, "none": qNone}[t.text]
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.parseOfRest(n)
	case "for":
		return p.parseFor()
	}
	if readFuncs[t.text] {
		n := p.newNode(opReadInt, tyInt)
		n.name = t.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.requireInt(x); err != nil {
			return nil, err
		}
		n.a = x
		return n, p.expectPunct(")")
	}
	if keywords[t.text] {
		return nil, p.errTok("syntax error: unexpected keyword %q", t.text)
	}
	for i := len(p.loopVars) - 1; i >= 0; i-- {
		if p.loopVars[i] == t.text {
			if p.loopTypes[i] == tyModule {
				return p.parseModuleItem()
			}
			n := p.newNode(opLoopVar, p.loopTypes[i])
			n.slot = i
			if err := p.advance(); err != nil {
				return nil, err
			}
			return p.maybeOf(n)
		}
	}
	if p.imports[t.text] {
		if m := supportedModule(t.text); m != nil {
			return p.parseModuleExpr(m)
		}
		return p.parseModuleUse()
	}
	if v, ok := p.c.opts.Externals[t.text]; ok {
		n := p.newNode(opExternal, tyBool)
		n.name = t.text
		switch v.(type) {
		case string:
			n.typ = tyStr
		case int, int64:
			n.typ = tyInt
		case float64:
			n.typ = tyFloat
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.maybeOf(n)
	}
	if idx, ok := p.c.ruleIndex[p.c.namespace+":"+t.text]; ok {
		n := p.newNode(opRuleRef, tyBool)
		n.slot = idx
		p.rule.deps = append(p.rule.deps, idx)
		p.rule.depPos = append(p.rule.depPos, [2]int{t.line, t.col})
		return n, p.advance()
	}
	return nil, p.errTok("undefined identifier %q", t.text)
}

// parseModuleUse consumes pe.x.y[1]("a") and marks the rule as using an
// unsupported module.
func (p *parser) parseModuleUse() (*node, error) {
	n := p.newNode(opModule, tyModule)
	n.name = p.tok.text
	start, end := p.tok.pos, p.tok.pos+len(p.tok.text)
	defer func() {
		p.rule.modules = append(p.rule.modules, moduleUse{module: n.name, line: n.line, col: n.col,
			construct: constructText(p.lx.src[start:end]), partial: supportedModule(n.name) != nil})
	}()
	if err := p.advance(); err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isPunct("."):
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tIdent {
				return nil, p.errTok("syntax error: expected field name")
			}
			end = p.tok.pos + len(p.tok.text)
			if err := p.advance(); err != nil {
				return nil, err
			}
		case p.isPunct("["):
			if err := p.advance(); err != nil {
				return nil, err
			}
			if _, err := p.parseExpr(); err != nil {
				return nil, err
			}
			end = p.tok.pos + 1
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
		case p.isPunct("("):
			if err := p.advance(); err != nil {
				return nil, err
			}
			for !p.isPunct(")") {
				if p.isPunct("/") {
					t, err := p.lx.regex(p.tok)
					if err != nil {
						return nil, err
					}
					p.tok = t
					if err := p.advance(); err != nil {
						return nil, err
					}
				} else if _, err := p.parseExpr(); err != nil {
					return nil, err
				}
				if p.isPunct(",") {
					if err := p.advance(); err != nil {
						return nil, err
					}
				} else if !p.isPunct(")") {
					return nil, p.errTok("syntax error: expected \",\" or \")\", found %s", p.describe())
				}
			}
			end = p.tok.pos + 1
			if err := p.advance(); err != nil {
				return nil, err
			}
		default:
			return n, nil
		}
	}
}

// maybeOf turns "N of ..." or "N% of ..." into a quantifier expression.
func (p *parser) maybeOf(x *node) (*node, error) {
	percent := false
	if p.isPunct("%") && p.peekIsOf() {
		percent = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if !p.isKw("of") {
		return x, nil
	}
	if err := p.requireInt(x); err != nil {
		return nil, err
	}
	n := &node{op: opOf, typ: tyBool, line: x.line, col: x.col, quant: qExpr, qexpr: x, percent: percent}
	return p.parseOfRest(n)
}

func (p *parser) parseSet() ([]int, error) {
	if p.isKw("them") {
		for _, s := range p.rule.strings {
			s.used, s.variable = true, true
		}
		if len(p.rule.strings) == 0 {
			return nil, p.errTok("\"them\" used in a rule without strings")
		}
		set := make([]int, len(p.rule.strings))
		for i := range set {
			set[i] = i
		}
		return set, p.advance()
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var set []int
	for {
		if p.tok.kind != tStrID {
			return nil, p.errTok("syntax error: expected string identifier in set, found %s", p.describe())
		}
		id := p.tok.text
		if strings.HasSuffix(id, "*") {
			prefix := strings.TrimSuffix(id, "*")
			found := false
			for i, s := range p.rule.strings {
				if strings.HasPrefix(s.id, prefix) && !(s.id == "$" && prefix != "$") {
					s.used, s.variable, found = true, true, true
					if !containsInt(set, i) {
						set = append(set, i)
					}
				}
			}
			if !found {
				return nil, p.errTok("undefined string identifier %q", id)
			}
		} else {
			if id == "$" {
				return nil, p.errTok("syntax error: anonymous string in a set")
			}
			i, err := p.stringRef(id)
			if err != nil {
				return nil, err
			}
			if !containsInt(set, i) {
				set = append(set, i)
			}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isPunct(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		break
	}
	return set, p.expectPunct(")")
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (p *parser) parseOfRest(n *node) (*node, error) {
	if err := p.expectKw("of"); err != nil {
		return nil, err
	}
	set, err := p.parseSet()
	if err != nil {
		return nil, err
	}
	n.set = set
	if p.isKw("at") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if err := p.requireInt(x); err != nil {
			return nil, err
		}
		n.a = x
	} else if p.isKw("in") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		lo, hi, err := p.parseRange()
		if err != nil {
			return nil, err
		}
		n.b, n.c = lo, hi
	}
	return n, nil
}

func (p *parser) parseQuant(n *node) error {
	switch {
	case p.isKw("all"), p.isKw("any"), p.isKw("none"):
		n.quant = map[string]quantKind{"all": qAll, "any": qAny, "none": qNone}[p.tok.text]
		return p.advance()
	}
	n.quant = qExpr
	x, err := p.parseUnaryNoOf()
	if err != nil {
		return err
	}
	if err := p.requireInt(x); err != nil {
		return err
	}
	n.qexpr = x
	if p.isPunct("%") {
		n.percent = true
		return p.advance()
	}
	return nil
}

// parseUnaryNoOf parses a quantity in "for N ..." without treating "N of" as a
// quantifier expression.
func (p *parser) parseUnaryNoOf() (*node, error) {
	switch p.tok.kind {
	case tInt:
		n := p.newNode(opInt, tyInt)
		n.i = p.tok.ival
		return n, p.advance()
	case tIdent:
		for i := len(p.loopVars) - 1; i >= 0; i-- {
			if p.loopVars[i] == p.tok.text {
				n := p.newNode(opLoopVar, p.loopTypes[i])
				n.slot = i
				return n, p.advance()
			}
		}
		if v, ok := p.c.opts.Externals[p.tok.text]; ok {
			n := p.newNode(opExternal, tyBool)
			n.name = p.tok.text
			if _, ok := v.(bool); !ok {
				n.typ = tyInt
			}
			return n, p.advance()
		}
	case tPunct:
		if p.tok.text == "(" {
			if err := p.advance(); err != nil {
				return nil, err
			}
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			return x, p.expectPunct(")")
		}
	case tStrCount:
		idx, err := p.stringRef(p.tok.text)
		if err != nil {
			return nil, err
		}
		n := p.newNode(opStrCount, tyInt)
		n.str = idx
		return n, p.advance()
	}
	return nil, p.errTok("syntax error: expected quantifier, found %s", p.describe())
}

func (p *parser) parseFor() (*node, error) {
	n := p.newNode(opForOf, tyBool)
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.parseQuant(n); err != nil {
		return nil, err
	}
	if p.isKw("of") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		set, err := p.parseSet()
		if err != nil {
			return nil, err
		}
		n.set = set
		if err := p.expectPunct(":"); err != nil {
			return nil, err
		}
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		p.inForOf++
		body, err := p.parseExpr()
		p.inForOf--
		if err != nil {
			return nil, err
		}
		n.a = body
		return n, p.expectPunct(")")
	}
	n.op = opForIn
	var vars []string
	for {
		if p.tok.kind != tIdent || keywords[p.tok.text] {
			return nil, p.errTok("syntax error: expected loop variable, found %s", p.describe())
		}
		vars = append(vars, p.tok.text)
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isPunct(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("in"); err != nil {
		return nil, err
	}
	if p.tok.kind == tIdent && p.imports[p.tok.text] {
		return p.parseModuleLoop(n, vars)
	}
	if len(vars) != 1 {
		return nil, p.errTok("iterating with %d variables needs a module dictionary; not supported", len(vars))
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	first, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if p.isPunct("..") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		hi, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.requireInt(first); err != nil {
			return nil, err
		}
		if err := p.requireInt(hi); err != nil {
			return nil, err
		}
		n.b, n.c = first, hi
	} else {
		n.list = []*node{first}
		for p.isPunct(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, x)
		}
		for _, x := range n.list {
			if x.typ != n.list[0].typ || (x.typ != tyInt && x.typ != tyStr && x.typ != tyModule) {
				return nil, p.errNode(x, "wrong type in loop list: %s", x.typ)
			}
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if err := p.expectPunct(":"); err != nil {
		return nil, err
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	n.slot = len(p.loopVars)
	vt := tyInt
	if n.list != nil {
		vt = n.list[0].typ
	}
	p.loopVars = append(p.loopVars, vars...)
	p.loopTypes = append(p.loopTypes, vt)
	body, err := p.parseExpr()
	p.loopVars = p.loopVars[:len(p.loopVars)-len(vars)]
	p.loopTypes = p.loopTypes[:len(p.loopTypes)-len(vars)]
	if err != nil {
		return nil, err
	}
	n.a = body
	return n, p.expectPunct(")")
}

var _ = fmt.Sprintf

// constInt evaluates integer literals and their negation.
func constInt(n *node) (int64, bool) {
	switch n.op {
	case opInt:
		return n.i, true
	case opNeg:
		v, ok := constInt(n.a)
		return -v, ok
	}
	return 0, false
}
