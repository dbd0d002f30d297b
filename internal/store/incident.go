package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// IncidentScopeStore keeps scoped incidents (package incident): the
// exposure window, its citations and the affected list, as one JSON
// document per incident. They are not alert incidents (AlertStore): an
// alert incident groups alerts, a scoped incident answers "since when,
// and who".
type IncidentScopeStore interface {
	// PutIncidentScope creates or replaces the scope with s.ID.
	PutIncidentScope(ctx context.Context, s IncidentScope) error
	// IncidentScope returns the scope with this ID, or ErrNotFound.
	IncidentScope(ctx context.Context, id string) (IncidentScope, error)
	// IncidentScopes lists a site's scopes (all sites when site is
	// empty), newest Opened first, without their Data.
	IncidentScopes(ctx context.Context, site string) ([]IncidentScope, error)
}

// IncidentScope is one scoped incident as stored.
type IncidentScope struct {
	ID         string    `json:"id"`
	Site       string    `json:"site"`
	Opened     time.Time `json:"opened"`
	FindingKey string    `json:"finding_key"`
	// Data is the incident document (incident.Incident as JSON).
	Data json.RawMessage `json:"data"`
}

// MaxIncidentScopeBytes caps one stored incident document; a million
// affected orders fit well within it.
const MaxIncidentScopeBytes = 512 << 20

// PrepareIncidentScope validates s and masks any card number in its
// document (it holds customers' names and addresses, never their cards).
func PrepareIncidentScope(s IncidentScope) (IncidentScope, error) {
	if s.ID == "" || len(s.ID) > MaxCheckIDBytes || strings.ContainsRune(s.ID, 0) {
		return s, fmt.Errorf("%w: incident ID %.40q (want 1 to %d bytes)", ErrInvalid, s.ID, MaxCheckIDBytes)
	}
	if s.Site == "" || len(s.Site) > MaxSiteBytes || strings.ContainsRune(s.Site, 0) {
		return s, fmt.Errorf("%w: incident %s: site empty, too long or with a NUL byte", ErrInvalid, s.ID)
	}
	if len(s.FindingKey) > MaxFieldBytes || strings.ContainsRune(s.FindingKey, 0) {
		return s, fmt.Errorf("%w: incident %s: finding key too long or with a NUL byte", ErrInvalid, s.ID)
	}
	if len(s.Data) > MaxIncidentScopeBytes {
		return s, fmt.Errorf("%w: incident %s is %d bytes (max %d)", ErrInvalid, s.ID, len(s.Data), MaxIncidentScopeBytes)
	}
	v, err := decodeJSON(s.Data)
	if err != nil {
		return s, fmt.Errorf("%w: incident %s: document is not JSON: %v", ErrInvalid, s.ID, err)
	}
	data, err := json.Marshal(maskJSON(v))
	if err != nil {
		return s, fmt.Errorf("%w: incident %s: %v", ErrInvalid, s.ID, err)
	}
	s.Data = data
	s.Opened = Timestamp(s.Opened)
	return s, nil
}
