// Package store is where every detector keeps what it saw and decided: sites
// and their collector keys, CSP report aggregates, the approved inventory,
// findings, and the hash-chained event log.
//
// The Store interface and its shared types live here; each backend lives in
// its own package (store/sqlite, the embedded default, and store/postgres),
// and store/open picks one from a DSN. One test suite (store/storetest) runs
// against both, so the two agree on every semantic written down below.
//
// Times are kept in UTC to the microsecond (PostgreSQL's precision): a value
// read back equals Timestamp(t) of the value written.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// Store is implemented by store/sqlite and store/postgres. All methods are
// safe for concurrent use; every write method runs in one transaction.
type Store interface {
	// UpsertSite creates a site or replaces its key hash (key rotation).
	// Keys are secrets: only HashKey(key) is ever stored, never the key.
	// A key hash already used by another site is an error.
	UpsertSite(ctx context.Context, name string, keyHash []byte) error
	// SiteByKeyHash returns ErrNotFound when no site has this key hash.
	SiteByKeyHash(ctx context.Context, keyHash []byte) (Site, error)
	// Sites lists all sites by name.
	Sites(ctx context.Context) ([]Site, error)

	// MergeReportAggregates merges aggs into the stored aggregates in one
	// transaction; see ReportAggregate for the merge rules.
	//
	// batchID makes a flush idempotent: a batch whose ID was already merged
	// is skipped as a whole and returns nil, so a collector that retries a
	// flush after a crash or a timeout does not count twice. Use a fresh
	// random ID per flush and reuse it on retry. An empty batchID disables
	// the check. IDs are remembered for BatchRetention, far longer than any
	// retry loop should run. Any invalid aggregate fails the whole batch (nothing is
	// written) with an error naming its index.
	MergeReportAggregates(ctx context.Context, batchID string, aggs []ReportAggregate) error
	// ReportAggregates returns aggregates matching q, newest LastSeen first.
	ReportAggregates(ctx context.Context, q AggregateQuery) ([]ReportAggregate, error)
	// PruneReportAggregates deletes the aggregates (and so their samples)
	// last seen before before, and returns how many it deleted. Findings
	// and the event log are never pruned: they are the record.
	PruneReportAggregates(ctx context.Context, before time.Time) (int64, error)

	// ApproveSource adds a source to a site's approved inventory. Approving
	// the same (Site, Directive, Value) again is a no-op that keeps the
	// first approval's Origin and Time.
	ApproveSource(ctx context.Context, s ApprovedSource) error
	// ApprovedSources lists a site's approved sources by directive, value.
	ApprovedSources(ctx context.Context, site string) ([]ApprovedSource, error)

	// PutFinding upserts a finding by (f.Site, key): the same finding raised
	// every interval is one row whose Count grows, FirstSeen is the earliest
	// and LastSeen the latest f.Time (now when zero); severity, message,
	// evidence and the other fields take the latest values. created reports
	// whether the row is new. FindingKey gives a sensible default key.
	PutFinding(ctx context.Context, key string, f finding.Finding) (created bool, err error)
	// Findings returns stored findings matching q, highest severity first,
	// then newest LastSeen, then site and key in reverse byte order (the
	// order FindingCursor pages through).
	Findings(ctx context.Context, q FindingQuery) ([]StoredFinding, error)

	// AppendEvent appends e to the hash-chained event log and returns it with
	// Seq, PrevHash, Hash and (when zero) Time filled in. Appends from any
	// number of goroutines or processes form one unbroken chain.
	AppendEvent(ctx context.Context, e Event) (Event, error)
	// Events returns events matching q in Seq order (descending when
	// q.Newest).
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// VerifyEvents walks the whole chain and returns the number of events
	// checked, or a *ChainError for the first event that does not verify.
	// A chain cut short at its end still verifies: callers that must catch
	// that keep the head (Seq and Hash of the last event) outside the store
	// and check it is still there, as `skimwatch events --expect-head` does.
	VerifyEvents(ctx context.Context) (n int, err error)

	// PutCheckRun records a check run and its honey values. Recording the
	// same CheckID again replaces the run.
	PutCheckRun(ctx context.Context, r CheckRun) error
	// CheckRunsByHoney returns the runs that typed a honey value equal to
	// value (compared by HoneyKey), newest first: the checks a leaked value
	// came from. None is an empty list, not an error.
	CheckRunsByHoney(ctx context.Context, value string) ([]CheckRun, error)

	// AlertStore keeps alert incidents and deliveries; see its methods.
	AlertStore
	// InventoryStore keeps page inventories and their authorisations.
	InventoryStore
	// UserStore keeps the dashboard's users, tokens and sessions.
	UserStore
	// IncidentScopeStore keeps scoped incidents; see its methods.
	IncidentScopeStore
	// OverviewStore answers the dashboard overview's counts.
	OverviewStore
	// FindingStateStore keeps decisions about findings.
	FindingStateStore
	// ScriptSourceStore keeps the sources of scripts a check saw.
	ScriptSourceStore
	// ReportPageStore pages through a site's report aggregates.
	ReportPageStore
	// JobRecordStore keeps which queue job filed which run record.
	JobRecordStore

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrInvalid is wrapped by every error about bad input to a Store method.
var ErrInvalid = errors.New("invalid input")

// Site is a monitored site. KeyHash is HashKey of its collector key.
type Site struct {
	Name    string    `json:"name"`
	KeyHash []byte    `json:"key_hash"`
	Created time.Time `json:"created"`
}

// HashKey returns the only form of a site key that is stored. A plain SHA-256
// is enough because keys are 128-bit random values, not passwords.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// Limits on stored aggregates. They are part of the contract: a collector
// must cap its input to them.
const (
	// MaxClientHashes is how many distinct client hashes an aggregate keeps.
	// Clients saturates there: a value of MaxClientHashes means "that many
	// or more".
	MaxClientHashes = 64
	// MaxSampleBytes caps ReportAggregate.Sample; a longer sample is invalid.
	MaxSampleBytes = 4096
	// MaxSiteBytes caps a site name wherever it appears (it is indexed).
	MaxSiteBytes = 256
	// MaxFieldBytes caps every other string field of an aggregate, an
	// approved source and an event (URLs and origins fit well within it).
	MaxFieldBytes = 8192
)

// BatchRetention is how long MergeReportAggregates remembers a batch ID.
const BatchRetention = 7 * 24 * time.Hour

// ReportAggregate is many CSP / Reporting API violation reports folded into
// one row. Rows are merged on the key (Site, Directive, Blocked, SourceFile,
// DocumentPath, Disposition): Count adds up, FirstSeen is the minimum and
// LastSeen the maximum, ClientHashes are unioned and then the
// MaxClientHashes smallest (in byte order) are kept, Clients is
// len(ClientHashes) after the merge (the value passed in is ignored), Kind
// and Sample keep the first non-empty value.
type ReportAggregate struct {
	Site      string `json:"site"`
	Directive string `json:"directive"`
	// Kind is "script", "connect", "inline", "eval", "frame", "form-action", ...
	Kind string `json:"kind"`
	// Blocked is the blocked origin, or a kind such as "inline" or "eval".
	Blocked      string `json:"blocked"`
	SourceFile   string `json:"source_file"`
	DocumentPath string `json:"document_path"`
	// Disposition is "enforce" or "report".
	Disposition  string    `json:"disposition"`
	Count        int64     `json:"count"`
	Clients      int       `json:"clients"`
	ClientHashes []string  `json:"client_hashes"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	// Sample is one normalised report as JSON, at most MaxSampleBytes.
	Sample string `json:"sample,omitempty"`
}

// AggregateQuery selects report aggregates. Zero fields do not filter.
type AggregateQuery struct {
	Site string
	// Since keeps aggregates with LastSeen at or after it.
	Since time.Time
	// Blocked keeps aggregates with exactly this Blocked value.
	Blocked string
	// DocumentPrefix keeps aggregates whose DocumentPath begins with it.
	DocumentPrefix string
	// Limit caps the rows returned; 0 means no limit.
	Limit int
}

// Approved source origins.
const (
	OriginBaseline  = "baseline"
	OriginCollector = "collector"
	OriginManual    = "manual"
)

// DirectiveSiteOrigin is the Directive of an approved source that is not
// something the site may load but one of the site's own origins: where its
// pages are. The collector believes a report only when its document is on
// one of them. It is no CSP directive, so policy generators skip it.
const DirectiveSiteOrigin = "site-origin"

// ApprovedSource is one thing a site may load or contact.
type ApprovedSource struct {
	Site string `json:"site"`
	// Directive is a CSP directive: "script-src", "connect-src", ...
	Directive string `json:"directive"`
	// Value is an origin or a hash source such as 'sha256-...'.
	Value string `json:"value"`
	// Origin says how it was approved: OriginBaseline, OriginCollector or
	// OriginManual.
	Origin string    `json:"origin"`
	Time   time.Time `json:"time"`
}

// StoredFinding is a finding as kept in the store, with how often and over
// what period it was raised.
type StoredFinding struct {
	finding.Finding
	Key       string    `json:"key"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// State is derived from the latest decision (see FindingStateStore);
	// Decision is that decision, kept when the finding reopened, so a
	// reader sees who resolved it before it came back.
	State    FindingState     `json:"state"`
	Decision *FindingDecision `json:"decision,omitempty"`
}

// FindingQuery selects stored findings. Zero fields do not filter.
type FindingQuery struct {
	Site string
	// Since keeps findings with LastSeen at or after it.
	Since       time.Time
	MinSeverity finding.Severity
	// Severity keeps findings of exactly this severity.
	Severity finding.Severity
	// Source keeps findings of this detector (Finding.Source).
	Source string
	// Key keeps the finding with this key.
	Key string
	// State keeps findings in this state (see FindingStateStore).
	State FindingState
	// After keeps findings that come after this cursor in the list's
	// order: the next page (keyset pagination, so a deep page costs what
	// the first does).
	After FindingCursor
	// Limit caps the rows returned; 0 means no limit.
	Limit int
}

// FindingKey is the one definition of "the same finding", for every
// detector that calls PutFinding: the same detector (Source) raising the
// same Kind about the same place (URL, Path, Rule) and the same subject.
// subject tells apart findings of one kind about one place: the browser
// check's finding carries its own Subject (the destination origin, the
// script's identity; see KeyOf), the collector passes the directive,
// blocked origin and source file (its URL is a sample that varies between
// flushes, so it leaves URL empty). The key is a fixed-size hash,
// so a long path or URL can never exceed the store's key limit.
func FindingKey(f finding.Finding, subject ...string) string {
	return fmt.Sprintf("%x", digest(append([]string{f.Source, f.Kind, f.URL, f.Path, f.Rule}, subject...)...))
}

// KeyOf is the key of a finding whose detector keeps no keys of its own (the
// browser check, fim, scan, audit): FindingKey with the finding's Subject,
// or, when it has none, its message. Callers mask the finding first
// (MaskFinding), as the store does, so the key is the stored finding's.
func KeyOf(f finding.Finding) string {
	if f.Subject != "" {
		return FindingKey(f, f.Subject)
	}
	return FindingKey(f, f.Message)
}

// Event is one entry of the hash-chained event log: an observation or a
// decision (approve, justify, dismiss, ...).
//
// Hash is hex(SHA-256(PrevHash || CanonicalJSON)), where CanonicalJSON is
// the event without Hash (see Event.Canonical) and PrevHash is the previous
// event's Hash ("" for the first event). Data is stored in canonical form
// (object keys sorted, no insignificant space), so a value read back may be
// formatted differently from the one appended.
type Event struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Site     string          `json:"site"`
	Type     string          `json:"type"`
	Actor    string          `json:"actor"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// EventQuery selects events. Zero fields do not filter.
type EventQuery struct {
	Site string
	Type string
	// AfterSeq keeps events with Seq greater than it.
	AfterSeq int64
	// BeforeSeq keeps events with Seq less than it (0: no bound).
	BeforeSeq int64
	// Newest returns the events newest first (Seq descending), so that a
	// timeline's first page is its latest; with Limit and BeforeSeq it
	// pages backwards.
	Newest bool
	// Limit caps the rows returned; 0 means no limit.
	Limit int
}

// ChainError reports the first event at which the log does not verify.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("event log broken at seq %d: %s", e.Seq, e.Reason)
}

// Timestamp is how the store keeps a time: UTC, truncated to microseconds.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
