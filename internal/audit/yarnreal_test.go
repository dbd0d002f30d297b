package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// The project yarn resolves: exact versions and an npm: alias, the two
// things the parser must get right.
const yarnProject = `{"name":"shop-theme","version":"1.0.0","private":true,` +
	`"dependencies":{"jquery":"1.12.4","jquery-ui":"1.12.1","bootstrap":"4.3.1","jq-old":"npm:jquery@1.11.3"}}`

// TestParseYarnLockAgreesWithYarnOnRealLockfiles has yarn classic and yarn
// berry (installed from npm into a temporary folder) write real lockfiles
// for the same project, and checks the parser against each yarn's own
// listing: `yarn list` (classic) and `yarn info --all` (berry).
func TestParseYarnLockAgreesWithYarnOnRealLockfiles(t *testing.T) {
	npm, err := exec.LookPath("npm")
	testsupport.Need(t, "npm", err)
	node, err := exec.LookPath("node")
	testsupport.Need(t, "node", err)
	tools := t.TempDir()
	run := func(dir string, env []string, name string, args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			testsupport.Need(t, "yarn from the npm registry", &commandError{name, args, err, append(out, stderr...)})
		}
		return out
	}
	// Two prefixes: both packages install a bin named yarn.
	run(tools, nil, npm, "install", "--prefix", filepath.Join(tools, "classic"), "--no-audit", "--no-fund", "yarn@1.22.22")
	run(tools, nil, npm, "install", "--prefix", filepath.Join(tools, "berry"), "--no-audit", "--no-fund", "@yarnpkg/cli-dist@4")

	project := func() string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(yarnProject), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	parse := func(dir string) []string {
		data, err := os.ReadFile(filepath.Join(dir, "yarn.lock"))
		if err != nil {
			t.Fatal(err)
		}
		ps, err := audit.ParseYarnLock(data)
		if err != nil {
			t.Fatal(err)
		}
		return sorted(ps)
	}

	t.Run("yarn classic's lockfile reads as yarn list reads it, aliases by the package installed", func(t *testing.T) {
		dir := project()
		yarn := filepath.Join(tools, "classic", "node_modules", "yarn", "bin", "yarn.js")
		cache := []string{"YARN_CACHE_FOLDER=" + t.TempDir()}
		run(dir, cache, node, yarn, "install", "--ignore-scripts", "--non-interactive", "--no-progress")
		var list struct {
			Data struct {
				Trees []yarnTree `json:"trees"`
			} `json:"data"`
		}
		if err := json.Unmarshal(run(dir, cache, node, yarn, "list", "--json", "--non-interactive"), &list); err != nil {
			t.Fatal(err)
		}
		var want []string
		flattenYarn(list.Data.Trees, &want)
		// yarn list names an alias by its alias; the parser by the package
		// installed, which is what advisories name.
		for i, w := range want {
			if w == "jq-old@1.11.3" {
				want[i] = "jquery@1.11.3"
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if got := parse(dir); !slices.Equal(got, want) {
			t.Errorf("parser: %v\n  yarn: %v", got, want)
		}
	})

	t.Run("yarn berry's lockfile reads as yarn info reads it", func(t *testing.T) {
		dir := project()
		yarn := filepath.Join(tools, "berry", "node_modules", "@yarnpkg", "cli-dist", "bin", "yarn.js")
		env := []string{"YARN_ENABLE_TELEMETRY=0", "YARN_ENABLE_GLOBAL_CACHE=0", "YARN_CACHE_FOLDER=" + t.TempDir()}
		run(dir, env, node, yarn, "install", "--mode=update-lockfile")
		var want []string
		sc := bufio.NewScanner(bytes.NewReader(run(dir, env, node, yarn, "info", "--all", "--json", "--name-only")))
		for sc.Scan() {
			var locator string
			if json.Unmarshal(sc.Bytes(), &locator) != nil || strings.Contains(locator, "@workspace:") {
				continue
			}
			// "jquery@npm:1.12.4"
			name, version, ok := strings.Cut(locator[1:], "@npm:")
			if !ok {
				t.Fatalf("unexpected locator %q", locator)
			}
			want = append(want, locator[:1]+name+"@"+version)
		}
		slices.Sort(want)
		if got := parse(dir); !slices.Equal(got, want) {
			t.Errorf("parser: %v\n  yarn: %v", got, want)
		}
	})
}

type yarnTree struct {
	Name     string     `json:"name"`
	Children []yarnTree `json:"children"`
}

func flattenYarn(ts []yarnTree, out *[]string) {
	for _, tr := range ts {
		*out = append(*out, tr.Name)
		flattenYarn(tr.Children, out)
	}
}

type commandError struct {
	name string
	args []string
	err  error
	out  []byte
}

func (e *commandError) Error() string {
	return e.name + " " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + string(e.out)
}
