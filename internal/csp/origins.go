package csp

import (
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
