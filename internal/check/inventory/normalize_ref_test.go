package inventory

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The regular expressions below are NormalizeScript as it was written first
// and as every stored baseline's fingerprints were computed. They stay here
// as the reference the hand-written scanner must match byte for byte: a
// fingerprint that changed on upgrade would make every approved script read
// as changed.
var (
	refBlockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	refLineComment  = regexp.MustCompile(`(?m)(^|[^:"'\\])//[^\n]*`)
	refToken        = regexp.MustCompile(`[A-Za-z0-9+/_\-=]{16,}`)
	refUUID         = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	refDate         = regexp.MustCompile(`\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?`)
	refNumber       = regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	refSpace        = regexp.MustCompile(`\s+`)
	refPunctSpace   = regexp.MustCompile(`\s*([{}()\[\];,:=+\-*/<>!&|?.])\s*`)
)

// normalizeStep is one stage of the normalisation: the scanner's function
// and the reference regexp replacement it stands for. Each stage runs on
// the previous stage's output, so placeholders such as "\x00N" meet later
// patterns in both.
type normalizeStep struct {
	name      string
	scanner   func(string) string
	reference func(string) string
}

var normalizeSteps = []normalizeStep{
	{"block comments", removeBlockComments, func(s string) string { return refBlockComment.ReplaceAllString(s, "") }},
	{"line comments", removeLineComments, func(s string) string { return refLineComment.ReplaceAllString(s, "$1") }},
	{"UUIDs", replaceUUIDs, func(s string) string { return refUUID.ReplaceAllString(s, "\x00U") }},
	{"dates", replaceDates, func(s string) string { return refDate.ReplaceAllString(s, "\x00D") }},
	{"tokens", replaceTokens, func(s string) string {
		return refToken.ReplaceAllStringFunc(s, func(t string) string {
			if isLetters(t) {
				return t
			}
			return "\x00T"
		})
	}},
	{"numbers", replaceNumbers, func(s string) string { return refNumber.ReplaceAllString(s, "\x00N") }},
	{"whitespace", collapseSpace, func(s string) string { return refSpace.ReplaceAllString(s, " ") }},
	{"space around punctuation", removePunctSpace, func(s string) string { return refPunctSpace.ReplaceAllString(s, "$1") }},
	{"quotes and trailing semicolons", unifyQuotesAndSemicolons, func(s string) string {
		s = strings.ReplaceAll(s, `'`, `"`)
		return strings.ReplaceAll(s, ";}", "}")
	}},
}

// referenceNormalizeScript is the original, regexp-based NormalizeScript.
func referenceNormalizeScript(src string) string {
	s := src
	for _, st := range normalizeSteps {
		s = st.reference(s)
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";"))
}

// labScripts returns every JavaScript file of the lab (its skimmers, benign
// and third-party scripts and the vendored libraries), the real inputs the
// fingerprint sees in the lab's checks.
func labScripts(tb testing.TB) map[string]string {
	tb.Helper()
	scripts := map[string]string{}
	err := filepath.WalkDir("../../lab/assets", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".js") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scripts[path] = string(b)
		return nil
	})
	if err != nil {
		tb.Fatalf("reading the lab's scripts: %v", err)
	}
	if len(scripts) == 0 {
		tb.Fatal("no scripts under ../lab/assets")
	}
	return scripts
}

// jsFragments are pieces of JavaScript and of the values the patterns look
// for, with their edges: comment openers next to URLs and quotes, dates
// with every optional part and broken ones, UUIDs, tokens one character
// short and long, numbers against letters and dots, every kind of space
// next to punctuation, and the placeholders' own bytes.
var jsFragments = []string{
	"/*", "*/", "/", "*", "//", ":", "\"", "'", "\\", "\n", "\r\n", " ", "\t", "\f", "\v", "  ",
	"http://x.example/a.js", "https://", "://", "///",
	"2026-11-30", "2026-11-30T10:20", "2026-11-30 10:20:30", "2026-11-30T10:20:30.123Z",
	"2026-11-30T10:20:30+01:00", "2026-11-30T10:20-0500", "+01:0", "12345-12-12", "T10:2", ".5",
	"0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950", "-",
	"a8f3c9e1b2d4f6a8c0e2", "addEventListener", "abcdefghijklmno", "abcdefghijklmnop", "=", "+", "_",
	"0", "12", "1.5", "3.", "x1", "1x", ".", "e", "U", "N", "T", "D", "\x00",
	"Z", "00", "1234", ":00", "-05", "0000-00-00", "abcdef01", "-0000", "ffff",
	"{", "}", "(", ")", "[", "]", ";", ",", "<", ">", "!", "&", "|", "?", ";}",
	"é", "\u00a0", "\u0085", "\u2028", "\xff", "\xc3", "\xe2\x80",
}

// jsShaped renders data as a sequence of jsFragments, one per byte, so that
// the fuzzer's random bytes turn into dense JavaScript-like text where the
// patterns' edges meet each other.
func jsShaped(data string) string {
	var b strings.Builder
	for i := 0; i < len(data); i++ {
		b.WriteString(jsFragments[int(data[i])%len(jsFragments)])
	}
	return b.String()
}

// checkMatchesReference fails t when the scanner's output differs from the
// reference's, in any single step or in the whole normalisation.
func checkMatchesReference(t *testing.T, src string) {
	t.Helper()
	s := src
	for _, st := range normalizeSteps {
		got, want := st.scanner(s), st.reference(s)
		if got != want {
			t.Fatalf("step %q differs on input %q:\n got %q\nwant %q", st.name, s, got, want)
		}
		s = want
	}
	if got, want := NormalizeScript(src), referenceNormalizeScript(src); got != want {
		t.Fatalf("NormalizeScript differs on %q:\n got %q\nwant %q", src, got, want)
	}
}

func TestNormalizeScriptMatchesReference(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"an empty script normalises to nothing", ""},
		{"an unclosed block comment is kept", "a /* b"},
		{"a block comment ends at its first closer", "a/* x */b*/c"},
		{"a comment opener whose star is the closer's is no comment", "a/*/b"},
		{"a line comment after a URL's colon is kept", "u='http://x.example/a'//c\nd"},
		{"a line comment at the start of a line is removed", "//a\n//b\nc"},
		{"three slashes after a colon lose the last two", "x:///y\nz"},
		{"a line comment after a quote is kept", "\"//x\" '//y' \\//z"},
		{"a UUID inside a longer hex run is replaced at its leftmost place", "aaaa0f8fad5b-d9cb-469f-a165-70867728950eff"},
		{"a date with every optional part is one placeholder", "2026-11-30T10:20:30.123+01:00x"},
		{"a date's broken time zone is left after it", "2026-11-30T10:20:30+01:0"},
		{"a date's seconds without digits end it at the minutes", "2026-11-30 10:20:3"},
		{"a date starts at the leftmost four digits", "12345-12-12"},
		{"a token of fifteen characters is kept", "a1b2c3d4e5f6a7b"},
		{"a token of sixteen characters is replaced", "a1b2c3d4e5f6a7b8"},
		{"a long word of letters is kept", "addEventListener_"},
		{"a placeholder's letter joins the token after it", "0f8fad5b-d9cb-469f-a165-70867728950eabcdefghijklmn1"},
		{"a number glued to letters is kept", "x1 1x 1.5x 1.2.3 3. .5"},
		{"a number after a placeholder's letter is kept", "2026-11-305"},
		{"whitespace around punctuation goes", " a \t(\r\n b ) ;\f}\v c "},
		{"a trailing semicolon goes before the closing brace and at the end", "f(){a;};;}"},
		{"quotes become double quotes", `'a' "b"`},
		{"non-ASCII text and invalid bytes pass through", "é//x\n\xff//y\n\u00a0a\u0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMatchesReference(t, tt.src)
			checkMatchesReference(t, jsShaped(tt.src))
		})
	}
	for path, src := range labScripts(t) {
		t.Run("the lab's "+filepath.ToSlash(path)+" normalises as the reference does", func(t *testing.T) {
			checkMatchesReference(t, src)
		})
	}
}

// fuzzSeedLen is the size of the pieces the lab's scripts are cut into as
// seeds: the fuzzer mutates and runs a few KB hundreds of times a second,
// a whole 173 KB library a few times. TestNormalizeScriptMatchesReference
// covers the whole files.
const fuzzSeedLen = 2048

// maxShapedLen bounds how much of a fuzz input is also rendered as
// JavaScript-shaped text (about ten times its size).
const maxShapedLen = 512

// FuzzNormalizeScriptMatchesReference compares the scanner with the
// reference regexps on random input and on the same bytes rendered as
// JavaScript-shaped text, seeded with every script of the lab.
func FuzzNormalizeScriptMatchesReference(f *testing.F) {
	for _, src := range labScripts(f) {
		for len(src) > fuzzSeedLen {
			f.Add(src[:fuzzSeedLen])
			src = src[fuzzSeedLen:]
		}
		f.Add(src)
	}
	for _, s := range []string{"", "a/*/b*/c", "x:///y\nz", "2026-11-30T10:20:30.5+01:00", "1.2.3x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkMatchesReference(t, src)
		if len(src) > maxShapedLen {
			src = src[:maxShapedLen]
		}
		checkMatchesReference(t, jsShaped(src))
	})
}

// BenchmarkNormalizeScriptReference measures the regexps the scanner
// replaced, on the same input as BenchmarkFingerprint, for comparison.
func BenchmarkNormalizeScriptReference(b *testing.B) {
	src, err := os.ReadFile("../../lab/assets/vendor/vue/vue.global.prod.js")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		referenceNormalizeScript(string(src))
	}
}

// BenchmarkNormalizeLabScripts normalises every script of the lab (its
// vendored libraries, skimmers and benign scripts, 465 KB), about what a
// check of a busy checkout loads, with the scanner and with the reference.
func BenchmarkNormalizeLabScripts(b *testing.B) {
	scripts := labScripts(b)
	var size int64
	for _, src := range scripts {
		size += int64(len(src))
	}
	for _, bm := range []struct {
		name      string
		normalize func(string) string
	}{{"scanner", NormalizeScript}, {"reference", referenceNormalizeScript}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				for _, src := range scripts {
					bm.normalize(src)
				}
			}
		})
	}
}
