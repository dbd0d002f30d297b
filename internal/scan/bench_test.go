package scan

import (
	"context"
	"crypto/sha256"
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

// BenchmarkScanBlob measures throughput on one 8 MiB blob of library-like
// code with the bundled rules, against SHA-256 of the same bytes as the
// baseline measured in the same run.
// Run: go test -run '^$' -bench ScanBlob -benchtime 3x ./internal/scan/
func BenchmarkScanBlob(b *testing.B) {
	var unit []byte
	for _, f := range []string{"testdata/vendor/ui-kit.min.js", "testdata/vendor/Request.php", "testdata/vendor/checkout-hosted-fields.js"} {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		unit = append(unit, d...)
	}
	data := make([]byte, 0, 8<<20)
	for len(data)+len(unit) <= 8<<20 {
		data = append(data, unit...)
	}
	b.Run("baseline-sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
	b.Run("scan-default", func(b *testing.B) {
		s, err := newScanner(Options{}, defaultEngine())
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rep, err := s.ScanBlobs(context.Background(), []Blob{{Name: "big.js", Data: data}})
			if err != nil || !rep.Complete || len(rep.Findings) != 0 {
				b.Fatal(err, rep.Incomplete, rep.Findings)
			}
		}
	})
}
