// Package csp is skimwatch's pure Content-Security-Policy logic: decoding the
// violation reports that real customers' browsers send (both the legacy
// report-uri format and Reporting API batches), normalising and filtering
// them, aggregating identical ones, writing a policy from an approved
// inventory, and linting a policy for what lets a skimmer through.
//
// Nothing here does I/O; the collector package owns the network and the
// store.
package csp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format names the wire format a report arrived in.
type Format string

const (
	// FormatReportURI is the legacy `{"csp-report": {...}}` body sent to a
	// report-uri, with Content-Type application/csp-report (old Safari sends
	// application/json).
	FormatReportURI Format = "csp-report"
	// FormatReportingAPI is a Reporting API batch (application/reports+json):
	// an array of reports, of which only type "csp-violation" is ours.
	FormatReportingAPI Format = "reports+json"
)

// ErrUnsupportedMediaType is returned for a Content-Type that carries no CSP
// report; the collector answers 415.
var ErrUnsupportedMediaType = errors.New("unsupported media type")

// ErrMalformed wraps every decoding failure of a body in a supported format;
// the collector answers 400.
var ErrMalformed = errors.New("malformed report")

// Limits bound what one body may hold. Zero values take the defaults.
type Limits struct {
	// MaxReports caps the reports in one Reporting API batch (default 100;
	// Chromium batches at most a few dozen).
	MaxReports int
	// MaxField caps the length of any string field kept (default 2048 bytes);
	// longer values are cut, never rejected, so the report still counts.
	MaxField int
}

func (l Limits) withDefaults() Limits {
	if l.MaxReports <= 0 {
		l.MaxReports = 100
	}
	if l.MaxField <= 0 {
		l.MaxField = 2048
	}
	return l
}

// Violation is one CSP violation as a browser reported it, before
// normalisation. Field names follow CSP3's CSPViolationReportBody.
type Violation struct {
	Format             Format
	DocumentURL        string
	Referrer           string
	BlockedURL         string
	EffectiveDirective string
	// ViolatedDirective is the legacy field; old Safari sends only this one
	// and it may hold the whole directive ("script-src 'self'").
	ViolatedDirective string
	OriginalPolicy    string
	Disposition       string
	SourceFile        string
	LineNumber        int
	ColumnNumber      int
	Sample            string
	StatusCode        int
	// UserAgent and Age come from the Reporting API envelope only.
	UserAgent string
	AgeMillis int64
}

// MediaFormat maps a Content-Type header to the format it announces.
func MediaFormat(contentType string) (Format, error) {
	// What browsers send, without the parser's allocations.
	switch contentType {
	case "application/csp-report":
		return FormatReportURI, nil
	case "application/reports+json":
		return FormatReportingAPI, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("%w: content type %q: %v", ErrUnsupportedMediaType, contentType, err)
	}
	switch mt {
	case "application/csp-report", "application/json":
		return FormatReportURI, nil
	case "application/reports+json":
		return FormatReportingAPI, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnsupportedMediaType, mt)
}

// Decode parses one request body of the given Content-Type. A Reporting API
// batch may hold reports of other types (deprecation, intervention, ...):
// they are skipped and counted in skipped. An application/json body may be
// either format, because old Safari and some proxies relabel bodies.
func Decode(contentType string, body []byte, lim Limits) (vs []Violation, skipped int, err error) {
	f, err := MediaFormat(contentType)
	if err != nil {
		return nil, 0, err
	}
	lim = lim.withDefaults()
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		f = FormatReportingAPI
	}
	switch f {
	case FormatReportingAPI:
		return decodeBatch(trimmed, lim)
	default:
		v, err := decodeLegacy(trimmed, lim)
		if err != nil {
			return nil, 0, err
		}
		return []Violation{v}, 0, nil
	}
}

// legacyBody lists every spelling browsers use for the report-uri format.
type legacyBody struct {
	DocumentURI        flexString `json:"document-uri"`
	Referrer           flexString `json:"referrer"`
	BlockedURI         flexString `json:"blocked-uri"`
	EffectiveDirective flexString `json:"effective-directive"`
	ViolatedDirective  flexString `json:"violated-directive"`
	OriginalPolicy     flexString `json:"original-policy"`
	Disposition        flexString `json:"disposition"`
	SourceFile         flexString `json:"source-file"`
	LineNumber         flexInt    `json:"line-number"`
	ColumnNumber       flexInt    `json:"column-number"`
	ScriptSample       flexString `json:"script-sample"`
	StatusCode         flexInt    `json:"status-code"`
}

// legacyFast is legacyBody with plain types: what every current browser
// sends. Decoding into it skips the per-field second pass of the flexible
// types, which roughly halves the cost; a type mismatch falls back.
type legacyFast struct {
	DocumentURI        string `json:"document-uri"`
	Referrer           string `json:"referrer"`
	BlockedURI         string `json:"blocked-uri"`
	EffectiveDirective string `json:"effective-directive"`
	ViolatedDirective  string `json:"violated-directive"`
	OriginalPolicy     string `json:"original-policy"`
	Disposition        string `json:"disposition"`
	SourceFile         string `json:"source-file"`
	LineNumber         int64  `json:"line-number"`
	ColumnNumber       int64  `json:"column-number"`
	ScriptSample       string `json:"script-sample"`
	StatusCode         int64  `json:"status-code"`
}

func decodeLegacy(body []byte, lim Limits) (Violation, error) {
	var env struct {
		Report *legacyBody `json:"csp-report"`
	}
	var fast struct {
		Report *legacyFast `json:"csp-report"`
	}
	if f, ok := readPlainLegacy(body); ok {
		fast.Report = &f
	} else if json.Unmarshal(body, &fast) != nil {
		fast.Report = nil
	}
	if fast.Report != nil {
		f := fast.Report
		env.Report = &legacyBody{
			DocumentURI: flexString(f.DocumentURI), Referrer: flexString(f.Referrer), BlockedURI: flexString(f.BlockedURI),
			EffectiveDirective: flexString(f.EffectiveDirective), ViolatedDirective: flexString(f.ViolatedDirective),
			OriginalPolicy: flexString(f.OriginalPolicy), Disposition: flexString(f.Disposition), SourceFile: flexString(f.SourceFile),
			LineNumber: flexInt(f.LineNumber), ColumnNumber: flexInt(f.ColumnNumber), ScriptSample: flexString(f.ScriptSample),
			StatusCode: flexInt(f.StatusCode),
		}
	} else if err := json.Unmarshal(body, &env); err != nil {
		return Violation{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Report == nil {
		return Violation{}, fmt.Errorf("%w: no \"csp-report\" object", ErrMalformed)
	}
	b := env.Report
	v := Violation{
		Format:             FormatReportURI,
		DocumentURL:        cut(string(b.DocumentURI), lim.MaxField),
		Referrer:           cut(string(b.Referrer), lim.MaxField),
		BlockedURL:         cut(string(b.BlockedURI), lim.MaxField),
		EffectiveDirective: cut(string(b.EffectiveDirective), lim.MaxField),
		ViolatedDirective:  cut(string(b.ViolatedDirective), lim.MaxField),
		OriginalPolicy:     cut(string(b.OriginalPolicy), lim.MaxField),
		Disposition:        cut(string(b.Disposition), lim.MaxField),
		SourceFile:         cut(string(b.SourceFile), lim.MaxField),
		LineNumber:         int(b.LineNumber),
		ColumnNumber:       int(b.ColumnNumber),
		Sample:             cut(string(b.ScriptSample), lim.MaxField),
		StatusCode:         int(b.StatusCode),
	}
	if v.DocumentURL == "" && v.EffectiveDirective == "" && v.ViolatedDirective == "" {
		return Violation{}, fmt.Errorf("%w: csp-report has neither document-uri nor a directive", ErrMalformed)
	}
	return v, nil
}

type batchReport struct {
	Type      string          `json:"type"`
	Age       flexInt         `json:"age"`
	URL       flexString      `json:"url"`
	UserAgent flexString      `json:"user_agent"`
	Body      json.RawMessage `json:"body"`
}

type batchBody struct {
	DocumentURL        flexString `json:"documentURL"`
	Referrer           flexString `json:"referrer"`
	BlockedURL         flexString `json:"blockedURL"`
	EffectiveDirective flexString `json:"effectiveDirective"`
	OriginalPolicy     flexString `json:"originalPolicy"`
	Disposition        flexString `json:"disposition"`
	SourceFile         flexString `json:"sourceFile"`
	LineNumber         flexInt    `json:"lineNumber"`
	ColumnNumber       flexInt    `json:"columnNumber"`
	Sample             flexString `json:"sample"`
	StatusCode         flexInt    `json:"statusCode"`
}

// batchFast is batchReport with plain types (see legacyFast).
type batchFast struct {
	Type      string         `json:"type"`
	Age       int64          `json:"age"`
	URL       string         `json:"url"`
	UserAgent string         `json:"user_agent"`
	Body      *batchFastBody `json:"body"`
}

type batchFastBody struct {
	DocumentURL        string `json:"documentURL"`
	Referrer           string `json:"referrer"`
	BlockedURL         string `json:"blockedURL"`
	EffectiveDirective string `json:"effectiveDirective"`
	OriginalPolicy     string `json:"originalPolicy"`
	Disposition        string `json:"disposition"`
	SourceFile         string `json:"sourceFile"`
	LineNumber         int64  `json:"lineNumber"`
	ColumnNumber       int64  `json:"columnNumber"`
	Sample             string `json:"sample"`
	StatusCode         int64  `json:"statusCode"`
}

func decodeBatch(body []byte, lim Limits) ([]Violation, int, error) {
	fast, ok := readPlainBatch(body, lim.MaxReports)
	if !ok {
		fast = nil // never decode over what the plain reader left
		ok = json.Unmarshal(body, &fast) == nil && len(fast) <= lim.MaxReports
	}
	if ok {
		out, skipped, ok := fromFastBatch(fast, lim)
		if ok {
			return out, skipped, nil
		}
	}
	var rs []batchReport
	if err := json.Unmarshal(body, &rs); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(rs) > lim.MaxReports {
		return nil, 0, fmt.Errorf("%w: batch of %d reports exceeds the limit of %d", ErrMalformed, len(rs), lim.MaxReports)
	}
	var out []Violation
	skipped := 0
	for i, r := range rs {
		if r.Type != "csp-violation" {
			skipped++
			continue
		}
		var b batchBody
		if err := json.Unmarshal(r.Body, &b); err != nil || len(r.Body) == 0 || r.Body[0] != '{' {
			return nil, 0, fmt.Errorf("%w: report %d: body is not an object", ErrMalformed, i)
		}
		doc := string(b.DocumentURL)
		if doc == "" {
			doc = string(r.URL)
		}
		out = append(out, Violation{
			Format:             FormatReportingAPI,
			DocumentURL:        cut(doc, lim.MaxField),
			Referrer:           cut(string(b.Referrer), lim.MaxField),
			BlockedURL:         cut(string(b.BlockedURL), lim.MaxField),
			EffectiveDirective: cut(string(b.EffectiveDirective), lim.MaxField),
			OriginalPolicy:     cut(string(b.OriginalPolicy), lim.MaxField),
			Disposition:        cut(string(b.Disposition), lim.MaxField),
			SourceFile:         cut(string(b.SourceFile), lim.MaxField),
			LineNumber:         int(b.LineNumber),
			ColumnNumber:       int(b.ColumnNumber),
			Sample:             cut(string(b.Sample), lim.MaxField),
			StatusCode:         int(b.StatusCode),
			UserAgent:          cut(string(r.UserAgent), lim.MaxField),
			AgeMillis:          int64(r.Age),
		})
	}
	return out, skipped, nil
}

// fromFastBatch converts a plainly typed batch; ok is false when a CSP
// report lacks a body object, which the careful path then reports.
func fromFastBatch(rs []batchFast, lim Limits) (out []Violation, skipped int, ok bool) {
	for _, r := range rs {
		if r.Type != "csp-violation" {
			skipped++
			continue
		}
		b := r.Body
		if b == nil {
			return nil, 0, false
		}
		doc := b.DocumentURL
		if doc == "" {
			doc = r.URL
		}
		out = append(out, Violation{
			Format:             FormatReportingAPI,
			DocumentURL:        cut(doc, lim.MaxField),
			Referrer:           cut(b.Referrer, lim.MaxField),
			BlockedURL:         cut(b.BlockedURL, lim.MaxField),
			EffectiveDirective: cut(b.EffectiveDirective, lim.MaxField),
			OriginalPolicy:     cut(b.OriginalPolicy, lim.MaxField),
			Disposition:        cut(b.Disposition, lim.MaxField),
			SourceFile:         cut(b.SourceFile, lim.MaxField),
			LineNumber:         int(b.LineNumber),
			ColumnNumber:       int(b.ColumnNumber),
			Sample:             cut(b.Sample, lim.MaxField),
			StatusCode:         int(b.StatusCode),
			UserAgent:          cut(r.UserAgent, lim.MaxField),
			AgeMillis:          r.Age,
		})
	}
	return out, skipped, true
}

// flexString accepts a JSON string, number, bool or null: browsers and
// relabelling proxies are not strict about types, and a report must not be
// lost over one.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	// Fast path: a plain string without escapes needs no second decoder
	// pass (the outer Unmarshal has validated the token already).
	if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		*s = flexString(b[1 : len(b)-1])
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	switch string(b) {
	case "null":
		*s = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return fmt.Errorf("expected a string, got %.20s", b)
	}
	*s = flexString(b)
	return nil
}

// flexInt accepts a JSON number or a numeric string (some WebKit builds send
// "line-number": "12"); anything else reads as zero.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	if b[0] == '{' || b[0] == '[' {
		return fmt.Errorf("expected a number, got %.20s", b)
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > -1e15 && f < 1e15 {
		*n = flexInt(int64(f))
		return nil
	}
	*n = 0
	return nil
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}
