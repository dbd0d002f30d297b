package scan

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestBundledRuleConditionsStayBoundedOnHostileFiles feeds the bundled
// rules files built to make their proximity conditions (loops over string
// offsets) as costly as possible: thousands of listeners, capture-phase
// closes, field reads, script tags and decoding calls. An earlier version
// with nested loops made skimwatch's engine give up ("condition loop
// exceeded") and the yara oracle run for minutes on 256 KB; a scan must now
// finish, complete, in both engines. The deadline only stops a hang.
func TestBundledRuleConditionsStayBoundedOnHostileFiles(t *testing.T) {
	src, err := bundledSources()
	if err != nil {
		t.Fatal(err)
	}
	hostile := []struct{ name, data string }{
		{"many capture listeners after many field reads",
			"fetch(1);document.forms;" + strings.Repeat("x.value;", 20000) +
				strings.Repeat(`addEventListener("input",f}, true)`, 3000)},
		{"listeners and closes at the caps",
			"fetch(1);document.forms;" + strings.Repeat("x.value;", 49000) + strings.Repeat("Z", 5000) +
				strings.Repeat(`addEventListener("input",f}, true)`, 1000)},
		{"many input sweeps far from many encodings",
			strings.Repeat(`querySelectorAll("input")`, 1000) + strings.Repeat(" ", 4000) + strings.Repeat("btoa(", 49000) + "x.value new Image"},
		{"script tags with decoding calls and distant closing tags",
			strings.Repeat("<script>"+strings.Repeat("atob( ", 2000), 200) + strings.Repeat("</script>", 200)},
		{"script elements followed by many decoding calls",
			strings.Repeat("<script>", 200) + strings.Repeat(" ", 100) + strings.Repeat("</script>", 200) + strings.Repeat("atob(", 300000)},
	}
	for _, ne := range testEngines(t) {
		set, err := ne.eng.compile(src, compileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hostile {
			t.Run(ne.name+" scans a file of "+h.name+" to the end", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				ms, err := set.scanBytes(ctx, []byte(h.data), matchOptions{})
				if err != nil {
					t.Fatalf("scan failed: %v", err)
				}
				if len(ms) > 0 {
					t.Errorf("matches %v on a file with no skimmer in it", ruleNames(ms))
				}
			})
		}
	}
}
