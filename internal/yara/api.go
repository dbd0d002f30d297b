// Package yara is a pure-Go engine for the YARA rule language, with the
// modules listed by SupportedModules.
//
// Rules are compiled once with Compile or CompileFiles and are then immutable:
// a *Rules may be used by many goroutines at once. Semantics follow YARA 4.2.3,
// which the differential tests use as an oracle; deliberate differences are
// listed in DIFFERENCES.md.
package yara

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"time"
)

// DefaultMaxMatchesPerString is YARA's own limit (YR_MAX_STRING_MATCHES).
const DefaultMaxMatchesPerString = 1000000

// MaxMatchLength caps how far a regular expression or hex string may extend
// from its start offset, like YARA's RE_SCAN_LIMIT. It also bounds the work per
// candidate offset, which keeps scanning linear in the input size.
const MaxMatchLength = 4096

// maxMatchData caps the bytes kept per StringMatch.Data (YARA keeps 512).
const maxMatchData = 512

// ErrTooManyMatches is returned (wrapped) together with the matches found when
// a string hit ScanOptions.MaxMatchesPerString: the result is incomplete.
var ErrTooManyMatches = errors.New("yara: too many matches for a string")

// CompileOptions control compilation.
type CompileOptions struct {
	// Externals declares external variables (yara -d name=value) and their
	// default values: string, int64 (or int), float64 or bool.
	Externals map[string]any
	// IncludeFS resolves `include "x.yar"` relative to the including file.
	// When nil, IncludeDir (or the including file's directory) on disk is used.
	IncludeFS fs.FS
	// IncludeDir is the base directory for includes from Compile sources.
	IncludeDir string
	// DisableIncludes makes every include directive an error.
	DisableIncludes bool
	// SkipUnsupportedImports skips rules that use a module this engine lacks
	// (with a Warning) instead of failing the compilation.
	SkipUnsupportedImports bool
	// Logger receives debug output; nil discards it.
	Logger *slog.Logger
}

// ScanOptions control one scan.
type ScanOptions struct {
	// Externals overrides the values of externals declared at compile time.
	Externals map[string]any
	// Timeout aborts the scan; zero means no timeout beyond the context's.
	Timeout time.Duration
	// MaxMatchesPerString caps recorded matches per string; zero means
	// DefaultMaxMatchesPerString. Reaching it makes the scan return
	// ErrTooManyMatches along with the matches.
	MaxMatchesPerString int
	// Now is the clock behind time.now(); nil means time.Now.
	Now func() time.Time
	// Console receives console.log and console.hex lines; nil discards them.
	Console io.Writer
}

// Warning is a non-fatal compilation message.
type Warning struct {
	File      string
	Line, Col int
	Rule      string
	Message   string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", w.File, w.Line, w.Col, w.Message)
}

// Meta is one `meta:` entry, in declaration order. Value is string, int64 or bool.
type Meta struct {
	Key   string
	Value any
}

// StringMatch is one occurrence of a string. Data holds at most 512 bytes.
type StringMatch struct {
	ID     string
	Offset int64
	Data   []byte
	// Length is the full match length (Data may be truncated).
	Length int
}

// Match is a rule whose condition held (private rules are never reported).
type Match struct {
	Rule, Namespace string
	Tags            []string
	Meta            []Meta
	Strings         []StringMatch
}

// CompileError reports a malformed rule set, or a rule that uses something
// the engine lacks (Unsupported): such rules are skipped instead when
// CompileOptions.SkipUnsupportedImports is set.
type CompileError struct {
	File      string
	Line, Col int
	Message   string
	// Unsupported marks a rule refused only for using a module the engine
	// lacks (directly or through a rule it references).
	Unsupported bool
	// Rule, Construct (such as pe.number_of_sections, or the referenced
	// rule) and Module are set when Unsupported is.
	Rule, Construct, Module string
}

// SkippedRule is a rule left out by SkipUnsupportedImports, and why.
type SkippedRule struct {
	Rule      string
	File      string
	Line, Col int    // the construct that made the rule unsupported
	Module    string // the module the rule uses; empty when it depends on a skipped rule
	Reason    string // `module "pe" is not supported` or "depends on a skipped rule"
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
}
