package csp

import (
	"slices"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// TestDirectiveRules pins the one table that the collector's findings and
// store kinds, the policy generator and the baseline-to-policy conversion
// all read, so a directive cannot mean one thing in one place and another
// elsewhere.
func TestDirectiveRules(t *testing.T) {
	tests := []struct {
		name, family, subject, finding string
		sev                            finding.Severity
		generated                      bool
	}{
		{"a blocked script is an unapproved script", "script-src", "script", "csp.unapproved-script", finding.High, true},
		{"a blocked worker is an unapproved script", "worker-src", "script", "csp.unapproved-script", finding.High, false},
		{"a blocked connection is an unapproved connection", "connect-src", "connect", "csp.unapproved-connect", finding.High, true},
		{"a blocked form target is an unapproved form action", "form-action", "form-action", "csp.unapproved-form-action", finding.High, true},
		{"a blocked frame is an unapproved frame", "frame-src", "frame", "csp.unapproved-frame", finding.High, true},
		{"child-src governs frames too", "child-src", "frame", "csp.unapproved-frame", finding.High, false},
		{"a blocked image is one step lower, since marketing pixels are common", "img-src", "image", "csp.unapproved-image", finding.Medium, true},
		{"a blocked stylesheet raises nothing", "style-src", "style", "", 0, true},
		{"default-src is read as a script when it is all there is", "default-src", "other", "csp.unapproved-script", finding.High, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := DirectiveRuleFor(tt.family)
			if !ok {
				t.Fatalf("no rule for %s", tt.family)
			}
			if r.Subject != tt.subject || r.Finding != tt.finding || r.Severity != tt.sev || r.Generated != tt.generated {
				t.Fatalf("%s: got subject %q finding %q severity %v generated %v", tt.family, r.Subject, r.Finding, r.Severity, r.Generated)
			}
			if (r.Finding == "") != (r.What == "") {
				t.Fatalf("%s: a finding needs its phrase and a phrase its finding: %+v", tt.family, r)
			}
		})
	}
	t.Run("a directive skimwatch does not know has no rule", func(t *testing.T) {
		if _, ok := DirectiveRuleFor("font-src"); ok {
			t.Fatal("font-src has a rule")
		}
	})
	t.Run("the generator writes default-src first and then the fetch directives in table order", func(t *testing.T) {
		want := []string{"default-src", "script-src", "connect-src", "form-action", "frame-src", "img-src", "style-src"}
		if got := generatedDirectives(); !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

func TestDirectiveForRequestClass(t *testing.T) {
	tests := []struct{ class, want string }{
		{"script", "script-src"},
		{"xhr", "connect-src"},
		{"beacon", "connect-src"},
		{"websocket", "connect-src"},
		{"image", "img-src"},
		{"stylesheet", "style-src"},
		{"document", "frame-src"},
		{"font", ""},
		{"other", ""},
	}
	for _, tt := range tests {
		t.Run("a "+tt.class+" request is allowed by "+tt.want, func(t *testing.T) {
			if got := DirectiveForRequestClass(tt.class); got != tt.want {
				t.Fatalf("DirectiveForRequestClass(%q) = %q, want %q", tt.class, got, tt.want)
			}
		})
	}
}
