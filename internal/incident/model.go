package incident

import "time"

// DataClass is one kind of data a tampered page exposed.
type DataClass string

// The data classes an affected order or registration can have exposed.
// Card classes follow the fields a skimmer's fake form collects; the
// registration page case exposes personal data only.
const (
	ClassCardNumber   DataClass = "card-number"
	ClassCardExpiry   DataClass = "card-expiry"
	ClassCardHolder   DataClass = "card-holder"
	ClassSecurityCode DataClass = "security-code"
	ClassPersonalData DataClass = "personal-data"
)

// DataClasses lists every data class in the order documents present them.
var DataClasses = []DataClass{ClassCardNumber, ClassCardExpiry, ClassCardHolder, ClassSecurityCode, ClassPersonalData}

// IsCard reports whether c is card data (as opposed to personal data).
func (c DataClass) IsCard() bool { return c != ClassPersonalData }

// Sources of a bound or observation.
const (
	SourceCheck     = "check"      // a browser check served or did not serve the artifact
	SourceCSP       = "csp"        // a customer's CSP report named the artifact's origin
	SourceFIM       = "fim"        // a file-integrity event on the planted file
	SourceScan      = "scan"       // a signature-scan hit on the planted file
	SourceMtime     = "mtime"      // the planted file's modification time (from fim evidence)
	SourceAccessLog = "access-log" // the web server's access log
	SourceFirstSeen = "first-observation"
)

// Citation is one event-log entry a fact rests on. Verify checks that the
// event at EventSeq still carries EventHash in an intact chain.
type Citation struct {
	EventSeq  int64  `json:"event_seq"`
	EventHash string `json:"event_hash"`
	// Source is which of the four sources the event came from (SourceCheck, ...).
	Source string `json:"source"`
	// What says in one sentence what the event shows.
	What string `json:"what"`
	// Time is when the cited observation was made.
	Time time.Time `json:"time,omitzero"`
	// Offline is true for evidence outside the event log (an access log
	// line, a file's mtime): EventSeq and EventHash are then empty and the
	// fact cannot be checked against the chain.
	Offline bool `json:"offline,omitempty"`
}

// Bounds bracket one edge of the window: the edge lies after After and no
// later than NoLaterThan. A zero After means nothing before the edge is
// known to be clean (skimwatch was installed after the breach began).
type Bounds struct {
	After       time.Time `json:"after,omitzero"`
	NoLaterThan time.Time `json:"no_later_than,omitzero"`
	// AfterSource and NoLaterThanSource name which source gave each side.
	AfterSource       string `json:"after_source,omitempty"`
	NoLaterThanSource string `json:"no_later_than_source,omitempty"`
	// Source is a short summary of where the bounds come from.
	Source string `json:"source"`
	// Evidence cites every fact the bounds rest on.
	Evidence []Citation `json:"evidence"`
	// Weaker, when not empty, says which evidence is weaker and why (an
	// mtime an attacker can set, an access log that rotates ...).
	Weaker string `json:"weaker,omitempty"`
	// Open is true for an end that has not come: the artifact was still
	// served at the last observation.
	Open bool `json:"open,omitempty"`
}

// Width is how long the uncertainty of the bounds is (zero when either
// side is unknown).
func (b Bounds) Width() time.Duration {
	if b.After.IsZero() || b.NoLaterThan.IsZero() {
		return 0
	}
	return b.NoLaterThan.Sub(b.After)
}

// Window is the exposure window: when the tampered page started and stopped
// serving the malicious artifact.
type Window struct {
	Start Bounds `json:"start"`
	End   Bounds `json:"end"`
}

// Artifact is what the incident is about: the malicious script or form,
// its origin and the planted file.
type Artifact struct {
	// ScriptSHA256 are the SHA-256s of the malicious script's bodies.
	ScriptSHA256 []string `json:"script_sha256,omitempty"`
	// ScriptURL is where the page loaded it from, when external.
	ScriptURL string `json:"script_url,omitempty"`
	// Origins are the attacker's origins (script host, exfiltration).
	Origins []string `json:"origins,omitempty"`
	// Path is the planted file on the web root, when known.
	Path string `json:"path,omitempty"`
	// Pages are the tampered pages (targets of the checks, URL paths).
	Pages []string `json:"pages,omitempty"`
	// Exposed is what the finding's evidence shows the artifact took.
	Exposed []DataClass `json:"exposed,omitempty"`
}

// Page is one tampered page and what it exposed.
type Page struct {
	// Target is the check target or URL path of the page.
	Target string `json:"target"`
	// Kind is "payment" or "registration": which orders pass through it.
	Kind    string      `json:"kind"`
	Exposed []DataClass `json:"exposed"`
	Window  Window      `json:"window"`
}

// Observation is one sighting (dirty) or clean look at the artifact.
type Observation struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	Target string    `json:"target,omitempty"`
	Dirty  bool      `json:"dirty"`
	Cite   Citation  `json:"cite"`
}

// Incident is one scoped incident.
type Incident struct {
	ID     string    `json:"id"`
	Site   string    `json:"site"`
	Opened time.Time `json:"opened"`
	// FindingKey is the stored finding it was opened from ("" when opened
	// from a time, for a breach found elsewhere).
	FindingKey string    `json:"finding_key,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	Artifact   Artifact  `json:"artifact"`
	// Window is the union over Pages: earliest start, latest end.
	Window       Window        `json:"window"`
	Pages        []Page        `json:"pages"`
	Observations []Observation `json:"observations"`
	// Affected are orders and registrations through a tampered page
	// inside the window; Possibly affected are those between the two
	// bounds of the start or of the end.
	Affected         []AffectedOrder `json:"affected"`
	PossiblyAffected []AffectedOrder `json:"possibly_affected"`
	Customers        []Customer      `json:"customers"`
	Counts           Counts          `json:"counts"`
	// OrdersSource says where orders came from (csv path, db preset).
	OrdersSource string `json:"orders_source,omitempty"`
	// ChainHead is the event-log head (SEQ:HASH) when the incident was opened.
	ChainHead string `json:"chain_head,omitempty"`
}

// AffectedOrder is one order or registration and what it exposed.
type AffectedOrder struct {
	ID string `json:"id"`
	// Kind is "order" or "registration".
	Kind       string      `json:"kind"`
	Time       time.Time   `json:"time"`
	CustomerID string      `json:"customer_id,omitempty"`
	Email      string      `json:"email,omitempty"`
	Name       string      `json:"name,omitempty"`
	Page       string      `json:"page,omitempty"`
	Exposed    []DataClass `json:"exposed"`
	// Lang is the customer's language where the orders source has one.
	Lang string `json:"lang,omitempty"`
	// Possibly is true when the order lies between the two bounds of the
	// window's start or end: it may or may not have been exposed.
	Possibly bool `json:"possibly,omitempty"`
}

// Customer is one person, deduplicated across orders (by customer ID, else
// by e-mail in lower case).
type Customer struct {
	Key      string      `json:"key"`
	Email    string      `json:"email,omitempty"`
	Name     string      `json:"name,omitempty"`
	Orders   []string    `json:"orders"`
	Exposed  []DataClass `json:"exposed"`
	Possibly bool        `json:"possibly,omitempty"` // only possibly affected
	// Lang is the customer's language from the orders source (their
	// latest order that has one), empty when the source has none.
	Lang string `json:"lang,omitempty"`
}

// Counts are the incident's figures.
type Counts struct {
	Orders            int `json:"orders"`
	Registrations     int `json:"registrations"`
	Customers         int `json:"customers"`
	PossiblyAffected  int `json:"possibly_affected"`
	PossiblyCustomers int `json:"possibly_customers"`
	// PerClass counts affected orders and registrations (not possibly
	// affected) per data class; PerClassCustomers counts people.
	PerClass          map[DataClass]int `json:"per_class"`
	PerClassCustomers map[DataClass]int `json:"per_class_customers"`
}
