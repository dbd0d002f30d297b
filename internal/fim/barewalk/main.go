// Command barewalk is the benchmark's lower bound for hashing a tree: a
// plain walk that SHA-256s every regular file with a fixed pool of workers
// and records nothing. skimwatch fim baseline is measured against it.
//
//	go run ./internal/fim/barewalk [-workers 2] DIR
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

func main() {
	workers := flag.Int("workers", 2, "hashing goroutines")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: barewalk [-workers N] DIR")
		os.Exit(2)
	}
	paths := make(chan string, 4096)
	var files, bytes atomic.Int64
	var xor [32]byte
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			h := sha256.New()
			for p := range paths {
				f, err := os.Open(p)
				if err != nil {
					continue
				}
				h.Reset()
				n, _ := io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
				f.Close()
				files.Add(1)
				bytes.Add(n)
				sum := h.Sum(nil)
				mu.Lock()
				for i := range xor {
					xor[i] ^= sum[i]
				}
				mu.Unlock()
			}
		})
	}
	err := filepath.WalkDir(flag.Arg(0), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths <- p
		}
		return nil
	})
	close(paths)
	wg.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, "barewalk:", err)
		os.Exit(1)
	}
	fmt.Printf("%d files, %d bytes, xor of digests %x\n", files.Load(), bytes.Load(), xor[:8])
}
