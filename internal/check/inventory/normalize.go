package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/skimwatch/skimwatch/internal/origin"
)

// Fingerprint is the hex SHA-256 of NormalizeScript(src). Two scripts with
// the same fingerprint differ at most in whitespace, comments and values that
// legitimately change per request (timestamps, tokens, nonces, totals).
func Fingerprint(src string) string {
	sum := sha256.Sum256([]byte(NormalizeScript(src)))
	return hex.EncodeToString(sum[:])
}

// NormalizeScript reduces JavaScript source to a form that is stable across
// re-minification and per-request values, but still changes when code does.
//
// It is a heuristic, not a parser: it removes comments, collapses whitespace
// around punctuation, and replaces numbers, dates, UUIDs and long opaque
// tokens with placeholders. Words, identifiers, operators and URLs' hosts
// stay, so appended or altered code always changes the fingerprint.
//
// Its output is stored (as fingerprints) in users' baselines, so it must
// never change: each step below is a hand-written scanner that reproduces,
// byte for byte, the regular expression it replaced (kept, with a
// differential fuzz target, in normalize_ref_test.go). The scanners run
// in the same order as the regexps did, each on the previous one's output,
// because the placeholders ("\x00N") meet the later patterns.
func NormalizeScript(src string) string {
	// Order matters: comments first, then literals, then whitespace.
	s := removeBlockComments(src)
	s = removeLineComments(s)
	s = replaceUUIDs(s)
	s = replaceDates(s)
	s = replaceTokens(s)
	s = replaceNumbers(s)
	s = collapseSpace(s)
	s = removePunctSpace(s)
	s = unifyQuotesAndSemicolons(s)
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";"))
}

// removeBlockComments is (?s)/\*.*?\*/ replaced by "": a comment ends at
// the first "*/" after its "/*" (so "/*/" does not close itself), and an
// unclosed one is kept, as is everything after it.
func removeBlockComments(s string) string {
	i := strings.Index(s, "/*")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i >= 0 {
		end := strings.Index(s[i+2:], "*/")
		if end < 0 {
			// No later opener can close either: its closer would come
			// after this one's.
			break
		}
		b.WriteString(s[last:i])
		last = i + 2 + end + 2
		i = strings.Index(s[last:], "/*")
		if i >= 0 {
			i += last
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// removeLineComments is (?m)(^|[^:"'\\])//[^\n]* replaced by "$1": a line
// comment starts at "//" at a line's start or after any character but a
// colon (URLs), a quote or a backslash, and runs up to the newline, which
// stays. The character before it stays too.
func removeLineComments(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(s); {
		j := strings.Index(s[i:], "//")
		if j < 0 {
			break
		}
		i += j
		if i > 0 {
			switch s[i-1] {
			case ':', '"', '\'', '\\':
				// Not a comment here, but "///" holds one starting at
				// the next slash.
				i++
				continue
			}
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		end := strings.IndexByte(s[i:], '\n')
		if end < 0 {
			last = len(s)
			break
		}
		last = i + end
		i = last
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// uuidLen is the length of a UUID in its 8-4-4-4-12 form.
const uuidLen = 36

// isUUIDAt reports whether s[i:] starts with a UUID: hex digits in groups
// of 8-4-4-4-12 joined by dashes.
func isUUIDAt(s string, i int) bool {
	if i+uuidLen > len(s) {
		return false
	}
	for k := 0; k < uuidLen; k++ {
		c := s[i+k]
		if k == 8 || k == 13 || k == 18 || k == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// replaceUUIDs is the UUID regexp replaced by "\x00U", at the leftmost
// place: inside a longer run of hex digits the UUID starts where its first
// dash is the ninth character.
func replaceUUIDs(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+uuidLen <= len(s); {
		// Test the first dash first: it rules out most places at once.
		if s[i+8] != '-' || !isUUIDAt(s, i) {
			i++
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString("\x00U")
		i += uuidLen
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// digitsAt reports whether s[i:i+n] is n ASCII digits.
func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// dateEnd returns the end of the ISO date or date-time that starts at
// s[i], or -1 when none does. It follows
// \d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?
// with its greedy optional parts: each part is taken when it is there in
// full and skipped otherwise, since all that follows it is optional.
func dateEnd(s string, i int) int {
	if !digitsAt(s, i, 4) || i+10 > len(s) || s[i+4] != '-' || !digitsAt(s, i+5, 2) ||
		s[i+7] != '-' || !digitsAt(s, i+8, 2) {
		return -1
	}
	end := i + 10
	// [T ]\d{2}:\d{2}
	if !(end+6 <= len(s) && (s[end] == 'T' || s[end] == ' ') && digitsAt(s, end+1, 2) &&
		s[end+3] == ':' && digitsAt(s, end+4, 2)) {
		return end
	}
	end += 6
	// (:\d{2}(\.\d+)?)?
	if end+3 <= len(s) && s[end] == ':' && digitsAt(s, end+1, 2) {
		end += 3
		if end+1 < len(s) && s[end] == '.' && isDigit(s[end+1]) {
			end += 2
			for end < len(s) && isDigit(s[end]) {
				end++
			}
		}
	}
	// (Z|[+-]\d{2}:?\d{2})?
	switch {
	case end < len(s) && s[end] == 'Z':
		end++
	case end < len(s) && (s[end] == '+' || s[end] == '-') && digitsAt(s, end+1, 2):
		if end+6 <= len(s) && s[end+3] == ':' && digitsAt(s, end+4, 2) {
			end += 6
		} else if digitsAt(s, end+3, 2) {
			end += 5
		}
	}
	return end
}

// replaceDates replaces ISO dates and times with "\x00D", leftmost first.
func replaceDates(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+10 <= len(s); {
		// The dash after the year rules out most places at once.
		if s[i+4] != '-' {
			i++
			continue
		}
		end := dateEnd(s, i)
		if end < 0 {
			i++
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString("\x00D")
		i = end
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// minTokenLen is the shortest run of token characters taken as an opaque
// token (a hex or base64 value) rather than a word.
const minTokenLen = 16

func isTokenChar(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '_' || c == '-' || c == '='
}

// replaceTokens replaces each maximal run of [A-Za-z0-9+/_\-=] of
// minTokenLen or more with "\x00T", unless it is all letters: long words
// that are plainly code (addEventListener) stay, mixed tokens that look
// random go.
func replaceTokens(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isTokenChar(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isTokenChar(s[j]) {
			j++
		}
		if j-i >= minTokenLen && !isLetters(s[i:j]) {
			if last == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			b.WriteString("\x00T")
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isWordChar is \w, which is ASCII only, as is \b built on it.
func isWordChar(c byte) bool { return isAlnum(c) || c == '_' }

// replaceNumbers is \b\d+(\.\d+)?\b replaced by "\x00N": a number starts
// where digits follow a non-word character and ends before one; its
// fraction is taken when a word boundary follows it, else the number ends
// at the dot ("1.5x" keeps ".5x"), and digits glued to letters stay.
func replaceNumbers(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || i > 0 && isWordChar(s[i-1]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		end := -1
		if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
			k := j + 2
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			if k == len(s) || !isWordChar(s[k]) {
				end = k
			}
		}
		if end < 0 && (j == len(s) || !isWordChar(s[j])) {
			end = j
		}
		if end < 0 {
			// No boundary inside a run of digits either.
			i = j
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString("\x00N")
		i = end
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isSpace is \s: ASCII space, tab, newline, form feed and carriage return
// (not vertical tab).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// collapseSpace is \s+ replaced by one space.
func collapseSpace(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isSpace(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j-i == 1 && s[i] == ' ' {
			i = j
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteByte(' ')
		i = j
		last = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isPunct(c byte) bool {
	switch c {
	case '{', '}', '(', ')', '[', ']', ';', ',', ':', '=', '+', '-', '*', '/', '<', '>', '!', '&', '|', '?', '.':
		return true
	}
	return false
}

// removePunctSpace is \s*([{}()\[\];,:=+\-*\/<>!&|?.])\s* replaced by "$1":
// whitespace next to punctuation carries no meaning in JavaScript.
func removePunctSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j == len(s) || !isPunct(s[j]) {
			// No match starts anywhere in this run of whitespace.
			if j == i {
				j++
			}
			i = j
			continue
		}
		k := j + 1
		for k < len(s) && isSpace(s[k]) {
			k++
		}
		if i == j && k == j+1 {
			// Punctuation with no whitespace around: nothing to remove.
			i = k
			continue
		}
		b.WriteString(s[last:i])
		b.WriteByte(s[j])
		i = k
		last = k
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// unifyQuotesAndSemicolons makes single quotes double and drops the
// semicolon of ";}", left to right without overlap: minifiers differ in
// quote style and in trailing semicolons.
func unifyQuotesAndSemicolons(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			b = append(b, '"')
		case s[i] == ';' && i+1 < len(s) && s[i+1] == '}':
			b = append(b, '}')
			i++
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// ScriptIdentity is where a script comes from, without the parts that change
// for harmless reasons: an external script's origin and path (the query is
// dropped, because cache-busting strings change it on every deploy).
func ScriptIdentity(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	o := origin.FromURL(u)
	if o == "" {
		return rawURL
	}
	return o + u.EscapedPath()
}

// PageKey identifies a checked page: origin and path, without the query,
// which carries session tokens and cache busters.
func PageKey(rawURL string) string { return ScriptIdentity(rawURL) }

// InputPlaceholder stands, in an input-dependent script's identity, for a
// part of its URL path that came from what the customer typed.
const InputPlaceholder = "{input}"

// minInputRun is the shortest run of a URL path taken as typed input: three
// characters, the prefix by which Japanese postcode lookups name their data
// files. Shorter runs (a version "v2", a year "26") would match by chance.
const minInputRun = 3

// InputDependentIdentity is the identity of an external script whose path
// carries what the customer typed: a postcode lookup's per-prefix table
// (/data/100.js), a card-issuer lookup by BIN. Each run of letters and
// digits in the path that the probe typed is replaced by InputPlaceholder,
// so that every customer's file is one script. A run counts as typed when it
// is a whole word of a typed value ("check" in an email, "0001" in
// "100-0001") or, for digits, the start of one (the "100" of 100-0001, a
// card's first six digits); digits from the middle of a value count not,
// because short digit runs turn up everywhere. ok is false when nothing in
// the path was typed.
func InputDependentIdentity(rawURL string, typed map[string]string) (identity string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", false
	}
	words, digitPrefixes := typedRuns(typed)
	p := u.EscapedPath()
	var b strings.Builder
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && isAlnum(p[j]) {
			j++
		}
		if j == i {
			b.WriteByte(p[i])
			i++
			continue
		}
		run := strings.ToLower(p[i:j])
		if len(run) >= minInputRun && (words[run] || isDigits(run) && digitPrefixes[run]) {
			b.WriteString(InputPlaceholder)
			ok = true
		} else {
			b.WriteString(p[i:j])
		}
		i = j
	}
	if !ok {
		return "", false
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + b.String(), true
}

// typedRuns splits the typed values into their words (lower case) and, for
// each value's digits, every prefix of minInputRun digits or more.
func typedRuns(typed map[string]string) (words, digitPrefixes map[string]bool) {
	words, digitPrefixes = map[string]bool{}, map[string]bool{}
	for _, v := range typed {
		v = strings.ToLower(v)
		var digits []byte
		for i := 0; i < len(v); {
			j := i
			for j < len(v) && isAlnum(v[j]) {
				j++
			}
			if j > i {
				words[v[i:j]] = true
				i = j
				continue
			}
			i++
		}
		for i := 0; i < len(v); i++ {
			if v[i] >= '0' && v[i] <= '9' {
				digits = append(digits, v[i])
			}
		}
		for n := minInputRun; n <= len(digits); n++ {
			digitPrefixes[string(digits[:n])] = true
		}
	}
	return words, digitPrefixes
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ScriptShape is the hex SHA-256 of a script's vocabulary: the sorted set of
// identifiers and keywords outside comments, quoted strings and numbers. It judges the content of an input-dependent script, whose data
// legitimately differs with the input (one postcode table per prefix) while
// its code does not: a data file is a call of one callback, and code
// appended to it (a skimmer reading the form) brings words of its own
// (document, addEventListener, sendBeacon). Like the fingerprint it is a
// heuristic, not a parser: code rearranged from words it already had keeps
// its shape, which for a data file leaves nothing to rearrange.
func ScriptShape(src string) string {
	seen := map[string]bool{}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				i += end + 4
			}
		case c == '"' || c == '\'':
			// Template literals are not skipped: code hides in their ${}.
			i = skipString(src, i)
		case c >= '0' && c <= '9':
			for i < len(src) && (isAlnum(src[i]) || src[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(src) && (isIdentStart(src[j]) || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			seen[src[i:j]] = true
			i = j
		default:
			i++
		}
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	sort.Strings(words)
	sum := sha256.Sum256([]byte(strings.Join(words, " ")))
	return hex.EncodeToString(sum[:])
}

// skipString returns the index after the string literal that opens at i;
// an unterminated literal runs to the end.
func skipString(src string, i int) int {
	q := src[i]
	for i++; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case q:
			return i + 1
		case '\n':
			return i + 1
		}
	}
	return len(src)
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' || c >= 0x80
}
