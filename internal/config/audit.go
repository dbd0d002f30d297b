package config

import (
	"fmt"
	"net/url"
	"time"

	"go.yaml.in/yaml/v3"
)

// Audit schedules `skimwatch audit` of a site from outside (docs/AUDIT.md):
//
//	audit: {every: 24h, max_requests: 60}
type Audit struct {
	// URL is the page audited (usually the payment page); default the
	// site's first page.
	URL   string   `yaml:"url"`
	Every Duration `yaml:"every"`
	// MaxRequests caps the requests of one audit, TLS handshakes and
	// redirects included.
	MaxRequests int `yaml:"max_requests"`
	// Rate is the most requests per second.
	Rate float64 `yaml:"rate"`
	// Timeout bounds one whole audit.
	Timeout Duration `yaml:"timeout"`
	// CAFile is a PEM file of roots trusted instead of the system's for
	// the TLS checks and requests (a company CA, the lab's).
	CAFile string `yaml:"ca_file"`
	Line   int    `yaml:"-"`
}

// Audit defaults and bounds. An audit is tens of requests to a shop the
// operator may not run themselves: an interval below an hour (a typo of
// "5m" for "5d") or a budget of thousands would be an attack, not a
// diagnosis.
const (
	DefaultAuditEvery       = 24 * time.Hour
	MinAuditEvery           = time.Hour
	DefaultAuditMaxRequests = 60
	MaxAuditRequests        = 1000
	DefaultAuditRate        = 5.0
	MaxAuditRate            = 50.0
	DefaultAuditTimeout     = 5 * time.Minute
)

func (a *Audit) UnmarshalYAML(n *yaml.Node) error {
	type plain Audit
	if err := n.Decode((*plain)(a)); err != nil {
		return err
	}
	a.Line = n.Line
	return nil
}

// auditDefaults fills what the site's audit leaves out.
func (s *Site) auditDefaults() {
	a := s.Audit
	if a == nil {
		return
	}
	if a.URL == "" && len(s.Pages) > 0 {
		a.URL = s.Pages[0].URL
	}
	a.Every = or(a.Every, DefaultAuditEvery)
	a.Timeout = or(a.Timeout, DefaultAuditTimeout)
	if a.MaxRequests == 0 {
		a.MaxRequests = DefaultAuditMaxRequests
	}
	if a.Rate == 0 {
		a.Rate = DefaultAuditRate
	}
}

// validateAudit checks a site's audit; at is the site's field path.
func (s Site) validateAudit(add func(int, string, string, string), at string) {
	a := s.Audit
	if a == nil {
		return
	}
	f := at + ".audit"
	switch u, err := url.Parse(a.URL); {
	case a.URL == "":
		add(a.Line, f+".url", "", "required when the site has no pages")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add(a.Line, f+".url", a.URL, "want an http(s) URL")
	}
	if a.Every < Duration(MinAuditEvery) {
		add(a.Line, f+".every", a.Every.String(), fmt.Sprintf("must be at least %s: an audit probes the shop tens of times", MinAuditEvery))
	}
	if a.Timeout <= 0 || a.Timeout > Duration(MaxTimeout) {
		add(a.Line, f+".timeout", a.Timeout.String(), fmt.Sprintf("must be above 0 and at most %s", MaxTimeout))
	}
	if a.MaxRequests < 1 || a.MaxRequests > MaxAuditRequests {
		add(a.Line, f+".max_requests", fmt.Sprint(a.MaxRequests), fmt.Sprintf("want 1 to %d", MaxAuditRequests))
	}
	if a.Rate <= 0 || a.Rate > MaxAuditRate {
		add(a.Line, f+".rate", fmt.Sprint(a.Rate), fmt.Sprintf("want above 0 and at most %g requests per second", MaxAuditRate))
	}
}
