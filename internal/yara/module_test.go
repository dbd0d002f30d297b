package yara

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// moduleRun is what one scan of one file shows: the console lines in the
// order they were printed and the names of the matching rules.
type moduleRun struct {
	console []string
	rules   []string
}

// oracleModuleRun runs `yara -w rules file`. yara prints console.log lines
// while it evaluates and "rule file" lines for matches afterwards; console
// output is kept (no -q), since the probes in testdata/modules print the
// exact value of each module function through it.
func oracleModuleRun(t testing.TB, rules, file string) moduleRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, yaraPath, "-w", rules, file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("yara %s %s: %v: %s", rules, file, err, stderr.String())
	}
	var run moduleRun
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		if rule, ok := strings.CutSuffix(line, " "+file); ok && !strings.ContainsAny(rule, " =") {
			run.rules = append(run.rules, rule)
			continue
		}
		run.console = append(run.console, line)
	}
	slices.Sort(run.rules)
	return run
}

func engineModuleRun(t testing.TB, rs *Rules, file string) moduleRun {
	t.Helper()
	var console bytes.Buffer
	ms, err := rs.ScanFile(context.Background(), file, ScanOptions{Console: &console})
	if err != nil {
		t.Fatalf("scan %s: %v", file, err)
	}
	var run moduleRun
	if s := strings.TrimSuffix(console.String(), "\n"); s != "" {
		run.console = strings.Split(s, "\n")
	}
	for _, m := range ms {
		run.rules = append(run.rules, m.Rule)
	}
	slices.Sort(run.rules)
	return run
}

func diffModuleRuns(t testing.TB, file string, want, got moduleRun) {
	t.Helper()
	if !slices.Equal(want.rules, got.rules) {
		t.Errorf("%s: yara matched %v\nengine matched %v", file, want.rules, got.rules)
	}
	if !slices.Equal(want.console, got.console) {
		for i := 0; i < max(len(want.console), len(got.console)); i++ {
			var w, g string
			if i < len(want.console) {
				w = want.console[i]
			}
			if i < len(got.console) {
				g = got.console[i]
			}
			if w != g {
				// Later lines would only repeat a shift.
				t.Errorf("%s: console line %d: yara %q, engine %q", file, i+1, w, g)
				break
			}
		}
	}
}

// TestDifferentialModules compares every probe of the hand-written module
// corpus (testdata/modules/*.yar) with yara on every sample, among them an
// empty file and a one-byte file, where ranges are empty or past the end.
func TestDifferentialModules(t *testing.T) {
	needYara(t)
	ruleFiles, err := filepath.Glob("testdata/modules/*.yar")
	if err != nil || len(ruleFiles) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	samples, err := filepath.Glob("testdata/modules/samples/*")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, rf := range ruleFiles {
		t.Run("module rules in "+filepath.Base(rf)+" print and match what yara does", func(t *testing.T) {
			rs, err := CompileFiles([]string{rf}, CompileOptions{})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			for _, s := range samples {
				diffModuleRuns(t, s, oracleModuleRun(t, rf, s), engineModuleRun(t, rs, s))
			}
		})
	}
}

// randomProbe writes one console.log probe of a module function with
// arguments drawn from the edges that matter: offsets and lengths around 0
// and filesize, negative and huge values, bytes outside 0..255, and short
// strings with any byte.
func randomProbe(r *rand.Rand, label string) string {
	offsets := []string{"0", "1", "2", "-1", "filesize", "filesize - 1", "filesize + 1", "filesize \\ 2", "7"}
	lengths := []string{"0", "1", "3", "-1", "filesize", "filesize + 10", "0x7fffffffffffffff", "6", "13"}
	off := func() string { return offsets[r.IntN(len(offsets))] }
	length := func() string { return lengths[r.IntN(len(lengths))] }
	str := func() string {
		var b strings.Builder
		b.WriteByte('"')
		for range r.IntN(9) {
			fmt.Fprintf(&b, "\\x%02x", []byte("aab\x00\xff\x41zq")[r.IntN(8)])
		}
		b.WriteByte('"')
		return b.String()
	}
	flt := func() string { return []string{"0.0", "127.5", "math.MEAN_BYTES", "255.0", "3.25"}[r.IntN(5)] }
	// Bytes outside 0..255 are left out: yara 4.2.3 reads outside its table
	// there (see DIFFERENCES.md).
	byt := func() string { return []string{"0", "0x41", "0x61", "255", "0x7f"}[r.IntN(5)] }
	stat := []string{"math.entropy", "math.mean", "math.serial_correlation", "math.monte_carlo_pi",
		"hash.md5", "hash.sha1", "hash.sha256", "hash.checksum32", "hash.crc32"}
	var call string
	switch k := r.IntN(7); k {
	case 0, 1:
		call = fmt.Sprintf("%s(%s, %s)", stat[r.IntN(len(stat))], off(), length())
	case 2:
		call = fmt.Sprintf("%s(%s)", stat[r.IntN(len(stat))], str())
	case 3:
		if r.IntN(2) == 0 {
			call = fmt.Sprintf("math.deviation(%s, %s, %s)", off(), length(), flt())
		} else {
			call = fmt.Sprintf("math.deviation(%s, %s)", str(), flt())
		}
	case 4:
		f := []string{"math.count", "math.percentage"}[r.IntN(2)]
		if r.IntN(2) == 0 {
			call = fmt.Sprintf("%s(%s, %s, %s)", f, byt(), off(), length())
		} else {
			call = fmt.Sprintf("%s(%s)", f, byt())
		}
	case 5:
		if r.IntN(2) == 0 {
			call = fmt.Sprintf("math.mode(%s, %s)", off(), length())
		} else {
			call = "math.mode()"
		}
	case 6:
		a, b := off(), length()
		call = []string{"math.max(" + a + ", " + b + ")", "math.min(" + a + ", " + b + ")", "math.abs(" + a + " - " + b + ")",
			"math.in_range(" + flt() + ", " + flt() + ", " + flt() + ")"}[r.IntN(4)]
	}
	return fmt.Sprintf("rule %s { condition: console.log(\"%s=\", %s) or defined %s }\n", label, label, call, call)
}

// runModuleCase writes probes drawn with seed and compares them with yara
// on each of files.
func runModuleCase(t *testing.T, seed uint64, files [][]byte) {
	r := rand.New(rand.NewPCG(seed, 13))
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("import \"math\"\nimport \"hash\"\nimport \"console\"\n")
	for i := range 60 {
		src.WriteString(randomProbe(r, fmt.Sprintf("p%d", i)))
	}
	rf := filepath.Join(dir, "probes.yar")
	if err := os.WriteFile(rf, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := CompileFiles([]string{rf}, CompileOptions{})
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src.String())
	}
	for i, data := range files {
		file := filepath.Join(dir, fmt.Sprintf("sample%d", i))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		diffModuleRuns(t, file, oracleModuleRun(t, rf, file), engineModuleRun(t, rs, file))
	}
	if t.Failed() {
		t.Logf("probes:\n%s", src.String())
	}
}

// TestDifferentialModulesRandom compares seeded random probes on seeded
// random files (sizes 0 to 40, so every edge of a range is hit) with yara.
func TestDifferentialModulesRandom(t *testing.T) {
	needYara(t)
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("random module probes with seed %d give the values yara gives", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			files := [][]byte{{}}
			for range 3 {
				data := make([]byte, r.IntN(41))
				for i := range data {
					data[i] = []byte("Aab\x00\xff\x41zq\x7f")[r.IntN(9)]
				}
				files = append(files, data)
			}
			runModuleCase(t, seed, files)
		})
	}
}

// FuzzModuleDifferential lets the fuzzer choose the scanned bytes and the
// probes' seed; every value must be the one yara prints.
func FuzzModuleDifferential(f *testing.F) {
	f.Add([]byte{}, uint64(1))
	f.Add([]byte("hello world\x00\xff"), uint64(2))
	f.Add([]byte("\x80\x90\xa0\xb0\xc0\xd0\x01\x02\x03\x04\x05\x06"), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		needYara(t)
		if len(data) > 1<<16 {
			return
		}
		runModuleCase(t, seed, [][]byte{data})
	})
}
