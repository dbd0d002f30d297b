package csp

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrBadOrigin is wrapped by ParseSiteOrigin's errors.
var ErrBadOrigin = errors.New("not a site origin")

// ParseSiteOrigin reads one of a site's own origins as an operator writes it
// ("https://Shop.example:443", "https://shop.example/") and returns it in the
// form Event.DocumentOrigin takes, so that the two compare as strings.
func ParseSiteOrigin(raw string) (string, error) {
	full, origin, path := splitURL(raw, NormalizeOptions{})
	if origin == "" || (!strings.HasPrefix(origin, "https://") && !strings.HasPrefix(origin, "http://")) {
		return "", fmt.Errorf("%w: %q (want scheme://host[:port], http or https)", ErrBadOrigin, raw)
	}
	if path != "/" || full != origin+"/" || strings.ContainsAny(raw, "?#@") {
		return "", fmt.Errorf("%w: %q has a path, query or user (want scheme://host[:port] only)", ErrBadOrigin, raw)
	}
	return origin, nil
}

// Reports whose document is not on one of the site's origins are kept
// apart from the site's own: their aggregate's DocumentPath is the whole
// document URL (or NoDocument), which no path of the site's own pages,
// always beginning with "/", can equal.

// NoDocument is the document of a foreign report that named none.
const NoDocument = "(none)"

// MarkForeign returns e as a report from a page that is not the site's.
func MarkForeign(e Event) Event {
	e.DocumentPath = cmp.Or(e.DocumentURL, NoDocument)
	return e
}

// IsForeignDocument reports whether an aggregate's DocumentPath is that of
// reports marked by MarkForeign.
func IsForeignDocument(documentPath string) bool {
	return documentPath == NoDocument || strings.Contains(documentPath, "://")
}

// AggregateDocumentOrigin is the document origin of a stored aggregate: from
// its DocumentPath when foreign, else from its sample (an Event as JSON),
// since the site's own aggregates keep only the path. "" when unknown.
func AggregateDocumentOrigin(documentPath, sample string) string {
	if IsForeignDocument(documentPath) {
		if documentPath == NoDocument {
			return NoDocument
		}
		_, origin, _ := splitURL(documentPath, NormalizeOptions{})
		return origin
	}
	var e struct{ DocumentOrigin string }
	if json.Unmarshal([]byte(sample), &e) != nil {
		return ""
	}
	return e.DocumentOrigin
}
