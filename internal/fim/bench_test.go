package fim

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// benchTree is a tree made by gentree (scripts/bench-fim.sh makes one);
// without it the tree benchmarks skip.
func benchTree(b *testing.B) string {
	dir := os.Getenv("SKIMWATCH_BENCH_TREE")
	if dir == "" {
		b.Skip("set SKIMWATCH_BENCH_TREE to a tree from internal/fim/gentree")
	}
	return dir
}

func BenchmarkBaselineTree(b *testing.B) {
	dir := benchTree(b)
	for b.Loop() {
		m, err := Baseline(context.Background(), dir, Options{WalkOptions: WalkOptions{Workers: 2}})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteManifest(&buf, m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyTreeStatCache(b *testing.B) {
	dir := benchTree(b)
	m, err := Baseline(context.Background(), dir, Options{WalkOptions: WalkOptions{Workers: 2}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Verify(context.Background(), dir, m, VerifyOptions{WalkOptions: WalkOptions{Workers: 2}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMillionEmptyFiles builds a tree of a million empty files once
// (about a minute) and measures baseline and stat-cache verify of it, with
// the heap held per baseline entry.
func BenchmarkMillionEmptyFiles(b *testing.B) {
	dir := b.TempDir()
	makeEmptyFiles(b, dir, 1_000_000)
	b.Run("baseline", func(b *testing.B) {
		for b.Loop() {
			m, err := Baseline(context.Background(), dir, Options{Excludes: []string{}})
			if err != nil {
				b.Fatal(err)
			}
			if len(m.Entries) != 1_000_000 {
				b.Fatalf("%d entries", len(m.Entries))
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/1e6, "heap-MB")
			runtime.KeepAlive(m)
		}
	})
	m, err := Baseline(context.Background(), dir, Options{Excludes: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("write+read manifest", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := WriteManifest(&buf, m, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(buf.Len())/1e6, "file-MB")
			if _, err := ReadManifest(&buf, ReadOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	settle()
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			r, err := Verify(context.Background(), dir, m, VerifyOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Findings) != 0 {
				b.Fatalf("%d findings", len(r.Findings))
			}
		}
	})
}

func syntheticManifest(n int) *Manifest {
	m := &Manifest{Header: Header{Root: "/srv/shop", Excludes: DefaultExcludes()}}
	for i := range n {
		e := Entry{Path: "vendor/pkg" + itoa(i/1000) + "/src/File" + itoa(i) + ".php", Type: TypeFile,
			Size: int64(i), Mode: 0o644, UID: 33, GID: 33, Mtime: 1700000000000000000 + int64(i), Ctime: 1700000000000000000 + int64(i), Inode: uint64(i)}
		e.SHA256[0], e.SHA256[31] = byte(i), byte(i>>8)
		m.Entries = append(m.Entries, e)
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return m
}

func BenchmarkWriteManifest100k(b *testing.B) {
	m := syntheticManifest(100_000)
	for b.Loop() {
		if err := WriteManifest(io.Discard, m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadManifest100k(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteManifest(&buf, syntheticManifest(100_000), nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := ReadManifest(bytes.NewReader(buf.Bytes()), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatchLatency measures the time from a write to a watched file to
// its finding (the debounce's quiet time, 100ms, is most of it).
func BenchmarkWatchLatency(b *testing.B) {
	dir := b.TempDir()
	writeTree(b, dir, shopTree())
	m, err := Baseline(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	found := make(chan struct{}, 16)
	started := make(chan struct{}, 1)
	go Watch(ctx, dir, m, WatchOptions{Sweep: -1, afterSweep: func(string) { started <- struct{}{} }},
		func(f finding.Finding) {
			if f.Kind == KindModified {
				found <- struct{}{}
			}
		})
	<-started
	p := filepath.Join(dir, "index.php")
	for b.Loop() {
		appendTo(nil, p, "x")
		select {
		case <-found:
		case <-time.After(30 * time.Second):
			b.Fatal("no finding")
		}
	}
}
