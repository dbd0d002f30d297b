package pagecheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/observation"
)

// ErrFlow wraps every error in a flow definition.
var ErrFlow = errors.New("invalid flow")

// maxFlowBytes caps a flow file; real flows are a few hundred bytes.
const maxFlowBytes = 1 << 20

// maxFlowSteps caps the steps of one flow.
const maxFlowSteps = 200

// Flow is a multi-step journey through a shop, such as cart, checkout and
// payment, checked as one.
type Flow struct {
	Name  string `yaml:"name"`
	Start string `yaml:"start"`
	Steps []Step `yaml:"steps"`
}

// Step is one action of a flow; exactly one field is set.
type Step struct {
	// Visit navigates the tab to a URL (absolute, or relative to Start).
	Visit string `yaml:"visit,omitempty"`
	// Click clicks the first element matching a CSS selector like a person.
	Click string `yaml:"click,omitempty"`
	// Fill types into one field.
	Fill *Fill `yaml:"fill,omitempty"`
	// Probe fills every recognised field on the page with honey values.
	Probe bool `yaml:"probe,omitempty"`
	// Submit clicks the element matching a CSS selector and marks the probe
	// as submitted (the shop's final order submission is blocked after it).
	Submit string `yaml:"submit,omitempty"`
	// Wait pauses, e.g. "2s", for delayed sends.
	Wait Duration `yaml:"wait,omitempty"`
	// Expect fails the flow (incomplete) when no element matches.
	Expect string `yaml:"expect,omitempty"`
	// Block adds a "METHOD URL-glob" pattern of requests to record then fail.
	Block string `yaml:"block,omitempty"`
}

// Fill types a value into the field a selector finds.
type Fill struct {
	Selector string `yaml:"selector"`
	// Class is the field class whose honey value is typed
	// (card-number, email, ...).
	Class string `yaml:"class,omitempty"`
	// Value is a literal typed instead of a honey value. It must not be
	// card data: only honey card data may ever be typed.
	Value string `yaml:"value,omitempty"`
}

// Duration reads "2s" or "1500ms" from YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// maxWait caps one wait step so that a flow cannot stall a worker.
const maxWait = 60 * time.Second

var knownClasses = map[string]bool{
	observation.FieldCardNumber: true, observation.FieldExpiry: true, observation.FieldCVV: true,
	observation.FieldHolder: true, observation.FieldEmail: true, observation.FieldPhone: true,
	observation.FieldPassword: true, observation.FieldName: true, observation.FieldAddress: true,
	observation.FieldPostcode: true,
}

// ParseFlow reads a flow from YAML. Unknown keys are errors.
func ParseFlow(r io.Reader) (*Flow, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFlowBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading flow: %w", err)
	}
	if len(data) > maxFlowBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFlow, maxFlowBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f Flow
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFlow, err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// Validate checks the flow; errors name the step and field.
func (f *Flow) Validate() error {
	if f.Start == "" {
		return fmt.Errorf("%w: start: missing", ErrFlow)
	}
	start, err := url.Parse(f.Start)
	if err != nil || (start.Scheme != "http" && start.Scheme != "https") || start.Host == "" {
		return fmt.Errorf("%w: start: %q is not an http(s) URL", ErrFlow, f.Start)
	}
	if len(f.Steps) > maxFlowSteps {
		return fmt.Errorf("%w: steps: %d steps, at most %d", ErrFlow, len(f.Steps), maxFlowSteps)
	}
	for i, s := range f.Steps {
		set := 0
		for _, b := range []bool{s.Visit != "", s.Click != "", s.Fill != nil, s.Probe, s.Submit != "", s.Wait != 0, s.Expect != "", s.Block != ""} {
			if b {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("%w: steps[%d]: want exactly one action, found %d", ErrFlow, i, set)
		}
		switch {
		case s.Visit != "":
			u, err := start.Parse(s.Visit)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return fmt.Errorf("%w: steps[%d].visit: %q is not an http(s) URL", ErrFlow, i, s.Visit)
			}
		case s.Fill != nil:
			if s.Fill.Selector == "" {
				return fmt.Errorf("%w: steps[%d].fill.selector: missing", ErrFlow, i)
			}
			if (s.Fill.Class == "") == (s.Fill.Value == "") {
				return fmt.Errorf("%w: steps[%d].fill: want exactly one of class and value", ErrFlow, i)
			}
			if s.Fill.Class != "" && !knownClasses[s.Fill.Class] {
				return fmt.Errorf("%w: steps[%d].fill.class: unknown class %q", ErrFlow, i, s.Fill.Class)
			}
			if looksLikeCard(s.Fill.Value) {
				return fmt.Errorf("%w: steps[%d].fill.value: looks like a card number; use class: card-number for the honey card", ErrFlow, i)
			}
		case s.Wait != 0:
			if s.Wait < 0 || time.Duration(s.Wait) > maxWait {
				return fmt.Errorf("%w: steps[%d].wait: %s, want 0 to %s", ErrFlow, i, time.Duration(s.Wait), maxWait)
			}
		case s.Block != "":
			if _, err := parseBlockRule(s.Block); err != nil {
				return fmt.Errorf("%w: steps[%d].block: %w", ErrFlow, i, err)
			}
		}
	}
	return nil
}

// looksLikeCard reports a card number (test range included) anywhere in s,
// in any encoding card.Find knows: such a literal must never be typed.
func looksLikeCard(s string) bool { return card.Contains(s) }

// blockRule is a "METHOD URL-glob" pattern; "*" in the glob matches any run
// of characters, and METHOD may be "*".
type blockRule struct {
	Method string
	Glob   string
}

func parseBlockRule(s string) (blockRule, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return blockRule{}, fmt.Errorf("%q: want \"METHOD URL-glob\"", s)
	}
	m := strings.ToUpper(f[0])
	switch m {
	case "*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
	default:
		return blockRule{}, fmt.Errorf("%q: unknown method %q", s, f[0])
	}
	return blockRule{Method: m, Glob: f[1]}, nil
}

func (r blockRule) match(method, rawURL string) bool {
	if r.Method != "*" && !strings.EqualFold(r.Method, method) {
		return false
	}
	return globMatch(r.Glob, rawURL)
}

// globMatch matches s against a pattern where '*' is any run of characters.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
