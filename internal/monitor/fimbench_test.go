package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/skimwatch/skimwatch/internal/webroot"
)

// BenchmarkFimJobRun is one run of the fim job's work (verify of a
// 500-file root with one modified file, then the signature scan of it),
// with the rules compiled every run (as the job did) and with the
// process's compiled rules and scan memo reused.
//
//	go test ./internal/monitor -run '^$' -bench FimJobRun -count 3
func BenchmarkFimJobRun(b *testing.B) {
	dir := b.TempDir()
	root := filepath.Join(dir, "htdocs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%03d.js", i)), []byte(fmt.Sprintf("lib%d();\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	base := filepath.Join(dir, "shop.fim")
	writeBaseline(b, root, base)
	if err := os.WriteFile(filepath.Join(root, "f000.js"), []byte("changed();\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	a := FimArgs{Site: "shop", Path: root, Baseline: base, Scan: true}
	for _, bc := range []struct {
		name  string
		rules *webroot.RuleCache
	}{
		{"rules compiled each run", nil},
		{"rules and scans reused", webroot.NewRuleCache("", nil)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := &Monitor{log: slog.New(slog.DiscardHandler), rules: bc.rules}
			w := &fimWorker{m: m}
			for b.Loop() {
				rep, err := w.verify(context.Background(), a)
				if err != nil || !rep.Complete {
					b.Fatalf("verify: %v %v", err, rep.Incomplete)
				}
			}
		})
	}
}
