package scan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"

	"github.com/skimwatch/skimwatch/internal/yara"
)

// RulesDigest names what New would compile for opts: the saved-rules format
// versions, the options that shape compilation, and the content of every
// rule file (the bundled ones unless NoDefaultRules, then opts.Rules as
// expanded). Two calls give the same digest only when New would compile the
// same rules, so a caller can keep a compiled Scanner under it and reuse it
// while the digest stays the same (the service does, between runs).
//
// ok is false when the digest cannot vouch for that: a rule file with an
// include directive reads files the digest does not follow, and LoadRules
// is already saved rules. Such rules must be compiled every time.
func RulesDigest(opts Options) (digest string, ok bool, err error) {
	if opts.LoadRules != "" {
		return "", false, nil
	}
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	field(fmt.Appendf(nil, "scan %d yara %d", SavedRulesVersion, yara.SavedRulesVersion))
	field(fmt.Appendf(nil, "nodefault=%t skip=%t auto=%t", opts.NoDefaultRules, opts.SkipUnsupportedImports, opts.AutoExternals))
	for _, k := range slices.Sorted(maps.Keys(opts.Externals)) {
		field(fmt.Appendf(nil, "%s=%T:%v", k, opts.Externals[k], opts.Externals[k]))
	}
	if !opts.NoDefaultRules {
		src, err := bundledSources()
		if err != nil {
			return "", false, err
		}
		if !hashSources(field, src) {
			return "", false, nil
		}
	}
	if len(opts.Rules) > 0 {
		src, err := expandRulePaths(opts.Rules)
		if err != nil {
			return "", false, err
		}
		for i, s := range src {
			if s.Data == nil {
				b, err := os.ReadFile(s.Path)
				if err != nil {
					return "", false, fmt.Errorf("rule file: %w", err)
				}
				src[i].Data = b
			}
		}
		if !hashSources(field, src) {
			return "", false, nil
		}
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// includeDirective finds what could be an include directive. It errs
// towards finding one: a rule string such as `include "` is taken for one,
// and its rules are compiled every time, which costs time, never a stale rule.
var includeDirective = regexp.MustCompile(`\binclude\s*"`)

// hashSources adds each source's name and text; false when one may include
// another file.
func hashSources(field func([]byte), src []ruleSource) bool {
	for _, s := range src {
		if includeDirective.Match(s.Data) {
			return false
		}
		field([]byte(s.Path))
		field(s.Data)
	}
	return true
}
