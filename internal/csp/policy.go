package csp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/origin"
)

// Source is one approved entry of a site's inventory: a directive and a
// source expression, either an origin ("https://cdn.example") or a hash
// ("'sha256-…'", quotes optional), or the keywords 'self' and 'none'.
type Source struct {
	Directive string `json:"directive"`
	Value     string `json:"value"`
}

// ErrBadSource is wrapped by every error about an unusable Source.
var ErrBadSource = errors.New("bad source")

// PolicyOptions shape a generated policy.
type PolicyOptions struct {
	// ReportURI is where browsers send reports (the collector's
	// /r/{site-key} URL). Empty writes a policy without reporting, which
	// Lint will flag.
	ReportURI string
	// Enforce writes Content-Security-Policy; the default is
	// Content-Security-Policy-Report-Only, the safe first step.
	Enforce bool
	// Group is the Reporting API endpoint name (default "skimwatch").
	Group string
}

// Policy is a generated policy and the headers that carry it.
type Policy struct {
	// Header is "Content-Security-Policy" or
	// "Content-Security-Policy-Report-Only".
	Header string
	// Value is the policy text.
	Value string
	// ReportingEndpoints is the value of the Reporting-Endpoints header
	// that report-to names, or "" without a ReportURI.
	ReportingEndpoints string
	// Directives are Value's directives in order.
	Directives []Directive
}

// Directive is one directive and its source list.
type Directive struct {
	Name    string
	Sources []string
}

// Generate writes a policy allowing exactly the approved sources, plus the
// fixed hardening directives object-src 'none' and base-uri 'self'. Sources
// for directives it does not write (font-src, ...) are an error rather than
// silently dropped: a policy that breaks the shop gets switched off.
func Generate(sources []Source, opt PolicyOptions) (Policy, error) {
	if opt.Group == "" {
		opt.Group = "skimwatch"
	}
	lists := map[string][]string{}
	for _, s := range sources {
		d := DirectiveFamily(strings.TrimSpace(s.Directive))
		if r, ok := DirectiveRuleFor(d); !ok || !r.Generated || d == "default-src" {
			return Policy{}, fmt.Errorf("%w: directive %q (value %q): the generator writes script-src, connect-src, form-action, frame-src, img-src and style-src", ErrBadSource, s.Directive, s.Value)
		}
		v, err := sourceExpression(d, s.Value)
		if err != nil {
			return Policy{}, err
		}
		if !slices.Contains(lists[d], v) {
			lists[d] = append(lists[d], v)
		}
	}
	p := Policy{Header: "Content-Security-Policy-Report-Only"}
	if opt.Enforce {
		p.Header = "Content-Security-Policy"
	}
	// 'self' starts every list: a shop serves its own scripts, and what a
	// first-party file contains is the file monitor's job, not CSP's.
	for _, name := range generatedDirectives() {
		list := []string{"'self'"}
		extra := lists[name]
		slices.SortFunc(extra, compareSources)
		for _, v := range extra {
			if v == "'self'" {
				continue
			}
			if v == "'none'" {
				list = []string{"'none'"}
				break
			}
			list = append(list, v)
		}
		p.Directives = append(p.Directives, Directive{Name: name, Sources: list})
	}
	p.Directives = append(p.Directives,
		Directive{Name: "object-src", Sources: []string{"'none'"}},
		Directive{Name: "base-uri", Sources: []string{"'self'"}},
	)
	if opt.ReportURI != "" {
		u, err := url.Parse(opt.ReportURI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Policy{}, fmt.Errorf("%w: report URI %q is not an absolute http(s) URL", ErrBadSource, opt.ReportURI)
		}
		if strings.ContainsAny(opt.ReportURI, " ;,\"") {
			return Policy{}, fmt.Errorf("%w: report URI %q contains a space, ';', ',' or '\"'", ErrBadSource, opt.ReportURI)
		}
		if !validToken(opt.Group) {
			return Policy{}, fmt.Errorf("%w: reporting group %q is not a token", ErrBadSource, opt.Group)
		}
		p.Directives = append(p.Directives,
			Directive{Name: "report-uri", Sources: []string{opt.ReportURI}},
			Directive{Name: "report-to", Sources: []string{opt.Group}},
		)
		p.ReportingEndpoints = opt.Group + `="` + opt.ReportURI + `"`
	}
	parts := make([]string, len(p.Directives))
	for i, d := range p.Directives {
		parts[i] = d.Name + " " + strings.Join(d.Sources, " ")
	}
	p.Value = strings.Join(parts, "; ")
	return p, nil
}

// compareSources puts keywords first, then hashes, then hosts.
func compareSources(a, b string) int {
	rank := func(s string) int {
		switch {
		case strings.HasPrefix(s, "'sha"):
			return 1
		case strings.HasPrefix(s, "'"):
			return 0
		}
		return 2
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// sourceExpression validates one approved value and returns it as a CSP
// source expression. Wildcards and bare schemes are refused: an inventory
// approves places, and "https:" approves the whole web.
func sourceExpression(directive, v string) (string, error) {
	v = strings.TrimSpace(v)
	bad := func(why string) error {
		return fmt.Errorf("%w: %s value %q: %s", ErrBadSource, directive, v, why)
	}
	switch strings.ToLower(v) {
	case "'self'", "self":
		return "'self'", nil
	case "'none'", "none":
		return "'none'", nil
	}
	unq := strings.Trim(v, "'")
	for _, alg := range []string{"sha256-", "sha384-", "sha512-"} {
		if strings.HasPrefix(strings.ToLower(unq), alg) {
			rest := unq[len(alg):]
			if directive != "script-src" && directive != "style-src" {
				return "", bad("hashes only apply to script-src and style-src")
			}
			if b, err := base64.StdEncoding.DecodeString(rest); err != nil || len(b) == 0 {
				return "", bad("hash is not base64")
			}
			return "'" + alg + rest + "'", nil
		}
	}
	if strings.Contains(v, "*") {
		return "", bad("wildcards are not approved sources")
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil {
		return "", bad("want an origin like https://cdn.example or a 'sha256-…' hash")
	}
	switch u.Scheme {
	case "https", "wss":
	case "http", "ws":
	default:
		return "", bad("scheme must be https, http, wss or ws")
	}
	if strings.ContainsAny(u.Host, " ;,'\"") {
		return "", bad("host contains a separator")
	}
	// A path would make a host-source narrower than what the inventory
	// approved for every page, and redirects ignore paths anyway: keep the
	// origin only.
	return origin.Of(v), nil
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
