package store

import (
	"fmt"
	"net/url"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// ParseFindingQuery reads the findings list's filters from a URL query, the
// one reading for the dashboard's pages and every findings API: site, key,
// source (detector), state, severity (exact), min_severity, since (RFC
// 3339) and after (a FindingCursor). Limit is left to the caller. Bad
// values are ErrInvalid naming the parameter.
func ParseFindingQuery(v url.Values) (FindingQuery, error) {
	q := FindingQuery{Site: v.Get("site"), Key: v.Get("key"), Source: v.Get("source")}
	var err error
	if s := v.Get("state"); s != "" {
		if q.State, err = ParseFindingState(s); err != nil {
			return q, fmt.Errorf("state: %w", err)
		}
	}
	for name, dst := range map[string]*finding.Severity{"severity": &q.Severity, "min_severity": &q.MinSeverity} {
		if s := v.Get(name); s != "" {
			if *dst, err = finding.ParseSeverity(s); err != nil {
				return q, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
			}
		}
	}
	if s := v.Get("since"); s != "" {
		if q.Since, err = time.Parse(time.RFC3339, s); err != nil {
			return q, fmt.Errorf("%w: since: want an RFC 3339 time", ErrInvalid)
		}
	}
	if q.After, err = ParseFindingCursor(v.Get("after")); err != nil {
		return q, fmt.Errorf("after: %w", err)
	}
	for name, s := range map[string]string{"site": q.Site, "key": q.Key, "source": q.Source} {
		if len(s) > MaxFieldBytes {
			return q, fmt.Errorf("%w: %s too long", ErrInvalid, name)
		}
	}
	return q, nil
}
