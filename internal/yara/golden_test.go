package yara

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

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
	golden := filepath.Join("testdata", "golden", "matches.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("match output differs from %s; if intended, rerun with -update and review the diff", golden)
	}
}
