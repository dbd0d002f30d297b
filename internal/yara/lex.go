package yara

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tStrID     // $a, $a*, $
	tStrCount  // #a
	tStrOffset // @a
	tStrLength // !a
	tInt
	tFloat
	tString
	tRegex
	tHex
	tPunct // operators and punctuation; text in tok.text
)

type token struct {
	kind      tokKind
	text      string // identifier, punctuation, or raw text
	str       []byte // decoded text string
	ival      int64
	fval      float64
	reFlags   string
	pos       int
	line, col int
}

type lexer struct {
	file       string
	src        []byte
	pos        int
	lineStarts []int // offsets where lines begin, built on first use
}

// lineCol maps an offset to a 1-based line and column in O(log lines), so
// large rule files lex in linear time.
func (lx *lexer) lineCol(pos int) (int, int) {
	if lx.lineStarts == nil {
		lx.lineStarts = []int{0}
		for i, c := range lx.src {
			if c == '\n' {
				lx.lineStarts = append(lx.lineStarts, i+1)
			}
		}
	}
	pos = min(pos, len(lx.src))
	line := sort.Search(len(lx.lineStarts), func(i int) bool { return lx.lineStarts[i] > pos })
	return line, pos - lx.lineStarts[line-1] + 1
}

func (lx *lexer) errAt(pos int, format string, args ...any) *CompileError {
	line, col := lx.lineCol(pos)
	return &CompileError{File: lx.file, Line: line, Col: col, Message: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

func (lx *lexer) skipSpace() error {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			lx.pos++
		case c == '/' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '/':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '/' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '*':
			end := strings.Index(string(lx.src[lx.pos+2:]), "*/")
			if end < 0 {
				return lx.errAt(lx.pos, "unterminated comment")
			}
			lx.pos += end + 4
		default:
			return nil
		}
	}
	return nil
}

var puncts = []string{"..", "==", "!=", "<=", ">=", "<<", ">>", "(", ")", "{", "}", "[", "]", ":", ",", "=", "<", ">", "+", "-", "*", "\\", "%", "&", "|", "^", "~", ".", "/"}

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	start := lx.pos
	tok := token{pos: start}
	tok.line, tok.col = lx.lineCol(start)
	if lx.pos >= len(lx.src) {
		tok.kind = tEOF
		return tok, nil
	}
	c := lx.src[lx.pos]
	switch {
	case isIdentStart(c):
		for lx.pos < len(lx.src) && isIdentChar(lx.src[lx.pos]) {
			lx.pos++
		}
		tok.kind = tIdent
		tok.text = string(lx.src[start:lx.pos])
		if lx.pos-start > 128 {
			return tok, lx.errAt(start, "identifier too long")
		}
		return tok, nil
	case c == '$' || c == '#' || c == '@' || (c == '!' && (lx.pos+1 >= len(lx.src) || lx.src[lx.pos+1] != '=')):
		lx.pos++
		for lx.pos < len(lx.src) && isIdentChar(lx.src[lx.pos]) {
			lx.pos++
		}
		if c == '$' && lx.pos < len(lx.src) && lx.src[lx.pos] == '*' {
			lx.pos++
		}
		tok.text = string(lx.src[start:lx.pos])
		switch c {
		case '$':
			tok.kind = tStrID
		case '#':
			tok.kind = tStrCount
		case '@':
			tok.kind = tStrOffset
		default:
			tok.kind = tStrLength
		}
		return tok, nil
	case isDigit(c):
		return lx.number(tok)
	case c == '"':
		return lx.text(tok)
	}
	for _, p := range puncts {
		if strings.HasPrefix(string(lx.src[lx.pos:min(len(lx.src), lx.pos+2)]), p) {
			lx.pos += len(p)
			tok.kind = tPunct
			tok.text = p
			return tok, nil
		}
	}
	return tok, lx.errAt(start, "unexpected character %q", c)
}

func (lx *lexer) number(tok token) (token, error) {
	start := lx.pos
	src := lx.src
	if strings.HasPrefix(string(src[start:min(len(src), start+2)]), "0x") {
		lx.pos += 2
		for lx.pos < len(src) && strings.IndexByte("0123456789abcdefABCDEF", src[lx.pos]) >= 0 {
			lx.pos++
		}
		v, err := strconv.ParseUint(string(src[start+2:lx.pos]), 16, 64)
		if err != nil {
			return tok, lx.errAt(start, "invalid hex number %q", src[start:lx.pos])
		}
		tok.kind, tok.ival = tInt, int64(v)
		return tok, lx.checkNumEnd(tok)
	}
	if strings.HasPrefix(string(src[start:min(len(src), start+2)]), "0o") {
		lx.pos += 2
		for lx.pos < len(src) && src[lx.pos] >= '0' && src[lx.pos] <= '7' {
			lx.pos++
		}
		v, err := strconv.ParseUint(string(src[start+2:lx.pos]), 8, 64)
		if err != nil {
			return tok, lx.errAt(start, "invalid octal number %q", src[start:lx.pos])
		}
		tok.kind, tok.ival = tInt, int64(v)
		return tok, lx.checkNumEnd(tok)
	}
	for lx.pos < len(src) && isDigit(src[lx.pos]) {
		lx.pos++
	}
	if lx.pos+1 < len(src) && src[lx.pos] == '.' && isDigit(src[lx.pos+1]) {
		lx.pos++
		for lx.pos < len(src) && isDigit(src[lx.pos]) {
			lx.pos++
		}
		f, err := strconv.ParseFloat(string(src[start:lx.pos]), 64)
		if err != nil {
			return tok, lx.errAt(start, "invalid number %q", src[start:lx.pos])
		}
		tok.kind, tok.fval = tFloat, f
		return tok, lx.checkNumEnd(tok)
	}
	v, err := strconv.ParseInt(string(src[start:lx.pos]), 10, 64)
	if err != nil {
		return tok, lx.errAt(start, "integer out of range %q", src[start:lx.pos])
	}
	mul := int64(1)
	if lx.pos+1 < len(src) && (string(src[lx.pos:lx.pos+2]) == "KB" || string(src[lx.pos:lx.pos+2]) == "MB") {
		if src[lx.pos] == 'K' {
			mul = 1024
		} else {
			mul = 1024 * 1024
		}
		lx.pos += 2
		if v > (1<<63-1)/mul {
			return tok, lx.errAt(start, "integer out of range %q", src[start:lx.pos])
		}
	}
	tok.kind, tok.ival = tInt, v*mul
	return tok, lx.checkNumEnd(tok)
}

func (lx *lexer) checkNumEnd(tok token) error {
	if lx.pos < len(lx.src) && isIdentChar(lx.src[lx.pos]) {
		return lx.errAt(tok.pos, "invalid number %q", lx.src[tok.pos:lx.pos+1])
	}
	return nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (lx *lexer) text(tok token) (token, error) {
	start := lx.pos
	lx.pos++
	var out []byte
	for {
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' {
			return tok, lx.errAt(start, "unterminated string")
		}
		c := lx.src[lx.pos]
		if c == '"' {
			lx.pos++
			break
		}
		if c != '\\' {
			out = append(out, c)
			lx.pos++
			continue
		}
		if lx.pos+1 >= len(lx.src) {
			return tok, lx.errAt(lx.pos, "unterminated string")
		}
		e := lx.src[lx.pos+1]
		lx.pos += 2
		switch e {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case '\\':
			out = append(out, '\\')
		case '"':
			out = append(out, '"')
		case 'x':
			if lx.pos+1 >= len(lx.src) || hexVal(lx.src[lx.pos]) < 0 || hexVal(lx.src[lx.pos+1]) < 0 {
				return tok, lx.errAt(lx.pos-2, "invalid escape sequence in string")
			}
			out = append(out, byte(hexVal(lx.src[lx.pos])<<4|hexVal(lx.src[lx.pos+1])))
			lx.pos += 2
		default:
			return tok, lx.errAt(lx.pos-2, "invalid escape sequence \\%c in string", e)
		}
	}
	tok.kind = tString
	tok.str = out
	tok.text = string(lx.src[start:lx.pos])
	return tok, nil
}

// regex lexes /.../flags starting at pos (which holds the opening slash).
func (lx *lexer) regex(tok token) (token, error) {
	lx.pos = tok.pos + 1
	var body []byte
	for {
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' {
			return tok, lx.errAt(tok.pos, "unterminated regular expression")
		}
		c := lx.src[lx.pos]
		if c == '/' {
			lx.pos++
			break
		}
		if c == '\\' && lx.pos+1 < len(lx.src) {
			if lx.src[lx.pos+1] == '/' {
				body = append(body, '/')
			} else {
				body = append(body, c, lx.src[lx.pos+1])
			}
			lx.pos += 2
			continue
		}
		body = append(body, c)
		lx.pos++
	}
	fs := lx.pos
	for lx.pos < len(lx.src) && (lx.src[lx.pos] == 'i' || lx.src[lx.pos] == 's') {
		lx.pos++
	}
	if len(body) == 0 {
		return tok, lx.errAt(tok.pos, "empty regular expression")
	}
	tok.kind = tRegex
	tok.text = string(body)
	tok.reFlags = string(lx.src[fs:lx.pos])
	return tok, nil
}

// hex lexes { ... } starting at tok.pos, returning the body without braces.
func (lx *lexer) hex(tok token) (token, error) {
	lx.pos = tok.pos + 1
	start := lx.pos
	for {
		if lx.pos >= len(lx.src) {
			return tok, lx.errAt(tok.pos, "unterminated hex string")
		}
		c := lx.src[lx.pos]
		if c == '}' {
			break
		}
		if c == '/' && lx.pos+1 < len(lx.src) && (lx.src[lx.pos+1] == '/' || lx.src[lx.pos+1] == '*') {
			// comments inside hex strings are allowed
			if err := lx.skipSpace(); err != nil {
				return tok, err
			}
			continue
		}
		if strings.IndexByte("0123456789abcdefABCDEF?[]-() |\t\r\n~", c) < 0 {
			return tok, lx.errAt(lx.pos, "invalid character %q in hex string", c)
		}
		lx.pos++
	}
	body := stripHexComments(lx.src[start:lx.pos])
	lx.pos++
	tok.kind = tHex
	tok.text = body
	return tok, nil
}

func stripHexComments(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == '/' && i+1 < len(b) && b[i+1] == '/' {
			for i < len(b) && b[i] != '\n' {
				i++
			}
			continue
		}
		if b[i] == '/' && i+1 < len(b) && b[i+1] == '*' {
			end := strings.Index(string(b[i+2:]), "*/")
			if end < 0 {
				break
			}
			i += end + 3
			continue
		}
		sb.WriteByte(b[i])
	}
	return sb.String()
}
