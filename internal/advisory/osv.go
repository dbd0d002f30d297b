// Package advisory reads security advisories in the OSV format (from a
// folder of JSON files, a zip or a tar.gz archive, or the data directory
// that `skimwatch advisories update` fills), orders versions by each
// ecosystem's rules, and says which advisories affect a package at a
// version. The audit uses it for platforms, JavaScript libraries and the
// packages of a server's lockfiles.
package advisory

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Vuln is one OSV record, with the fields the audit reads.
type Vuln struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Published time.Time  `json:"published,omitzero"`
	Withdrawn time.Time  `json:"withdrawn,omitzero"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Details   string     `json:"details,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	Affected  []Affected `json:"affected"`
	// DatabaseSpecific carries the source's own severity word
	// ("severity": "HIGH" in GitHub's records).
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
	References       []Reference    `json:"references,omitempty"`
}

// Severity is a scored severity (CVSS vector).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Reference is a link about the advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Affected is one package and the versions of it the advisory covers.
type Affected struct {
	Package  Package  `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Package names a package in its ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a list of events over ordered versions.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event: exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// ErrRecord is wrapped by ParseVuln's error for a record that is not OSV.
var ErrRecord = errors.New("not an OSV record")

// ParseVuln reads one OSV record and checks what matching relies on: an
// id, a modified time, and events with exactly one version each. Affected
// entries without a package (the schema allows repository-only entries,
// with GIT ranges) are dropped: nothing here can match them, and refusing
// them would refuse osv.dev's own exports.
func ParseVuln(data []byte) (Vuln, error) {
	var v Vuln
	if err := json.Unmarshal(data, &v); err != nil {
		return Vuln{}, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	if v.ID == "" {
		return Vuln{}, fmt.Errorf("%w: no id", ErrRecord)
	}
	if v.Modified.IsZero() {
		return Vuln{}, fmt.Errorf("%w: %s: no modified time", ErrRecord, v.ID)
	}
	v.Affected = slices.DeleteFunc(v.Affected, func(a Affected) bool {
		return a.Package.Ecosystem == "" || a.Package.Name == ""
	})
	for _, a := range v.Affected {
		for _, r := range a.Ranges {
			for _, e := range r.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return Vuln{}, fmt.Errorf("%w: %s: a range event must hold exactly one version", ErrRecord, v.ID)
				}
			}
		}
	}
	return v, nil
}

// Affects reports whether the advisory covers pkg at version in ecosystem.
// A withdrawn advisory affects nothing. Ranges of type GIT are skipped (no
// commit is known from outside); SEMVER and ECOSYSTEM ranges are evaluated
// as OSV specifies, with the ecosystem's ordering. A version Compare cannot
// order gives an error rather than a silent "not affected".
func (v Vuln) Affects(ecosystem, name, version string) (bool, error) {
	if !v.Withdrawn.IsZero() {
		return false, nil
	}
	for _, a := range v.Affected {
		if a.Package.Ecosystem != ecosystem || !SameName(ecosystem, a.Package.Name, name) {
			continue
		}
		if slices.Contains(a.Versions, version) {
			return true, nil
		}
		for _, r := range a.Ranges {
			if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
				continue
			}
			in, err := inRange(ecosystem, r.Events, version)
			if err != nil {
				return false, fmt.Errorf("%s: %w", v.ID, err)
			}
			if in {
				return true, nil
			}
		}
	}
	return false, nil
}

// inRange applies OSV's evaluation: events sorted by version, introduced
// opens, fixed and limit close at their version, last_affected closes just
// after it.
func inRange(eco string, events []Event, version string) (bool, error) {
	type ev struct {
		at   string
		kind byte // i, f, l (last_affected), m (limit)
	}
	evs := make([]ev, 0, len(events))
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, ev{e.Introduced, 'i'})
		case e.Fixed != "":
			evs = append(evs, ev{e.Fixed, 'f'})
		case e.LastAffected != "":
			evs = append(evs, ev{e.LastAffected, 'l'})
		case e.Limit != "":
			evs = append(evs, ev{e.Limit, 'm'})
		}
	}
	var sortErr error
	slices.SortStableFunc(evs, func(a, b ev) int {
		c, err := Compare(eco, a.at, b.at)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c
	})
	if sortErr != nil {
		return false, sortErr
	}
	affected := false
	for _, e := range evs {
		c, err := Compare(eco, version, e.at)
		if err != nil {
			return false, err
		}
		switch e.kind {
		case 'i':
			if c >= 0 {
				affected = true
			}
		case 'f', 'm':
			if c >= 0 {
				affected = false
			}
		case 'l':
			if c > 0 {
				affected = false
			}
		}
	}
	return affected, nil
}

// SameName compares package names as the ecosystem does: Packagist and the
// platforms' names are case-insensitive, npm's are not.
func SameName(ecosystem, a, b string) bool {
	if ecosystem == EcosystemNPM {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// SeverityWord is the source's own severity word (GitHub's
// database_specific.severity: LOW, MODERATE, HIGH, CRITICAL), or "".
func (v Vuln) SeverityWord() string {
	s, _ := v.DatabaseSpecific["severity"].(string)
	return strings.ToUpper(s)
}
