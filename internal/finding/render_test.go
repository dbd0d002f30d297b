package finding

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// hostileReport is the attack from issue 8: a planted file whose name erases
// its own CRITICAL line, rewrites it as a LOW finding for "ok.php" and then
// prints "No findings.", plus a right-to-left override in a message and
// control characters in evidence and in an incomplete reason.
func hostileReport() *Report {
	return &Report{
		Tool: "skimwatch", Version: "test", Command: "fim verify", Targets: []string{"/srv/shop"},
		Complete:   false,
		Incomplete: []string{"walk stopped\x1b[2K\rcomplete"},
		Findings: []Finding{{
			Severity: Critical, Kind: "fim.added",
			Path:     "html/x.php\x1b[2K\rLOW\tfim.ok\tok.php\tunchanged\nNo findings.",
			Message:  "New file gpj\u202e.php <script>&",
			Evidence: map[string]any{"sha256": "ab\rcd", "note": "\u2066hidden\u2069\u009b2K"},
		}},
	}
}

func TestTableShowsHostileTextInsteadOfRunningIt(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderTable(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	tests := []struct {
		name string
		bad  string
	}{
		{"no escape character reaches the terminal", "\x1b"},
		{"no carriage return can overwrite a line", "\r"},
		{"no C1 control sequence introducer reaches the terminal", "\u009b"},
		{"no right-to-left override reaches the terminal", "\u202e"},
		{"no bidi isolate reaches the terminal", "\u2066"},
		{"no forged No findings line is printed", "\nNo findings."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(out, tt.bad) {
				t.Fatalf("table output holds %q:\n%s", tt.bad, out)
			}
		})
	}
	t.Run("the critical finding keeps its own single line", func(t *testing.T) {
		var crit []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "CRITICAL") {
				crit = append(crit, l)
			}
		}
		if len(crit) != 1 || !strings.Contains(crit[0], `html/x.php\x1b[2K\rLOW\tfim.ok\tok.php\tunchanged\nNo findings.`) {
			t.Fatalf("want one CRITICAL line showing the whole escaped path, got %q", crit)
		}
	})
	t.Run("the output matches its golden file", func(t *testing.T) {
		testsupport.Golden(t, filepath.Join("testdata", "hostile.table.golden"), buf.Bytes())
	})
}

// JSON and SARIF keep every string exact (a consumer decodes the same
// bytes), and escape <, > and & so that a page embedding the output cannot
// be made to run a script.
func TestJSONAndSARIFKeepHostileTextExactAndHTMLSafe(t *testing.T) {
	for _, f := range []Format{FormatJSON, FormatSARIF} {
		t.Run("the "+string(f)+" output", func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, hostileReport(), f); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, bad := range []string{"<", ">", "&", "\x1b", "\r", "\u202e", "\u2028"} {
				if strings.Contains(out, bad) {
					t.Errorf("raw %q in %s output", bad, f)
				}
			}
			var back any
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			want := hostileReport().Findings[0]
			wantPath := want.Path
			if f == FormatSARIF { // a SARIF location is a URI: the path percent-encoded
				wantPath = (&url.URL{Path: want.Path}).EscapedPath()
			}
			for _, s := range []string{wantPath, want.Message} {
				if !containsString(back, s) {
					t.Errorf("%s output does not decode back to %q", f, s)
				}
			}
			testsupport.Golden(t, filepath.Join("testdata", "hostile."+string(f)+".golden"), buf.Bytes())
		})
	}
}

func containsString(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case []any:
		for _, e := range v {
			if containsString(e, s) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if containsString(e, s) {
				return true
			}
		}
	}
	return false
}

// SARIF's artifactLocation.uri is a URI reference: a file name's own
// characters must not be read as a fragment, a query or an escape, and a
// URL location is kept as it is.
func TestSARIFLocationIsAURI(t *testing.T) {
	tests := []struct {
		name, path, url, want string
	}{
		{"a plain relative path is kept", "html/js/app.js", "", "html/js/app.js"},
		{"a space, #, ? and % in a file name are percent-encoded", "html/a b#c?d%.php", "", "html/a%20b%23c%3Fd%25.php"},
		{"control characters in a file name are percent-encoded", "x.php\x1b[2K\r", "", "x.php%1B%5B2K%0D"},
		{"a page URL is kept as it is", "", "https://shop.example/checkout?step=2", "https://shop.example/checkout?step=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Tool: "skimwatch", Complete: true, Findings: []Finding{{Severity: High, Kind: "k", Message: "m", Path: tt.path, URL: tt.url}}}
			var buf bytes.Buffer
			if err := RenderSARIF(&buf, r); err != nil {
				t.Fatal(err)
			}
			var log sarifLog
			if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			if got := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != tt.want {
				t.Fatalf("uri %q, want %q", got, tt.want)
			}
		})
	}
}
