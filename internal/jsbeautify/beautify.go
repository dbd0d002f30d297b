package jsbeautify

import "strings"

// Indent is one level of brace depth.
const Indent = "  "

// spaced are the operators written with a space on each side.
var spaced = map[string]bool{
	"=": true, "==": true, "===": true, "!=": true, "!==": true, "+=": true, "-=": true, "*=": true, "/=": true,
	"%=": true, "**=": true, "<<=": true, ">>=": true, ">>>=": true, "&=": true, "|=": true, "^=": true,
	"&&=": true, "||=": true, "??=": true, "&&": true, "||": true, "??": true, "=>": true, "?": true, "<": true, ">": true, "<=": true, ">=": true,
}

// sameLineAfterBrace are the tokens that stay on the line of the closing
// brace before them: "} else", "})", "}, ".
var sameLineAfterBrace = map[string]bool{
	")": true, "]": true, ",": true, ";": true, ".": true, "?.": true, "(": true,
	"else": true, "catch": true, "finally": true, "while": true,
}

// controlWords take a space before their parenthesis: "if (".
var controlWords = map[string]bool{"if": true, "for": true, "while": true, "switch": true, "catch": true, "with": true}

// Beautify lays src out one statement per line: a line break after ";"
// (outside parentheses), after "{" and around "}", after a comma outside
// parentheses and brackets (object members, declarations), and wherever
// src had one; lines are indented by brace depth. Only whitespace between
// tokens changes, and Beautify(Beautify(s)) == Beautify(s).
func Beautify(src string) string {
	var b strings.Builder
	b.Grow(len(src) + len(src)/4)
	var open []string // the brackets open at this point: "{", "(", "["
	braces := 0
	var prev, ctx Token // the last token written, and the significant one before it
	// run is the last few tokens written with nothing between them, each
	// with the significant token before it: punctuators can merge across
	// more than two tokens ("." "." "." is not "...").
	var run []scanned
	hadNewline := false
	started := false
	toks := Tokens(src)
	for _, t := range toks {
		switch t.Kind {
		case kindSpace:
			continue
		case kindNewline:
			hadNewline = true
			continue
		}
		isClose := t.Kind == kindPunct && t.Text == "}"
		if isClose && braces > 0 {
			braces--
		}
		if started {
			switch {
			case hadNewline || breakBetween(ctx, prev, t, open):
				b.WriteByte('\n')
				b.WriteString(strings.Repeat(Indent, braces))
				run = run[:0]
			case needSpace(ctx, prev, t) || !runJoins(run, t):
				b.WriteByte(' ')
				run = run[:0]
			}
		}
		if len(run) == maxRun {
			run = append(run[:0], run[1:]...)
		}
		run = append(run, scanned{t, prev})
		b.WriteString(t.Text)
		started, hadNewline = true, false
		if t.Kind == kindPunct {
			switch t.Text {
			case "{":
				braces++
				open = append(open, "{")
			case "(", "[":
				open = append(open, t.Text)
			case "}", ")", "]":
				if len(open) > 0 {
					open = open[:len(open)-1]
				}
			}
		}
		if significant(prev) {
			ctx = prev
		}
		prev = t
	}
	return b.String()
}

// scanned is a token with the significant token before it, which decides
// how a slash scans.
type scanned struct {
	tok, ctx Token
}

// maxRun is how many tokens written together are checked for merging:
// the longest punctuator has four characters.
const maxRun = 4

// runJoins reports whether t written right after run scans back as run's
// tokens followed by t.
func runJoins(run []scanned, t Token) bool {
	if len(run) == 0 {
		return true
	}
	var joined strings.Builder
	for _, r := range run {
		joined.WriteString(r.tok.Text)
	}
	joined.WriteString(t.Text)
	s, ctx := joined.String(), run[0].ctx
	for _, want := range append(run[:len(run):len(run)], scanned{tok: t}) {
		got := next(s, ctx)
		if got != want.tok {
			return false
		}
		s = s[len(got.Text):]
		if significant(got) {
			ctx = got
		}
	}
	return true
}

func significant(t Token) bool {
	return t.Text != "" && t.Kind != kindLineComment && t.Kind != kindBlockComment
}

// breakBetween reports whether the rules put a line break between prev
// and t. It looks at tokens only (never at the source's whitespace), which
// is what makes Beautify idempotent.
func breakBetween(ctx, prev, t Token, open []string) bool {
	if prev.Kind == kindLineComment {
		return true
	}
	// A slash where a regular expression could start, that did not start
	// one, found no closing slash on its line; a line break keeps it so
	// (malformed code only).
	if prev.Kind == kindPunct && prev.Text == "/" && regexpAllowed(ctx) {
		return true
	}
	inner := ""
	if len(open) > 0 {
		inner = open[len(open)-1]
	}
	if t.Kind == kindPunct && t.Text == "}" {
		return !(prev.Kind == kindPunct && prev.Text == "{")
	}
	if prev.Kind != kindPunct {
		return false
	}
	switch prev.Text {
	case "{":
		return true
	case "}":
		return !sameLineAfterBrace[t.Text]
	case ";":
		return inner != "("
	case ",":
		return inner == "{" || inner == ""
	}
	return false
}

// needSpace reports whether prev and t, on one line, are written with a
// space between them: where joining them would make other tokens, and for
// reading (around assignments and comparisons, after commas).
func needSpace(ctx, prev, t Token) bool {
	if !joinsCleanly(ctx, prev, t) {
		return true
	}
	if prev.Kind == kindPunct && (prev.Text == "," || prev.Text == ";" || prev.Text == ":" || spaced[prev.Text]) {
		return true
	}
	if t.Kind == kindPunct && spaced[t.Text] {
		return true
	}
	if t.Kind == kindPunct && t.Text == "{" {
		return prev.Text == ")" || prev.Kind == kindWord || prev.Text == "=>"
	}
	if t.Kind == kindPunct && t.Text == "(" && prev.Kind == kindWord && controlWords[prev.Text] {
		return true
	}
	if prev.Kind == kindPunct && prev.Text == "}" && t.Kind == kindWord {
		return true
	}
	if prev.Kind == kindBlockComment || t.Kind == kindBlockComment || t.Kind == kindLineComment {
		return true
	}
	return false
}

// joinsCleanly reports whether prev written right before t still scans as
// prev (in the context it was scanned in) and does not swallow part of t.
func joinsCleanly(ctx, prev, t Token) bool {
	joined := prev.Text + t.Text
	if next(joined, ctx).Text != prev.Text {
		return false
	}
	// A slash or a dot right after a token can change how t itself scans
	// ("a / /re/" would become a comment, "1 .x" a number).
	got := next(t.Text, prev)
	return got.Text == t.Text[:len(got.Text)] && got.Kind == t.Kind
}
