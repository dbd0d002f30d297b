package fim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// TestVerifyOutputGolden pins the report a security engineer reads, in every
// format, for one tampered shop: a planted skimmer, an edited template, a
// removed file, a chmod and a link out of the root.
func TestVerifyOutputGolden(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shopTree())
	m := mustBaseline(t, dir, Options{})
	settle() // so the edit gets a new mtime even on coarse kernel clocks
	writeTree(t, dir, map[string]string{"html/template/default/js/jquery.plugin.js": "(function(){/*skim*/})()"})
	if err := os.WriteFile(filepath.Join(dir, "app/template/default/Shopping/index.twig"), []byte("{{ form(form) }}<script src=//cdn-jq.example/x.js></script>"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRemove(t, filepath.Join(dir, "README.md"))
	if err := os.Chmod(filepath.Join(dir, "index.php"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "/etc/shadow", filepath.Join(dir, "html/s.txt"))
	fixed := time.Date(2026, 1, 27, 9, 0, 0, 0, time.UTC)
	r := mustVerify(t, dir, m, VerifyOptions{Version: "test", Now: func() time.Time { return fixed }})
	normalise(r)
	for _, f := range []finding.Format{finding.FormatTable, finding.FormatJSON, finding.FormatSARIF} {
		t.Run("the "+string(f)+" output matches its golden file", func(t *testing.T) {
			var buf bytes.Buffer
			if err := finding.Render(&buf, r, f); err != nil {
				t.Fatal(err)
			}
			testsupport.Golden(t, filepath.Join("testdata", "verify."+string(f)+".golden"), buf.Bytes())
		})
	}
}

// normalise blanks what differs between runs and machines: times, owners,
// the temporary root and the walk counters.
func normalise(r *finding.Report) {
	r.Targets = []string{"/srv/shop"}
	r.Details = nil
	for i := range r.Findings {
		for _, k := range []string{"mtime", "ctime", "uid", "gid"} {
			if _, ok := r.Findings[i].Evidence[k]; ok {
				r.Findings[i].Evidence[k] = "(varies)"
			}
		}
	}
}
