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
	"github.com/skimwatch/skimwatch/internal/check/observation"
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
	// ShopOrigins are the shop's own origins besides Start's (a checkout
	// or API host): the probe fails state-changing requests to them once
	// it has typed honey data or clicked.
	ShopOrigins []string `yaml:"shop_origins,omitempty"`
	Steps       []Step   `yaml:"steps"`

	// stepLines are the YAML line of each step, for error messages.
	stepLines []int
}

// Step is one action of a flow; exactly one field is set.
type Step struct {
	// Visit navigates the tab to a URL (absolute, or relative to Start).
	Visit string `yaml:"visit,omitempty"`
	// Click clicks the first element matching a CSS selector like a person.
	// A click may submit a form, so it counts as a submission: from the
	// first click on, state-changing requests to the shop, and pages of
	// the shop not loaded before, are failed unless an allow: step lets
	// them through.
	Click string `yaml:"click,omitempty"`
	// Fill types into one field.
	Fill *Fill `yaml:"fill,omitempty"`
	// Probe fills every recognised field on the page with honey values.
	Probe bool `yaml:"probe,omitempty"`
	// Submit clicks the element matching a CSS selector and marks the probe
	// as submitted; like a click, it counts as a submission.
	Submit string `yaml:"submit,omitempty"`
	// Wait pauses, e.g. "2s", for delayed sends.
	Wait Duration `yaml:"wait,omitempty"`
	// Expect fails the flow (incomplete) when no element matches.
	Expect string `yaml:"expect,omitempty"`
	// Block adds a "METHOD URL-glob" pattern of requests to record then fail.
	Block string `yaml:"block,omitempty"`
	// Allow lets requests matching "METHOD URL-glob" reach the shop from
	// this step on, e.g. "POST /cart/add" (a glob starting with "/" is a
	// path on any of the shop's origins), or "GET /products/*" for pages
	// a click leads to after the guard armed. Never for the honey card.
	Allow string `yaml:"allow,omitempty"`
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
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFlow, err)
	}
	var f Flow
	// Decoding again from the bytes, not the node, keeps KnownFields.
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFlow, err)
	}
	f.stepLines = stepLines(&doc)
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// stepLines returns the line of each item of the top-level steps list.
func stepLines(doc *yaml.Node) []int {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "steps" && m.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, item := range m.Content[i+1].Content {
				lines = append(lines, item.Line)
			}
			return lines
		}
	}
	return nil
}

// stepName names a field of step i for an error: "steps[3].wait (line 12)".
func (f *Flow) stepName(i int, field string) string {
	if i < len(f.stepLines) {
		return fmt.Sprintf("steps[%d]%s (line %d)", i, field, f.stepLines[i])
	}
	return fmt.Sprintf("steps[%d]%s", i, field)
}

// Validate checks the flow; errors name the step, its line when the flow
// was parsed, and the field.
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
	for _, o := range f.ShopOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.TrimRight(u.Path, "/") != "" || u.RawQuery != "" {
			return fmt.Errorf("%w: shop_origins: %q is not an origin (want scheme://host[:port])", ErrFlow, o)
		}
	}
	for i, s := range f.Steps {
		set := 0
		for _, b := range []bool{s.Visit != "", s.Click != "", s.Fill != nil, s.Probe, s.Submit != "", s.Wait != 0, s.Expect != "", s.Block != "", s.Allow != ""} {
			if b {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("%w: %s: want exactly one action, found %d", ErrFlow, f.stepName(i, ""), set)
		}
		switch {
		case s.Visit != "":
			u, err := start.Parse(s.Visit)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return fmt.Errorf("%w: %s: %q is not an http(s) URL", ErrFlow, f.stepName(i, ".visit"), s.Visit)
			}
		case s.Fill != nil:
			if s.Fill.Selector == "" {
				return fmt.Errorf("%w: %s: missing", ErrFlow, f.stepName(i, ".fill.selector"))
			}
			if (s.Fill.Class == "") == (s.Fill.Value == "") {
				return fmt.Errorf("%w: %s: want exactly one of class and value", ErrFlow, f.stepName(i, ".fill"))
			}
			if s.Fill.Class != "" && !knownClasses[s.Fill.Class] {
				return fmt.Errorf("%w: %s: unknown class %q", ErrFlow, f.stepName(i, ".fill.class"), s.Fill.Class)
			}
			if looksLikeCard(s.Fill.Value) {
				return fmt.Errorf("%w: %s: looks like a card number; use class: card-number for the honey card", ErrFlow, f.stepName(i, ".fill.value"))
			}
		case s.Wait != 0:
			if s.Wait < 0 || time.Duration(s.Wait) > maxWait {
				return fmt.Errorf("%w: %s: %s, want 0 to %s", ErrFlow, f.stepName(i, ".wait"), time.Duration(s.Wait), maxWait)
			}
		case s.Block != "":
			if _, err := parseBlockRule(s.Block); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrFlow, f.stepName(i, ".block"), err)
			}
		case s.Allow != "":
			rule, err := parseBlockRule(s.Allow)
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrFlow, f.stepName(i, ".allow"), err)
			}
			if !strings.HasPrefix(rule.Glob, "/") && !strings.HasPrefix(rule.Glob, "http://") && !strings.HasPrefix(rule.Glob, "https://") {
				return fmt.Errorf("%w: %s: %q: want a path (/cart/add) or an http(s) URL glob", ErrFlow, f.stepName(i, ".allow"), rule.Glob)
			}
			if rule.Method == "HEAD" || rule.Method == "OPTIONS" {
				return fmt.Errorf("%w: %s: %s requests are never failed; allow is for page loads (GET) and state-changing methods", ErrFlow, f.stepName(i, ".allow"), rule.Method)
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
