// Package observation is the record of what one browser check saw on one page
// or multi-step flow: scripts, network requests, WebSocket frames, forms and
// fields, frames, security headers, and where each honey value went.
//
// It is plain data. pagecheck fills it, inventory turns it into a baseline and
// diffs it, and the finding policy turns both into findings. It never holds
// real card data: the only card numbers a check ever types are honey values.
package observation

import "time"

// Observation is everything one check captured.
type Observation struct {
	// Target is the URL checked, or the flow's name for a multi-step flow.
	Target    string    `json:"target"`
	StartedAt time.Time `json:"started_at"`
	Duration  Millis    `json:"duration_ms"`

	// Complete is false when the check could not finish; Incomplete says why
	// (timeout, endless redirects, browser crash, dialog storm, ...).
	Complete   bool     `json:"complete"`
	Incomplete []string `json:"incomplete,omitempty"`

	// Pages are the documents loaded in the main frame, in order.
	Pages      []Page           `json:"pages"`
	Frames     []Frame          `json:"frames"`
	Scripts    []Script         `json:"scripts"`
	Requests   []Request        `json:"requests"`
	WebSockets []WebSocketFrame `json:"websockets,omitempty"`
	Forms      []Form           `json:"forms"`
	Dialogs    []Dialog         `json:"dialogs,omitempty"`

	// Probe describes the honey data typed, and Leaks where it went.
	Probe *Probe `json:"probe,omitempty"`
	Leaks []Leak `json:"leaks,omitempty"`

	// Blocked lists requests the probe recorded and then failed so that no
	// real payment or order could complete.
	Blocked []BlockedRequest `json:"blocked,omitempty"`

	// Disguised lists what the differential probe found: sends whose
	// payload followed the typed card across its passes although no
	// decoder found the card in them (a keyed cipher). Empty unless the
	// check ran the differential probe.
	Disguised []DisguisedSend `json:"disguised,omitempty"`
	// DifferentialPasses is how many passes the check ran: 1 for a plain
	// check, 3 for the differential probe (first card, another card, the
	// first card again).
	DifferentialPasses int `json:"differential_passes,omitempty"`
}

// DisguisedSend is one request or WebSocket message that changed when only
// the typed card changed, and stayed the same when the same card was typed
// again: its payload depends on the card, whatever it looks like.
type DisguisedSend struct {
	Destination       string `json:"destination"`
	DestinationOrigin string `json:"destination_origin"`
	Method            string `json:"method,omitempty"`
	RequestType       string `json:"request_type"`
	Script            string `json:"script,omitempty"`
	DocumentURL       string `json:"document_url,omitempty"`
	Phase             string `json:"phase"`
	// Lengths are the payload's lengths in the three passes.
	Lengths [3]int `json:"lengths"`
}

// Millis is a duration that serialises as whole milliseconds.
type Millis int64

// D converts to time.Duration.
func (m Millis) D() time.Duration { return time.Duration(m) * time.Millisecond }

// MillisOf converts from time.Duration.
func MillisOf(d time.Duration) Millis { return Millis(d / time.Millisecond) }

// Page is one document loaded in the main frame.
type Page struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	// Headers holds the document's security-relevant response headers with
	// lower-case names: content-security-policy, content-security-policy-report-only,
	// reporting-endpoints, report-to, x-frame-options, referrer-policy,
	// permissions-policy, strict-transport-security, x-content-type-options.
	Headers map[string]string `json:"headers"`
	// Step is the flow step (0-based) during which the page loaded.
	Step int `json:"step"`
	// Visited is true when the check itself navigated here (the target
	// URL, a flow's visit step), and false when the page led here (a
	// submit, a click, a redirect by script): only the latter is a
	// hand-off the page chose.
	Visited bool `json:"visited,omitempty"`
}

// Frame is a frame (main, iframe) or worker target seen during the check.
type Frame struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Origin string `json:"origin"`
	// Kind is "main", "iframe", "popup" (a new window the page opened),
	// "worker", "service_worker" or "shared_worker".
	Kind     string `json:"kind"`
	ParentID string `json:"parent_id,omitempty"`
}

// Script kinds.
const (
	ScriptExternal = "external" // <script src> or importScripts, has a URL
	ScriptInline   = "inline"   // <script> element body in the document HTML
	ScriptDynamic  = "dynamic"  // inserted at run time with inline text
	ScriptEval     = "eval"     // eval, new Function, setTimeout(string)
	ScriptWorker   = "worker"   // a worker's top-level script
)

// Script is one script that ran.
type Script struct {
	// Key identifies the script within this observation (session and script id).
	Key string `json:"key"`
	// URL is empty for inline and eval'd code.
	URL  string `json:"url,omitempty"`
	Kind string `json:"kind"`
	// DocumentURL is the URL of the document or worker it ran in.
	DocumentURL string `json:"document_url"`
	FrameID     string `json:"frame_id,omitempty"`
	// SHA256 is the hex digest of the exact source; Fingerprint is the hex
	// digest of the normalised source (see inventory), stable across
	// re-minification and per-request values.
	SHA256      string `json:"sha256"`
	Fingerprint string `json:"fingerprint"`
	// Shape is the hex digest of the code's vocabulary without its data
	// (see inventory.ScriptShape): it judges a script whose URL, and so
	// whose content, varies with what the customer typed.
	Shape  string `json:"shape,omitempty"`
	Length int    `json:"length"`
	// Initiator is the URL (or Key) of the script whose stack created this
	// one, for dynamic and eval'd code.
	Initiator string `json:"initiator,omitempty"`
	// Source is kept only up to a cap for evidence; never relied upon for
	// hashing (the hashes cover the full source).
	Source string `json:"source,omitempty"`
	// Step is the flow step during which the script was parsed.
	Step int `json:"step"`
	// AfterInput is true when the script appeared after the probe typed.
	AfterInput bool `json:"after_input"`
}

// Request phases relative to the honey probe.
const (
	PhaseLoad   = "load"   // before the probe typed anything
	PhaseInput  = "input"  // while or after typing, before leaving
	PhaseUnload = "unload" // while the page was being left
)

// Request is one network request (HTTP, beacon, ping, or WebSocket handshake).
type Request struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Type is the resource type as Chromium reports it: Document, Script,
	// Stylesheet, Image, XHR, Fetch, Ping, WebSocket, EventSource, Other.
	Type string `json:"type"`
	// Initiator is the URL of the script that sent it (top of the stack),
	// or "parser" for the document itself; InitiatorKey is its Script.Key.
	Initiator    string `json:"initiator,omitempty"`
	InitiatorKey string `json:"initiator_key,omitempty"`
	DocumentURL  string `json:"document_url,omitempty"`
	FrameID      string `json:"frame_id,omitempty"`
	// Body is the request body (POSTs, beacons), capped.
	Body          string `json:"body,omitempty"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	Status        int    `json:"status,omitempty"`
	// Failed is set when the request failed or was cancelled; a cancelled
	// request may still have reached its destination.
	Failed string `json:"failed,omitempty"`
	Phase  string `json:"phase"`
	Step   int    `json:"step"`
	// Via says how the request was seen: "network" or "fetch" (interception,
	// which also sees beacons sent during unload).
	Via  string    `json:"via"`
	Time time.Time `json:"time"`
}

// WebSocketFrame is one frame sent or received on a WebSocket.
type WebSocketFrame struct {
	URL          string    `json:"url"`
	Sent         bool      `json:"sent"`
	Payload      string    `json:"payload"`
	Initiator    string    `json:"initiator,omitempty"`
	InitiatorKey string    `json:"initiator_key,omitempty"`
	Phase        string    `json:"phase"`
	Time         time.Time `json:"time"`
}

// Field classes. Class is derived from attributes, autocomplete and labels
// in English and Japanese (see package form).
const (
	FieldCardNumber = "card-number"
	FieldExpiry     = "expiry"
	FieldCVV        = "cvv"
	FieldHolder     = "holder"
	FieldEmail      = "email"
	FieldPhone      = "phone"
	FieldPassword   = "password"
	FieldName       = "name"
	FieldAddress    = "address"
	FieldPostcode   = "postcode"
	FieldOther      = "other"
)

// CardClasses are the field classes that are card data, and the one list
// of them: test membership with IsCardClass.
var CardClasses = []string{FieldCardNumber, FieldExpiry, FieldCVV}

// Form is one <form> (or a group of inputs outside any form) in a document.
type Form struct {
	DocumentURL string  `json:"document_url"`
	FrameID     string  `json:"frame_id,omitempty"`
	FrameOrigin string  `json:"frame_origin,omitempty"`
	ID          string  `json:"id,omitempty"`
	Name        string  `json:"name,omitempty"`
	Action      string  `json:"action,omitempty"` // absolute URL, "" for no form element
	Method      string  `json:"method,omitempty"`
	Fields      []Field `json:"fields"`
	Step        int     `json:"step"`
	// Injected is true when the form was not in the served HTML but added
	// by a script.
	Injected bool `json:"injected,omitempty"`
}

// Field is one input, select or textarea.
type Field struct {
	Name         string `json:"name,omitempty"`
	ID           string `json:"id,omitempty"`
	Type         string `json:"type,omitempty"`
	Autocomplete string `json:"autocomplete,omitempty"`
	Label        string `json:"label,omitempty"`
	Placeholder  string `json:"placeholder,omitempty"`
	Class        string `json:"class"`
	Visible      bool   `json:"visible"`
}

// Dialog is a JavaScript dialog the probe dismissed.
type Dialog struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	URL     string `json:"url"`
}

// Probe is the honey data a check typed. All values are synthetic.
type Probe struct {
	// CheckID is the honey identity's check ID, which the store records with
	// Values so that a leaked value names this check.
	CheckID string `json:"check_id,omitempty"`
	// Values maps field class to the honey value typed into such fields.
	Values map[string]string `json:"values"`
	// Filled lists what was typed where.
	Filled []FilledField `json:"filled"`
	// Submitted is true when the probe submitted a form.
	Submitted bool `json:"submitted"`
}

// FilledField records one field the probe typed into.
type FilledField struct {
	DocumentURL string `json:"document_url"`
	Field       string `json:"field"` // name or id
	Class       string `json:"class"`
}

// Leak is one honey value found in one outgoing request or WebSocket frame.
type Leak struct {
	// Class is the honey value's field class (card-number, cvv, email ...).
	Class string `json:"class"`
	// Encoding describes how it was found, outermost first, e.g.
	// "base64>xor(0x5a)>reversed" or "raw".
	Encoding string `json:"encoding"`
	// Destination is the full URL (query stripped of nothing; honey only).
	Destination string `json:"destination"`
	// DestinationOrigin is scheme://host[:port], or ws(s)://host[:port].
	DestinationOrigin string `json:"destination_origin"`
	Method            string `json:"method,omitempty"`
	RequestType       string `json:"request_type"` // Request.Type, or "WebSocket"
	// Script is the URL or Key of the script that sent it, when known.
	Script string `json:"script,omitempty"`
	// FormActionOrigin is the origin of the action of the form the value was
	// typed into, when known: personal data going there is expected.
	FormActionOrigin string `json:"form_action_origin,omitempty"`
	DocumentURL      string `json:"document_url,omitempty"`
	Phase            string `json:"phase"`
	Blocked          bool   `json:"blocked,omitempty"`
}

// BlockedRequest is a request that the probe let Chromium build, recorded,
// and then failed so that nothing real was paid or ordered.
type BlockedRequest struct {
	URL    string `json:"url"`
	Method string `json:"method"`
	Reason string `json:"reason"`
}
