package advisory

import (
	"errors"
	"testing"
)

func TestCompareOrdersVersionsByEachEcosystemsRules(t *testing.T) {
	tests := []struct {
		name string
		eco  string
		a, b string
		want int
	}{
		{"npm orders numerically, not as text", EcosystemNPM, "1.10.0", "1.9.1", 1},
		{"npm puts a pre-release before its release", EcosystemNPM, "3.5.0-rc.1", "3.5.0", -1},
		{"npm orders pre-release identifiers numerically", EcosystemNPM, "3.5.0-beta.2", "3.5.0-beta.10", -1},
		{"npm ignores build metadata", EcosystemNPM, "1.12.4+build.7", "1.12.4", 0},
		{"npm takes OSV's 0 as the lowest version", EcosystemNPM, "0", "0.0.1", -1},
		// Canary builds are published as 0.0.0-something (react@0.0.0-experimental-…);
		// npm audit's "<fixed" covers them, and OSV's 0 is below every version.
		{"npm takes OSV's 0 as below a 0.0.0 pre-release", EcosystemNPM, "0", "0.0.0-experimental-1a2b3c", -1},
		{"npm takes OSV's 0 as below the lowest pre-release", EcosystemNPM, "0", "0.0.0-0", -1},
		{"Packagist drops a leading v", EcosystemPackagist, "v4.0.3", "4.0.3", 0},
		{"Packagist takes OSV's 0 as below a 0.0.0 pre-release", EcosystemPackagist, "0", "0.0.0-alpha1", -1},
		{"Packagist takes OSV's 0 as below a dev release", EcosystemPackagist, "0", "0-dev", -1},
		{"Packagist pads missing parts with zeros", EcosystemPackagist, "4.1", "4.1.0.0", 0},
		{"Packagist puts a patch release after its release", EcosystemPackagist, "2.4.3-p1", "2.4.3", 1},
		{"Packagist puts a patch release before the next release", EcosystemPackagist, "2.4.3-p2", "2.4.4", -1},
		{"Packagist orders dev before alpha", EcosystemPackagist, "1.0.0-dev", "1.0.0-alpha1", -1},
		{"Packagist orders alpha before beta", EcosystemPackagist, "1.0.0-alpha3", "1.0.0-beta1", -1},
		{"Packagist orders beta before RC, whatever the case", EcosystemPackagist, "1.0.0-beta9", "1.0.0-RC1", -1},
		{"Packagist orders RC before stable", EcosystemPackagist, "4.0.0-RC2", "4.0.0", -1},
		{"Packagist reads the short suffixes b and p", EcosystemPackagist, "1.0.0b2", "1.0.0-beta2", 0},
		{"Packagist orders suffix numbers numerically", EcosystemPackagist, "1.0.0-RC10", "1.0.0-RC9", 1},
		{"WordPress compares dotted numbers part by part", EcosystemWordPress, "5.10", "5.9.3", 1},
		{"WordPress allows more than four parts", EcosystemWordPress, "1.2.3.4.5", "1.2.3.4", 1},
		{"EC-CUBE orders its patch releases after the release", EcosystemECCUBE, "2.17.2-p1", "2.17.2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compare(tt.eco, tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Compare(%s, %q, %q) = %d, want %d", tt.eco, tt.a, tt.b, got, tt.want)
			}
			back, err := Compare(tt.eco, tt.b, tt.a)
			if err != nil {
				t.Fatal(err)
			}
			if back != -tt.want {
				t.Errorf("Compare(%s, %q, %q) = %d, want %d (the reverse)", tt.eco, tt.b, tt.a, back, -tt.want)
			}
		})
	}
}

func TestCompareRefusesWhatItCannotOrder(t *testing.T) {
	tests := []struct {
		name string
		eco  string
		v    string
	}{
		{"an npm version with two parts", EcosystemNPM, "1.2"},
		{"an npm range", EcosystemNPM, "^1.2.3"},
		{"a Composer branch", EcosystemPackagist, "dev-master"},
		{"a Composer version with five parts", EcosystemPackagist, "1.2.3.4.5"},
		{"a Composer suffix it does not know", EcosystemPackagist, "1.2.3-foo"},
		{"an empty version", EcosystemWordPress, ""},
		{"an ecosystem without rules here", "PyPI", "1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compare(tt.eco, tt.v, "1.0.0"); !errors.Is(err, ErrVersion) {
				t.Errorf("Compare(%s, %q) error = %v, want ErrVersion", tt.eco, tt.v, err)
			}
		})
	}
}

// FuzzCompare checks that ordering never panics and is antisymmetric.
func FuzzCompare(f *testing.F) {
	for _, s := range []string{"1.2.3", "v4.0.3", "2.4.3-p1", "1.0.0-RC1", "0", "3.5.0-beta.2+x", "1..2", "-", "1.0.0b"} {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, eco := range []string{EcosystemNPM, EcosystemPackagist, EcosystemWordPress} {
			x, err1 := Compare(eco, a, b)
			y, err2 := Compare(eco, b, a)
			if err1 == nil && err2 == nil && x != -y {
				t.Errorf("%s: Compare(%q,%q)=%d but Compare(%q,%q)=%d", eco, a, b, x, b, a, y)
			}
		}
	})
}
