package csp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// ErrEmptyPolicy is returned for a policy with no directive at all.
var ErrEmptyPolicy = errors.New("empty policy")

// ParsePolicy parses one serialized policy (CSP3 §2.2.1): directives split
// on ';', names lower-cased, the first occurrence of a name wins and later
// ones are ignored, as browsers do. A header value with several policies
// separated by ',' goes through ParsePolicies.
func ParsePolicy(s string) []Directive {
	var out []Directive
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		name := strings.ToLower(f[0])
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, Directive{Name: name, Sources: f[1:]})
	}
	return out
}

// ParsePolicies splits a header value into its comma-separated policies.
func ParsePolicies(header string) [][]Directive {
	var out [][]Directive
	for _, p := range strings.Split(header, ",") {
		if ds := ParsePolicy(p); len(ds) > 0 {
			out = append(out, ds)
		}
	}
	return out
}

func lookup(ds []Directive, name string) ([]string, bool) {
	for _, d := range ds {
		if d.Name == name {
			return d.Sources, true
		}
	}
	return nil, false
}

// Lint flags what in a policy lets a skimmer load code or send data out.
// Every weakness is one finding (Source "audit", Kind "csp.lint.*"). A
// header with several comma-separated policies is linted policy by policy,
// with "policy" (0-based) in the evidence; a browser enforces all of them,
// so a weakness in one may be covered by another, and Lint does not try to
// compute the intersection.
func Lint(header string) ([]finding.Finding, error) {
	policies := ParsePolicies(header)
	if len(policies) == 0 {
		return nil, ErrEmptyPolicy
	}
	var out []finding.Finding
	for i, ds := range policies {
		for _, f := range lintOne(ds) {
			f.Evidence["policy"] = i
			out = append(out, f)
		}
	}
	return out, nil
}

func lintOne(ds []Directive) []finding.Finding {
	var out []finding.Finding
	add := func(sev finding.Severity, kind, directive, value, msg string) {
		ev := map[string]any{"directive": directive}
		if value != "" {
			ev["value"] = value
		}
		out = append(out, finding.Finding{Severity: sev, Kind: "csp.lint." + kind, Message: msg, Evidence: ev, Source: "audit"})
	}
	def, hasDefault := lookup(ds, "default-src")

	// Scripts: script-src, else default-src.
	script, ok := lookup(ds, "script-src")
	scriptName := "script-src"
	if !ok {
		script, ok, scriptName = def, hasDefault, "default-src"
	}
	if !ok {
		add(finding.High, "no-script-restriction", "script-src", "",
			"The policy has neither script-src nor default-src, so any script from anywhere may run.")
	} else {
		nonceOrHash, strictDynamic := false, false
		for _, s := range script {
			l := strings.ToLower(s)
			switch {
			case strings.HasPrefix(l, "'nonce-"), strings.HasPrefix(l, "'sha256-"), strings.HasPrefix(l, "'sha384-"), strings.HasPrefix(l, "'sha512-"):
				nonceOrHash = true
			case l == "'strict-dynamic'":
				strictDynamic = true
			}
		}
		for _, s := range script {
			l := strings.ToLower(s)
			switch {
			case l == "'unsafe-inline'" && !nonceOrHash:
				add(finding.High, "unsafe-inline", scriptName, s,
					"'unsafe-inline' without a nonce or hash lets any injected inline script run, which is how most skimmers are planted.")
			case l == "'unsafe-eval'":
				add(finding.High, "unsafe-eval", scriptName, s,
					"'unsafe-eval' lets code hidden in images, JSON or CSS run through eval or new Function.")
			case l == "data:":
				add(finding.High, "data-script", scriptName, s,
					"data: in "+scriptName+" lets a page load a script written inline as a data: URL.")
			case strictDynamic && nonceOrHash:
				// CSP3 browsers ignore host sources and schemes here.
			case isWildcard(l):
				add(finding.High, "wildcard-source", scriptName, s,
					fmt.Sprintf("%s in %s allows scripts from hosts nobody approved.", s, scriptName))
			}
		}
	}

	// Where data may go: connect-src, else default-src.
	if connect, ok := lookup(ds, "connect-src"); ok {
		lintDestinations(add, "connect-src", connect, finding.High)
	} else if hasDefault {
		add(finding.Low, "connect-src-fallback", "connect-src", "",
			"connect-src is missing and falls back to default-src; set it explicitly to the few destinations the page needs.")
		lintDestinations(add, "default-src", def, finding.High)
	} else {
		add(finding.High, "no-connect-restriction", "connect-src", "",
			"The policy has neither connect-src nor default-src, so a script may send data to any host with fetch, XHR, WebSocket or sendBeacon.")
	}

	// form-action does not fall back to default-src.
	if fa, ok := lookup(ds, "form-action"); ok {
		lintDestinations(add, "form-action", fa, finding.Medium)
	} else {
		add(finding.Medium, "no-form-action", "form-action", "",
			"form-action is missing (it does not fall back to default-src), so an injected or altered form may post to any host.")
	}

	if img, ok := lookup(ds, "img-src"); ok {
		lintDestinations(add, "img-src", img, finding.Low)
	}

	_, hasObject := lookup(ds, "object-src")
	if !hasObject && !hasDefault {
		add(finding.Low, "no-object-src", "object-src", "",
			"object-src is missing and there is no default-src; set object-src 'none'.")
	}
	if _, ok := lookup(ds, "base-uri"); !ok {
		add(finding.Low, "no-base-uri", "base-uri", "",
			"base-uri is missing (it does not fall back to default-src), so an injected <base> tag can redirect relative script URLs.")
	}
	_, ru := lookup(ds, "report-uri")
	_, rt := lookup(ds, "report-to")
	if !ru && !rt {
		add(finding.Medium, "no-reporting", "report-uri", "",
			"The policy sends no violation reports (no report-uri or report-to), so nobody learns when a skimmer trips it.")
	}
	return out
}

func lintDestinations(add func(finding.Severity, string, string, string, string), name string, list []string, sev finding.Severity) {
	for _, s := range list {
		if isWildcard(strings.ToLower(s)) {
			add(sev, "wildcard-source", name, s,
				fmt.Sprintf("%s in %s lets data go to hosts nobody approved.", s, name))
		}
	}
}

// isWildcard reports a source that matches hosts nobody listed: "*", a bare
// scheme ("https:", "wss:"), or a host with a wildcard ("*.example.com",
// "https://*.cdn.example").
func isWildcard(l string) bool {
	if strings.HasPrefix(l, "'") {
		return false
	}
	if l == "*" || strings.Contains(l, "*") {
		return true
	}
	switch l {
	case "https:", "http:", "wss:", "ws:", "blob:", "filesystem:":
		return true
	}
	return false
}
