package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxShopBytes caps a shop file: it is a page of facts, not a data set.
const MaxShopBytes = 1 << 20

// ErrInvalidShop is wrapped by every error ParseShop returns for a file
// it read but cannot accept.
var ErrInvalidShop = errors.New("invalid shop file")

// Localized is a text in several languages, keyed by language ("ja",
// "en"). A document in a language the text lacks falls back to another
// language rather than to nothing: a shop's name in Japanese is still its
// name in an English letter.
type Localized map[string]string

// In returns the text in lang, else in the first of Langs it has, else "".
func (l Localized) In(lang string) string {
	if s := l[lang]; s != "" {
		return s
	}
	for _, other := range Langs {
		if s := l[other]; s != "" {
			return s
		}
	}
	return ""
}

// UnmarshalYAML accepts a plain string (the same text in every language)
// or a mapping of language to text.
func (l *Localized) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = Localized{}
		for _, lang := range Langs {
			(*l)[lang] = n.Value
		}
		return nil
	}
	m := map[string]string{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k := range m {
		if !knownLang(k) {
			return fmt.Errorf("line %d: language %q (want one of %v)", n.Line, k, Langs)
		}
	}
	*l = m
	return nil
}

// Shop is what only the shop knows: who it is, how to reach it, what it
// has done and will do. Every field may be empty; a document then marks
// the place "to be filled in by the shop" rather than guess.
type Shop struct {
	Name     Localized `yaml:"name"`
	URL      string    `yaml:"url"`
	Operator Localized `yaml:"operator"`
	// Contact is the desk customers and the Commission reach (phone,
	// mail, hours).
	Contact Localized `yaml:"contact"`
	// Reporter is who files the report to the Commission.
	Reporter Localized `yaml:"reporter"`
	// Discovered is when the shop became aware of the breach; it starts
	// the Commission's deadlines. Default: when the incident was opened.
	Discovered time.Time `yaml:"discovered"`
	// Cause is how the attacker got in (the vulnerability), which the
	// event log does not know.
	Cause Localized `yaml:"cause"`
	// Actions are what the shop has done (stopped card payments, removed
	// the program, set up a call centre).
	Actions []Localized `yaml:"actions"`
	// Measures are the measures against recurrence.
	Measures        []Localized `yaml:"measures"`
	SecondaryDamage Localized   `yaml:"secondary_damage"`
	// Publication says whether, when and where the breach was announced.
	Publication Localized `yaml:"publication"`
	// Acquirer is the card acquirer or payment service provider.
	Acquirer Localized `yaml:"acquirer"`
}

// ParseShop reads a shop file (YAML). Unknown keys are errors: a typo
// would otherwise leave a field silently "to be filled in".
func ParseShop(r io.Reader) (Shop, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxShopBytes+1))
	if err != nil {
		return Shop{}, fmt.Errorf("reading shop file: %w", err)
	}
	if len(b) > MaxShopBytes {
		return Shop{}, fmt.Errorf("%w: over %d bytes", ErrInvalidShop, MaxShopBytes)
	}
	var s Shop
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Shop{}, fmt.Errorf("%w: %w", ErrInvalidShop, err)
	}
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Shop{}, fmt.Errorf("%w: url %q is not an http(s) URL", ErrInvalidShop, s.URL)
		}
	}
	return s, nil
}
