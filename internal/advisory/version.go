package advisory

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Ecosystems this package compares versions for. npm and Packagist are
// OSV's own names; WordPress and EC-CUBE are ours (OSV has no ecosystem for
// WordPress plug-ins or for EC-CUBE 2, which is not on Packagist), and use
// the platforms' dotted numeric versions.
const (
	EcosystemNPM       = "npm"
	EcosystemPackagist = "Packagist"
	EcosystemWordPress = "WordPress"
	EcosystemECCUBE    = "EC-CUBE"
)

// ErrVersion is wrapped by Compare's error for a version it cannot order.
var ErrVersion = errors.New("unorderable version")

// Compare orders two versions by the rules of ecosystem: -1, 0 or 1.
// npm follows semver 2.0 (pre-releases before the release, build metadata
// ignored); Packagist follows Composer (a leading v dropped, up to four
// numeric parts, then dev < alpha < beta < RC < stable < patch, as in
// 2.4.3-p1 after 2.4.3); the platforms' own compare dotted numbers part by
// part with the same stability suffixes (PHP's version_compare order, which
// EC-CUBE and WordPress use themselves). "0" is the lowest version in every
// ecosystem, as OSV's "introduced": "0" means.
func Compare(ecosystem, a, b string) (int, error) {
	switch ecosystem {
	case EcosystemNPM:
		return compareSemver(a, b)
	case EcosystemPackagist:
		return compareDotted(a, b, 4)
	case EcosystemWordPress, EcosystemECCUBE:
		return compareDotted(a, b, 0)
	}
	return 0, fmt.Errorf("%w: ecosystem %q is not supported", ErrVersion, ecosystem)
}

// Supported reports whether Compare knows ecosystem's rules.
func Supported(ecosystem string) bool {
	switch ecosystem {
	case EcosystemNPM, EcosystemPackagist, EcosystemWordPress, EcosystemECCUBE:
		return true
	}
	return false
}

func compareSemver(a, b string) (int, error) {
	va, err := parseSemver(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseSemver(b)
	if err != nil {
		return 0, err
	}
	return zeroFirst(a, b, va.Compare(vb)), nil
}

// zeroFirst puts OSV's "0" below every other version. Parsed, "0" is 0.0.0,
// which pre-releases of 0.0.0 sort below (npm's canary builds are published
// as 0.0.0-experimental-…, Composer's as 0.0.0-dev), yet "introduced": "0"
// covers them, and npm audit's "<fixed" does too. c is the parsed order.
func zeroFirst(a, b string, c int) int {
	switch {
	case a == "0" && b == "0":
		return 0
	case a == "0":
		return -1
	case b == "0":
		return 1
	}
	return c
}

func parseSemver(s string) (*semver.Version, error) {
	if s == "0" {
		return semver.New(0, 0, 0, "", ""), nil
	}
	// npm accepts a leading v and =, nothing looser: "1.2" is not a version
	// a lockfile holds.
	v, err := semver.StrictNewVersion(strings.TrimLeft(strings.TrimSpace(s), "v="))
	if err != nil {
		return nil, fmt.Errorf("%w: npm %q: %w", ErrVersion, s, err)
	}
	return v, nil
}

// stability ranks Composer's suffixes; stable sits between RC and patch.
const (
	stDev = iota
	stAlpha
	stBeta
	stRC
	stStable
	stPatch
)

// dotted is a parsed Composer or platform version.
type dotted struct {
	parts     []uint64
	stability int
	stabNum   uint64
}

var suffixes = []struct {
	word string
	st   int
}{
	// Longest first, so that "beta" is not read as "b" + "eta".
	{"alpha", stAlpha}, {"beta", stBeta}, {"patch", stPatch},
	{"dev", stDev}, {"rc", stRC}, {"pl", stPatch},
	{"a", stAlpha}, {"b", stBeta}, {"p", stPatch},
}

// parseDotted reads 1.2.3, v1.2.3, 1.2.3-beta2, 1.2.3.RC1, 2.4.3-p1. maxParts
// bounds the number of numeric parts (Composer: 4), 0 is no bound.
func parseDotted(s string, maxParts int) (dotted, error) {
	bad := func(why string) (dotted, error) {
		return dotted{}, fmt.Errorf("%w: %q: %s", ErrVersion, s, why)
	}
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "v")
	if v == "" {
		return bad("empty")
	}
	if strings.HasPrefix(v, "dev-") {
		return bad("a branch, not a release")
	}
	var d dotted
	i := 0
	for {
		j := i
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		if j == i {
			return bad("a numeric part is missing")
		}
		n, err := strconv.ParseUint(v[i:j], 10, 64)
		if err != nil {
			return bad("a numeric part is too large")
		}
		d.parts = append(d.parts, n)
		if maxParts > 0 && len(d.parts) > maxParts {
			return bad(fmt.Sprintf("more than %d numeric parts", maxParts))
		}
		i = j
		if i == len(v) {
			d.stability = stStable
			return d, nil
		}
		// Another numeric part follows a dot and a digit; anything else
		// starts the suffix.
		if v[i] == '.' && i+1 < len(v) && v[i+1] >= '0' && v[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	rest := strings.TrimLeft(v[i:], ".-_+")
	// Build metadata and Composer's "-stable" say nothing about order.
	if k := strings.IndexByte(rest, '+'); k >= 0 {
		rest = rest[:k]
	}
	if rest == "" || rest == "stable" {
		d.stability = stStable
		return d, nil
	}
	for _, sf := range suffixes {
		if !strings.HasPrefix(rest, sf.word) {
			continue
		}
		num := strings.TrimLeft(rest[len(sf.word):], ".-_")
		d.stability = sf.st
		if num == "" {
			return d, nil
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return bad("the suffix's number is not a number")
		}
		d.stabNum = n
		return d, nil
	}
	return bad("unknown suffix " + strconv.Quote(rest))
}

func compareDotted(a, b string, maxParts int) (int, error) {
	da, err := parseDotted(a, maxParts)
	if err != nil {
		return 0, err
	}
	db, err := parseDotted(b, maxParts)
	if err != nil {
		return 0, err
	}
	return zeroFirst(a, b, da.compare(db)), nil
}

func (da dotted) compare(db dotted) int {
	for i := range max(len(da.parts), len(db.parts)) {
		x, y := part(da.parts, i), part(db.parts, i)
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	if da.stability != db.stability {
		return cmp.Compare(da.stability, db.stability)
	}
	return cmp.Compare(da.stabNum, db.stabNum)
}

func part(p []uint64, i int) uint64 {
	if i < len(p) {
		return p[i]
	}
	return 0
}
