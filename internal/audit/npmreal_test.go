package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// TestParsePackageLockAgreesWithNpmOnRealLockfiles has npm write real
// lockfiles (versions 1, 2 and 3, from the registry, without installing)
// and checks the parser against npm's own reading of each: `npm ls --all
// --package-lock-only`.
func TestParsePackageLockAgreesWithNpmOnRealLockfiles(t *testing.T) {
	npm, err := exec.LookPath("npm")
	testsupport.Need(t, "npm", err)
	for _, v := range []int{1, 2, 3} {
		t.Run("lockfileVersion "+strconv.Itoa(v)+" reads as npm reads it", func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"shop-theme","version":"1.0.0","private":true}`), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) []byte {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, npm, args...)
				cmd.Dir = dir
				out, err := cmd.Output()
				if err != nil {
					testsupport.Need(t, "the npm registry", err)
				}
				return out
			}
			run("install", "--package-lock-only", "--no-audit", "--no-fund", "--lockfile-version", strconv.Itoa(v),
				"jquery@1.12.4", "jquery-ui@1.12.1", "bootstrap@4.3.1")
			var tree struct {
				Dependencies map[string]npmNode `json:"dependencies"`
			}
			if err := json.Unmarshal(run("ls", "--all", "--json", "--package-lock-only"), &tree); err != nil {
				t.Fatal(err)
			}
			var want []string
			flattenNpm(tree.Dependencies, &want)
			slices.Sort(want)
			want = slices.Compact(want)

			data, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := audit.ParsePackageLock(data)
			if err != nil {
				t.Fatal(err)
			}
			got := sorted(ps)
			// npm ls reading a version 1 lockfile leaves out the peer
			// dependencies npm installed (bootstrap's popper.js): they are
			// pinned and installed, so the parser keeps them. Every other
			// difference is a parser error.
			var v1 struct {
				Dependencies map[string]struct {
					Version string `json:"version"`
					Peer    bool   `json:"peer"`
				} `json:"dependencies"`
			}
			if err := json.Unmarshal(data, &v1); err != nil {
				t.Fatal(err)
			}
			for _, g := range got {
				name, version, _ := strings.Cut(g, "@")
				if !slices.Contains(want, g) && !(v == 1 && v1.Dependencies[name].Peer && v1.Dependencies[name].Version == version) {
					t.Errorf("the parser reads %s, npm does not", g)
				}
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("npm reads %s, the parser does not", w)
				}
			}
		})
	}
}

type npmNode struct {
	Version      string             `json:"version"`
	Dependencies map[string]npmNode `json:"dependencies"`
}

func flattenNpm(deps map[string]npmNode, out *[]string) {
	for name, d := range deps {
		if d.Version != "" {
			*out = append(*out, name+"@"+d.Version)
		}
		flattenNpm(d.Dependencies, out)
	}
}
