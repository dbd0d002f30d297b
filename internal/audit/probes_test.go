package audit

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestProbeMatchers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		match func([]byte) (string, bool)
		body  string
		proof string // "" means no match
	}{
		{"a git HEAD naming a branch is proof", gitHEAD, "ref: refs/heads/master\n", "ref: refs/heads/master"},
		{"a detached git HEAD is proof", gitHEAD, "0123456789abcdef0123456789abcdef01234567\n", "0123456789abcdef0123456789abcdef01234567"},
		{"an HTML page mentioning a ref is not a git HEAD", gitHEAD, "<p>ref: refs/heads/main</p>\n<p>x</p>", ""},
		{"a git config with its core section is proof", gitConfig, "[core]\n\trepositoryformatversion = 0\n", "[core] repositoryformatversion"},
		{"a dotenv quotes its keys and never a value", dotenv, "APP_ENV=prod\nDATABASE_URL=mysql://u:secret@db/x\n", "APP_ENV= DATABASE_URL="},
		{"one KEY= line is not enough for a dotenv", dotenv, "NOTE=hello\n", ""},
		{"an HTML page is never a dotenv", dotenv, "<!doctype html>\nA=1\nB=2\n", ""},
		{"PHP source at the start of a backup is proof", phpSource, "<?php\n$db = 'x';", "<?php"},
		{"a vim swap file is proof", vimSwap, "b0VIM 8.2\x00\x00", "b0VIM"},
		{"an Apache listing is proof", listing, "<html><head><title>Index of /upload</title>", "<title>Index of /upload</title>"},
		{"a Python listing is proof", listing, "<title>Directory listing for /logs/</title>", "<title>Directory listing for /logs/</title>"},
		{"a page merely titled Index is no listing", listing, "<title>Index</title>", ""},
		{"phpinfo's own title is proof", phpinfo, "<title>PHP 8.2.1 - phpinfo()</title>", "<title>PHP 8.2.1 - phpinfo()</title>"},
		{"an EC-CUBE installer title is proof", installer, "<title>EC-CUBE インストール</title>", "<title>EC-CUBE インストール</title>"},
		{"WordPress's setup page is proof", installer, "<title>WordPress &rsaquo; Setup Configuration File</title>", "<title>WordPress &rsaquo; Setup Configuration File</title>"},
		{"a password field is quoted whole", adminLogin, `<form><input name="p" type='password' id=x></form>`, `<input name="p" type='password' id=x>`},
		{"a passwordless form is no login screen", adminLogin, `<input type="text" name="password">`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proof, ok := tc.match([]byte(tc.body))
			if ok != (tc.proof != "") || proof != tc.proof {
				t.Errorf("got (%q, %v), want %q", proof, ok, tc.proof)
			}
		})
	}
}

// FuzzProbeMatchers: no body crashes a matcher, a match always has proof,
// and a dotenv's proof never carries a value.
func FuzzProbeMatchers(f *testing.F) {
	for _, s := range []string{"ref: refs/heads/main\n", "A=1\nB=2\n", "<title>Index of /</title>", "<?php", "b0VIM ", `<input type="password">`, "<title>", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, pr := range probes {
			proof, ok := pr.match(b)
			if ok && proof == "" {
				t.Fatalf("%s matched without proof", pr.path)
			}
		}
		if proof, ok := dotenv(b); ok {
			for _, tok := range strings.Fields(proof) {
				if !strings.HasSuffix(tok, "=") || strings.Count(tok, "=") != 1 {
					t.Fatalf("dotenv proof %q carries more than a key", proof)
				}
			}
		}
	})
}

func TestHeaderChecks(t *testing.T) {
	const goodCSP = "default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; report-uri /r"
	for _, tc := range []struct {
		name   string
		scheme string
		header http.Header
		want   map[string]finding.Severity
	}{
		{"a hardened https page has no finding", "https", http.Header{
			"Content-Security-Policy":   {goodCSP},
			"Strict-Transport-Security": {"max-age=1"},
			"Set-Cookie":                {"PHPSESSID=x; Secure; HttpOnly; SameSite=Strict"},
		}, map[string]finding.Severity{}},
		{"a weak enforced CSP is judged by the CSP linter", "https", http.Header{
			"Content-Security-Policy": {"script-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; report-uri /r"}, "Strict-Transport-Security": {"max-age=1"},
		}, map[string]finding.Severity{"csp.lint.unsafe-inline": finding.High}},
		{"an https page without HSTS is reported", "https", http.Header{"Content-Security-Policy": {goodCSP}},
			map[string]finding.Severity{KindHSTSMissing: finding.Medium}},
		{"a report-only CSP counts as no CSP", "https", http.Header{
			"Content-Security-Policy-Report-Only": {goodCSP}, "Strict-Transport-Security": {"max-age=1"}, "X-Frame-Options": {"DENY"},
		}, map[string]finding.Severity{KindCSPMissing: finding.Medium}},
		{"a CSP without report-uri or report-to is reported by the CSP linter", "https", http.Header{
			"Content-Security-Policy": {"default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"}, "Strict-Transport-Security": {"max-age=1"},
		}, map[string]finding.Severity{"csp.lint.no-reporting": finding.Medium}},
		{"X-Frame-Options ALLOWALL does not stop framing", "https", http.Header{
			"Content-Security-Policy": {"default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; report-uri /r"}, "Strict-Transport-Security": {"max-age=1"}, "X-Frame-Options": {"ALLOWALL"},
		}, map[string]finding.Severity{KindFramingAllowed: finding.Low}},
		{"a session cookie without Secure on https is medium", "https", http.Header{
			"Content-Security-Policy": {goodCSP}, "Strict-Transport-Security": {"max-age=1"},
			"Set-Cookie": {"eccube=x; HttpOnly; SameSite=Lax"},
		}, map[string]finding.Severity{KindCookieFlags: finding.Medium}},
		{"a session cookie missing only SameSite is low", "https", http.Header{
			"Content-Security-Policy": {goodCSP}, "Strict-Transport-Security": {"max-age=1"},
			"Set-Cookie": {"PHPSESSID=x; Secure; HttpOnly"},
		}, map[string]finding.Severity{KindCookieFlags: finding.Low}},
		{"a non-session cookie is not judged", "https", http.Header{
			"Content-Security-Policy": {goodCSP}, "Strict-Transport-Security": {"max-age=1"},
			"Set-Cookie": {"lang=ja"},
		}, map[string]finding.Severity{}},
		{"plain http is reported and HSTS is not asked for", "http", http.Header{"Content-Security-Policy": {goodCSP}},
			map[string]finding.Severity{KindPlainHTTP: finding.Medium}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &finding.Report{Complete: true}
			a := &auditor{p: &prober{opts: Options{Now: func() time.Time { return time.Time{} }}}, rep: rep,
				origin: &url.URL{Scheme: tc.scheme, Host: "shop.test"}}
			a.checkHeaders(&response{URL: tc.scheme + "://shop.test/", Status: 200, Header: tc.header})
			got := map[string]finding.Severity{}
			for _, f := range rep.Findings {
				got[f.Kind] = f.Severity
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
