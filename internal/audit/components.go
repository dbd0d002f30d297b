package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// Finding kinds for versions, libraries and advisories.
const (
	// KindPlatform names the shop software seen from outside, with its
	// version when one could be read.
	KindPlatform = "audit.platform"
	// KindLibrary is a JavaScript library loaded by the page, with its
	// version.
	KindLibrary = "audit.js-library"
	// KindVulnerable is a platform, library or package at a version an
	// advisory covers.
	KindVulnerable = "audit.vulnerable-component"
)

// componentSeverity: what was seen is information; what an advisory covers
// takes the advisory's own severity (advisorySeverity).
// For `audit DIR`: code the web server can rewrite turns any file-write
// bug into a planted skimmer, and a readable secret hands over the
// database; both are how the seed's attacker stayed. A default admin path
// helps an attacker find the way. (PHP settings take phpSettings' own.)
var componentSeverity = map[string]finding.Severity{
	KindPlatform:         finding.Info,
	KindLibrary:          finding.Info,
	KindWebrootWritable:  finding.High,
	KindWorldWritable:    finding.High,
	KindSecretReadable:   finding.High,
	KindAdminDefaultPath: finding.Medium,
}

// Component is a piece of software at a version, found by the remote audit
// (platform, JavaScript library) or in a server's tree (lockfile, plug-in).
type Component struct {
	Ecosystem string
	Name      string
	Version   string
	// Where is the URL or path the version was read from.
	Where string
}

// advisorySeverity maps the source's own word (GitHub's LOW, MODERATE,
// HIGH, CRITICAL) onto ours. An advisory without one is medium: every
// advisory here is a known way in, but we cannot say how bad.
func advisorySeverity(v advisory.Vuln) finding.Severity {
	switch v.SeverityWord() {
	case "CRITICAL":
		return finding.Critical
	case "HIGH":
		return finding.High
	case "LOW":
		return finding.Low
	}
	return finding.Medium
}

// fixedIn lists the versions that fix v for pkg, for the message.
func fixedIn(v advisory.Vuln, eco, name string) []string {
	var out []string
	for _, a := range v.Affected {
		if a.Package.Ecosystem != eco || !advisory.SameName(eco, a.Package.Name, name) {
			continue
		}
		for _, r := range a.Ranges {
			for _, e := range r.Events {
				if e.Fixed != "" && !slices.Contains(out, e.Fixed) {
					out = append(out, e.Fixed)
				}
			}
		}
	}
	return out
}

// vulnFinding is one advisory that covers c.
func vulnFinding(c Component, v advisory.Vuln) finding.Finding {
	fixed := fixedIn(v, c.Ecosystem, c.Name)
	msg := fmt.Sprintf("%s %s is covered by advisory %s: %s.", c.Name, c.Version, v.ID, strings.TrimSuffix(v.Summary, "."))
	if len(fixed) > 0 {
		msg += " Update to " + strings.Join(fixed, " or ") + " or later."
	}
	ev := map[string]any{
		"ecosystem": c.Ecosystem, "package": c.Name, "version": c.Version,
		"advisory": v.ID, "where": c.Where,
	}
	if len(v.Aliases) > 0 {
		ev["aliases"] = v.Aliases
	}
	if len(fixed) > 0 {
		ev["fixed"] = fixed
	}
	return finding.Finding{Severity: advisorySeverity(v), Kind: KindVulnerable, Message: msg, Evidence: ev, Source: "audit"}
}

// matchComponents checks each component against db and returns the
// findings. Without advisories nothing is matched, and the report says so
// (see AdvisoryDetails). A version the ecosystem cannot order is named in
// the report's incomplete reasons, never passed as safe.
func matchComponents(rep *finding.Report, db *advisory.DB, comps []Component) []finding.Finding {
	if db == nil {
		return nil
	}
	var out []finding.Finding
	for _, c := range comps {
		if c.Version == "" || !advisory.Supported(c.Ecosystem) {
			continue
		}
		vs, err := db.Match(c.Ecosystem, c.Name, c.Version)
		if err != nil {
			if errors.Is(err, advisory.ErrVersion) {
				rep.MarkIncomplete(fmt.Sprintf("%s %s (%s): version not comparable with the advisories: %v", c.Name, c.Version, c.Where, err))
			} else {
				rep.MarkIncomplete(fmt.Sprintf("%s %s: %v", c.Name, c.Version, err))
			}
		}
		for _, v := range vs {
			out = append(out, vulnFinding(c, v))
		}
	}
	return out
}

// AdvisoryDetails is what every audit report says about its advisory data:
// where it came from and how old it is, or that there was none.
func AdvisoryDetails(db *advisory.DB) map[string]any {
	if db == nil {
		return map[string]any{"loaded": false}
	}
	d := map[string]any{
		"loaded":          true,
		"source":          db.Meta.Source,
		"records":         db.Meta.Records,
		"newest_modified": db.Meta.NewestModified,
	}
	if !db.Meta.Fetched.IsZero() {
		d["fetched"] = db.Meta.Fetched
	}
	return d
}

// components recognises the platform and the payment page's libraries and
// matches them against the advisories.
func (a *auditor) components(ctx context.Context, pages []*response) {
	if ctx.Err() != nil {
		return
	}
	comps := a.platformFindings(a.fingerprint(ctx, pages))
	scripts := a.p.opts.Scripts
	if len(scripts) == 0 && a.page != nil {
		// The page given, not the home page: its scripts are the ones
		// that see the card.
		scripts = scriptURLs(a.page.URL, a.page.Body)
	}
	comps = append(comps, a.libraryFindings(a.libraries(ctx, scripts))...)
	for _, f := range matchComponents(a.rep, a.p.opts.Advisories, comps) {
		f.URL, f.Time = f.Evidence["where"].(string), a.p.opts.Now()
		a.rep.Findings = append(a.rep.Findings, f)
	}
}
