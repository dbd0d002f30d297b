package yara

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// elfSamples are real ELF files from the system and from Go's debug/elf
// test data (32 and 64 bits, executables, shared objects and relocatable
// objects, big and little endian), and non-ELF files.
func elfSamples(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{"empty": {}, "magic_only": []byte("\x7fELF\x02\x01\x01")}
	var paths []string
	for _, p := range []string{"/usr/bin/true", "/usr/bin/yara", "/bin/ls"} {
		paths = append(paths, p)
	}
	if m, err := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "debug", "elf", "testdata", "*")); err == nil {
		paths = append(paths, m...)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 4<<20 {
			continue
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func TestDifferentialELF(t *testing.T) {
	needYara(t)
	rf := "testdata/modules/elf/elf.yar"
	rs, err := CompileFiles([]string{rf}, CompileOptions{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	dir := t.TempDir()
	for name, data := range elfSamples(t) {
		t.Run("elf values of "+name+" are the ones yara prints", func(t *testing.T) {
			file := filepath.Join(dir, name)
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			diffModuleRuns(t, file, oracleModuleRun(t, rf, file), engineModuleRun(t, rs, file))
		})
	}
}

// TestDifferentialELFMutated changes header and table bytes of a real
// executable (seeded) and compares every probe with yara. Bytes debug/elf
// checks are changed too: where debug/elf refuses the file the difference
// is deliberate (DIFFERENCES.md), so such cases only check that nothing
// breaks.
func TestDifferentialELFMutated(t *testing.T) {
	needYara(t)
	base, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "debug", "elf", "testdata", "gcc-386-freebsd-exec"))
	testsupport.Need(t, "Go's debug/elf test files (GOROOT/src/debug/elf/testdata)", err)
	rf := "testdata/modules/elf/elf.yar"
	rs, err := CompileFiles([]string{rf}, CompileOptions{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	h, _ := readELFHeader(base)
	// The entry point, and every field of the first program headers and of
	// some section headers.
	targets := []int{24, 25, 26}
	for i := 0; i < 3; i++ {
		for f := 0; f < 32; f++ {
			targets = append(targets, int(h.phoff)+i*32+f)
		}
	}
	for _, i := range []int{1, 5, 12} {
		for f := 0; f < 24; f++ {
			targets = append(targets, int(h.shoff)+i*40+f)
		}
	}
	dir := t.TempDir()
	for seed := uint64(1); seed <= 80; seed++ {
		t.Run(fmt.Sprintf("mutated ELF %d gives the values yara gives", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			data := append([]byte(nil), base...)
			var changed []string
			for range 2 {
				at := targets[r.IntN(len(targets))]
				data[at] = []byte{0, 1, 0x10, 0x7f, 0x80, 0xff}[r.IntN(6)]
				changed = append(changed, fmt.Sprintf("%#x=%#x", at, data[at]))
			}
			if o := loadELF(data); o.fields == nil {
				t.Skipf("debug/elf refuses the file (changed %v): a deliberate difference", changed)
			}
			file := filepath.Join(dir, fmt.Sprintf("mutated%d", seed))
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			diffModuleRuns(t, file, oracleModuleRun(t, rf, file), engineModuleRun(t, rs, file))
			if t.Failed() {
				t.Logf("changed bytes: %v", changed)
			}
		})
	}
}

// FuzzELF feeds any bytes, and real ELF files, to the elf module and the
// entrypoint keyword: nothing may panic, and every probe must evaluate.
func FuzzELF(f *testing.F) {
	for _, name := range []string{"gcc-386-freebsd-exec", "gcc-amd64-linux-exec", "go-relocation-test-gcc492-mips64.obj"} {
		if b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "debug", "elf", "testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\x7fELF\x01\x01\x01"))
	rs, err := CompileFiles([]string{"testdata/modules/elf/elf.yar"}, CompileOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := rs.ScanBytes(context.Background(), data, ScanOptions{Console: io.Discard}); err != nil {
			t.Fatalf("scan: %v", err)
		}
	})
}
