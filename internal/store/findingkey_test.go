package store

import (
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestFindingKey(t *testing.T) {
	base := finding.Finding{Severity: finding.High, Kind: "csp.inline-script", Source: "collector", Site: "shop",
		URL: "https://shop.example/", Message: "3 reports from 2 clients", Time: time.Unix(1, 0)}
	later := base
	later.Message, later.Severity, later.Time = "9 reports from 5 clients", finding.Medium, time.Unix(99, 0)
	otherPath := base
	otherPath.Path = "a.php"
	long := strings.Repeat("/very/long/source/path", 100)
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"a finding raised again with a new message, severity and time is the same finding",
			FindingKey(base, "script-src", "inline"), FindingKey(later, "script-src", "inline"), true},
		{"another subject is another finding", FindingKey(base, "script-src", "a"), FindingKey(base, "script-src", "b"), false},
		{"another path is another finding", FindingKey(base), FindingKey(otherPath), false},
		{"moving a separator between subject fields does not collide", FindingKey(base, "ab", "c"), FindingKey(base, "a", "bc"), false},
		{"a subject longer than the store's key limit still gives a key the store takes",
			FindingKey(base, long), FindingKey(base, long), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.a == tt.b) != tt.same {
				t.Errorf("keys %s and %s: same = %v, want %v", tt.a, tt.b, tt.a == tt.b, tt.same)
			}
			for _, k := range []string{tt.a, tt.b} {
				if err := ValidateFinding(k, base); err != nil {
					t.Errorf("the store refuses key %q: %v", k, err)
				}
			}
		})
	}
}
