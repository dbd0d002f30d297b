package scan

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// bundledRules are skimwatch's own signatures for skimmers, webshells and
// payloads hidden in images. They are compiled into one rule set.
//
//go:embed rules/*.yar
var bundledRules embed.FS

// BundledRuleFiles returns the names and text of the bundled rule files, in
// name order, for `skimwatch scan --print-rules` style uses and tests.
func BundledRuleFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(bundledRules, "rules", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := bundledRules.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = b
		return nil
	})
	return out, err
}

// bundledSources concatenates the bundled rule files into one source so
// that they form one rule set (one pass over each scanned file). Each file is
// compiled on its own in the tests, so an error here would be a build bug.
func bundledSources() ([]ruleSource, error) {
	files, err := BundledRuleFiles()
	if err != nil {
		return nil, fmt.Errorf("reading bundled rules: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var all []byte
	for _, n := range names {
		all = append(all, files[n]...)
		all = append(all, '\n')
	}
	return []ruleSource{{Path: "bundled:rules", Data: all}}, nil
}

// ruleExtensions are the file names a rule directory is searched for.
var ruleExtensions = []string{".yar", ".yara"}

// expandRulePaths turns --rules arguments (files or directories) into rule
// files. A directory contributes its *.yar and *.yara files, recursively, in
// name order; a file named explicitly is taken whatever its extension.
func expandRulePaths(paths []string) ([]ruleSource, error) {
	var out []ruleSource
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rule path %q: %w", p, err)
		}
		if !st.IsDir() {
			out = append(out, ruleSource{Path: p})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && slices.Contains(ruleExtensions, strings.ToLower(filepath.Ext(fp))) {
				found = append(found, fp)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rule directory %q: %w", p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("rule directory %q holds no .yar or .yara files", p)
		}
		slices.Sort(found)
		for _, f := range found {
			out = append(out, ruleSource{Path: f})
		}
	}
	return out, nil
}
