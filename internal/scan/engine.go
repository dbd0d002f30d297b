package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// engine compiles YARA rules. Two implement it: skimwatch's own pure-Go
// engine (internal/yara), which the scanner uses, and the yara command-line
// tool, which the tests use as a differential oracle for the same rules.
type engine interface {
	// compile compiles one rule set from sources. Sources with a Path and no
	// Data are read from disk by the engine, so that its errors name the file.
	compile(sources []ruleSource, opts compileOptions) (ruleSet, error)
}

// ruleSet is one compiled set of rules.
type ruleSet interface {
	scanBytes(ctx context.Context, data []byte, opts matchOptions) ([]Match, error)
	// scanFile scans a file the scanner opened (through its os.Root)
	// without reading it all into memory. A file that shrank during the
	// scan gives an error wrapping errChangedDuringScan.
	scanFile(ctx context.Context, f *os.File, opts matchOptions) ([]Match, error)
	// warnings are non-fatal compiler messages (slow strings, unsupported
	// imports that were skipped).
	warnings() []string
	// skipped are the rules left out by SkipUnsupportedImports.
	skipped() []SkippedRule
	// count is the number of rules in the set.
	count() int
	// mayMatchSize is false when no rule can match a file of that size, so
	// the file need not be read.
	mayMatchSize(size int64) bool
}

// ruleSource is one rule file: embedded (Data set) or on disk (Path only).
type ruleSource struct {
	Path string
	Data []byte
}

type compileOptions struct {
	Externals              map[string]any
	SkipUnsupportedImports bool
}

type matchOptions struct {
	Externals map[string]any
	Timeout   time.Duration
	Console   io.Writer
}

// Match is one rule that matched one scanned object.
type Match struct {
	Rule      string
	Namespace string
	Tags      []string
	// Meta keeps the rule's meta in source order; keys may repeat.
	Meta    []MetaEntry
	Strings []StringMatch
}

// MetaEntry is one meta key and its value (string, int64 or bool).
type MetaEntry struct {
	Key   string
	Value any
}

// StringMatch is one occurrence of one of the rule's strings.
type StringMatch struct {
	ID     string
	Offset int64
	Data   []byte
}

// meta returns the first string value for key.
func (m Match) meta(key string) string {
	for _, e := range m.Meta {
		if e.Key == key {
			if s, ok := e.Value.(string); ok {
				return s
			}
			return fmt.Sprint(e.Value)
		}
	}
	return ""
}

// SkippedRule is a rule left out because it uses a YARA module the engine
// lacks (Options.SkipUnsupportedImports), or a rule that was left out.
type SkippedRule struct {
	Rule   string `json:"rule"`
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// SkippedSummary is the report's "skipped_rules" detail: how many rules a
// scan left out and why, so that it is never taken for a full scan.
type SkippedSummary struct {
	Count int `json:"count"`
	// Total is the number of rules, skipped ones included.
	Total   int            `json:"total"`
	Reasons map[string]int `json:"reasons"`
	Rules   []SkippedRule  `json:"rules"`
}

// RuleError is a rule file that does not compile. The CLI prints it as
// file:line:column: message and exits with code 2.
type RuleError struct {
	File    string
	Line    int
	Col     int
	Message string
	// Unsupported marks a rule refused only because it uses a module the
	// engine lacks; Options.SkipUnsupportedImports would skip it instead.
	Unsupported bool
}

func (e *RuleError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Message)
}

// errTimeout is returned by a ruleSet when a scan ran past its time limit.
type timeoutError struct{ limit time.Duration }

func (e timeoutError) Error() string { return fmt.Sprintf("scan timed out after %s", e.limit) }

// errChangedDuringScan is what an engine returns (wrapped) when the file it
// was scanning shrank under it.
var errChangedDuringScan = errors.New("the file changed while it was being scanned")

// lineWriter serialises the console module's writes from concurrent
// workers, so that lines from two files never interleave. The engine writes
// one whole line per call.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
