package csp

import (
	"net/url"
	"strings"

	"github.com/skimwatch/skimwatch/internal/card"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

// Kind says what was blocked. Browsers write the non-URL cases as keywords
// in blockedURL / blocked-uri, with and without quotes depending on age.
type Kind string

const (
	KindURL                Kind = "url"       // an http(s) or ws(s) URL
	KindInline             Kind = "inline"    // inline <script>, on* handler, style attribute
	KindEval               Kind = "eval"      // eval, new Function, setTimeout(string)
	KindWasmEval           Kind = "wasm-eval" // WebAssembly compilation
	KindTrustedTypesSink   Kind = "trusted-types-sink"
	KindTrustedTypesPolicy Kind = "trusted-types-policy"
	KindData               Kind = "data" // data: URL (browsers report the scheme only)
	KindBlob               Kind = "blob" // blob: URL
	// KindSelf is what old Firefox wrote for an inline violation, and some
	// browsers for a same-origin resource; it is kept as is.
	KindSelf Kind = "self"
	// KindScheme is any other scheme (extensions, about:, filesystem:, ...);
	// Event.Blocked then holds the scheme.
	KindScheme Kind = "scheme"
	KindEmpty  Kind = "empty" // no blocked value at all
)

// Event is a normalised violation: what the aggregator keys on and what
// evidence keeps. Query strings and fragments are gone from every URL unless
// NormalizeOptions.KeepQuery is set, because checkout URLs carry tokens.
//
// Every string field has its card numbers masked (package card: first six
// and last four, in every encoding card finds), because a skimmer can put a
// real customer's card in a URL's path, host or query. Masking here covers
// every later path: aggregates, samples, findings, the collector's journal,
// the store and logs.
type Event struct {
	Format Format
	// DocumentURL is scheme://host[:port]/path of the page.
	DocumentURL    string
	DocumentOrigin string
	DocumentPath   string
	// Directive is the effective directive in lower case ("script-src-elem").
	Directive string
	// Blocked is the aggregation value: the origin for KindURL, the keyword
	// for every other kind ("inline", "eval", "data", "chrome-extension").
	Blocked     string
	BlockedKind Kind
	// BlockedURL keeps origin and path as evidence (no query).
	BlockedURL   string
	SourceFile   string
	Line, Column int
	// Sample is the browser's (at most 40-character) script sample; a card
	// the browser cut short at its end is masked too (card.MaskCut).
	Sample      string
	Disposition string // "enforce", "report" or "unknown"
	StatusCode  int
	UserAgent   string
}

// NormalizeOptions changes what Normalize keeps.
type NormalizeOptions struct {
	// KeepQuery keeps query strings (never fragments). Off by default: a
	// checkout URL's query often carries an order or session token.
	KeepQuery bool
}

// Normalize turns a decoded Violation into an Event.
func Normalize(v Violation, opt NormalizeOptions) Event {
	v = cleanViolation(v)
	e := Event{
		Format:      v.Format,
		Directive:   directiveOf(v),
		Line:        v.LineNumber,
		Column:      v.ColumnNumber,
		Sample:      cut(card.MaskCut(v.Sample), 40),
		Disposition: strings.ToLower(strings.TrimSpace(v.Disposition)),
		StatusCode:  v.StatusCode,
		UserAgent:   v.UserAgent,
	}
	if e.Disposition != "enforce" && e.Disposition != "report" {
		e.Disposition = "unknown"
	}
	e.DocumentURL, e.DocumentOrigin, e.DocumentPath = splitURL(v.DocumentURL, opt)
	e.SourceFile, _, _ = splitURL(v.SourceFile, opt)
	e.BlockedKind, e.Blocked, e.BlockedURL = classifyBlocked(v.BlockedURL, opt)
	for _, p := range []*string{&e.DocumentURL, &e.DocumentOrigin, &e.DocumentPath, &e.Directive,
		&e.Blocked, &e.BlockedURL, &e.SourceFile, &e.Sample, &e.Disposition, &e.UserAgent} {
		*p = card.MaskString(*p)
	}
	return e
}

// directiveOf prefers effective-directive; old Safari sends only
// violated-directive, sometimes with the whole source list after it.
func directiveOf(v Violation) string {
	d := v.EffectiveDirective
	if strings.TrimSpace(d) == "" {
		d = v.ViolatedDirective
	}
	d = strings.ToLower(strings.TrimSpace(d))
	if i := strings.IndexAny(d, " \t"); i >= 0 {
		d = d[:i]
	}
	return d
}

// DirectiveFamily maps the -elem and -attr variants onto the directive they
// refine ("script-src-elem" -> "script-src"), which is what policies and
// approved inventories are written in.
func DirectiveFamily(d string) string {
	d = strings.ToLower(d)
	for _, suf := range []string{"-elem", "-attr"} {
		if b, ok := strings.CutSuffix(d, suf); ok && strings.HasSuffix(b, "-src") {
			return b
		}
	}
	return d
}

var keywordKinds = map[string]Kind{
	"inline":               KindInline,
	"eval":                 KindEval,
	"wasm-eval":            KindWasmEval,
	"trusted-types-sink":   KindTrustedTypesSink,
	"trusted-types-policy": KindTrustedTypesPolicy,
	"data":                 KindData,
	"blob":                 KindBlob,
	"self":                 KindSelf,
}

func classifyBlocked(raw string, opt NormalizeOptions) (Kind, string, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return KindEmpty, string(KindEmpty), ""
	}
	kw := strings.ToLower(strings.Trim(s, "'"))
	if k, ok := keywordKinds[kw]; ok {
		return k, string(k), string(k)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		// Not a URL and not a known keyword: keep a bounded, lower-case
		// token so that it still aggregates.
		t := cut(kw, 64)
		return KindScheme, t, t
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "http", "https", "ws", "wss":
		if u.Host == "" {
			return KindScheme, scheme, scheme
		}
		full, origin, _ := splitURL(s, opt)
		return KindURL, origin, full
	case "data":
		return KindData, "data", "data"
	case "blob":
		return KindBlob, "blob", "blob"
	}
	return KindScheme, scheme, scheme
}

// splitURL returns the URL without userinfo, fragment and (by default)
// query, its origin, and its path. A non-hierarchical value (an extension
// scheme, "inline") is returned lower-cased as the scheme alone.
func splitURL(raw string, opt NormalizeOptions) (full, origin, path string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		t := strings.ToLower(raw)
		if i := strings.IndexAny(t, "?#"); i >= 0 {
			t = t[:i]
		}
		return cut(t, 256), "", ""
	}
	origin = weborigin.FromURL(u)
	if origin == "" {
		return strings.ToLower(u.Scheme), "", ""
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	full = origin + path
	if opt.KeepQuery && u.RawQuery != "" {
		full += "?" + u.RawQuery
	}
	return full, origin, path
}

// cleanViolation removes control characters (NUL included) from every
// string: no store accepts NUL, and one bad field must not poison a batch.
func cleanViolation(v Violation) Violation {
	for _, p := range []*string{&v.DocumentURL, &v.Referrer, &v.BlockedURL, &v.EffectiveDirective,
		&v.ViolatedDirective, &v.OriginalPolicy, &v.Disposition, &v.SourceFile, &v.Sample, &v.UserAgent} {
		if strings.IndexFunc(*p, isControl) >= 0 {
			*p = strings.Map(func(r rune) rune {
				if isControl(r) {
					return -1
				}
				return r
			}, *p)
		}
	}
	return v
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
