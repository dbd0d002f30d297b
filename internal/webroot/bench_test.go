package webroot

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/skimwatch/skimwatch/internal/fim"
)

// BenchmarkScanChanged is the signature-scan part of one fim job run with
// one changed file: compiling the bundled rules every run (as the job did)
// against reusing them from the process's RuleCache.
func BenchmarkScanChanged(b *testing.B) {
	root := b.TempDir()
	js := filepath.Join(root, "checkout.js")
	if err := os.WriteFile(js, []byte("pay();\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	m, err := fim.Baseline(context.Background(), root, fim.Options{Excludes: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(js, []byte("pay();skim();\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	rep, err := fim.Verify(context.Background(), root, m, fim.VerifyOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts ScanOptions
	}{
		{"compiled each run", ScanOptions{}},
		{"rules reused", ScanOptions{Cache: NewRuleCache("", nil)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r := *rep
				r.Findings = append(r.Findings[:0:0], rep.Findings...)
				r.Details = nil
				if err := ScanChangedWith(context.Background(), &r, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
