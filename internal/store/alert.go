package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// AlertStore is the part of Store that package alert uses: incidents (what
// has been alerted and what is still open) and deliveries (every alert to
// every sink, and every attempt with its outcome), so that a restarted
// process neither alerts again nor forgets an alert it had still to send.
type AlertStore interface {
	// SaveIncidents writes incs and inserts ds in one transaction, or
	// writes nothing. Each incident is written only when the stored row's
	// Version equals inc.Version (0: no row yet), and is stored with
	// Version+1; otherwise the call fails with ErrConflict, so that two
	// processes that both read an incident cannot both alert on it.
	// A delivery whose ID is already stored is skipped.
	SaveIncidents(ctx context.Context, incs []Incident, ds []Delivery) error
	// Incidents returns incidents matching q by site, Opened and key.
	Incidents(ctx context.Context, q IncidentQuery) ([]Incident, error)

	// ClaimDeliveries returns up to limit pending deliveries due at now
	// (NextAttempt at or before it), oldest due first, and moves their
	// NextAttempt to now+lease in the same transaction, so that another
	// worker does not send them too; one whose sender dies is due again
	// when its lease ends.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// RecordDeliveryAttempt appends attempt a (its Seq is assigned) to its
	// delivery and returns the delivery as updated: delivered when a.Error
	// is empty, otherwise pending until next or, when next is zero, failed
	// for good. ErrNotFound for an unknown delivery, ErrConflict for one
	// that is no longer pending.
	RecordDeliveryAttempt(ctx context.Context, a DeliveryAttempt, next time.Time) (Delivery, error)
	// Deliveries returns deliveries matching q by Created, then ID.
	Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error)
	// DeliveryAttempts returns a delivery's attempts in Seq order.
	DeliveryAttempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error)
	// PruneDeliveries deletes site's delivered deliveries created before
	// before, with their attempts, and returns how many deliveries went.
	// Pending ones are still to be sent and failed ones are what a person
	// has to look into, so both are kept whatever their age.
	PruneDeliveries(ctx context.Context, site string, before time.Time) (int64, error)
}

// ErrConflict is returned (wrapped) when a write lost a race: the row
// changed since it was read. Read again and redo the decision.
var ErrConflict = errors.New("conflict")

// Incident kinds.
const (
	// IncidentFinding is a finding that stays open until a complete run of
	// its target no longer has it.
	IncidentFinding = "finding"
	// IncidentSilence is a target whose runs keep coming back incomplete.
	IncidentSilence = "silence"
)

// Incident statuses.
const (
	// IncidentWatching is a silence incident counting incomplete runs that
	// has not reached its threshold: nothing is alerted yet.
	IncidentWatching = "watching"
	// IncidentOpen is a live incident.
	IncidentOpen = "open"
	// IncidentResolved is an incident that is over but whose resolution has
	// still to be announced.
	IncidentResolved = "resolved"
	// IncidentClosed is over and announced; it opens again (as a new
	// incident) when the same key is seen again.
	IncidentClosed = "closed"
)

// Incident is one alertable condition: a finding key on a site, or a
// target that cannot be seen.
type Incident struct {
	Site string `json:"site"`
	// Key is the finding's store key (FindingKey) or, for silence, the
	// FindingKey of the target's silence finding.
	Key      string `json:"key"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Target   string `json:"target"`
	Detector string `json:"detector"`
	// Finding is the latest sighting (masked before it is stored).
	Finding finding.Finding `json:"finding"`
	// Streak counts incomplete runs in a row (silence only).
	Streak int `json:"streak,omitempty"`
	// Opened is when the incident began: the first sighting or the first
	// incomplete run of the streak.
	Opened   time.Time `json:"opened"`
	LastSeen time.Time `json:"last_seen"`
	Resolved time.Time `json:"resolved,omitzero"`
	// Announced is when the incident's alert was queued (zero: not yet);
	// Reminded when it was last re-sent.
	Announced    time.Time `json:"announced,omitzero"`
	Reminded     time.Time `json:"reminded,omitzero"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	AckBy        string    `json:"ack_by,omitempty"`
	// Version is the optimistic lock (see SaveIncidents).
	Version int64 `json:"version"`
}

// IncidentQuery selects incidents. Zero fields do not filter.
type IncidentQuery struct {
	Site     string
	Key      string
	Target   string
	Detector string
	// Statuses keeps incidents in any of these statuses.
	Statuses []string
	Limit    int
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// MaxDeliveryPayload caps a delivery's payload.
const MaxDeliveryPayload = 1 << 20

// Delivery is one alert to one sink.
type Delivery struct {
	// ID is unique per alert and sink.
	ID      string `json:"id"`
	AlertID string `json:"alert_id"`
	Sink    string `json:"sink"`
	Site    string `json:"site"`
	// Payload is the alert as JSON (masked before it is stored).
	Payload     json.RawMessage `json:"payload"`
	Status      string          `json:"status"`
	Attempts    int             `json:"attempts"`
	Created     time.Time       `json:"created"`
	NextAttempt time.Time       `json:"next_attempt"`
	LastError   string          `json:"last_error,omitempty"`
}

// DeliveryAttempt is one try at sending a delivery.
type DeliveryAttempt struct {
	DeliveryID string        `json:"delivery_id"`
	Seq        int           `json:"seq"`
	At         time.Time     `json:"at"`
	Duration   time.Duration `json:"duration"`
	// Error is empty for a delivered attempt.
	Error string `json:"error,omitempty"`
}

// DeliveryQuery selects deliveries. Zero fields do not filter.
type DeliveryQuery struct {
	AlertID string
	Sink    string
	Status  string
	Limit   int
}

// MaxAttemptError caps a stored attempt error; longer ones are cut.
const MaxAttemptError = 1024

// PrepareSave is what every backend's SaveIncidents does before writing:
// each incident prepared (PrepareIncident), its version advanced and encoded
// as the JSON kept in its row, and each delivery prepared (PrepareDelivery).
func PrepareSave(incs []Incident, ds []Delivery, now time.Time) ([]Incident, []string, []Delivery, error) {
	prepared := make([]Incident, len(incs))
	data := make([]string, len(incs))
	for i, inc := range incs {
		p, err := PrepareIncident(inc)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("save incidents: %w", err)
		}
		p.Version++
		b, err := json.Marshal(p)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("save incident %s: %w", p.Key, err)
		}
		prepared[i], data[i] = p, string(b)
	}
	deliveries := make([]Delivery, len(ds))
	for i, dl := range ds {
		p, err := PrepareDelivery(dl, now)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("save incidents: %w", err)
		}
		deliveries[i] = p
	}
	return prepared, data, deliveries, nil
}

// ApplyAttempt is the rule every backend's RecordDeliveryAttempt follows
// once it holds the delivery found (if any) under its lock: only a pending
// delivery takes an attempt; the attempt is numbered; success delivers it,
// a failure with no next time fails it, any other failure waits for next.
func ApplyAttempt(found []Delivery, a *DeliveryAttempt, next time.Time) (Delivery, error) {
	if len(found) == 0 {
		return Delivery{}, fmt.Errorf("delivery %s: %w", a.DeliveryID, ErrNotFound)
	}
	dl := found[0]
	if dl.Status != DeliveryPending {
		return dl, fmt.Errorf("delivery %s is %s: %w", dl.ID, dl.Status, ErrConflict)
	}
	dl.Attempts++
	a.Seq = dl.Attempts
	switch {
	case a.Error == "":
		dl.Status = DeliveryDelivered
	case next.IsZero():
		dl.Status = DeliveryFailed
	default:
		dl.NextAttempt = Timestamp(next)
	}
	dl.LastError = a.Error
	return dl, nil
}

// PrepareIncident validates inc, masks card numbers in its finding and puts
// its times in store form.
func PrepareIncident(inc Incident) (Incident, error) {
	if inc.Site == "" || len(inc.Site) > MaxSiteBytes {
		return inc, fmt.Errorf("%w: incident site %.40q (want 1 to %d bytes)", ErrInvalid, inc.Site, MaxSiteBytes)
	}
	if err := ValidateFinding(inc.Key, inc.Finding); err != nil {
		return inc, fmt.Errorf("incident %s: %w", inc.Key, err)
	}
	switch inc.Kind {
	case IncidentFinding, IncidentSilence:
	default:
		return inc, fmt.Errorf("%w: incident %s: kind %q", ErrInvalid, inc.Key, inc.Kind)
	}
	switch inc.Status {
	case IncidentWatching, IncidentOpen, IncidentResolved, IncidentClosed:
	default:
		return inc, fmt.Errorf("%w: incident %s: status %q", ErrInvalid, inc.Key, inc.Status)
	}
	for _, v := range []string{inc.Site, inc.Key, inc.Target, inc.Detector, inc.AckBy} {
		if len(v) > MaxFieldBytes || strings.ContainsRune(v, 0) {
			return inc, fmt.Errorf("%w: incident %s: a field too long or with a NUL byte", ErrInvalid, inc.Key)
		}
	}
	f, err := MaskFinding(inc.Finding)
	if err != nil {
		return inc, err
	}
	inc.Finding = f
	inc.Target = card.MaskString(inc.Target)
	for _, p := range []*time.Time{&inc.Opened, &inc.LastSeen, &inc.Resolved, &inc.Announced, &inc.Reminded, &inc.Acknowledged, &inc.Finding.Time} {
		if !p.IsZero() {
			*p = Timestamp(*p)
		}
	}
	return inc, nil
}

// PrepareDelivery validates d, masks card numbers in its payload and puts
// its times in store form. A new delivery is pending.
func PrepareDelivery(d Delivery, now time.Time) (Delivery, error) {
	if d.ID == "" || len(d.ID) > 256 || d.AlertID == "" || len(d.AlertID) > 256 || d.Sink == "" || len(d.Sink) > 256 ||
		len(d.Site) > MaxSiteBytes || strings.ContainsRune(d.ID+d.AlertID+d.Sink+d.Site, 0) {
		return d, fmt.Errorf("%w: delivery %.40q: ID, alert ID and sink want 1 to 256 bytes without NUL", ErrInvalid, d.ID)
	}
	if !json.Valid(d.Payload) || len(d.Payload) > MaxDeliveryPayload {
		return d, fmt.Errorf("%w: delivery %s: payload is not JSON or over %d bytes", ErrInvalid, d.ID, MaxDeliveryPayload)
	}
	if card.Contains(string(d.Payload)) {
		v, err := decodeJSON(d.Payload)
		if err != nil {
			return d, fmt.Errorf("%w: delivery %s: %v", ErrInvalid, d.ID, err)
		}
		b, err := json.Marshal(maskJSON(v))
		if err != nil {
			return d, fmt.Errorf("%w: delivery %s: %v", ErrInvalid, d.ID, err)
		}
		d.Payload = b
	}
	d.Status, d.Attempts, d.LastError = DeliveryPending, 0, ""
	if d.Created.IsZero() {
		d.Created = now
	}
	if d.NextAttempt.IsZero() {
		d.NextAttempt = d.Created
	}
	d.Created, d.NextAttempt = Timestamp(d.Created), Timestamp(d.NextAttempt)
	return d, nil
}

// PrepareAttempt validates a and puts it in store form.
func PrepareAttempt(a DeliveryAttempt, now time.Time) (DeliveryAttempt, error) {
	if a.DeliveryID == "" || len(a.DeliveryID) > 256 {
		return a, fmt.Errorf("%w: attempt without a delivery ID", ErrInvalid)
	}
	if a.At.IsZero() {
		a.At = now
	}
	a.At = Timestamp(a.At)
	a.Error = strings.ToValidUTF8(strings.ReplaceAll(card.MaskString(a.Error), "\x00", ""), "?")
	if len(a.Error) > MaxAttemptError {
		a.Error = strings.ToValidUTF8(a.Error[:MaxAttemptError], "")
	}
	a.Duration = a.Duration.Round(time.Microsecond)
	return a, nil
}
