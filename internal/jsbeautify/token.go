// Package jsbeautify lays out JavaScript for a person to read: minified
// skimmers become one statement per line, indented by brace depth, so that
// a line diff of two versions shows what changed. It is a formatter for
// reading, not a parser: it never fails, keeps every token as it was
// (strings, regular expressions, template literals and comments verbatim),
// and changes only the whitespace between tokens.
package jsbeautify

import (
	"strings"
	"unicode/utf8"
)

// Token kinds.
const (
	kindSpace    = iota // whitespace without a line break
	kindNewline         // whitespace with at least one line break
	kindWord            // identifier, keyword or number
	kindString          // '...' or "..."
	kindTemplate        // `...` with its ${} parts
	kindRegexp          // /.../flags
	kindLineComment
	kindBlockComment
	kindPunct
)

// Token is one lexical token with its text as written.
type Token struct {
	Kind int
	Text string
}

// punctuators longest first, so the scanner takes the longest match.
var punctuators = []string{
	">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
	"=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=",
	"%=", "&=", "|=", "^=", "**", "<<", ">>",
}

// regexpAfter are the words after which a slash starts a regular
// expression rather than a division.
var regexpAfter = map[string]bool{
	"return": true, "typeof": true, "case": true, "do": true, "else": true, "in": true, "of": true,
	"new": true, "delete": true, "void": true, "throw": true, "yield": true, "await": true, "instanceof": true,
}

// Tokens splits src into tokens, whitespace included; joining their texts
// gives src back.
func Tokens(src string) []Token {
	var out []Token
	var prev Token // the last token that is not whitespace or a comment
	for i := 0; i < len(src); {
		t := next(src[i:], prev)
		out = append(out, t)
		if t.Kind != kindSpace && t.Kind != kindNewline && t.Kind != kindLineComment && t.Kind != kindBlockComment {
			prev = t
		}
		i += len(t.Text)
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// next scans the token at the start of s (non-empty).
func next(s string, prev Token) Token {
	c := s[0]
	switch {
	case isSpace(c):
		n, nl := 0, false
		for n < len(s) && isSpace(s[n]) {
			nl = nl || s[n] == '\n' || s[n] == '\r'
			n++
		}
		if nl {
			return Token{kindNewline, s[:n]}
		}
		return Token{kindSpace, s[:n]}
	case strings.HasPrefix(s, "//"):
		n := strings.IndexAny(s, "\r\n")
		if n < 0 {
			n = len(s)
		}
		return Token{kindLineComment, s[:n]}
	case strings.HasPrefix(s, "/*"):
		n := strings.Index(s[2:], "*/")
		if n < 0 {
			return Token{kindBlockComment, s}
		}
		return Token{kindBlockComment, s[:n+4]}
	case c == '\'' || c == '"':
		return Token{kindString, s[:quoted(s, c)]}
	case c == '`':
		return Token{kindTemplate, s[:template(s)]}
	case c == '/' && regexpAllowed(prev):
		if n := regexpLen(s); n > 0 {
			return Token{kindRegexp, s[:n]}
		}
		return Token{kindPunct, s[:1]}
	case c == '.' && len(s) > 1 && s[1] >= '0' && s[1] <= '9':
		return Token{kindWord, s[:wordLen(s)]}
	case isWordByte(c):
		return Token{kindWord, s[:wordLen(s)]}
	}
	for _, p := range punctuators {
		if strings.HasPrefix(s, p) {
			return Token{kindPunct, p}
		}
	}
	_, n := utf8.DecodeRuneInString(s)
	return Token{kindPunct, s[:n]}
}

// wordLen is the length of an identifier or number, with a number's
// exponent sign and decimal point.
func wordLen(s string) int {
	n := 0
	number := s[0] >= '0' && s[0] <= '9' || s[0] == '.'
	for n < len(s) {
		c := s[n]
		switch {
		case isWordByte(c):
		case number && c == '.':
		case number && (c == '+' || c == '-') && n > 0 && (s[n-1] == 'e' || s[n-1] == 'E') && !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X"):
		default:
			return n
		}
		n++
	}
	return n
}

// quoted is the length of a string literal opened by q; an unterminated one
// ends before its line break or at the end of s.
func quoted(s string, q byte) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i + 1
		case '\n', '\r':
			return i
		}
	}
	return len(s)
}

// template is the length of a template literal, its ${} parts (which may
// hold strings, comments, braces and templates) included.
func template(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '`':
			return i + 1
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				i += 1 + substitution(s[i+1:])
				i-- // the loop's i++ steps past the closing brace
			}
		}
	}
	return len(s)
}

// substitution is the length of a ${} part from its opening brace to its
// matching closing one, inclusive.
func substitution(s string) int {
	depth := 0
	var prev Token
	for i := 0; i < len(s); {
		t := next(s[i:], prev)
		if t.Kind == kindPunct {
			switch t.Text {
			case "{":
				depth++
			case "}":
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		if t.Kind != kindSpace && t.Kind != kindNewline && t.Kind != kindLineComment && t.Kind != kindBlockComment {
			prev = t
		}
		i += len(t.Text)
	}
	return len(s)
}

// regexpAllowed reports whether a slash after prev starts a regular
// expression: at the start, after an operator or an opening bracket, or
// after a keyword that takes an expression.
func regexpAllowed(prev Token) bool {
	switch prev.Kind {
	case kindWord:
		return regexpAfter[prev.Text]
	case kindPunct:
		return prev.Text != ")" && prev.Text != "]" && prev.Text != "}" && prev.Text != "++" && prev.Text != "--"
	case kindString, kindTemplate, kindRegexp:
		return false
	}
	return true
}

// regexpLen is the length of the regular expression literal at the start
// of s with its flags, or 0 when none ends on this line.
func regexpLen(s string) int {
	inClass := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\n', '\r':
			return 0
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '/':
			if inClass {
				continue
			}
			if i == 1 {
				return 0 // "//" is a comment, caught before
			}
			n := i + 1
			for n < len(s) && isWordByte(s[n]) {
				n++
			}
			return n
		}
	}
	return 0
}
