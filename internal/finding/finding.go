// Package finding holds what every detector in skimwatch reports: a Finding
// with a severity, a kind, a plain sentence and its evidence, and the Report
// that carries a run's findings together with whether the run was complete.
//
// The browser check, the file integrity monitor, the signature scanner and
// the CSP collector all produce this one model, so that one renderer, one
// store and one alert path serve them all.
package finding

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Severity orders findings. The zero value is invalid on purpose, so that a
// forgotten severity is caught by Validate rather than shipped as "info".
type Severity int

const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = map[Severity]string{
	Info:     "info",
	Low:      "low",
	Medium:   "medium",
	High:     "high",
	Critical: "critical",
}

// String returns the lower-case name used in every output format.
func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads one of critical, high, medium, low, info (any case).
func ParseSeverity(s string) (Severity, error) {
	for k, v := range severityNames {
		if strings.EqualFold(v, strings.TrimSpace(s)) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s)
}

// MarshalText lets Severity appear as its name in JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText is the inverse of MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one thing a security engineer should know about.
//
// Kind is a stable, dotted machine name (for example "honey.card-exfiltration"
// or "fim.modified"); Message is one plain sentence a shop owner can read.
// Evidence holds the facts behind the sentence and must never contain real
// card data: only honey values ever appear in it.
type Finding struct {
	Severity Severity       `json:"severity"`
	Kind     string         `json:"kind"`
	Message  string         `json:"message"`
	Evidence map[string]any `json:"evidence"`

	// Source names the detector: "check", "fim", "scan", "collector", "audit".
	Source string `json:"source,omitempty"`
	// Site is the monitored site's name, when known.
	Site string `json:"site,omitempty"`
	// URL is the page the finding is about (browser check, collector).
	URL string `json:"url,omitempty"`
	// Path and Rule are set by the file monitor and the signature scanner.
	Path string `json:"path,omitempty"`
	Rule string `json:"rule,omitempty"`
	// Time is when the finding was made (injected clock; zero in golden tests).
	Time time.Time `json:"time,omitzero"`
	// Subject is what the finding is about within its place when one
	// place can have several (a leak's destination origin, a script's
	// identity): with it, store.KeyOf tells findings apart without their
	// messages, whose wording can vary between two checks of the same
	// thing. It is identity only, never output.
	Subject string `json:"-"`
}

// Validate reports a finding that would break the output contract.
func (f Finding) Validate() error {
	if _, ok := severityNames[f.Severity]; !ok {
		return fmt.Errorf("finding %q: invalid severity %d", f.Kind, int(f.Severity))
	}
	if f.Kind == "" {
		return fmt.Errorf("finding without kind: %q", f.Message)
	}
	if f.Message == "" {
		return fmt.Errorf("finding %q without message", f.Kind)
	}
	return nil
}

// Report is the result of one run of a detector over one or more targets.
type Report struct {
	Tool     string    `json:"tool"`
	Version  string    `json:"version"`
	Command  string    `json:"command"`
	Targets  []string  `json:"targets"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Complete is false when any part of the run could not finish; a run that
	// is not complete is never "clean", whatever Findings holds.
	Complete   bool      `json:"complete"`
	Incomplete []string  `json:"incomplete,omitempty"`
	Findings   []Finding `json:"findings"`
	// Details carries detector-specific extras (the observation summary of a
	// browser check, counts of a scan); renderers other than JSON ignore it.
	Details map[string]any `json:"details,omitempty"`
	// Warnings are what a reader must know about a run that finished but
	// was not a full one (a scan that skipped rules). SARIF carries them as
	// warning notifications, so a partial scan never reads as a full one.
	Warnings []string `json:"warnings,omitempty"`
}

// Sort orders findings by severity (highest first), then kind, URL, path and
// message, so that output is stable between runs.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.URL, b.URL),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Max returns the highest severity in the report, or 0 when there is none.
func (r *Report) Max() Severity {
	var m Severity
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m
}

// AtOrAbove counts findings at or above s.
func (r *Report) AtOrAbove(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

// MarkIncomplete records why the run could not finish.
func (r *Report) MarkIncomplete(reason string) {
	r.Complete = false
	if !slices.Contains(r.Incomplete, reason) {
		r.Incomplete = append(r.Incomplete, reason)
	}
}

// MarshalJSON guarantees that "findings" is an array, never null, because
// pipelines iterate over it without checking.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	p := plain(r)
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	for i := range p.Findings {
		if p.Findings[i].Evidence == nil {
			p.Findings[i].Evidence = map[string]any{}
		}
	}
	// The encoder that calls this decides HTML escaping when it compacts the
	// result (RenderJSON escapes <, > and &); none is added here.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
