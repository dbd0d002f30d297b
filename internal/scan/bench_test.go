package scan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// benchTree writes n files copied from the vendor and sample files, a small
// web root, and returns its path and total size.
func benchTree(b *testing.B, n int) (string, int64) {
	b.Helper()
	var srcs [][]byte
	for _, pat := range []string{"testdata/vendor/*", "testdata/samples/*/*"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			srcs = append(srcs, data)
		}
	}
	root := b.TempDir()
	var total int64
	for i := range n {
		data := srcs[i%len(srcs)]
		p := filepath.Join(root, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%04d.txt", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(data))
	}
	return root, total
}

// BenchmarkScanPaths compares a full signature scan of a small web root with
// the baseline of walking and reading the same files.
// Run: go test -run '^$' -bench ScanPaths -benchtime 3x ./internal/scan/
func BenchmarkScanPaths(b *testing.B) {
	root, total := benchTree(b, 200)
	b.Run("baseline-walk-and-read", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					os.ReadFile(p)
				}
				return err
			})
		}
	})
	engines := []namedEngine{{"default", defaultEngine()}}
	if e, err := newToolEngine(); err == nil {
		engines = append(engines, namedEngine{"yara-tool", e})
	}
	for _, ne := range engines {
		b.Run("scan-"+ne.name, func(b *testing.B) {
			s, err := newScanner(Options{}, ne.eng)
			if err != nil {
				b.Skip(err)
			}
			b.SetBytes(total)
			for b.Loop() {
				rep, err := s.ScanPaths(context.Background(), []string{root})
				if err != nil || !rep.Complete {
					b.Fatal(err, rep.Incomplete)
				}
			}
		})
	}
}
