package csp

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The plain reader decodes the two report shapes every current browser
// sends, with plain field types, in one pass over the bytes and without
// reflection: encoding/json validates the whole body and then decodes it
// reflectively, which was a fifth of the collector's time per report.
//
// It is only a fast path. Whatever it does not decode exactly as
// json.Unmarshal into legacyFast or batchFast would (null, a number that is
// not a plain integer, a key that matches a field only case-insensitively,
// a surrogate escape, invalid UTF-8, a duplicate report object, anything
// malformed), it refuses with ok == false, and Decode falls back to
// encoding/json with its lenient types. FuzzPlainReader holds it to that.

// maxPlainDepth bounds nesting in skipped values; deeper bodies take the
// encoding/json path.
const maxPlainDepth = 32

type plainReader struct {
	b     []byte
	i     int
	depth int
}

// readPlainLegacy decodes {"csp-report": {...}}.
func readPlainLegacy(body []byte) (legacyFast, bool) {
	r := plainReader{b: body}
	var out legacyFast
	found := false
	ok := r.object(func(key []byte) bool {
		if string(key) != "csp-report" {
			return !foldsTo(key, "csp-report") && r.skip()
		}
		if found {
			return false
		}
		found = true
		return r.object(func(k []byte) bool { return r.legacyField(&out, k) })
	})
	return out, ok && found && r.end()
}

func (r *plainReader) legacyField(f *legacyFast, k []byte) bool {
	switch string(k) {
	case "document-uri":
		return r.str(&f.DocumentURI)
	case "referrer":
		return r.str(&f.Referrer)
	case "blocked-uri":
		return r.str(&f.BlockedURI)
	case "effective-directive":
		return r.str(&f.EffectiveDirective)
	case "violated-directive":
		return r.str(&f.ViolatedDirective)
	case "original-policy":
		return r.str(&f.OriginalPolicy)
	case "disposition":
		return r.str(&f.Disposition)
	case "source-file":
		return r.str(&f.SourceFile)
	case "line-number":
		return r.int(&f.LineNumber)
	case "column-number":
		return r.int(&f.ColumnNumber)
	case "script-sample":
		return r.str(&f.ScriptSample)
	case "status-code":
		return r.int(&f.StatusCode)
	}
	return !foldsToAny(k, legacyKeys) && r.skip()
}

var legacyKeys = []string{"document-uri", "referrer", "blocked-uri", "effective-directive", "violated-directive",
	"original-policy", "disposition", "source-file", "line-number", "column-number", "script-sample", "status-code"}

// readPlainBatch decodes a Reporting API batch of at most max reports.
func readPlainBatch(body []byte, max int) ([]batchFast, bool) {
	r := plainReader{b: body}
	var out []batchFast
	ok := r.array(func() bool {
		if len(out) == max {
			return false
		}
		var rep batchFast
		seenBody := false
		ok := r.object(func(k []byte) bool {
			switch string(k) {
			case "type":
				return r.str(&rep.Type)
			case "age":
				return r.int(&rep.Age)
			case "url":
				return r.str(&rep.URL)
			case "user_agent":
				return r.str(&rep.UserAgent)
			case "body":
				if seenBody {
					return false
				}
				seenBody = true
				rep.Body = new(batchFastBody)
				return r.object(func(k []byte) bool { return r.batchField(rep.Body, k) })
			}
			return !foldsToAny(k, batchKeys) && r.skip()
		})
		out = append(out, rep)
		return ok
	})
	return out, ok && r.end()
}

var batchKeys = []string{"type", "age", "url", "user_agent", "body"}

func (r *plainReader) batchField(b *batchFastBody, k []byte) bool {
	switch string(k) {
	case "documentURL":
		return r.str(&b.DocumentURL)
	case "referrer":
		return r.str(&b.Referrer)
	case "blockedURL":
		return r.str(&b.BlockedURL)
	case "effectiveDirective":
		return r.str(&b.EffectiveDirective)
	case "originalPolicy":
		return r.str(&b.OriginalPolicy)
	case "disposition":
		return r.str(&b.Disposition)
	case "sourceFile":
		return r.str(&b.SourceFile)
	case "lineNumber":
		return r.int(&b.LineNumber)
	case "columnNumber":
		return r.int(&b.ColumnNumber)
	case "sample":
		return r.str(&b.Sample)
	case "statusCode":
		return r.int(&b.StatusCode)
	}
	return !foldsToAny(k, batchBodyKeys) && r.skip()
}

var batchBodyKeys = []string{"documentURL", "referrer", "blockedURL", "effectiveDirective", "originalPolicy",
	"disposition", "sourceFile", "lineNumber", "columnNumber", "sample", "statusCode"}

// foldsTo reports a key that encoding/json would match to name although it
// is not name: its field matching ignores case (Unicode simple folding).
func foldsTo(key []byte, name string) bool {
	return string(key) != name && strings.EqualFold(string(key), name)
}

func foldsToAny(key []byte, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}

func (r *plainReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *plainReader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

func (r *plainReader) peek() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// object reads an object, calling field for each key with the reader at its
// value; field must consume the value.
func (r *plainReader) object(field func(key []byte) bool) bool {
	if r.peek() != '{' {
		return false
	}
	r.i++
	if r.peek() == '}' {
		r.i++
		return true
	}
	for {
		key, ok := r.key()
		if !ok || r.peek() != ':' {
			return false
		}
		r.i++
		if !field(key) {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

func (r *plainReader) array(elem func() bool) bool {
	if r.peek() != '[' {
		return false
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			return false
		}
	}
}

// key reads an object key. Without escapes it is a view of the body, valid
// only until the value is read: keys are compared, never kept, and not
// copying them saves an allocation per member.
func (r *plainReader) key() ([]byte, bool) {
	if r.peek() != '"' {
		return nil, false
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			if !utf8.Valid(r.b[start:j]) {
				return nil, false
			}
			r.i = j + 1
			return r.b[start:j], true
		case c == '\\' || c < 0x20:
			var s string
			if !r.str(&s) {
				return nil, false
			}
			return []byte(s), true
		}
	}
	return nil, false
}

// str reads a string into dst (a copy, never a view of the body).
func (r *plainReader) str(dst *string) bool {
	if r.peek() != '"' {
		return false
	}
	r.i++
	start := r.i
	// The common case: no escapes, all printable.
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			raw := r.b[start:r.i]
			if !utf8.Valid(raw) {
				return false
			}
			*dst = string(raw)
			r.i++
			return true
		case c == '\\':
			return r.escaped(dst, start)
		case c < 0x20:
			return false
		}
		r.i++
	}
	return false
}

// escaped finishes a string that has escapes, from start.
func (r *plainReader) escaped(dst *string, start int) bool {
	buf := make([]byte, 0, r.i-start+16)
	buf = append(buf, r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return false
			}
			*dst = string(buf)
			r.i++
			return true
		case c < 0x20:
			return false
		case c != '\\':
			buf = append(buf, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			return false
		}
		e := r.b[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			if r.i+4 > len(r.b) {
				return false
			}
			n, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 16)
			if err != nil || (n >= 0xd800 && n < 0xe000) {
				// Surrogates (paired or not) take the encoding/json path.
				return false
			}
			buf = utf8.AppendRune(buf, rune(n))
			r.i += 4
		default:
			return false
		}
	}
	return false
}

// int reads a plain integer (no fraction or exponent) that fits an int64.
func (r *plainReader) int(dst *int64) bool {
	r.ws()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	digits := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	if r.i == digits || (r.b[digits] == '0' && r.i-digits > 1) {
		return false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(string(r.b[start:r.i]), 10, 64)
	if err != nil {
		return false
	}
	*dst = n
	return true
}

// skip reads and validates any value it is not asked to keep.
func (r *plainReader) skip() bool {
	switch c := r.peek(); {
	case c == '{':
		if r.depth++; r.depth > maxPlainDepth {
			return false
		}
		defer func() { r.depth-- }()
		return r.object(func([]byte) bool { return r.skip() })
	case c == '[':
		if r.depth++; r.depth > maxPlainDepth {
			return false
		}
		defer func() { r.depth-- }()
		return r.array(r.skip)
	case c == '"':
		var s string
		return r.str(&s)
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	return false
}

func (r *plainReader) literal(s string) bool {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		return false
	}
	r.i += len(s)
	return true
}

// number validates a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *plainReader) number() bool {
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		s := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		return r.i - s
	}
	start := r.i
	n := digits()
	if n == 0 || (n > 1 && r.b[start] == '0') {
		return false
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return false
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
