package audit

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/skimwatch/skimwatch/internal/csp"
)

// sessionCookieRe names the cookies that carry a login or a cart: PHP's
// default, EC-CUBE's, Magento's, PrestaShop's, OpenCart's and WordPress's,
// and anything calling itself a session.
var sessionCookieRe = regexp.MustCompile(`(?i)(sess|^sid$|^eccube|^frontend$|^admin$|^prestashop-|^ocsessid$|^wordpress_logged_in)`)

// checkHeaders looks at the headers and cookies of one page.
func (a *auditor) checkHeaders(r *response) {
	u := r.URL
	https := strings.EqualFold(a.origin.Scheme, "https")
	if !https {
		a.add(KindPlainHTTP, u, "The page is served over plain http: anyone on the path can read or rewrite it.",
			map[string]any{"url": u, "status": r.Status, "scheme": "http"})
	} else if r.Header.Get("Strict-Transport-Security") == "" {
		a.add(KindHSTSMissing, u, "The https page sends no Strict-Transport-Security header, so a first visit can be downgraded to http.",
			map[string]any{"url": u, "status": r.Status, "header": "Strict-Transport-Security"})
	}

	enforced := r.Header.Values("Content-Security-Policy")
	if len(enforced) == 0 {
		ev := map[string]any{"url": u, "status": r.Status, "header": "Content-Security-Policy"}
		if ro := r.Header.Values("Content-Security-Policy-Report-Only"); len(ro) > 0 {
			ev["report_only"] = strings.Join(ro, ", ")
		}
		a.add(KindCSPMissing, u, "The page enforces no Content-Security-Policy: an injected script can load code and send data anywhere.", ev)
	}

	// What in an enforced policy still lets a skimmer in or data out, a
	// missing reporting endpoint included, is csp.Lint's rule; the audit
	// only says which page it came from. A report-only policy blocks
	// nothing, so it is not linted as if it did.
	for _, v := range enforced {
		fs, err := csp.Lint(v)
		if err != nil {
			continue // an empty header: nothing enforced by this value
		}
		for _, f := range fs {
			f.URL = u
			f.Evidence["url"] = u
			f.Evidence["status"] = r.Status
			f.Time = a.p.opts.Now()
			a.rep.Findings = append(a.rep.Findings, f)
		}
	}

	if !hasDirective(enforced, "frame-ancestors") {
		xfo := strings.ToUpper(strings.TrimSpace(r.Header.Get("X-Frame-Options")))
		if xfo != "DENY" && xfo != "SAMEORIGIN" {
			ev := map[string]any{"url": u, "status": r.Status, "header": "frame-ancestors"}
			if xfo != "" {
				ev["x_frame_options"] = xfo
			}
			a.add(KindFramingAllowed, u, "Any site may frame the page (no CSP frame-ancestors, no X-Frame-Options), which allows overlay and clickjacking attacks.", ev)
		}
	}

	for _, line := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || !sessionCookieRe.MatchString(c.Name) {
			continue
		}
		var missing []string
		if https && !c.Secure {
			missing = append(missing, "Secure")
		}
		if !c.HttpOnly {
			missing = append(missing, "HttpOnly")
		}
		// Unset (0) and a bare "SameSite" (DefaultMode) both leave the
		// choice to the browser.
		if c.SameSite == 0 || c.SameSite == http.SameSiteDefaultMode {
			missing = append(missing, "SameSite")
		}
		if len(missing) == 0 {
			continue
		}
		a.addSeverity(KindCookieFlags, cookieSeverity(missing), u,
			"The session cookie "+c.Name+" is set without "+strings.Join(missing, ", ")+".",
			map[string]any{"url": u, "status": r.Status, "cookie": c.Name, "missing": missing})
	}
}

// hasDirective reports whether any policy in the header values has one of
// the directives.
func hasDirective(values []string, names ...string) bool {
	for _, v := range values {
		for _, pol := range csp.ParsePolicies(v) {
			for _, d := range pol {
				for _, n := range names {
					if d.Name == n {
						return true
					}
				}
			}
		}
	}
	return false
}
