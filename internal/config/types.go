package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a Go duration ("90s", "5m", "24h") or a number of days
// ("90d"), the unit people keep data in.
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads a duration scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Field: "duration", Msg: "want a duration such as 5m or 90d"}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &Error{Line: n.Line, Field: "duration", Value: n.Value, Msg: "want a duration such as 5m or 90d"}
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a Go duration ("90m", "24h") or a number of days
// ("7d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("%q: want a number of days such as 90d, or a duration such as 24h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// SecretRef names where a secret is kept: a file (its content, without a
// trailing newline) or an environment variable. A secret is never written
// in the config itself.
type SecretRef struct {
	File string `yaml:"file"`
	Env  string `yaml:"env"`
	Line int    `yaml:"-"`
}

// UnmarshalYAML refuses a scalar: that would be the secret itself.
func (s *SecretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return &Error{Line: n.Line, Field: "secret", Msg: "a secret must not be written in the config; give {file: PATH} or {env: NAME}"}
	}
	type plain SecretRef
	if err := n.Decode((*plain)(s)); err != nil {
		return err
	}
	s.Line = n.Line
	return nil
}

// Resolve reads the secret.
func (s SecretRef) Resolve() (string, error) {
	switch {
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", s.File)
		}
		return v, nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("secret variable %s is not set", s.Env)
		}
		return v, nil
	}
	return "", errors.New("secret reference names neither a file nor a variable")
}

func (s *SecretRef) validate(field string) error {
	if (s.File == "") == (s.Env == "") {
		return &Error{Line: s.Line, Field: field, Msg: "give exactly one of file or env"}
	}
	return nil
}

// Alert is one sink; exactly one of its fields is set. Only the settings
// live here: the alert package delivers.
type Alert struct {
	Webhook *Webhook `yaml:"webhook"`
	Slack   *Slack   `yaml:"slack"`
	Mail    *Mail    `yaml:"mail"`
	Syslog  *Syslog  `yaml:"syslog"`
	Line    int      `yaml:"-"`
}

// Webhook posts signed JSON. Written as a bare URL it is a webhook with no
// signing secret.
type Webhook struct {
	URL string `yaml:"url"`
	// Secret signs each delivery (HMAC-SHA256).
	Secret *SecretRef `yaml:"secret"`
	Line   int        `yaml:"-"`
}

// UnmarshalYAML reads a bare URL or the full form.
func (w *Webhook) UnmarshalYAML(n *yaml.Node) error {
	w.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		w.URL = n.Value
		return nil
	}
	type plain Webhook
	if err := n.Decode((*plain)(w)); err != nil {
		return err
	}
	w.Line = n.Line
	return nil
}

// Slack posts to a Slack-compatible incoming webhook, whose URL is itself
// the secret.
type Slack struct {
	URL  *SecretRef `yaml:"url"`
	Line int        `yaml:"-"`
}

// Mail sends over SMTP with STARTTLS.
type Mail struct {
	Host     string     `yaml:"host"`
	Port     int        `yaml:"port"`
	Username string     `yaml:"username"`
	Password *SecretRef `yaml:"password"`
	From     string     `yaml:"from"`
	To       []string   `yaml:"to"`
	Line     int        `yaml:"-"`
}

// Syslog sends RFC 5424 messages.
type Syslog struct {
	// Network is "udp" or "tcp".
	Network string `yaml:"network"`
	Address string `yaml:"address"`
	Line    int    `yaml:"-"`
}

// The line-keeping decoders: Validate names the line of the item at fault.

func (s *Site) UnmarshalYAML(n *yaml.Node) error {
	type plain Site
	s.Line = n.Line
	if err := n.Decode((*plain)(s)); err != nil {
		return err
	}
	s.Line = n.Line
	return nil
}

func (p *Page) UnmarshalYAML(n *yaml.Node) error {
	type plain Page
	if err := n.Decode((*plain)(p)); err != nil {
		return err
	}
	p.Line = n.Line
	return nil
}

func (f *Flow) UnmarshalYAML(n *yaml.Node) error {
	type plain Flow
	if err := n.Decode((*plain)(f)); err != nil {
		return err
	}
	f.Line = n.Line
	return nil
}

func (w *WebRoot) UnmarshalYAML(n *yaml.Node) error {
	type plain WebRoot
	if err := n.Decode((*plain)(w)); err != nil {
		return err
	}
	w.Line = n.Line
	return nil
}

func (a *Alert) UnmarshalYAML(n *yaml.Node) error {
	type plain Alert
	if err := n.Decode((*plain)(a)); err != nil {
		return err
	}
	a.Line = n.Line
	return nil
}

func (s *Slack) UnmarshalYAML(n *yaml.Node) error {
	type plain Slack
	if err := n.Decode((*plain)(s)); err != nil {
		return err
	}
	s.Line = n.Line
	return nil
}

func (m *Mail) UnmarshalYAML(n *yaml.Node) error {
	type plain Mail
	if err := n.Decode((*plain)(m)); err != nil {
		return err
	}
	m.Line = n.Line
	return nil
}

func (s *Syslog) UnmarshalYAML(n *yaml.Node) error {
	type plain Syslog
	if err := n.Decode((*plain)(s)); err != nil {
		return err
	}
	s.Line = n.Line
	return nil
}

func (a *Alerting) UnmarshalYAML(n *yaml.Node) error {
	type plain Alerting
	if err := n.Decode((*plain)(a)); err != nil {
		return err
	}
	a.Line = n.Line
	return nil
}

// UnmarshalYAML records the dashboard key's line for errors.
func (d *Dashboard) UnmarshalYAML(n *yaml.Node) error {
	type plain Dashboard
	if err := n.Decode((*plain)(d)); err != nil {
		return err
	}
	d.Line = n.Line
	return nil
}
