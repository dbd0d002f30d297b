// Command gentree builds a deterministic web root for benchmarks: about
// 25,000 files and 300 MB in the proportions of an installed EC-CUBE or
// Magento (mostly small PHP files under vendor/, some large JavaScript
// bundles and images), plus cache and log folders that fim excludes.
//
//	go run ./internal/fim/gentree -out /tmp/tree [-files 25000] [-mb 300] [-seed 1]
//
// The same flags always produce the same bytes, paths and modes.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// kind is one class of file with its share of the count and its size range.
type kind struct {
	share    float64 // of the file count
	ext      string
	min, max int // bytes
	text     bool
	dirs     []string
}

var kinds = []kind{
	{0.70, ".php", 400, 9000, true, []string{"vendor/%s/%s/src/%s", "src/Eccube/%s/%s/%s", "app/code/%s/%s/%s"}},
	{0.09, ".js", 1000, 30000, true, []string{"html/template/default/js/%s/%s/%s", "pub/static/frontend/%s/%s/%s", "vendor/%s/%s/assets/%s"}},
	{0.005, ".min.js", 800_000, 2_500_000, true, []string{"html/bundle/%s/%s/%s", "pub/static/_cache/%s/%s/%s"}},
	{0.05, ".css", 1000, 20000, true, []string{"html/template/default/css/%s/%s/%s", "pub/static/frontend/%s/%s/css%s"}},
	{0.05, ".twig", 300, 6000, true, []string{"src/Eccube/Resource/template/%s/%s/%s", "app/template/%s/%s/%s"}},
	{0.025, ".phtml", 300, 6000, true, []string{"app/design/frontend/%s/%s/%s"}},
	{0.065, ".png", 3000, 60000, false, []string{"html/upload/save_image/%s/%s/%s", "html/template/default/img/%s/%s/%s"}},
	{0.01, ".jpg", 100_000, 2_000_000, false, []string{"html/upload/save_image/%s/%s/%s", "pub/media/catalog/%s/%s/%s"}},
	{0.005, ".woff2", 20000, 120000, false, []string{"html/template/default/fonts/%s/%s/%s"}},
}

var words = []string{"function", "return", "$this->", "namespace", "use", "public", "private", "static",
	"array(", "if (", "else", "foreach", "=>", "null", "true", "false", "class", "extends", "new",
	"Eccube", "Magento", "Customer", "Order", "Payment", "Shopping", "Cart", "Product", "{{", "}}",
	"var", "const", "let", "document", "window", "=", ";", "\n", "    ", "\n    ", "()", "{", "}"}

func main() {
	out := flag.String("out", "", "folder to create (must not exist)")
	files := flag.Int("files", 25000, "number of files in the web root")
	mb := flag.Int("mb", 300, "approximate total size in MB")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gentree: -out is required")
		os.Exit(2)
	}
	if err := generate(*out, *files, int64(*mb)<<20, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gentree:", err)
		os.Exit(1)
	}
}

func generate(out string, n int, target int64, seed uint64) error {
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s exists; remove it first", out)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	// Plan the sizes first, then scale them so the total lands near target.
	type plan struct {
		path string
		size int
		text bool
	}
	var plans []plan
	var total int64
	for ki, k := range kinds {
		count := int(float64(n)*k.share + 0.5)
		if ki == 0 {
			count = n - otherCount(n)
		}
		// About 15 files per folder, as in a real install.
		folders := max(1, count/15)
		for i := range count {
			j := r.IntN(folders)
			dir := fmt.Sprintf(k.dirs[j%len(k.dirs)], fmt.Sprint("v", j%25), fmt.Sprint("p", j/25%4), fmt.Sprint("d", j/100))
			size := k.min + r.IntN(k.max-k.min+1)
			plans = append(plans, plan{filepath.Join(dir, fmt.Sprintf("%s%d%s", name(r, "F", 1000), i, k.ext)), size, k.text})
			total += int64(size)
		}
	}
	scale := float64(target) / float64(total)
	buf := make([]byte, 0, 3<<20)
	var written int64
	for _, p := range plans {
		size := max(1, int(float64(p.size)*scale))
		buf = fill(r, buf[:0], size, p.text)
		if err := write(filepath.Join(out, p.path), buf, 0o644); err != nil {
			return err
		}
		written += int64(size)
	}
	// Folders fim leaves out by default: they must not count or cost.
	for i := range 500 {
		buf = fill(r, buf[:0], 2000, true)
		if err := write(filepath.Join(out, "var/cache/prod", name(r, "c", 50), fmt.Sprintf("%d.php", i)), buf, 0o644); err != nil {
			return err
		}
	}
	buf = fill(r, buf[:0], 5<<20, true)
	if err := write(filepath.Join(out, "var/log/prod.log"), buf, 0o644); err != nil {
		return err
	}
	fmt.Printf("gentree: %d files, %d MB in %s (plus 501 excluded cache and log files)\n", len(plans), written>>20, out)
	return nil
}

func otherCount(n int) int {
	c := 0
	for _, k := range kinds[1:] {
		c += int(float64(n)*k.share + 0.5)
	}
	return c
}

func name(r *rand.Rand, prefix string, n int) string { return fmt.Sprintf("%s%d", prefix, r.IntN(n)) }

func fill(r *rand.Rand, b []byte, size int, text bool) []byte {
	if !text {
		for len(b) < size {
			v := r.Uint64()
			for i := 0; i < 8 && len(b) < size; i++ {
				b = append(b, byte(v>>(8*i)))
			}
		}
		return b
	}
	for len(b) < size {
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, ' ')
	}
	return b[:size]
}

func write(p string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, mode)
}
