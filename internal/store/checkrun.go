package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/card"
)

// CheckRun is one browser check of one target and the honey values its probe
// typed, kept so that a leaked honey value names the check that typed it
// ("which check leaked this card"). It holds honey values only: a Store
// refuses a run with a card number outside the test range.
type CheckRun struct {
	// CheckID is the honey identity's check ID, unique per check.
	CheckID string    `json:"check_id"`
	Site    string    `json:"site"`
	Target  string    `json:"target"`
	Time    time.Time `json:"time"`
	// Honey maps a field class (card-number, email, phone ...) to the
	// honey value typed into such fields.
	Honey map[string]string `json:"honey"`
}

// Limits on a check run.
const (
	MaxCheckIDBytes    = 64
	MaxHoneyValueBytes = 256
	MaxHoneyValues     = 64
)

// HoneyKey is how honey values are compared: without spaces and dashes and
// in lower case, so that "4111 1111 1111 1111" finds 4111111111111111 and
// "090-1234-5678" finds 09012345678.
func HoneyKey(value string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(value)))
}

// PrepareCheckRun validates r and puts its time in store form.
func PrepareCheckRun(r CheckRun) (CheckRun, error) {
	if r.CheckID == "" || len(r.CheckID) > MaxCheckIDBytes || strings.ContainsRune(r.CheckID, 0) {
		return r, fmt.Errorf("%w: check run ID %.40q (want 1 to %d bytes)", ErrInvalid, r.CheckID, MaxCheckIDBytes)
	}
	if len(r.Site) > MaxSiteBytes || strings.ContainsRune(r.Site, 0) {
		return r, fmt.Errorf("%w: check run %s: site too long or with a NUL byte", ErrInvalid, r.CheckID)
	}
	if len(r.Target) > MaxFieldBytes || strings.ContainsRune(r.Target, 0) {
		return r, fmt.Errorf("%w: check run %s: target too long or with a NUL byte", ErrInvalid, r.CheckID)
	}
	if r.Target != card.MaskString(r.Target) {
		return r, fmt.Errorf("%w: check run %s: the target holds a card number", ErrInvalid, r.CheckID)
	}
	if len(r.Honey) > MaxHoneyValues {
		return r, fmt.Errorf("%w: check run %s: %d honey values (max %d)", ErrInvalid, r.CheckID, len(r.Honey), MaxHoneyValues)
	}
	for class, v := range r.Honey {
		if class == "" || len(class) > MaxHoneyValueBytes || len(v) > MaxHoneyValueBytes || strings.ContainsRune(class+v, 0) {
			return r, fmt.Errorf("%w: check run %s: honey value for %.40q empty class, too long or with a NUL byte", ErrInvalid, r.CheckID, class)
		}
		// Honey values only: a card outside the test range is a real
		// customer's, and never lands on disk.
		if v != card.MaskString(v) {
			return r, fmt.Errorf("%w: check run %s: %s is a card number outside the test range, not a honey value", ErrInvalid, r.CheckID, class)
		}
	}
	r.Time = Timestamp(r.Time)
	return r, nil
}
