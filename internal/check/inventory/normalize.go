package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
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

var (
	// Order matters: comments first, then literals, then whitespace.
	reBlockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	// A line comment starts at // not preceded by ':' (URLs) or a quote.
	reLineComment = regexp.MustCompile(`(?m)(^|[^:"'\\])//[^\n]*`)
	// Long opaque tokens: hex, base64/base64url, UUIDs. Identifiers made of
	// letters only are left alone, so that renamed code still differs.
	reToken = regexp.MustCompile(`[A-Za-z0-9+/_\-=]{16,}`)
	reUUID  = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	// ISO dates and times.
	reDate   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?`)
	reNumber = regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	reSpace  = regexp.MustCompile(`\s+`)
	// Whitespace next to punctuation carries no meaning in JavaScript.
	rePunctSpace = regexp.MustCompile(`\s*([{}()\[\];,:=+\-*/<>!&|?.])\s*`)
)

// NormalizeScript reduces JavaScript source to a form that is stable across
// re-minification and per-request values, but still changes when code does.
//
// It is a heuristic, not a parser: it removes comments, collapses whitespace
// around punctuation, and replaces numbers, dates, UUIDs and long opaque
// tokens with placeholders. Words, identifiers, operators and URLs' hosts
// stay, so appended or altered code always changes the fingerprint.
func NormalizeScript(src string) string {
	s := reBlockComment.ReplaceAllString(src, "")
	s = reLineComment.ReplaceAllString(s, "$1")
	s = reUUID.ReplaceAllString(s, "\x00U")
	s = reDate.ReplaceAllString(s, "\x00D")
	s = reToken.ReplaceAllStringFunc(s, func(t string) string {
		// Keep long words that are plainly code (all letters, e.g.
		// addEventListener); replace mixed tokens that look random.
		if isLetters(t) {
			return t
		}
		return "\x00T"
	})
	s = reNumber.ReplaceAllString(s, "\x00N")
	s = reSpace.ReplaceAllString(s, " ")
	s = rePunctSpace.ReplaceAllString(s, "$1")
	// Minifiers differ in quote style and in trailing semicolons.
	s = strings.ReplaceAll(s, `'`, `"`)
	s = strings.ReplaceAll(s, ";}", "}")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";"))
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

// Origin returns scheme://host[:port] of a URL, or "" when it has none.
//
// Deprecated: use origin.Of, the one home of the rule; this forwarder stays
// only until the last caller is switched to it.
func Origin(rawURL string) string { return origin.Of(rawURL) }

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
