package scan

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/skimwatch/skimwatch/internal/yara"
)

// goEngine is skimwatch's own pure-Go YARA engine.
type goEngine struct{}

var _ engine = goEngine{}

func (goEngine) compile(sources []ruleSource, opts compileOptions) (ruleSet, error) {
	co := yara.CompileOptions{Externals: opts.Externals, SkipUnsupportedImports: opts.SkipUnsupportedImports}
	var (
		rules *yara.Rules
		err   error
		paths []string
		texts []ruleSource
	)
	for _, s := range sources {
		if s.Data != nil {
			texts = append(texts, s)
		} else {
			paths = append(paths, s.Path)
		}
	}
	switch {
	case len(texts) == 1 && len(paths) == 0:
		rules, err = yara.Compile(texts[0].Data, texts[0].Path, co)
	case len(texts) == 0 && len(paths) > 0:
		rules, err = yara.CompileFiles(paths, co)
	default:
		return nil, fmt.Errorf("internal error: a rule set is either one text or files (%d texts, %d files)", len(texts), len(paths))
	}
	if err != nil {
		var ce *yara.CompileError
		if errors.As(err, &ce) {
			return nil, &RuleError{File: ce.File, Line: ce.Line, Col: ce.Col, Message: ce.Message, Unsupported: ce.Unsupported}
		}
		return nil, err
	}
	return goRules{rules}, nil
}

type goRules struct{ r *yara.Rules }

func (g goRules) scanBytes(ctx context.Context, data []byte, o matchOptions) ([]Match, error) {
	ms, err := g.r.ScanBytes(ctx, data, yara.ScanOptions{Externals: o.Externals, Console: o.Console})
	return convertMatches(ms), timeoutErr(ctx, err, o)
}

func (g goRules) scanFile(ctx context.Context, f *os.File, o matchOptions) ([]Match, error) {
	ms, err := g.r.ScanOpenFile(ctx, f, yara.ScanOptions{Externals: o.Externals, Console: o.Console})
	if errors.Is(err, yara.ErrFileChanged) {
		return nil, fmt.Errorf("%w: %w", errChangedDuringScan, err)
	}
	return convertMatches(ms), timeoutErr(ctx, err, o)
}

// timeoutErr turns the scan context's deadline into timeoutError; the
// scanner's own context carries the per-file limit.
func timeoutErr(ctx context.Context, err error, o matchOptions) error {
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded) {
		return timeoutError{limit: o.Timeout}
	}
	return err
}

func (g goRules) warnings() []string {
	var out []string
	for _, w := range g.r.Warnings() {
		out = append(out, w.String())
	}
	return out
}

func (g goRules) skipped() []SkippedRule {
	var out []SkippedRule
	for _, s := range g.r.Skipped() {
		out = append(out, SkippedRule{Rule: s.Rule, File: s.File, Line: s.Line, Reason: s.Reason})
	}
	return out
}

func (g goRules) count() int { return g.r.RuleCount() }

func (g goRules) mayMatchSize(size int64) bool { return g.r.MayMatchSize(size) }

func convertMatches(ms []yara.Match) []Match {
	out := make([]Match, 0, len(ms))
	for _, m := range ms {
		c := Match{Rule: m.Rule, Namespace: m.Namespace, Tags: m.Tags}
		for _, e := range m.Meta {
			c.Meta = append(c.Meta, MetaEntry{Key: e.Key, Value: e.Value})
		}
		for _, s := range m.Strings {
			c.Strings = append(c.Strings, StringMatch{ID: s.ID, Offset: s.Offset, Data: s.Data})
		}
		out = append(out, c)
	}
	return out
}
