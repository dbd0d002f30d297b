// Package config reads the service's one YAML file: the sites it watches
// (their origins, payment origins, pages, flows and web roots), collector
// keys and alert secrets by reference, alert sinks, and retention.
//
// Reading is strict: an unknown key is an error, every error names its line
// and wraps ErrInvalid, and a secret written inline is refused, because a
// config file gets copied into tickets and repositories. ${VAR} in any
// value is replaced from the environment; an unset variable is an error,
// not an empty value, so a missing webhook URL cannot pass as "no alerts".
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid is wrapped by every error about the config's content.
var ErrInvalid = errors.New("invalid config")

// Defaults. Every is how often a page, flow or web root is checked when the
// config does not say; MinEvery the shortest interval accepted, so a typo
// such as "5s" for "5m" is not a denial of service against the shop.
const (
	DefaultListen        = "127.0.0.1:8480"
	DefaultMetricsListen = "127.0.0.1:9480"
	DefaultEvery         = 15 * time.Minute
	DefaultPageTimeout   = 2 * time.Minute
	DefaultRootTimeout   = 10 * time.Minute
	DefaultReports       = 90 * 24 * time.Hour
	DefaultDeliveries    = 90 * 24 * time.Hour
	MinEvery             = time.Second
	DefaultDifferential  = "auto"
	// MaxTimeout caps a job's timeout: a worker that dies is noticed only
	// after the longest timeout has passed (see docs/SERVE.md).
	MaxTimeout = 10 * time.Minute
	// MaxBytes caps a config file; a config is kilobytes.
	MaxBytes = 4 << 20
	// RescueMargin is how much longer than the longest job timeout
	// rescue_after must be: a job that timed out still writes its record
	// (up to 30s) and must not be taken for dead meanwhile.
	RescueMargin = 45 * time.Second
)

// Config is the whole file.
type Config struct {
	// DataDir holds the embedded store and the baselines. Default: the
	// store package's data directory.
	DataDir string `yaml:"data_dir"`
	// Store is a store DSN; empty means the embedded SQLite file.
	Store string `yaml:"store"`
	// Listen is the collector endpoint and the API.
	Listen string `yaml:"listen"`
	// MetricsListen serves /metrics apart, so it can stay private while
	// the collector is public.
	MetricsListen string `yaml:"metrics_listen"`
	// Chromium is the browser binary (default $SKIMWATCH_CHROMIUM, then PATH).
	Chromium string `yaml:"chromium"`
	// Concurrency caps browser checks at once in one process.
	Concurrency int `yaml:"concurrency"`

	Sites  []Site  `yaml:"sites"`
	Alerts []Alert `yaml:"alerts"`
	// Alerting holds the alert rules' timings.
	Alerting  Alerting  `yaml:"alerting"`
	Retention Retention `yaml:"retention"`
	// Dashboard configures the dashboard served on listen.
	Dashboard Dashboard `yaml:"dashboard"`
	// RescueAfter is how long a job may stay running before it is taken
	// for dead (its worker killed or its machine lost) and run again
	// elsewhere; 0 is the longest allowed timeout plus five minutes.
	RescueAfter Duration `yaml:"rescue_after"`
}

// Alerting tunes when alerts go out. A key left out keeps the alert
// package's default (docs/ALERTS.md); 0 turns the timing off.
type Alerting struct {
	// Window groups a site's new incidents into one alert; 0 sends each
	// at once.
	Window *Duration `yaml:"window"`
	// Resend is how long an unacknowledged critical waits before it is
	// sent again; 0 never re-sends.
	Resend *Duration `yaml:"resend"`
	// SilenceAfter is how many incomplete runs in a row of one page, flow
	// or web root alert as silence.
	SilenceAfter *int `yaml:"silence_after"`
	Line         int  `yaml:"-"`
}

// Dashboard configures the dashboard itself.
type Dashboard struct {
	// CSPSite names a site (with a collector_key) whose collector takes
	// the dashboard's own CSP violation reports, so they are aggregated
	// and evaluated like a shop's. Empty: the dashboard files them itself
	// at /api/csp-report.
	CSPSite string `yaml:"csp_site"`
	Line    int    `yaml:"-"`
}

// Site is one shop.
type Site struct {
	Name string `yaml:"name"`
	// Origins are the site's own origins beyond those of its pages.
	Origins        []string  `yaml:"origins"`
	PaymentOrigins []string  `yaml:"payment_origins"`
	Pages          []Page    `yaml:"pages"`
	Flows          []Flow    `yaml:"flows"`
	WebRoots       []WebRoot `yaml:"web_roots"`
	// CollectorKey is the key the site's CSP reports carry.
	CollectorKey *SecretRef `yaml:"collector_key"`
	// Baseline is an approved inventory file; checks before it exists
	// write NAME.pending.json beside it for a person to approve. Empty
	// (the default): the approved inventory lives in the store (see
	// store.InventoryStore and docs/SERVE.md), unless the old default file
	// DATA_DIR/baselines/NAME.json exists.
	Baseline string `yaml:"baseline"`
	// Every is how often the collector's reports are evaluated and old
	// ones pruned for this site.
	Every Duration `yaml:"every"`
	// Differential is auto, always or never (checkrun.DifferentialModes):
	// whether a browser check runs its three differential passes. Auto
	// (the default) runs them while the page has no approved baseline.
	// Pages and flows inherit it unless they set their own.
	Differential string `yaml:"differential"`
	// Audit schedules `skimwatch audit` of the site (config/audit.go).
	Audit *Audit `yaml:"audit"`

	Line int `yaml:"-"`
}

// Page is one URL checked in the browser.
type Page struct {
	URL     string   `yaml:"url"`
	Every   Duration `yaml:"every"`
	Timeout Duration `yaml:"timeout"`
	// NoProbe checks without typing honey data.
	NoProbe bool `yaml:"no_probe"`
	// Dwell is how long the check keeps watching after its last submit
	// (or the load); 0 is the check's default. Shorter is cheaper but
	// misses a skimmer that waits longer before it sends.
	Dwell Duration `yaml:"dwell"`
	// Differential overrides the site's.
	Differential string `yaml:"differential"`
	Line         int    `yaml:"-"`
}

// Flow is one multi-step flow file (docs/CHECK.md).
type Flow struct {
	File    string   `yaml:"file"`
	Every   Duration `yaml:"every"`
	Timeout Duration `yaml:"timeout"`
	// Differential overrides the site's.
	Differential string `yaml:"differential"`
	Line         int    `yaml:"-"`
}

// WebRoot is a directory verified against a fim baseline and scanned.
type WebRoot struct {
	Path     string `yaml:"path"`
	Baseline string `yaml:"baseline"`
	Pub      string `yaml:"pub"`
	Scan     bool   `yaml:"scan"`
	// Rules are the user's rule files or folders (*.yar, *.yara) the scan
	// uses beside the bundled rules; compiled once per process and reused
	// while their content stays the same.
	Rules []string `yaml:"rules"`
	// Watch also watches the tree with inotify inside serve, so that a
	// write reaches the alerter in about a second; the periodic verify
	// (Every) stays as the sweep that catches what inotify misses.
	Watch   bool     `yaml:"watch"`
	Every   Duration `yaml:"every"`
	Timeout Duration `yaml:"timeout"`
	Line    int      `yaml:"-"`
}

// Retention says how long collector report aggregates and delivered alert
// deliveries are kept. Findings, incidents and the event log are the
// record and are never pruned.
type Retention struct {
	Reports Duration `yaml:"reports"`
	// Deliveries is how long a delivered alert delivery and its attempts
	// are kept; pending and failed ones are kept whatever their age.
	Deliveries Duration `yaml:"deliveries"`
}

// DefaultConfig is the config before the file is read.
func DefaultConfig() Config {
	return Config{
		Listen:        DefaultListen,
		MetricsListen: DefaultMetricsListen,
		Concurrency:   2,
		Retention:     Retention{Reports: Duration(DefaultReports), Deliveries: Duration(DefaultDeliveries)},
	}
}

// Parse reads a config (at most MaxBytes) with ${VAR} taken from the
// environment, applies defaults and validates it.
func Parse(r io.Reader) (Config, error) { return ParseWith(r, os.LookupEnv) }

// ParseWith is Parse with the environment given by lookup.
func ParseWith(r io.Reader, lookup func(string) (string, bool)) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxBytes {
		return Config{}, fmt.Errorf("config larger than %d bytes: %w", MaxBytes, ErrInvalid)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("empty config: %w", ErrInvalid)
		}
		return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("line %d: more than one YAML document: %w", extra.Line, ErrInvalid)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	cfg := DefaultConfig()
	if err := checkKeys(doc, reflect.TypeOf(cfg), ""); err != nil {
		return Config{}, err
	}
	if err := expand(doc, lookup); err != nil {
		return Config{}, err
	}
	if err := doc.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Load reads and validates the config file at path.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	for i := range c.Sites {
		s := &c.Sites[i]
		if s.Every == 0 {
			s.Every = Duration(DefaultEvery)
		}
		if s.Differential == "" {
			s.Differential = DefaultDifferential
		}
		for j := range s.Pages {
			p := &s.Pages[j]
			if p.Differential == "" {
				p.Differential = s.Differential
			}
			p.Every = or(p.Every, DefaultEvery)
			p.Timeout = or(p.Timeout, DefaultPageTimeout)
		}
		for j := range s.Flows {
			f := &s.Flows[j]
			if f.Differential == "" {
				f.Differential = s.Differential
			}
			f.Every = or(f.Every, DefaultEvery)
			f.Timeout = or(f.Timeout, DefaultPageTimeout)
		}
		for j := range s.WebRoots {
			w := &s.WebRoots[j]
			w.Every = or(w.Every, DefaultEvery)
			w.Timeout = or(w.Timeout, DefaultRootTimeout)
		}
		s.auditDefaults()
	}
}

func or(d Duration, def time.Duration) Duration {
	if d == 0 {
		return Duration(def)
	}
	return d
}

// Error is one thing wrong with the config, at a line of the file (0 when
// the value came from a default).
type Error struct {
	Line  int
	Field string
	Value string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return ErrInvalid }

// checkKeys refuses mapping keys that no field of t (followed through
// pointers and slices) is named by. yaml's own KnownFields is lost inside
// custom unmarshalers, which the line-keeping types need, so the check is
// done once here on the whole tree.
func checkKeys(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.AliasNode:
		return &Error{Line: n.Line, Field: path, Msg: "aliases are not supported"}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			field := strings.TrimPrefix(path+"."+k.Value, ".")
			if !ok {
				return &Error{Line: k.Line, Field: field, Msg: "unknown key"}
			}
			if seen[k.Value] {
				return &Error{Line: k.Line, Field: field, Msg: "key given twice"}
			}
			seen[k.Value] = true
			if err := checkKeys(v, ft, field); err != nil {
				return err
			}
		}
	}
	return nil
}

// expand replaces ${NAME} in every scalar. Only the braced form is read, so
// a "$" elsewhere (in a path or a URL) stays as it is.
func expand(n *yaml.Node, lookup func(string) (string, bool)) error {
	if n.Kind == yaml.ScalarNode {
		v, err := expandString(n.Value, lookup)
		if err != nil {
			return &Error{Line: n.Line, Field: "value", Value: n.Value, Msg: err.Error()}
		}
		n.Value = v
		return nil
	}
	for _, c := range n.Content {
		if err := expand(c, lookup); err != nil {
			return err
		}
	}
	return nil
}

func expandString(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", errors.New("${ without a closing }")
		}
		name := s[i+2 : i+j]
		if !validEnvName(name) {
			return "", fmt.Errorf("${%s}: not a variable name", name)
		}
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("${%s} is not set in the environment", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
