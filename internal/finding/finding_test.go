package finding

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONKeepsURLsExactAndAlwaysHasAFindingsArray(t *testing.T) {
	var buf bytes.Buffer
	r := &Report{Tool: "skimwatch", Complete: true}
	if err := RenderJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"findings": []`) {
		t.Fatalf("an empty report must have an empty findings array:\n%s", buf.String())
	}
	buf.Reset()
	r.Findings = []Finding{{Severity: High, Kind: "k", Message: "m", Evidence: map[string]any{"url": "https://x.example/?a=1&b=2"}}}
	if err := RenderJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Findings[0].Evidence["url"]; got != "https://x.example/?a=1&b=2" {
		t.Fatalf("the URL decodes as %q:\n%s", got, buf.String())
	}
}

func TestExitFor(t *testing.T) {
	tests := []struct {
		name   string
		r      Report
		failOn Severity
		want   int
	}{
		{"a clean complete run exits 0", Report{Complete: true}, High, 0},
		{"findings below the threshold exit 0", Report{Complete: true, Findings: []Finding{{Severity: Medium}}}, High, 0},
		{"findings at the threshold exit 1", Report{Complete: true, Findings: []Finding{{Severity: High}}}, High, 1},
		{"an incomplete run exits 2 even with findings", Report{Complete: false, Findings: []Finding{{Severity: Critical}}}, High, 2},
		{"an incomplete run with nothing found exits 2, never 0", Report{Complete: false}, High, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ExitFor(&tt.r, tt.failOn)
			got := 0
			if ee, ok := err.(*ExitError); ok {
				got = ee.Code
			}
			if got != tt.want {
				t.Fatalf("exit %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseSeverityAndFormat(t *testing.T) {
	for _, s := range []string{"critical", "HIGH", " medium ", "low", "info"} {
		if _, err := ParseSeverity(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("urgent must be refused")
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml must be refused")
	}
}
