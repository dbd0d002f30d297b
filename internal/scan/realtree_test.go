package scan

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// The aims for the bundled rules (docs/SCAN.md, "How well they do"): at
// most 0.05% of the files of a clean real tree flagged, at least 70% of
// known skimmers found.
const (
	cleanTreeMaxFlaggedPerMille = 0.5 // 0.05%
	skimmerMinFoundPercent      = 70
)

// npmTreeEnv names a node_modules directory (or any real front-end
// dependency tree) to include in TestBundledRulesStayQuietOnRealCleanTrees;
// `npm ci` in scripts/bench-fim-npm gives the one docs/SCAN.md measured.
const npmTreeEnv = "SKIMWATCH_TEST_NPM_TREE"

// scanTree runs the bundled rules, in skimwatch's own engine as `skimwatch
// scan` does, over a directory and returns the report and the files that
// matched, with the rules that matched each.
func scanTree(t *testing.T, dir string) (*finding.Report, map[string][]string) {
	t.Helper()
	s, err := New(Options{Workers: 2})
	testsupport.Need(t, "the signature scanner's engine", err)
	rep, err := s.ScanPaths(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete {
		t.Fatalf("scan of %s is incomplete: %v", dir, rep.Incomplete)
	}
	flagged := map[string][]string{}
	for _, f := range rep.Findings {
		if f.Kind == KindMatch {
			flagged[f.Path] = append(flagged[f.Path], f.Rule)
		}
	}
	return rep, flagged
}

func filesScanned(t *testing.T, rep *finding.Report) int {
	t.Helper()
	n, ok := rep.Details["files_scanned"].(int)
	if !ok || n == 0 {
		t.Fatalf("report has no files_scanned count: %v", rep.Details)
	}
	return n
}

// TestBundledRulesStayQuietOnRealCleanTrees scans real code that holds no
// skimmer (Debian's WordPress, the lab's vendored npm libraries, and an npm
// dependency tree when one is given) and fails when more than 0.05% of a
// tree's files are flagged, naming each flagged file and rule.
func TestBundledRulesStayQuietOnRealCleanTrees(t *testing.T) {
	trees := []struct {
		name, dir string
		// need is how the tree is found: a missing tree skips (fails
		// under CI=true) with this component's name.
		need string
	}{
		{name: "Debian's wordpress package", dir: "/usr/share/wordpress", need: "Debian's wordpress package (apt-get install wordpress; scripts/deps.sh test)"},
		{name: "the lab's vendored npm libraries", dir: filepath.Join("..", "lab", "assets", "vendor")},
		{name: "an npm dependency tree", dir: os.Getenv(npmTreeEnv), need: "the npm tree named by " + npmTreeEnv},
	}
	for _, tree := range trees {
		t.Run("the bundled rules flag at most 0.05% of "+tree.name, func(t *testing.T) {
			if tree.dir == "" {
				// An extra tree the developer chooses to measure, not a
				// component the project installs.
				t.Skipf("skipping: set %s to a node_modules directory (npm ci in scripts/bench-fim-npm) to include it", npmTreeEnv)
			}
			st, err := os.Stat(tree.dir)
			if err == nil && !st.IsDir() {
				err = errors.New("not a directory")
			}
			if tree.need != "" {
				testsupport.Need(t, tree.need, err)
			} else if err != nil {
				t.Fatal(err)
			}
			rep, flagged := scanTree(t, tree.dir)
			scanned := filesScanned(t, rep)
			t.Logf("%s: %d of %d files flagged", tree.name, len(flagged), scanned)
			if float64(len(flagged))*1000 > cleanTreeMaxFlaggedPerMille*float64(scanned) {
				for _, p := range slices.Sorted(maps.Keys(flagged)) {
					t.Errorf("false positive: %s matches %v", p, flagged[p])
				}
			}
		})
	}
}

// TestBundledRulesFindMostLabSkimmers scans the lab's skimmer
// reproductions (internal/lab/assets/skimmers, one file per published
// technique) and its benign look-alikes (a checkout, a fraud-prevention
// script, tags, the payment provider's pages): at least 70% of the first
// flagged, none of the second.
func TestBundledRulesFindMostLabSkimmers(t *testing.T) {
	lab := filepath.Join("..", "lab", "assets")
	t.Run("at least 70% of the lab's skimmers are flagged", func(t *testing.T) {
		rep, flagged := scanTree(t, filepath.Join(lab, "skimmers"))
		scanned := filesScanned(t, rep)
		t.Logf("lab skimmers: %d of %d flagged", len(flagged), scanned)
		if len(flagged)*100 < skimmerMinFoundPercent*scanned {
			t.Errorf("only %d of %d flagged", len(flagged), scanned)
		}
		ents, err := os.ReadDir(filepath.Join(lab, "skimmers"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if _, ok := flagged[filepath.Join(lab, "skimmers", e.Name())]; !ok {
				t.Logf("not flagged (left to the browser check): %s", e.Name())
			}
		}
	})
	for _, dir := range []string{"benign", "psp", "thirdparty", "templates"} {
		t.Run("no file of the lab's "+dir+" look-alikes is flagged", func(t *testing.T) {
			_, flagged := scanTree(t, filepath.Join(lab, dir))
			for _, p := range slices.Sorted(maps.Keys(flagged)) {
				t.Errorf("false positive: %s matches %v", p, flagged[p])
			}
		})
	}
}
