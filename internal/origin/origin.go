// Package origin is the one place skimwatch decides what a URL's origin is
// and whether two origins are the same. The browser check, the baseline, the
// CSP generator, the collector and the lab all compare origins; when each had
// its own copy they disagreed on default ports, so "https://pay.example:443"
// was a different destination in one place and the same in another.
package origin

import (
	"net/url"
	"strings"
)

// Of returns the origin of rawURL serialised as scheme://host[:port]: scheme
// and host lower-cased, user information dropped, and the scheme's default
// port (80 for http and ws, 443 for https and wss) left out, as browsers
// serialise it. URLs without a host (data:, blob:, about:, javascript:,
// relative references) have no origin and give "".
func Of(rawURL string) string {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return ""
	}
	return FromURL(u)
}

// FromURL is Of for a URL already parsed, for callers on a hot path (the
// CSP report decoder) that need the rest of the URL too.
func FromURL(u *url.URL) string {
	if u == nil || u.Hostname() == "" || u.Scheme == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	switch port := u.Port(); {
	case port == "":
	case port == "80" && (scheme == "http" || scheme == "ws"),
		port == "443" && (scheme == "https" || scheme == "wss"):
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") { // an IPv6 literal keeps its brackets
			host = "[" + host + "]"
		}
	}
	return scheme + "://" + host
}

// Same reports whether a and b are URLs (or origins) with the same, non-empty
// origin.
func Same(a, b string) bool {
	oa := Of(a)
	return oa != "" && oa == Of(b)
}

// In reports whether u's origin is one of list, whose entries are origins as
// an operator writes them (any case, perhaps a trailing slash or a default
// port). This is how a destination is matched against --payment-origin.
func In(list []string, u string) bool {
	o := Of(u)
	if o == "" {
		return false
	}
	for _, entry := range list {
		if Of(entry) == o {
			return true
		}
	}
	return false
}
