package fim

import (
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// DefaultExcludes returns the folders a web application rewrites all the
// time: caches, sessions and logs of EC-CUBE and Magento, and log files
// anywhere. They are skipped because they change on every request; that also
// means a file planted there is not seen, so keep the list short
// (docs/FIM.md). Each call returns a new slice.
func DefaultExcludes() []string {
	return []string{
		"var/cache/**",
		"var/page_cache/**",
		"var/session/**",
		"var/sessions/**",
		"var/log/**",
		"var/logs/**",
		"*.log",
	}
}

// excluder decides which relative paths are outside the baseline.
//
// A glob with a slash is anchored at the root ("var/cache/**"); a glob
// without one matches the base name at any depth ("*.log"), as in .gitignore.
// "**" matches any number of folders.
type excluder struct {
	anchored []string
	base     []string
}

func newExcluder(globs []string) (*excluder, error) {
	x := &excluder{}
	for _, g := range globs {
		g = strings.TrimPrefix(strings.TrimSpace(g), "/")
		if g == "" {
			return nil, fmt.Errorf("empty exclude glob")
		}
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("invalid exclude glob %q", g)
		}
		if strings.Contains(g, "/") {
			x.anchored = append(x.anchored, g)
		} else {
			x.base = append(x.base, g)
		}
	}
	return x, nil
}

// excluded reports whether rel (slash-separated) is excluded. For a folder,
// it also reports true when the glob covers everything beneath it, so the
// walk does not descend into it.
func (x *excluder) excluded(rel string, dir bool) bool {
	base := path.Base(rel)
	for _, g := range x.base {
		if ok, _ := doublestar.Match(g, base); ok {
			return true
		}
	}
	for _, g := range x.anchored {
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
		if dir {
			if prefix, ok := strings.CutSuffix(g, "/**"); ok {
				if ok, _ := doublestar.Match(prefix, rel); ok {
					return true
				}
			}
		}
	}
	return false
}
