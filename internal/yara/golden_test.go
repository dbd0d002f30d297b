package yara

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// TestGoldenMatches pins the full match output (rules, tags, meta, strings,
// offsets, data) for the corpus, so any change in what we report shows up in
// review. Rewrite with: go test ./internal/yara -run TestGoldenMatches -update
func TestGoldenMatches(t *testing.T) {
	ruleFiles, err := filepath.Glob("testdata/diff/*.yar")
	if err != nil || len(ruleFiles) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	rs, err := CompileFiles(ruleFiles, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := filepath.Glob("testdata/diff/samples/*")
	if err != nil {
		t.Fatal(err)
	}
	type fileResult struct {
		File    string
		Matches []Match
	}
	var out []fileResult
	for _, s := range samples {
		ms, err := rs.ScanFile(context.Background(), s, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fileResult{File: filepath.Base(s), Matches: ms})
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testsupport.Golden(t, filepath.Join("testdata", "golden", "matches.json"), got)
}
