package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// FindingStateStore keeps what people decided about findings: acknowledged,
// resolved or dismissed, with a reason, by whom and when. A decision is one
// row per finding (the latest); the history of decisions is the event log,
// which the dashboard appends to on every decision.
//
// The state a finding is in is derived when it is read (see
// FindingStateSQL), never written by detectors, so PutFinding needs to know
// nothing of decisions:
//   - no decision: open;
//   - acknowledged: stays acknowledged when raised again (someone is on it);
//   - resolved: open again (reopened) once the finding is raised after the
//     decision, that is its LastSeen passes the LastSeen the decision saw;
//   - dismissed: stays dismissed when raised again, unless its severity
//     rises above the severity the decision saw.
type FindingStateStore interface {
	// SetFindingState records d as the decision about the finding (d.Site,
	// d.Key), replacing any earlier one, and returns it with Time (now when
	// zero), Severity and LastSeen (the finding's, as the decision saw it)
	// filled in. ErrNotFound when no such finding is stored; ErrInvalid for
	// an unknown state, a dismissal without a reason, or an over-long field.
	// Setting StateOpen removes the decision.
	SetFindingState(ctx context.Context, d FindingDecision) (FindingDecision, error)
}

// FindingState is where a finding stands in people's hands.
type FindingState string

// Finding states.
const (
	StateOpen         FindingState = "open"
	StateAcknowledged FindingState = "acknowledged"
	StateResolved     FindingState = "resolved"
	StateDismissed    FindingState = "dismissed"
)

// FindingStates lists the states in the order a list offers them.
var FindingStates = []FindingState{StateOpen, StateAcknowledged, StateResolved, StateDismissed}

// ParseFindingState reads one of FindingStates.
func ParseFindingState(s string) (FindingState, error) {
	for _, st := range FindingStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: finding state %.40q (want open, acknowledged, resolved or dismissed)", ErrInvalid, s)
}

// MaxReasonBytes caps a decision's reason.
const MaxReasonBytes = 2000

// FindingDecision is one person's decision about one finding.
type FindingDecision struct {
	Site   string       `json:"site"`
	Key    string       `json:"key"`
	State  FindingState `json:"state"`
	Reason string       `json:"reason,omitempty"`
	Actor  string       `json:"actor"`
	Time   time.Time    `json:"time"`
	// Severity and LastSeen are the finding's when the decision was made:
	// the yardsticks for reopening it (see FindingStateStore).
	Severity finding.Severity `json:"severity"`
	LastSeen time.Time        `json:"last_seen"`
}

// Validate reports a decision a Store refuses. The reason is masked, like
// everything a store writes, by PrepareFindingDecision.
func (d FindingDecision) Validate() error {
	if _, err := ParseFindingState(string(d.State)); err != nil {
		return err
	}
	if d.Site == "" || len(d.Site) > MaxSiteBytes || d.Key == "" || len(d.Key) > 512 {
		return fmt.Errorf("%w: decision names no finding (site %.40q, key %.40q)", ErrInvalid, d.Site, d.Key)
	}
	if d.State == StateDismissed && strings.TrimSpace(d.Reason) == "" {
		return fmt.Errorf("%w: a dismissal needs a reason", ErrInvalid)
	}
	if len(d.Reason) > MaxReasonBytes || len(d.Actor) > MaxFieldBytes {
		return fmt.Errorf("%w: decision reason or actor too long (max %d bytes)", ErrInvalid, MaxReasonBytes)
	}
	for _, v := range []string{d.Site, d.Key, d.Reason, d.Actor} {
		if strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: decision with a NUL byte or invalid UTF-8", ErrInvalid)
		}
	}
	return nil
}

// PrepareFindingDecision validates d, masks card numbers in its reason and fills
// in Time, for both backends.
func PrepareFindingDecision(d FindingDecision, now func() time.Time) (FindingDecision, error) {
	if err := d.Validate(); err != nil {
		return d, err
	}
	d.Reason = card.MaskString(d.Reason)
	d.Actor = card.MaskString(d.Actor)
	if d.Time.IsZero() {
		d.Time = now()
	}
	d.Time = Timestamp(d.Time)
	return d, nil
}

// FindingStateSQL is the one rule for a finding's state, as SQL over the
// findings table aliased f and the finding_states table aliased s (LEFT
// JOINed on site and key). Both backends use it as it is, so the state a
// list filters on is the state a page shows. See FindingStateStore.
const FindingStateSQL = `(CASE
	WHEN s.state IS NULL THEN 'open'
	WHEN s.state = 'resolved' AND f.last_seen > s.seen THEN 'open'
	WHEN s.state = 'dismissed' AND f.severity > s.severity THEN 'open'
	ELSE s.state END)`

// FindingCursor is where a page of findings ends, in the order Findings
// returns them: the last row's severity, LastSeen, site and key.
type FindingCursor struct {
	Severity finding.Severity
	LastSeen time.Time
	Site     string
	Key      string
}

// IsZero reports a cursor that starts at the beginning.
func (c FindingCursor) IsZero() bool { return c.Key == "" }

// CursorOf returns the cursor just past f.
func CursorOf(f StoredFinding) FindingCursor {
	return FindingCursor{Severity: f.Severity, LastSeen: f.LastSeen, Site: f.Site, Key: f.Key}
}

// String encodes the cursor for a URL: severity, LastSeen in microseconds,
// and the site and key in unpadded base64url, joined by dots.
func (c FindingCursor) String() string {
	if c.IsZero() {
		return ""
	}
	enc := base64.RawURLEncoding
	return strconv.Itoa(int(c.Severity)) + "." + strconv.FormatInt(Timestamp(c.LastSeen).UnixMicro(), 10) + "." +
		enc.EncodeToString([]byte(c.Site)) + "." + enc.EncodeToString([]byte(c.Key))
}

// ParseFindingCursor reads a cursor written by FindingCursor.String; ""
// is the zero cursor. A cursor comes from a URL, so anything malformed is
// ErrInvalid.
func ParseFindingCursor(s string) (FindingCursor, error) {
	if s == "" {
		return FindingCursor{}, nil
	}
	bad := func(why string) (FindingCursor, error) {
		return FindingCursor{}, fmt.Errorf("%w: page cursor %.60q: %s", ErrInvalid, s, why)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return bad("want four dot-separated parts")
	}
	sev, err := strconv.Atoi(parts[0])
	if err != nil || sev < int(finding.Info) || sev > int(finding.Critical) {
		return bad("bad severity")
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || us < 0 || us > 1<<53 {
		return bad("bad time")
	}
	site, err1 := base64.RawURLEncoding.DecodeString(parts[2])
	key, err2 := base64.RawURLEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(site) > MaxSiteBytes || len(key) == 0 || len(key) > 512 {
		return bad("bad site or key")
	}
	return FindingCursor{Severity: finding.Severity(sev), LastSeen: time.UnixMicro(us).UTC(), Site: string(site), Key: string(key)}, nil
}

// FindingsSQL builds the Findings query for both backends, so the filters
// and the order (and so the cursor) mean the same on each. arg adds a
// parameter and returns its placeholder; ts converts a time to the
// backend's column value; evidence is the expression that reads the
// evidence column as text. The columns are the finding's, then the derived
// state, then the decision's (NULL when there is none): state, reason,
// actor, time, severity, seen.
func FindingsSQL(q FindingQuery, arg func(any) string, ts func(time.Time) any, evidence string) string {
	var where []string
	if q.Site != "" {
		where = append(where, "f.site = "+arg(q.Site))
	}
	if q.Key != "" {
		where = append(where, "f.key = "+arg(q.Key))
	}
	if q.Source != "" {
		where = append(where, "f.source = "+arg(q.Source))
	}
	if !q.Since.IsZero() {
		where = append(where, "f.last_seen >= "+arg(ts(q.Since)))
	}
	if q.MinSeverity > 0 {
		where = append(where, "f.severity >= "+arg(int(q.MinSeverity)))
	}
	if q.Severity > 0 {
		where = append(where, "f.severity = "+arg(int(q.Severity)))
	}
	join := "LEFT JOIN"
	if q.State != "" {
		where = append(where, FindingStateSQL+" = "+arg(string(q.State)))
		if q.State != StateOpen {
			// Only a decided finding can be in another state, so the
			// decisions (indexed by state) can lead the query instead of a
			// walk of every finding.
			join = "JOIN"
			where = append(where, "s.state = "+arg(string(q.State)))
		}
	}
	if !q.After.IsZero() {
		c := q.After
		// A row value comparison, which both backends can answer from the
		// findings_list index.
		where = append(where, "(f.severity, f.last_seen, f.site, f.key) < ("+arg(int(c.Severity))+", "+
			arg(ts(c.LastSeen))+", "+arg(c.Site)+", "+arg(c.Key)+")")
	}
	query := `SELECT f.site, f.key, f.severity, f.kind, f.message, ` + evidence + `, f.source, f.url, f.path, f.rule,
		f.count, f.first_seen, f.last_seen, ` + FindingStateSQL + `, s.state, s.reason, s.actor, s.time, s.severity, s.seen
		FROM findings f ` + join + ` finding_states s ON s.site = f.site AND s.key = f.key`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY f.severity DESC, f.last_seen DESC, f.site DESC, f.key DESC"
	if q.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(q.Limit)
	}
	return query
}
