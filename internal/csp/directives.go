package csp

import "github.com/skimwatch/skimwatch/internal/finding"

// DirectiveRule is everything skimwatch decides per directive family. It
// lives in one table because the collector's findings, the collector's
// store kinds, the policy generator and the conversion of a browser-check
// baseline into a policy each had their own switch over directive names,
// and nothing kept them in step.
type DirectiveRule struct {
	// Family is the directive as policies write it ("script-src"); the
	// -elem and -attr variants fold onto it (DirectiveFamily).
	Family string
	// Subject is what the directive governs, in the store's vocabulary:
	// "script", "connect", "frame", "form-action", "image", "style", "other".
	Subject string
	// Finding is the kind raised when a URL the inventory does not approve
	// is blocked, What the phrase that names it in the message ("a script
	// from"), and Severity how bad it is; an empty Finding raises nothing.
	Finding  string
	What     string
	Severity finding.Severity
	// Generated says Generate writes this directive, in table order, with
	// 'self' first.
	Generated bool
	// RequestClasses are the browser check's request classes
	// (inventory.RequestClass) whose destinations this directive must allow
	// when a baseline becomes a policy.
	RequestClasses []string
}

// directiveRules is read-only: only DirectiveRuleFor, DirectiveForRequestClass
// and generatedDirectives read it.
var directiveRules = []DirectiveRule{
	// A report names default-src only when the policy has nothing more
	// specific; the collector reads it as a script, the riskiest reading,
	// but stores it as "other" because it cannot know.
	{Family: "default-src", Subject: "other", Finding: "csp.unapproved-script", What: "a script from", Severity: finding.High, Generated: true},
	{Family: "script-src", Subject: "script", Finding: "csp.unapproved-script", What: "a script from", Severity: finding.High, Generated: true,
		RequestClasses: []string{"script"}},
	{Family: "worker-src", Subject: "script", Finding: "csp.unapproved-script", What: "a script from", Severity: finding.High},
	{Family: "connect-src", Subject: "connect", Finding: "csp.unapproved-connect", What: "a connection to", Severity: finding.High, Generated: true,
		RequestClasses: []string{"xhr", "beacon", "websocket"}},
	{Family: "form-action", Subject: "form-action", Finding: "csp.unapproved-form-action", What: "a form submission to", Severity: finding.High, Generated: true},
	{Family: "frame-src", Subject: "frame", Finding: "csp.unapproved-frame", What: "a frame from", Severity: finding.High, Generated: true,
		RequestClasses: []string{"document"}},
	{Family: "child-src", Subject: "frame", Finding: "csp.unapproved-frame", What: "a frame from", Severity: finding.High},
	// Image beacons are an exfiltration channel, but pixels from marketing
	// tags are common: one step lower.
	{Family: "img-src", Subject: "image", Finding: "csp.unapproved-image", What: "an image request to", Severity: finding.Medium, Generated: true,
		RequestClasses: []string{"image"}},
	{Family: "style-src", Subject: "style", Generated: true, RequestClasses: []string{"stylesheet"}},
}

// DirectiveRuleFor returns the rule for a directive family (see
// DirectiveFamily), and false for a directive skimwatch has no rule for.
func DirectiveRuleFor(family string) (DirectiveRule, bool) {
	for _, r := range directiveRules {
		if r.Family == family {
			return r, true
		}
	}
	return DirectiveRule{}, false
}

// DirectiveForRequestClass names the directive that must allow a request
// of the browser check's class (inventory.RequestClass), or "" when no
// generated directive governs it.
func DirectiveForRequestClass(class string) string {
	for _, r := range directiveRules {
		for _, c := range r.RequestClasses {
			if c == class {
				return r.Family
			}
		}
	}
	return ""
}

// generatedDirectives lists what Generate writes, in order.
func generatedDirectives() []string {
	var out []string
	for _, r := range directiveRules {
		if r.Generated {
			out = append(out, r.Family)
		}
	}
	return out
}
