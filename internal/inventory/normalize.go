package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
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
// only until internal/policy is switched to it.
func Origin(rawURL string) string { return origin.Of(rawURL) }

// PageKey identifies a checked page: origin and path, without the query,
// which carries session tokens and cache busters.
func PageKey(rawURL string) string { return ScriptIdentity(rawURL) }
