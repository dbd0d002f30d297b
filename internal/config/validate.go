package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"

	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Validate returns every problem found (errors.Join of *Error), each
// wrapping ErrInvalid, or nil.
func (c Config) Validate() error {
	var errs []error
	add := func(line int, field, value, msg string) {
		errs = append(errs, &Error{Line: line, Field: field, Value: value, Msg: msg})
	}
	for _, a := range []struct{ field, v string }{{"listen", c.Listen}, {"metrics_listen", c.MetricsListen}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			add(0, a.field, a.v, "want host:port")
		}
	}
	if c.Concurrency < 1 {
		add(0, "concurrency", fmt.Sprint(c.Concurrency), "must be at least 1")
	}
	if w := c.Alerting.Window; w != nil && *w < 0 {
		add(c.Alerting.Line, "alerting.window", w.String(), "must not be negative (0 sends each alert at once)")
	}
	if r := c.Alerting.Resend; r != nil && *r < 0 {
		add(c.Alerting.Line, "alerting.resend", r.String(), "must not be negative (0 never re-sends)")
	}
	if n := c.Alerting.SilenceAfter; n != nil && *n < 1 {
		add(c.Alerting.Line, "alerting.silence_after", fmt.Sprint(*n), "must be at least 1")
	}
	if c.Retention.Reports < 0 {
		add(0, "retention.reports", c.Retention.Reports.String(), "must not be negative")
	}
	if c.Retention.Deliveries < 0 {
		add(0, "retention.deliveries", c.Retention.Deliveries.String(), "must not be negative")
	}
	if len(c.Sites) == 0 {
		add(0, "sites", "", "at least one site is needed")
	}
	if name := c.Dashboard.CSPSite; name != "" {
		i := slices.IndexFunc(c.Sites, func(s Site) bool { return s.Name == name })
		switch {
		case i < 0:
			add(c.Dashboard.Line, "dashboard.csp_site", name, "no site has this name")
		case c.Sites[i].CollectorKey == nil:
			add(c.Dashboard.Line, "dashboard.csp_site", name, "the site has no collector_key: its collector takes the reports")
		}
	}
	names := map[string]bool{}
	// One watcher per tree: two would hand the alerter two views of it.
	watched := map[string]bool{}
	for i, s := range c.Sites {
		at := fmt.Sprintf("sites[%d]", i)
		switch {
		case s.Name == "":
			add(s.Line, at+".name", "", "required")
		case len(s.Name) > store.MaxSiteBytes:
			add(s.Line, at+".name", "", fmt.Sprintf("longer than %d bytes", store.MaxSiteBytes))
		case names[s.Name]:
			add(s.Line, at+".name", s.Name, "another site has this name")
		}
		names[s.Name] = true
		for j, o := range s.PaymentOrigins {
			if origin.Of(o) == "" {
				add(s.Line, fmt.Sprintf("%s.payment_origins[%d]", at, j), o, "want scheme://host[:port]")
			}
		}
		for j, o := range s.Origins {
			if origin.Of(o) == "" {
				add(s.Line, fmt.Sprintf("%s.origins[%d]", at, j), o, "want scheme://host[:port]")
			}
		}
		if s.Every < Duration(MinEvery) {
			add(s.Line, at+".every", s.Every.String(), fmt.Sprintf("must be at least %s", MinEvery))
		}
		differential(add, s.Line, at, s.Differential)
		if s.CollectorKey != nil {
			if err := s.CollectorKey.validate(at + ".collector_key"); err != nil {
				errs = append(errs, err)
			}
		}
		s.validateAudit(add, at)
		for j, p := range s.Pages {
			f := fmt.Sprintf("%s.pages[%d]", at, j)
			if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(p.Line, f+".url", p.URL, "want an http(s) URL")
			}
			interval(add, p.Line, f, p.Every, p.Timeout)
			differential(add, p.Line, f, p.Differential)
			if p.Dwell < 0 || p.Dwell >= p.Timeout {
				add(p.Line, f+".dwell", p.Dwell.String(), "must be at least 0 and shorter than the timeout")
			}
		}
		for j, fl := range s.Flows {
			f := fmt.Sprintf("%s.flows[%d]", at, j)
			if fl.File == "" {
				add(fl.Line, f+".file", "", "required")
			}
			interval(add, fl.Line, f, fl.Every, fl.Timeout)
			differential(add, fl.Line, f, fl.Differential)
		}
		for j, w := range s.WebRoots {
			f := fmt.Sprintf("%s.web_roots[%d]", at, j)
			if w.Path == "" {
				add(w.Line, f+".path", "", "required")
			}
			if w.Baseline == "" {
				add(w.Line, f+".baseline", "", "required (write one with skimwatch fim baseline)")
			}
			interval(add, w.Line, f, w.Every, w.Timeout)
			if len(w.Rules) > 0 && !w.Scan {
				add(w.Line, f+".rules", "", "rules are used by the signature scan: set scan: true too")
			}
			if w.Watch && w.Path != "" {
				p := filepath.Clean(w.Path)
				if watched[p] {
					add(w.Line, f+".watch", w.Path, "this web root is already watched; watch it once")
				}
				watched[p] = true
			}
		}
	}
	for i, a := range c.Alerts {
		errs = append(errs, a.validate(fmt.Sprintf("alerts[%d]", i))...)
	}
	if c.RescueAfter != 0 {
		if need := c.LongestTimeout() + RescueMargin; c.RescueAfter.D() < need {
			add(0, "rescue_after", c.RescueAfter.String(), fmt.Sprintf("must be at least %s: the longest timeout plus %s, or a job that timed out is run twice", need, RescueMargin))
		}
	}
	return errors.Join(errs...)
}

// LongestTimeout is the longest timeout of any page, flow or web root.
func (c Config) LongestTimeout() time.Duration {
	var d Duration
	for _, s := range c.Sites {
		for _, p := range s.Pages {
			d = max(d, p.Timeout)
		}
		for _, f := range s.Flows {
			d = max(d, f.Timeout)
		}
		for _, w := range s.WebRoots {
			d = max(d, w.Timeout)
		}
	}
	return d.D()
}

// differential accepts the modes the check command accepts, from the one
// list of them; empty is the default.
func differential(add func(int, string, string, string), line int, field, mode string) {
	if mode != "" && !slices.Contains(checkrun.DifferentialModes, mode) {
		add(line, field+".differential", mode, "want one of "+strings.Join(checkrun.DifferentialModes, ", "))
	}
}

func interval(add func(int, string, string, string), line int, field string, every, timeout Duration) {
	if every < Duration(MinEvery) {
		add(line, field+".every", every.String(), fmt.Sprintf("must be at least %s", MinEvery))
	}
	if timeout <= 0 || timeout > Duration(MaxTimeout) {
		add(line, field+".timeout", timeout.String(), fmt.Sprintf("must be above 0 and at most %s", MaxTimeout))
	}
}

func (a Alert) validate(at string) []error {
	var errs []error
	add := func(line int, field, value, msg string) {
		errs = append(errs, &Error{Line: line, Field: field, Value: value, Msg: msg})
	}
	n := 0
	for _, set := range []bool{a.Webhook != nil, a.Slack != nil, a.Mail != nil, a.Syslog != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		add(a.Line, at, "", "give exactly one of webhook, slack, mail or syslog")
		return errs
	}
	secret := func(s *SecretRef, field string, required bool) {
		switch {
		case s == nil && required:
			add(a.Line, field, "", "required")
		case s != nil:
			if err := s.validate(field); err != nil {
				errs = append(errs, err)
			}
		}
	}
	switch {
	case a.Webhook != nil:
		w := a.Webhook
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The URL is not echoed: it may carry a token.
			add(w.Line, at+".webhook.url", "", "want an http(s) URL")
		}
		secret(w.Secret, at+".webhook.secret", false)
	case a.Slack != nil:
		secret(a.Slack.URL, at+".slack.url", true)
	case a.Mail != nil:
		m := a.Mail
		if m.Host == "" {
			add(m.Line, at+".mail.host", "", "required")
		}
		if m.Port < 1 || m.Port > 65535 {
			add(m.Line, at+".mail.port", fmt.Sprint(m.Port), "want 1 to 65535")
		}
		if m.From == "" || len(m.To) == 0 {
			add(m.Line, at+".mail", "", "from and to are required")
		}
		secret(m.Password, at+".mail.password", m.Username != "")
	case a.Syslog != nil:
		s := a.Syslog
		if s.Network != "udp" && s.Network != "tcp" {
			add(s.Line, at+".syslog.network", s.Network, "want udp or tcp")
		}
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			add(s.Line, at+".syslog.address", s.Address, "want host:port")
		}
	}
	return errs
}
