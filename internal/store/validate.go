package store

import (
	"fmt"
	"strings"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// ValidateSite reports a site name or key hash a Store refuses.
func ValidateSite(name string, keyHash []byte) error {
	if name == "" || len(name) > MaxSiteBytes || strings.ContainsRune(name, 0) {
		return fmt.Errorf("%w: site name %.40q (want 1 to %d bytes)", ErrInvalid, name, MaxSiteBytes)
	}
	if len(keyHash) != 32 {
		return fmt.Errorf("%w: site %q key hash is %d bytes (want a 32-byte SHA-256, see HashKey)", ErrInvalid, name, len(keyHash))
	}
	return nil
}

// Validate reports an approved source a Store refuses.
func (s ApprovedSource) Validate() error {
	for name, v := range map[string]string{"site": s.Site, "directive": s.Directive, "value": s.Value} {
		if v == "" {
			return fmt.Errorf("%w: approved source without %s", ErrInvalid, name)
		}
		if len(v) > MaxFieldBytes || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%w: approved source %s too long or with a NUL byte", ErrInvalid, name)
		}
	}
	if len(s.Site) > MaxSiteBytes {
		return fmt.Errorf("%w: approved source site is %d bytes (max %d)", ErrInvalid, len(s.Site), MaxSiteBytes)
	}
	switch s.Origin {
	case OriginBaseline, OriginCollector, OriginManual:
	default:
		return fmt.Errorf("%w: approved source origin %q (want %s, %s or %s)", ErrInvalid, s.Origin, OriginBaseline, OriginCollector, OriginManual)
	}
	return nil
}

// ValidateFinding reports a finding or key a Store refuses.
func ValidateFinding(key string, f finding.Finding) error {
	if key == "" || len(key) > 512 || strings.ContainsRune(key, 0) {
		return fmt.Errorf("%w: finding key %q (want 1 to 512 bytes)", ErrInvalid, key)
	}
	if len(f.Site) > MaxSiteBytes {
		return fmt.Errorf("%w: finding site is %d bytes (max %d)", ErrInvalid, len(f.Site), MaxSiteBytes)
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for _, v := range []string{f.Site, f.Kind, f.Message, f.Source, f.URL, f.Path, f.Rule} {
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("%w: finding %q has a NUL byte", ErrInvalid, f.Kind)
		}
	}
	return nil
}
