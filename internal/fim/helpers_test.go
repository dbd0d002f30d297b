package fim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// writeTree creates files (path -> content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// shopTree is a small web root in the shape of an EC-CUBE install.
func shopTree() map[string]string {
	return map[string]string{
		"index.php":                                "<?php require 'vendor/autoload.php';",
		".htaccess":                                "RewriteEngine On",
		"html/template/default/js/function.js":     "function a(){}",
		"html/template/default/img/logo.png":       "\x89PNG....",
		"app/template/default/Shopping/index.twig": "{{ form(form) }}",
		"vendor/autoload.php":                      "<?php // autoload",
		"var/cache/prod/annotations.php":           "<?php return [];",
		"var/log/prod.log":                         "log line",
		"README.md":                                "readme",
	}
}

// settle waits past the racy window so the stat cache may trust files
// written just before a baseline (see Header.RacyAfter).
func settle() { time.Sleep(racySlack + 50*time.Millisecond) }

func mustBaseline(t testing.TB, dir string, opts Options) *Manifest {
	t.Helper()
	m, err := Baseline(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Baseline: %v", err)
	}
	return m
}

func mustVerify(t testing.TB, dir string, m *Manifest, opts VerifyOptions) *finding.Report {
	t.Helper()
	r, err := Verify(context.Background(), dir, m, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

// summary lists findings as "severity kind path", sorted, for comparison.
func summary(r *finding.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if err := f.Validate(); err != nil {
			out = append(out, "INVALID "+err.Error())
		}
		out = append(out, fmt.Sprintf("%s %s %s", f.Severity, f.Kind, f.Path))
	}
	slices.Sort(out)
	return out
}

// countingOpener counts files opened for hashing.
type countingOpener struct {
	n     atomic.Int64
	paths chan string // optional
}

func (c *countingOpener) open(name string) (File, error) {
	c.n.Add(1)
	if c.paths != nil {
		select {
		case c.paths <- name:
		default:
		}
	}
	return openNoFollow(name)
}

func joinLines(s []string) string { return strings.Join(s, "\n") }

// openNoFollow opens a file by absolute path without following a final
// symlink or blocking on a FIFO, for test openers that wrap the walk's.
func openNoFollow(name string) (File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
