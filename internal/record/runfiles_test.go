package record

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestRunEventNamesTheFilesItsFindingsAreAbout(t *testing.T) {
	planted := finding.Finding{Severity: finding.High, Kind: "fim.added", Source: "fim", Path: "js/jquery.min.js",
		Evidence: map[string]any{"sha256": "ee11", "mtime": "2020-12-06T15:00:00Z", "size": 1234}}
	t.Run("a run's event names each changed file with its hash and modification time", func(t *testing.T) {
		r := &finding.Report{Command: "fim verify", Complete: true, Findings: []finding.Finding{planted,
			{Severity: finding.Info, Kind: "fim.removed", Source: "fim", Path: "old.js"}}}
		var data struct {
			Files     []FileFact `json:"files"`
			FilesMore int        `json:"files_more"`
		}
		if err := json.Unmarshal(RunEvent("test", r, nil).Data, &data); err != nil {
			t.Fatal(err)
		}
		want := []FileFact{{Path: "js/jquery.min.js", Kind: "fim.added", SHA256: "ee11", Mtime: "2020-12-06T15:00:00Z"}, {Path: "old.js", Kind: "fim.removed"}}
		if fmt.Sprint(data.Files) != fmt.Sprint(want) || data.FilesMore != 0 {
			t.Errorf("files = %+v (+%d), want %+v", data.Files, data.FilesMore, want)
		}
	})
	t.Run("a run with thousands of changed files names the first few and counts the rest", func(t *testing.T) {
		r := &finding.Report{Command: "scan", Complete: true}
		for i := range 5000 {
			r.Findings = append(r.Findings, finding.Finding{Severity: finding.Medium, Kind: "scan.match", Source: "scan", Path: fmt.Sprintf("f%04d.php", i)})
		}
		e := RunEvent("test", r, nil)
		var data struct {
			Files     []FileFact `json:"files"`
			FilesMore int        `json:"files_more"`
		}
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Files) != MaxRunFiles || data.FilesMore != 5000-MaxRunFiles {
			t.Errorf("%d files named and %d counted, want %d and %d", len(data.Files), data.FilesMore, MaxRunFiles, 5000-MaxRunFiles)
		}
		if len(e.Data) > 8<<10 {
			t.Errorf("event data is %d bytes, want it bounded", len(e.Data))
		}
	})
	t.Run("a run whose findings are about no file names none", func(t *testing.T) {
		r := &finding.Report{Command: "check", Complete: true, Findings: []finding.Finding{{Severity: finding.High, Kind: "x", Source: "check", URL: "http://127.0.0.1/"}}}
		var data map[string]any
		if err := json.Unmarshal(RunEvent("test", r, nil).Data, &data); err != nil {
			t.Fatal(err)
		}
		if _, ok := data["files"]; ok {
			t.Errorf("data = %v, want no files", data)
		}
	})
}
