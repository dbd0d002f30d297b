package webroot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/scan"
)

// RuleCache keeps compiled signature rules between runs of one process, so
// that a job scanning a few changed files does not spend most of its time
// compiling the same rules again. An entry is known by the rules' digest
// (scan.RulesDigest: their content and the options that shape them), so an
// edited rule file is compiled afresh on the next run. With a directory, a
// compiled set is also saved there (scan's save format) and loaded by the
// next process instead of compiled; the file name carries this binary's
// identity too, because the save format's version does not change with
// every change to the compiler. It is safe for concurrent use.
type RuleCache struct {
	dir string
	log *slog.Logger

	mu sync.Mutex
	// byRules keeps one scanner per set of rule options, the latest
	// compiled: a rule file edited a hundred times keeps one entry.
	byRules map[string]cachedRules
	build   string // this binary's identity, found on first use
	stats   RuleCacheStats
}

type cachedRules struct {
	digest  string
	scanner *scan.Scanner
}

// RuleCacheStats counts how scanners were obtained, for tests and logs.
type RuleCacheStats struct {
	Compiled, Loaded, Reused int
}

// NewRuleCache returns an empty cache; dir "" keeps it in memory only.
func NewRuleCache(dir string, log *slog.Logger) *RuleCache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RuleCache{dir: dir, log: log, byRules: map[string]cachedRules{}}
}

// Stats says how many scanners were compiled, loaded from the directory
// and reused from memory so far.
func (c *RuleCache) Stats() RuleCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Scanner returns a scanner for opts (Rules, NoDefaultRules, Externals,
// SkipUnsupportedImports, AutoExternals shape the rules; Workers and Logger
// are those of the first scanner made for them). Rules the digest cannot
// vouch for (see scan.RulesDigest) are compiled each time.
func (c *RuleCache) Scanner(opts scan.Options) (*scan.Scanner, error) {
	digest, ok, err := scan.RulesDigest(opts)
	if err != nil {
		return nil, err
	}
	if !ok {
		c.count(func(s *RuleCacheStats) { s.Compiled++ })
		return scan.New(opts)
	}
	key := fmt.Sprintf("%q %t %t %t %d", opts.Rules, opts.NoDefaultRules, opts.SkipUnsupportedImports, opts.AutoExternals, opts.Workers)
	// One lock across compiling: two jobs starting at once compile once.
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byRules[key]; ok && e.digest == digest {
		c.stats.Reused++
		return e.scanner, nil
	}
	s, err := c.loadOrCompile(digest, opts)
	if err != nil {
		return nil, err
	}
	c.byRules[key] = cachedRules{digest: digest, scanner: s}
	return s, nil
}

func (c *RuleCache) count(f func(*RuleCacheStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.stats)
}

// loadOrCompile reads the saved set for digest from the directory, or
// compiles and saves it. A saved file that cannot be used (another format,
// damaged) is compiled over, not trusted.
func (c *RuleCache) loadOrCompile(digest string, opts scan.Options) (*scan.Scanner, error) {
	if c.dir == "" {
		c.stats.Compiled++
		return scan.New(opts)
	}
	if c.build == "" {
		c.build = buildIdentity()
	}
	if c.build == unknownBuild {
		// A file another binary could load as its own: not written.
		c.stats.Compiled++
		return scan.New(opts)
	}
	file := filepath.Join(c.dir, digest[:32]+"-"+c.build+".rules")
	if _, err := os.Stat(file); err == nil {
		lo := scan.Options{LoadRules: file, Externals: opts.Externals, AutoExternals: opts.AutoExternals, Workers: opts.Workers,
			MaxFileSize: opts.MaxFileSize, Timeout: opts.Timeout, Logger: opts.Logger, Console: opts.Console, Now: opts.Now}
		s, err := scan.New(lo)
		if err == nil {
			c.stats.Loaded++
			return s, nil
		}
		c.log.Warn("saved compiled rules not used; compiling them again", "file", file, "err", err)
	}
	c.stats.Compiled++
	s, err := scan.New(opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		c.log.Warn("compiled rules not saved", "dir", c.dir, "err", err)
		return s, nil
	}
	if err := atomicfile.Write(file, 0o600, s.SaveRules); err != nil {
		c.log.Warn("compiled rules not saved", "file", file, "err", err)
	}
	return s, nil
}

// buildIdentity names this binary: its module version and VCS revision
// when the build recorded them, else a hash of the executable itself.
func buildIdentity() string {
	var parts []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				parts = append(parts, s.Value)
			}
		}
		if len(parts) > 0 && !strings.Contains(strings.Join(parts, " "), "true") {
			parts = append(parts, bi.Main.Version)
			sum := sha256.Sum256([]byte(strings.Join(parts, " ")))
			return hex.EncodeToString(sum[:8])
		}
	}
	// A modified tree or no VCS stamp: only the bytes say which compiler
	// this is.
	sum, err := hashExecutable()
	if err != nil {
		return unknownBuild
	}
	return sum
}

const unknownBuild = "unknown"

func hashExecutable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}
