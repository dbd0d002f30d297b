package yara

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func mustCompile(t testing.TB, src string, opts CompileOptions) *Rules {
	t.Helper()
	rs, err := Compile([]byte(src), "test.yar", opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return rs
}

func ruleNames(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

func TestCompileErrorsNamePosition(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"an unterminated string is reported where it starts", "rule a {\n strings: $a = \"abc\n condition: $a }", "test.yar:2:16: unterminated string"},
		{"an undefined string is reported at its use", "rule a {\n condition: $b }", "test.yar:2:13: undefined string identifier \"$b\""},
		{"an unreferenced string is an error like in yara", "rule a {\n strings:\n  $a = \"x\"\n  $b = \"y\"\n condition: $a }", "test.yar:4:3: unreferenced string \"$b\""},
		{"a duplicated rule name is refused", "rule a { condition: true }\nrule a { condition: true }", "test.yar:2:6: duplicated identifier \"a\""},
		{"an undefined identifier is refused", "rule a { condition: foo }", "test.yar:1:21: undefined identifier \"foo\""},
		{"a bad hex digit is reported where it is", "rule a { strings: $a = { 4G } condition: $a }", "test.yar:1:27: invalid character 'G' in hex string"},
		{"an odd hex digit names the string", "rule a { strings: $a = { 41 4 } condition: $a }", "test.yar:1:19: string $a: invalid hex byte \"4 \""},
		{"a hex string cannot start with a jump", "rule a { strings: $a = { [2] 41 } condition: $a }", "test.yar:1:19: string $a: hex string cannot start or end with a jump"},
		{"a bad regex names the string", "rule a { strings: $a = /ab(c/ condition: $a }", "test.yar:1:19: string $a: missing closing parenthesis"},
		{"a missing brace is a syntax error at end of file", "rule a { condition: true", "test.yar:1:25: syntax error: expected \"}\", found end of file"},
		{"xor out of range is refused", "rule a { strings: $a = \"x\" xor(1-300) condition: $a }", "test.yar:1:34: invalid xor range: expected a value 0-255"},
		{"a type mismatch is refused", "rule a { condition: \"a\" == 1 }", "test.yar:1:25: type mismatch for \"==\": string and integer"},
		{"nocase is refused on hex strings", "rule a { strings: $a = { 41 } nocase condition: $a }", "test.yar:1:31: modifier \"nocase\" not allowed on hex strings"},
		{"a module we lack is refused naming the rule and where it is used", "import \"dotnet\"\nrule a { condition: dotnet.number_of_streams > 1 }", "test.yar:2:21: rule \"a\" uses dotnet.number_of_streams, but module \"dotnet\" is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.src), "test.yar", CompileOptions{})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CompileError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func TestUnsupportedModulesAreSkippedWhenAsked(t *testing.T) {
	src := "import \"dotnet\"\nrule a { condition: dotnet.is_dotnet }\nrule b { condition: a }\nrule c { condition: true }"
	rs := mustCompile(t, src, CompileOptions{SkipUnsupportedImports: true})
	ms, err := rs.ScanBytes(context.Background(), []byte("x"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ruleNames(ms), ","); got != "c" {
		t.Errorf("matched %q, want only c", got)
	}
	var skipped []string
	for _, w := range rs.Warnings() {
		if w.Rule != "" {
			skipped = append(skipped, w.Rule)
		}
	}
	if strings.Join(skipped, ",") != "a,b" {
		t.Errorf("warnings name rules %v, want a and b", skipped)
	}
}

func TestIncludesResolveRelativeToTheIncludingFile(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/main.yar":    {Data: []byte("include \"sub/inc.yar\"\nrule main { condition: inc }")},
		"rules/sub/inc.yar": {Data: []byte("include \"../../common.yar\"\nrule inc { condition: common }")},
		"common.yar":        {Data: []byte("rule common { strings: $a = \"zz\" condition: $a }")},
		"rules/cycle.yar":   {Data: []byte("include \"cycle.yar\"")},
		"rules/missing.yar": {Data: []byte("\n  include \"nope.yar\"")},
	}
	t.Run("nested includes load and their rules can be referenced", func(t *testing.T) {
		src, _ := fsys.ReadFile("rules/main.yar")
		rs, err := Compile(src, "rules/main.yar", CompileOptions{IncludeFS: fsys})
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := rs.ScanBytes(context.Background(), []byte("azz"), ScanOptions{})
		if got := strings.Join(ruleNames(ms), ","); got != "common,inc,main" {
			t.Errorf("matched %q", got)
		}
	})
	t.Run("an include cycle is an error", func(t *testing.T) {
		src, _ := fsys.ReadFile("rules/cycle.yar")
		_, err := Compile(src, "rules/cycle.yar", CompileOptions{IncludeFS: fsys})
		if err == nil || !strings.Contains(err.Error(), "include cycle") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a missing include names the line", func(t *testing.T) {
		src, _ := fsys.ReadFile("rules/missing.yar")
		_, err := Compile(src, "rules/missing.yar", CompileOptions{IncludeFS: fsys})
		if err == nil || !strings.HasPrefix(err.Error(), "rules/missing.yar:2:11: can't open include file") {
			t.Errorf("got %v", err)
		}
	})
}

func TestExternals(t *testing.T) {
	src := `rule s { condition: ext_s contains "shop" }
rule i { condition: ext_i > 10 }
rule b { condition: ext_b }
rule f { condition: ext_f < 1.5 }`
	opts := CompileOptions{Externals: map[string]any{"ext_s": "myshop", "ext_i": 5, "ext_b": false, "ext_f": 1.0}}
	rs := mustCompile(t, src, opts)
	tests := []struct {
		name string
		ext  map[string]any
		want string
	}{
		{"compile-time values apply by default", nil, "s,f"},
		{"scan-time values override them", map[string]any{"ext_i": int64(11), "ext_b": true, "ext_s": "x", "ext_f": 2.0}, "i,b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := rs.ScanBytes(context.Background(), nil, ScanOptions{Externals: tc.ext})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ruleNames(ms), ","); got != tc.want {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
	t.Run("an undeclared scan-time external is an error", func(t *testing.T) {
		if _, err := rs.ScanBytes(context.Background(), nil, ScanOptions{Externals: map[string]any{"nope": 1}}); err == nil {
			t.Error("want error")
		}
	})
	t.Run("a scan-time external of another type is an error", func(t *testing.T) {
		if _, err := rs.ScanBytes(context.Background(), nil, ScanOptions{Externals: map[string]any{"ext_i": "x"}}); err == nil {
			t.Error("want error")
		}
	})
}

func TestMatchDetails(t *testing.T) {
	src := `global rule g { condition: filesize > 0 }
rule r : t1 t2 {
  meta: author = "sw" score = -3 live = true
  strings:
    $a = "card" wide
    $p = "x" private
    $h = { 63 [1-2] 64 }
  condition: $a and $p and $h
}`
	rs := mustCompile(t, src, CompileOptions{})
	data := []byte("x c\x00a\x00r\x00d\x00 cvd cvvd")
	ms, err := rs.ScanBytes(context.Background(), data, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[1].Rule != "r" {
		t.Fatalf("matches %v", ruleNames(ms))
	}
	m := ms[1]
	if strings.Join(m.Tags, ",") != "t1,t2" || m.Namespace != "default" {
		t.Errorf("tags %v namespace %q", m.Tags, m.Namespace)
	}
	wantMeta := []Meta{{"author", "sw"}, {"score", int64(-3)}, {"live", true}}
	for i, w := range wantMeta {
		if i >= len(m.Meta) || m.Meta[i] != w {
			t.Errorf("meta %v want %v", m.Meta, wantMeta)
			break
		}
	}
	var got []string
	for _, s := range m.Strings {
		got = append(got, s.ID+"@"+itoa(s.Offset)+"="+string(s.Data))
	}
	want := "$a@2=c\x00a\x00r\x00d\x00 $h@11=cvd $h@15=cvvd"
	if strings.Join(got, " ") != want {
		t.Errorf("strings %q\nwant    %q", strings.Join(got, " "), want)
	}
	t.Run("a failing global rule hides every rule in the namespace", func(t *testing.T) {
		ms, _ := rs.ScanBytes(context.Background(), nil, ScanOptions{})
		if len(ms) != 0 {
			t.Errorf("got %v", ruleNames(ms))
		}
	})
}

func itoa(i int64) string {
	return strings.TrimSpace(strings.Replace(time.Duration(i).String(), "ns", "", 1))
}

func TestTooManyMatchesIsReportedIncomplete(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = "a" condition: #a == 10 }`, CompileOptions{})
	ms, err := rs.ScanBytes(context.Background(), []byte(strings.Repeat("a", 50)), ScanOptions{MaxMatchesPerString: 10})
	if !errors.Is(err, ErrTooManyMatches) {
		t.Fatalf("got %v, want ErrTooManyMatches", err)
	}
	if len(ms) != 1 {
		t.Errorf("partial matches lost: %v", ruleNames(ms))
	}
}

func TestCancelledScanIsAnErrorNotClean(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = /[a-z]{1,50}q/ condition: $a }`, CompileOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := rs.ScanBytes(ctx, make([]byte, 1<<20), ScanOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestConcurrentScansShareRules(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = /ab+c/ $b = "xyz" nocase condition: #a == 2 and $b }`, CompileOptions{})
	data := []byte("abc XYZ abbbc")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				ms, err := rs.ScanBytes(context.Background(), data, ScanOptions{})
				if err != nil || len(ms) != 1 {
					errs <- errors.New("wrong result under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestScanFileMatchesScanBytes(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = "skim" condition: $a and filesize == 9 }`, CompileOptions{})
	dir := t.TempDir()
	p := filepath.Join(dir, "f.js")
	if err := os.WriteFile(p, []byte("a skim b "), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ms, err := rs.ScanFile(context.Background(), p, ScanOptions{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("got %v %v", ruleNames(ms), err)
	}
	if ms, err := rs.ScanFile(context.Background(), empty, ScanOptions{}); err != nil || len(ms) != 0 {
		t.Errorf("empty file: %v %v", ruleNames(ms), err)
	}
	if _, err := rs.ScanFile(context.Background(), filepath.Join(dir, "nope"), ScanOptions{}); err == nil {
		t.Error("missing file: want error")
	}
}

func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/diff/*.yar")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		rs, err := Compile(src, "fuzz.yar", CompileOptions{DisableIncludes: true})
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) && !strings.Contains(err.Error(), "include") {
				t.Fatalf("error is not a *CompileError: %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = rs.ScanBytes(ctx, src, ScanOptions{})
	})
}

func TestStartFilterFindsMatchesAcrossChunks(t *testing.T) {
	data := bytes.Repeat([]byte("x"), startChunk+100)
	copy(data[5:], "QQ1")
	copy(data[startChunk-1:], "QQ1")
	rs := mustCompile(t, `rule r { strings: $a = /[^x]{2}[0-9]/ condition: $a }`, CompileOptions{})
	if rs.patterns[0].reverse == nil {
		t.Fatal("test needs the start-filter path; the pattern has an atom or a narrow first byte")
	}
	ms, err := rs.ScanBytes(context.Background(), data, ScanOptions{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("got %v, %v", ruleNames(ms), err)
	}
	var offs []int64
	for _, s := range ms[0].Strings {
		offs = append(offs, s.Offset)
	}
	if len(offs) != 2 || offs[0] != 5 || offs[1] != startChunk-1 {
		t.Errorf("offsets %v, want [5 %d]", offs, startChunk-1)
	}
}

func TestConditionEdgeValues(t *testing.T) {
	tests := []struct {
		name, cond string
		wantErr    bool
		want       bool
	}{
		{"reading an integer past the end at the largest offset is undefined", "uint32(0x7fffffffffffffff) == 0", false, false},
		{"a loop over the widest range is refused, not run", "for any i in (-9223372036854775807..9223372036854775807) : ( i == 0 )", true, false},
		{"a negative quantity in of holds", "(-1) of them", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustCompile(t, `rule r { strings: $a = "x" condition: $a or (`+tc.cond+`) }`, CompileOptions{})
			ms, err := rs.ScanBytes(context.Background(), []byte("abc"), ScanOptions{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if !tc.wantErr && (len(ms) == 1) != tc.want {
				t.Errorf("matched %v, want %v", ruleNames(ms), tc.want)
			}
		})
	}
}
