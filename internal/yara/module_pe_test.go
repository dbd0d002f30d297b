package yara

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// peSpec describes a small PE file for tests: enough to exercise sections,
// imports by name and by ordinal, exports and the entry point.
type peSpec struct {
	is64       bool
	dll        bool
	entry      uint32 // RVA
	timestamp  uint32
	fileAlign  uint32
	textRawOff uint32 // where .text's raw data starts (normally 0x400)
	rich       bool   // a Rich header in the DOS stub
}

// buildPE writes a PE image: headers at 0, .text at RVA 0x1000 and .rdata at
// RVA 0x2000 holding an import table (KERNEL32.dll: ExitProcess,
// VirtualAlloc and ordinal 17; USER32.dll: MessageBoxA) and an export
// table (two named exports and one by ordinal only), then a 7-byte overlay.
func buildPE(s peSpec) []byte {
	le := binary.LittleEndian
	const ntOff = 0x80
	optSize := 224
	if s.is64 {
		optSize = 240
	}
	if s.fileAlign == 0 {
		s.fileAlign = 0x200
	}
	if s.textRawOff == 0 {
		s.textRawOff = 0x400
	}
	img := make([]byte, 0x800)
	copy(img, "MZ")
	le.PutUint32(img[0x3c:], ntOff)
	copy(img[ntOff:], "PE\x00\x00")
	if s.rich {
		// DanS and three padding dwords at 0x40, three (tool id << 16 |
		// version, count) entries, then "Rich" and the key, all but the
		// last two XORed with the key.
		const key = 0x1badc0de
		words := []uint32{0x536e6144, 0, 0, 0, 0x5d<<16 | 0x1fe8, 3, 0x0e<<16 | 0x7809, 1, 0x5d<<16 | 0x0000, 10}
		for i, w := range words {
			le.PutUint32(img[0x40+4*i:], w^key)
		}
		copy(img[0x68:], "Rich")
		le.PutUint32(img[0x6c:], key)
	}
	fh := img[ntOff+4:]
	machine := uint16(0x14c)
	if s.is64 {
		machine = 0x8664
	}
	chars := uint16(0x0102)
	if s.dll {
		chars |= 0x2000
	}
	le.PutUint16(fh[0:], machine)
	le.PutUint16(fh[2:], 2)
	le.PutUint32(fh[4:], s.timestamp)
	le.PutUint16(fh[16:], uint16(optSize))
	le.PutUint16(fh[18:], chars)
	oh := img[ntOff+24:]
	var dd []byte
	if s.is64 {
		le.PutUint16(oh[0:], 0x20b)
		le.PutUint64(oh[24:], 0x140000000)
		dd = oh[112:]
		le.PutUint32(oh[108:], 16)
	} else {
		le.PutUint16(oh[0:], 0x10b)
		le.PutUint32(oh[28:], 0x400000)
		dd = oh[96:]
		le.PutUint32(oh[92:], 16)
	}
	oh[2], oh[3] = 14, 2 // linker version
	le.PutUint32(oh[16:], s.entry)
	le.PutUint32(oh[32:], 0x1000)
	le.PutUint32(oh[36:], s.fileAlign)
	le.PutUint16(oh[40:], 6) // OS version
	le.PutUint32(oh[56:], 0x3000)
	le.PutUint32(oh[60:], 0x400)
	le.PutUint16(oh[68:], 3) // console
	secs := img[ntOff+24+optSize:]
	sec := func(i int, name string, va, vsize, raw, rawSize, ch uint32) {
		h := secs[i*40:]
		copy(h, name)
		le.PutUint32(h[8:], vsize)
		le.PutUint32(h[12:], va)
		le.PutUint32(h[16:], rawSize)
		le.PutUint32(h[20:], raw)
		le.PutUint32(h[36:], ch)
	}
	sec(0, ".text", 0x1000, 0x10, s.textRawOff, 0x200, 0x60000020)
	sec(1, ".rdata", 0x2000, 0x200, 0x600, 0x200, 0x40000040)
	img[0x400] = 0xc3
	// .rdata at file 0x600, RVA 0x2000.
	r := img[0x600:]
	at := func(rva uint32) []byte { return r[rva-0x2000:] }
	// Import descriptors at 0x2000 (3 x 20 bytes, last zero).
	le.PutUint32(at(0x2000)[0:], 0x2080)  // OriginalFirstThunk
	le.PutUint32(at(0x2000)[12:], 0x2100) // Name
	le.PutUint32(at(0x2000)[16:], 0x2080)
	le.PutUint32(at(0x2014)[0:], 0x20c0)
	le.PutUint32(at(0x2014)[12:], 0x2110)
	le.PutUint32(at(0x2014)[16:], 0x20c0)
	copy(at(0x2100), "KERNEL32.dll\x00")
	copy(at(0x2110), "USER32.dll\x00")
	copy(at(0x2120), "\x00\x00ExitProcess\x00")
	copy(at(0x2130), "\x00\x00VirtualAlloc\x00")
	copy(at(0x2140), "\x00\x00MessageBoxA\x00")
	thunk := func(rva uint32, vals ...uint64) {
		for i, v := range vals {
			if s.is64 {
				le.PutUint64(at(rva)[8*i:], v)
			} else {
				le.PutUint32(at(rva)[4*i:], uint32(v))
			}
		}
	}
	ord := uint64(1 << 31)
	if s.is64 {
		ord = 1 << 63
	}
	thunk(0x2080, 0x2120, 0x2130, ord|17, 0)
	thunk(0x20c0, 0x2140, 0)
	// Export directory at 0x2180: base 5, three functions, two names.
	e := at(0x2180)
	le.PutUint32(e[12:], 0x21e0)
	le.PutUint32(e[16:], 5)
	le.PutUint32(e[20:], 3)
	le.PutUint32(e[24:], 2)
	le.PutUint32(e[28:], 0x21b0) // functions
	le.PutUint32(e[32:], 0x21c0) // names
	le.PutUint32(e[36:], 0x21d0) // name ordinals
	le.PutUint32(at(0x21b0)[0:], 0x1000)
	le.PutUint32(at(0x21b0)[4:], 0x1001)
	le.PutUint32(at(0x21b0)[8:], 0x1002)
	le.PutUint32(at(0x21c0)[0:], 0x21f0)
	le.PutUint32(at(0x21c0)[4:], 0x2200)
	le.PutUint16(at(0x21d0)[0:], 0)
	le.PutUint16(at(0x21d0)[2:], 2)
	copy(at(0x21e0), "test.dll\x00")
	copy(at(0x21f0), "Install\x00")
	copy(at(0x2200), "ServiceMain\x00")
	le.PutUint32(dd[0:], 0x2180) // export
	le.PutUint32(dd[4:], 0x90)
	le.PutUint32(dd[8:], 0x2000) // import
	le.PutUint32(dd[12:], 0x3c)
	return append(img, "overlay"...)
}

// peSamples are the PE files of the differential tests: Go's own debug/pe
// test files (built by gcc and llvm for Windows) when GOROOT has them, files
// from buildPE, and non-PE files.
func peSamples(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{
		"empty":            {},
		"mz_only":          append([]byte("MZ"), make([]byte, 100)...),
		"pe32":             buildPE(peSpec{entry: 0x1000, timestamp: 1700000000}),
		"pe32plus":         buildPE(peSpec{is64: true, dll: true, entry: 0x1000, timestamp: 1}),
		"rich":             buildPE(peSpec{entry: 0x1000, rich: true}),
		"entry_in_headers": buildPE(peSpec{entry: 0x10}),
		"entry_past_raw":   buildPE(peSpec{entry: 0x1300}),
		"entry_unmapped":   buildPE(peSpec{entry: 0x9000}),
		"unaligned_raw":    buildPE(peSpec{entry: 0x1004, textRawOff: 0x410}),
		"small_alignment":  buildPE(peSpec{entry: 0x1004, fileAlign: 0x10, textRawOff: 0x408}),
	}
	dir := filepath.Join(runtime.GOROOT(), "src", "debug", "pe", "testdata")
	for _, name := range []string{"gcc-386-mingw-exec", "gcc-amd64-mingw-exec", "gcc-386-mingw-no-symbols-exec", "gcc-386-mingw-obj"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			out["goroot_"+name] = b
		}
	}
	return out
}

func TestDifferentialPE(t *testing.T) {
	needYara(t)
	rf := "testdata/modules/pe/pe.yar"
	rs, err := CompileFiles([]string{rf}, CompileOptions{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	dir := t.TempDir()
	for name, data := range peSamples(t) {
		t.Run("pe values of "+name+" are the ones yara prints", func(t *testing.T) {
			file := filepath.Join(dir, name)
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			diffModuleRuns(t, file, oracleModuleRun(t, rf, file), engineModuleRun(t, rs, file))
		})
	}
}

// TestDifferentialPEMutated changes one header, table or string byte of
// a built PE at a time (seeded) and compares every probe with yara.
// Bytes that debug/pe checks (machine, sizes it reads) are left alone:
// there the difference is deliberate (DIFFERENCES.md).
func TestDifferentialPEMutated(t *testing.T) {
	needYara(t)
	rf := "testdata/modules/pe/pe.yar"
	rs, err := CompileFiles([]string{rf}, CompileOptions{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	dir := t.TempDir()
	// Offsets into buildPE's layout that hold RVAs, sizes and names: the
	// optional header's entry point, alignment and data directories, the
	// section headers (after a 224- or 240-byte optional header), the
	// import descriptors, thunks and names, and the export table.
	targets := func(is64 bool) []int {
		dd, sec := 0x80+24+96, 0x178
		if is64 {
			dd, sec = 0x80+24+112, 0x188
		}
		t := []int{0x80 + 24 + 16, 0x80 + 24 + 17, 0x80 + 24 + 36, dd, dd + 1, dd + 8, dd + 9}
		for _, f := range []int{3, 8, 12, 13, 16, 17, 20, 21} {
			t = append(t, sec+f, sec+40+f)
		}
		return append(t, 0x3c, 0x40, 0x44, 0x48, 0x4c, 0x50, 0x54, 0x58, 0x68, 0x6c, 0x600, 0x601, 0x60c, 0x60d, 0x614, 0x620, 0x680, 0x681, 0x683, 0x687, 0x688, 0x68b, 0x6c0, 0x6c1,
			0x700, 0x705, 0x70c, 0x712, 0x722, 0x730, 0x780+20, 0x780+24, 0x780+28, 0x780+32, 0x780+36, 0x7b0, 0x7c0, 0x7c4, 0x7d0, 0x7d2, 0x7f2)
	}
	for seed := uint64(1); seed <= 150; seed++ {
		t.Run(fmt.Sprintf("mutated PE %d gives the values yara gives", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			is64 := seed%2 == 0
			data := buildPE(peSpec{is64: is64, entry: 0x1000, rich: seed%3 == 0})
			var changed []string
			ts := targets(is64)
			for range 3 {
				at := ts[r.IntN(len(ts))]
				data[at] = []byte{0, 1, 0x10, 0x20, 0x7f, 0x80, 0xff, 'A'}[r.IntN(8)]
				changed = append(changed, fmt.Sprintf("%#x=%#x", at, data[at]))
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

// FuzzPE feeds any bytes, and mutations of a built PE, to the pe module's
// parser: it must not panic, and every probe must evaluate.
func FuzzPE(f *testing.F) {
	f.Add(buildPE(peSpec{entry: 0x1000}))
	f.Add(buildPE(peSpec{is64: true, dll: true, entry: 0x1000}))
	f.Add([]byte("MZ"))
	rs, err := CompileFiles([]string{"testdata/modules/pe/pe.yar"}, CompileOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var console bytes.Buffer
		if _, err := rs.ScanBytes(context.Background(), data, ScanOptions{Console: &console}); err != nil {
			t.Fatalf("scan: %v", err)
		}
	})
}

// TestModuleScansShareRulesSafely scans with one compiled rule set from
// several goroutines (run with -race): module data is per scan.
func TestModuleScansShareRulesSafely(t *testing.T) {
	src := "import \"pe\"\nimport \"math\"\nimport \"hash\"\n" +
		"rule exe { condition: pe.is_pe and pe.imports(\"kernel32.dll\", \"ExitProcess\") and math.entropy(0, filesize) > 0.5 and hash.crc32(0, 2) != 0 }"
	rs := mustCompile(t, src, CompileOptions{})
	inputs := [][]byte{buildPE(peSpec{entry: 0x1000}), []byte("not a pe"), buildPE(peSpec{is64: true, entry: 0x1000})}
	want := []int{1, 0, 1}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for k := range 50 {
				i := (g + k) % len(inputs)
				ms, err := rs.ScanBytes(context.Background(), inputs[i], ScanOptions{})
				if err == nil && len(ms) != want[i] {
					err = fmt.Errorf("input %d matched %d rules, want %d", i, len(ms), want[i])
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
