package csp

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func TestGenerate(t *testing.T) {
	inventory := []Source{
		{"script-src", "https://cdn.shop.example/js/app.js"},
		{"script-src-elem", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"},
		{"connect-src", "https://api.payment.example"},
		{"form-action", "https://pay.payment.example"},
		{"frame-src", "https://pay.payment.example"},
		{"img-src", "https://stats.example"},
		{"script-src", "https://cdn.shop.example"},
	}
	p, err := Generate(inventory, PolicyOptions{ReportURI: "https://watch.example/r/abc"})
	if err != nil {
		t.Fatal(err)
	}
	testsupport.Golden(t, filepath.Join("testdata", "policy.golden.txt"),
		[]byte(p.Header+": "+p.Value+"\nReporting-Endpoints: "+p.ReportingEndpoints+"\n"))

	t.Run("the generated policy passes lint without a high finding", func(t *testing.T) {
		fs, err := Lint(p.Value)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Severity >= 3 {
				t.Errorf("own policy flagged: %s %v", f.Kind, f.Evidence)
			}
		}
	})
	t.Run("a default port written out is the same source, listed once", func(t *testing.T) {
		p, err := Generate([]Source{{"script-src", "https://cdn.example:443"}, {"script-src", "https://CDN.example/"}}, PolicyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Value, "script-src 'self' https://cdn.example;") {
			t.Errorf("want one https://cdn.example in script-src, got %s", p.Value)
		}
	})
	t.Run("enforce switches the header", func(t *testing.T) {
		p, _ := Generate(nil, PolicyOptions{Enforce: true})
		if p.Header != "Content-Security-Policy" || p.ReportingEndpoints != "" || strings.Contains(p.Value, "report-") {
			t.Errorf("got %+v", p)
		}
	})
}

func TestGenerateRejects(t *testing.T) {
	tests := []struct {
		name string
		src  Source
	}{
		{"a wildcard host is not an approved source", Source{"script-src", "https://*.example.com"}},
		{"a bare scheme is not an approved source", Source{"connect-src", "https:"}},
		{"a hash outside script and style is refused", Source{"connect-src", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"}},
		{"a hash that is not base64 is refused", Source{"script-src", "'sha256-!!!'"}},
		{"a directive the generator does not write is refused", Source{"font-src", "https://fonts.example"}},
		{"a value with a policy separator is refused", Source{"script-src", "https://a.example;script-src"}},
		{"a javascript: URL is refused", Source{"script-src", "javascript:alert(1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate([]Source{tt.src}, PolicyOptions{}); !errors.Is(err, ErrBadSource) {
				t.Errorf("err = %v, want ErrBadSource", err)
			}
		})
	}
	if _, err := Generate(nil, PolicyOptions{ReportURI: "https://w.example/r/a; script-src *"}); !errors.Is(err, ErrBadSource) {
		t.Errorf("a report URI that injects a directive must be refused, got %v", err)
	}
}

func TestLint(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   []string
		absent []string
	}{
		{"unsafe-inline without a nonce lets injected scripts run",
			"default-src 'self'; script-src 'self' 'unsafe-inline'; form-action 'self'; base-uri 'self'; report-uri /r",
			[]string{"csp.lint.unsafe-inline", "csp.lint.connect-src-fallback"}, nil},
		{"unsafe-inline next to a nonce is ignored by browsers and not flagged",
			"default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'self'; report-to g",
			nil, []string{"csp.lint.unsafe-inline"}},
		{"unsafe-eval and data: in script-src are flagged",
			"script-src 'self' 'unsafe-eval' data:",
			[]string{"csp.lint.unsafe-eval", "csp.lint.data-script", "csp.lint.no-connect-restriction", "csp.lint.no-form-action", "csp.lint.no-reporting", "csp.lint.no-object-src", "csp.lint.no-base-uri"}, nil},
		{"wildcards and bare schemes are flagged in every directive that matters",
			"default-src *; script-src https: *.cdn.example; connect-src *; form-action https:; report-uri /r",
			[]string{"csp.lint.wildcard-source"}, nil},
		{"strict-dynamic with a nonce makes host wildcards in script-src moot",
			"script-src 'nonce-x' 'strict-dynamic' https:; connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; report-uri /r",
			nil, []string{"csp.lint.wildcard-source"}},
		{"a policy with only reporting allows everything",
			"report-uri /r",
			[]string{"csp.lint.no-script-restriction", "csp.lint.no-connect-restriction", "csp.lint.no-form-action"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := Lint(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, f := range fs {
				if err := f.Validate(); err != nil {
					t.Error(err)
				}
				kinds = append(kinds, f.Kind)
			}
			for _, k := range tt.want {
				if !slices.Contains(kinds, k) {
					t.Errorf("missing %s in %v", k, kinds)
				}
			}
			for _, k := range tt.absent {
				if slices.Contains(kinds, k) {
					t.Errorf("unexpected %s in %v", k, kinds)
				}
			}
		})
	}
	if _, err := Lint(" ; ,"); !errors.Is(err, ErrEmptyPolicy) {
		t.Errorf("empty policy: err = %v", err)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add("default-src 'self'; script-src 'unsafe-inline' https:; report-uri /r")
	f.Add("script-src 'nonce-x' 'strict-dynamic', connect-src *")
	f.Add(";;;,,, ")
	f.Fuzz(func(t *testing.T, s string) {
		for _, ds := range ParsePolicies(s) {
			for _, d := range ds {
				if d.Name == "" || strings.ContainsAny(d.Name, ";, \t") {
					t.Fatalf("bad directive name %q", d.Name)
				}
			}
		}
		fs, err := Lint(s)
		if err != nil {
			return
		}
		for _, f := range fs {
			if err := f.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzGenerate checks that no approved value, however odd, can inject a
// directive or a second policy into the generated header.
func FuzzGenerate(f *testing.F) {
	f.Add("script-src", "https://cdn.example", "https://w.example/r/k")
	f.Add("connect-src", "https://a.example;script-src *", "")
	f.Add("script-src", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='", "https://w.example/r/k,x")
	f.Add("img-src", "https://[::1]:8443", "https://w.example/r/k\r\nX: y")
	f.Fuzz(func(t *testing.T, directive, value, reportURI string) {
		p, err := Generate([]Source{{Directive: directive, Value: value}}, PolicyOptions{ReportURI: reportURI})
		if err != nil {
			if !errors.Is(err, ErrBadSource) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if strings.ContainsAny(p.Value, ",\r\n\x00") || strings.ContainsAny(p.ReportingEndpoints, "\r\n\x00") {
			t.Fatalf("header-breaking character in %q / %q", p.Value, p.ReportingEndpoints)
		}
		ds := ParsePolicy(p.Value)
		if len(ds) != len(p.Directives) {
			t.Fatalf("value %q parses into %d directives, generated %d", p.Value, len(ds), len(p.Directives))
		}
		for i, d := range ds {
			if d.Name != p.Directives[i].Name || !slices.Equal(d.Sources, p.Directives[i].Sources) {
				t.Fatalf("directive %d round-trips as %+v, generated %+v", i, d, p.Directives[i])
			}
		}
	})
}
