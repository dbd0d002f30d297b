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

// collectionShape is the shape of a generated rule collection. The defaults
// (defaultCollection) follow the public collections users point scan at: a
// few thousand rules spread over hundreds of files, mostly text and hex
// strings, a regular expression now and then, and filesize and uint16(0)
// conditions.
type collectionShape struct {
	Files, RulesPerFile int
	Seed                uint64
}

var defaultCollection = collectionShape{Files: 400, RulesPerFile: 10, Seed: 13}

// collectionWords are the raw material of text strings: the function names
// and fragments that webshell and skimmer rules quote.
var collectionWords = []string{"eval", "base64_decode", "gzinflate", "str_rot13", "assert", "preg_replace",
	"system", "passthru", "shell_exec", "document.cookie", "atob", "XMLHttpRequest", "sendBeacon", "cc_number",
	"cvv", "checkout", "payment", "fromCharCode", "unescape", "createElement", "WebSocket", "FilesMan",
	"uname", "move_uploaded_file", "$_POST", "$_REQUEST", "chr(", "ord(", "create_function", "getenv"}

// writeCollection writes the generated collection under dir and returns its
// file paths, sorted. The same shape always gives the same files.
func writeCollection(t testing.TB, dir string, sh collectionShape) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(sh.Seed, 1))
	var paths []string
	n := 0
	for f := 0; f < sh.Files; f++ {
		var sb strings.Builder
		fmt.Fprintf(&sb, "/* generated collection file %d */\n\n", f)
		for i := 0; i < sh.RulesPerFile; i++ {
			writeCollectionRule(&sb, r, n)
			n++
		}
		p := filepath.Join(dir, fmt.Sprintf("gen_%03d.yar", f))
		if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

func writeCollectionRule(sb *strings.Builder, r *rand.Rand, n int) {
	fmt.Fprintf(sb, "rule gen_rule_%d : webshell {\n  meta:\n    author = \"generator\"\n    description = \"generated rule %d\"\n    score = %d\n  strings:\n", n, n, r.IntN(100))
	word := func() string {
		w := collectionWords[r.IntN(len(collectionWords))]
		return fmt.Sprintf("%s%s%x", w, []string{"(", "_", ".", " "}[r.IntN(4)], r.Uint32()&0xfffff)
	}
	nText, nHex := 2+r.IntN(6), 1+r.IntN(4)
	id := 0
	for i := 0; i < nText; i++ {
		mods := []string{"", " nocase", " wide", " ascii wide", " nocase ascii wide", " fullword"}[r.IntN(6)]
		fmt.Fprintf(sb, "    $s%d = %q%s\n", id, strings.ReplaceAll(word(), "$", "S"), mods)
		id++
	}
	for i := 0; i < nHex; i++ {
		var hb strings.Builder
		m := 6 + r.IntN(14)
		jumped := false
		for j := 0; j < m; j++ {
			wasJump := jumped
			jumped = false
			switch {
			case !wasJump && j > 2 && j < m-3 && r.IntN(12) == 0:
				jumped = true
				fmt.Fprintf(&hb, "[%d-%d] ", r.IntN(3), 3+r.IntN(6))
			case j > 0 && r.IntN(15) == 0:
				hb.WriteString("?? ")
			case j > 0 && j < m-1 && r.IntN(20) == 0:
				fmt.Fprintf(&hb, "( %02X | %02X ) ", r.IntN(256), r.IntN(256))
			default:
				fmt.Fprintf(&hb, "%02X ", r.IntN(256))
			}
		}
		fmt.Fprintf(sb, "    $h%d = { %s}\n", id, hb.String())
		id++
	}
	if r.IntN(6) == 0 {
		fmt.Fprintf(sb, "    $s%d = /%s\\s*\\(\\s*\\$_(GET|POST|REQUEST)\\[['\"][a-z0-9_]{1,%d}/ nocase\n", id,
			[]string{"eval", "assert", "system", "passthru"}[r.IntN(4)], 8+r.IntN(24))
		id++
	}
	sb.WriteString("  condition:\n    ")
	switch r.IntN(4) {
	case 0:
		fmt.Fprintf(sb, "uint16(0) == 0x3f3c and filesize < %dKB and any of them\n", 100+r.IntN(900))
	case 1:
		fmt.Fprintf(sb, "filesize < %dKB and 2 of them\n", 50+r.IntN(500))
	case 2:
		sb.WriteString("any of ($s*) and any of ($h*)\n")
	default:
		sb.WriteString("any of them\n")
	}
	sb.WriteString("}\n\n")
}

// TestGeneratedCollectionMatchesYara keeps the generated collection honest:
// yara compiles it, and both engines agree on a file built from pieces of it.
func TestGeneratedCollectionMatchesYara(t *testing.T) {
	needYara(t)
	dir := t.TempDir()
	paths := writeCollection(t, dir, collectionShape{Files: 20, RulesPerFile: 10, Seed: 5})
	rs, err := CompileFiles(paths, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.RuleCount(); got != 200 {
		t.Fatalf("rule count = %d, want 200", got)
	}
	// A PHP file quoting every fourth rule's first text string, so that
	// some rules match and others do not.
	var data bytes.Buffer
	data.WriteString("<?php\n")
	for i := 0; i < len(rs.rules); i += 4 {
		if s := rs.rules[i].decl.strings; len(s) > 0 && s[0].kind == skText {
			data.Write(s[0].text)
			data.WriteString("\n")
		}
	}
	target := filepath.Join(dir, "target.php")
	if err := os.WriteFile(target, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	all := filepath.Join(dir, "all.yar")
	var inc strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&inc, "include %q\n", p)
	}
	if err := os.WriteFile(all, []byte(inc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want := oracleMatches(t, all, target)
	got := engineMatches(t, rs, target)
	if len(want) == 0 {
		t.Fatal("yara matched nothing: the target does not exercise the collection")
	}
	diffMatches(t, want, got)
}

// BenchmarkCompileCollection compiles the generated collection (4 000 rules
// in 400 files) with this engine and with yarac, alternating the two in the
// same run so that both see the same machine load, and reports the median
// of each as ms/skimwatch and ms/yarac.
func BenchmarkCompileCollection(b *testing.B) {
	dir := b.TempDir()
	paths := writeCollection(b, dir, defaultCollection)
	yarac, err := exec.LookPath("yarac")
	if err != nil {
		b.Log("yarac not found: timing this engine only")
	}
	out := filepath.Join(dir, "out.yarc")
	var ours, theirs []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := CompileFiles(paths, CompileOptions{}); err != nil {
			b.Fatal(err)
		}
		ours = append(ours, time.Since(start))
		if yarac != "" {
			args := append(slices.Clone(paths), out)
			start = time.Now()
			if msg, err := exec.CommandContext(context.Background(), yarac, args...).CombinedOutput(); err != nil {
				b.Fatalf("yarac: %v: %s", err, msg)
			}
			theirs = append(theirs, time.Since(start))
		}
	}
	b.ReportMetric(medianMillis(ours), "ms/skimwatch")
	if len(theirs) > 0 {
		b.ReportMetric(medianMillis(theirs), "ms/yarac")
	}
}

func medianMillis(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// BenchmarkLoadCollection loads the generated collection from saved rules
// and compiles it from its files, alternately, and reports the median of
// each (ms/load, ms/compile) and the saved file's size.
func BenchmarkLoadCollection(b *testing.B) {
	paths := writeCollection(b, b.TempDir(), defaultCollection)
	rs, err := CompileFiles(paths, CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var saved bytes.Buffer
	if err := rs.Save(&saved); err != nil {
		b.Fatal(err)
	}
	var load, compile []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := LoadRules(bytes.NewReader(saved.Bytes()), LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		load = append(load, time.Since(start))
		start = time.Now()
		if _, err := CompileFiles(paths, CompileOptions{}); err != nil {
			b.Fatal(err)
		}
		compile = append(compile, time.Since(start))
	}
	b.ReportMetric(medianMillis(load), "ms/load")
	b.ReportMetric(medianMillis(compile), "ms/compile")
	b.ReportMetric(float64(saved.Len())/1e6, "MB/file")
}

// BenchmarkScanCollection scans 8 MiB of minified JavaScript with the
// generated collection: the automaton is large (tens of thousands of
// states), so this measures its cache behaviour and the cost of atom hits.
func BenchmarkScanCollection(b *testing.B) {
	rs, err := CompileFiles(writeCollection(b, b.TempDir(), defaultCollection), CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	data := minifiedJS(8 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := rs.ScanBytes(context.Background(), data, ScanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
