// Package inventory is the approved picture of a page: which scripts may run,
// which destinations it may contact, which forms and fields it has, which
// security headers it sends, and where honey data may legitimately go. It
// builds that picture from an observation, merges pictures into a baseline,
// and diffs a new observation against the baseline.
//
// Normalisation lives here too, because it decides what counts as "the same":
// dynamic inline values, cache-busting query strings and rotating nonces are
// not changes; a new or altered script, destination, form or header is.
package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/origin"
)

// FormatVersion is the baseline file's format version.
const FormatVersion = 1

// Baseline is the approved inventory of one or more checked pages.
type Baseline struct {
	Version int                       `json:"version"`
	Created time.Time                 `json:"created"`
	Updated time.Time                 `json:"updated"`
	Pages   map[string]*PageInventory `json:"pages"`
}

// PageInventory is what one check target is approved to do. A target is a
// page (keyed by PageKey) or a flow (keyed by "flow:" + name); it covers
// every document the check passed through, such as a provider's hosted page.
type PageInventory struct {
	Target  string        `json:"target"`
	Scripts []ScriptEntry `json:"scripts"`
	// Destinations are the origins contacted, with the kinds of request and
	// whether they were contacted at load or only after the probe typed.
	Destinations []DestinationEntry `json:"destinations"`
	Forms        []FormEntry        `json:"forms"`
	// Headers are the main documents' security headers, per document key.
	Headers map[string]map[string]string `json:"headers"`
	// DataDestinations are origins approved to receive honey values of a
	// class (for example a provider receiving the card, an address lookup
	// receiving the postcode).
	DataDestinations []DataDestination `json:"data_destinations,omitempty"`
}

// ScriptEntry is one approved script. External scripts are identified by
// origin and path; inline and eval'd code by document and fingerprint.
type ScriptEntry struct {
	Identity     string   `json:"identity"`
	Kind         string   `json:"kind"`
	URL          string   `json:"url,omitempty"`
	Document     string   `json:"document,omitempty"`
	Fingerprints []string `json:"fingerprints"`
	// SHA256 is the digest of the exact source last approved, by which
	// the store keeps its text: a change is shown as a diff against it.
	SHA256 string `json:"sha256,omitempty"`
}

// DestinationEntry is one approved origin and how it was contacted.
type DestinationEntry struct {
	Origin string   `json:"origin"`
	Types  []string `json:"types"`
	// AtLoad is true when the origin was contacted before any input.
	AtLoad bool `json:"at_load"`
}

// FormEntry is one approved form: where it is, where it posts, and which
// classes of field it has.
type FormEntry struct {
	Document     string   `json:"document"`
	ActionOrigin string   `json:"action_origin"`
	Classes      []string `json:"classes"`
	FrameOrigin  string   `json:"frame_origin,omitempty"`
}

// DataDestination approves honey values of Class going to Origin.
type DataDestination struct {
	Class  string `json:"class"`
	Origin string `json:"origin"`
}

// ErrFormat wraps every error about a malformed baseline file.
var ErrFormat = errors.New("baseline format")

// New returns an empty baseline.
func New(now time.Time) *Baseline {
	return &Baseline{Version: FormatVersion, Created: now.UTC(), Updated: now.UTC(), Pages: map[string]*PageInventory{}}
}

// Read parses a baseline.
func Read(r io.Reader) (*Baseline, error) {
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	var b Baseline
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if b.Version != FormatVersion {
		return nil, fmt.Errorf("%w: version %d, this skimwatch reads version %d", ErrFormat, b.Version, FormatVersion)
	}
	if b.Pages == nil {
		b.Pages = map[string]*PageInventory{}
	}
	for k, p := range b.Pages {
		if p == nil {
			return nil, fmt.Errorf("%w: page %q is null", ErrFormat, k)
		}
	}
	return &b, nil
}

// Load reads a baseline file. A missing file is returned as os.ErrNotExist.
func Load(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Save writes the baseline atomically (temporary file, then rename), so a
// crash never leaves half a baseline behind.
func (b *Baseline) Save(path string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, append(data, '\n'))
}

// TargetKey is the key under which an observation's target is stored.
func TargetKey(target string) string {
	if strings.HasPrefix(target, "flow:") {
		return target
	}
	return PageKey(target)
}

// Page returns the inventory for a target, or nil.
func (b *Baseline) Page(target string) *PageInventory {
	return b.Pages[TargetKey(target)]
}

// FromObservation builds the inventory a complete observation shows. It
// approves no honey data destinations: the caller decides those with
// ApproveData, because only the caller knows the payment origins.
func FromObservation(o *observation.Observation) *PageInventory {
	p := &PageInventory{Target: TargetKey(o.Target), Headers: map[string]map[string]string{}}
	scripts := map[string]*ScriptEntry{}
	typed := typedValues(o)
	for _, s := range o.Scripts {
		if browserOwn(s.DocumentURL) {
			continue
		}
		e := scriptEntry(s, typed)
		if have, ok := scripts[e.Identity]; ok {
			have.Fingerprints = appendUnique(have.Fingerprints, e.Fingerprints...)
			continue
		}
		scripts[e.Identity] = &e
	}
	for _, e := range scripts {
		p.Scripts = append(p.Scripts, *e)
	}
	dests := map[string]*DestinationEntry{}
	addDest := func(origin, typ, phase string) {
		if origin == "" {
			return
		}
		d, ok := dests[origin]
		if !ok {
			d = &DestinationEntry{Origin: origin}
			dests[origin] = d
		}
		d.Types = appendUnique(d.Types, typ)
		if phase == observation.PhaseLoad || phase == "" {
			d.AtLoad = true
		}
	}
	for _, r := range o.Requests {
		addDest(origin.Of(r.URL), RequestClass(r.Type), r.Phase)
	}
	for _, w := range o.WebSockets {
		addDest(origin.Of(w.URL), "websocket", w.Phase)
	}
	for _, d := range dests {
		p.Destinations = append(p.Destinations, *d)
	}
	for _, f := range o.Forms {
		p.Forms = appendForm(p.Forms, formEntry(f))
	}
	for _, pg := range o.Pages {
		if h := SecurityHeaders(pg.Headers); len(h) > 0 || p.Headers[PageKey(pg.URL)] == nil {
			p.Headers[PageKey(pg.URL)] = h
		}
	}
	p.sort()
	return p
}

// ApproveData adds data destinations to the inventory.
func (p *PageInventory) ApproveData(ds ...DataDestination) {
	for _, d := range ds {
		if !slices.Contains(p.DataDestinations, d) {
			p.DataDestinations = append(p.DataDestinations, d)
		}
	}
	p.sort()
}

// DataApproved reports whether honey values of class may go to origin.
func (p *PageInventory) DataApproved(class, origin string) bool {
	if p == nil {
		return false
	}
	return slices.Contains(p.DataDestinations, DataDestination{Class: class, Origin: origin})
}

// Merge folds an inventory into the baseline: everything approved before
// stays approved, and what the new inventory shows is added. Headers are
// replaced by the newer ones, because a header change is a deliberate act.
func (b *Baseline) Merge(p *PageInventory, now time.Time) {
	b.Updated = now.UTC()
	have, ok := b.Pages[p.Target]
	if !ok {
		b.Pages[p.Target] = p
		return
	}
	for _, s := range p.Scripts {
		i := slices.IndexFunc(have.Scripts, func(e ScriptEntry) bool { return e.Identity == s.Identity })
		if i < 0 {
			have.Scripts = append(have.Scripts, s)
			continue
		}
		have.Scripts[i].Fingerprints = appendUnique(have.Scripts[i].Fingerprints, s.Fingerprints...)
		if s.SHA256 != "" {
			have.Scripts[i].SHA256 = s.SHA256
		}
	}
	for _, d := range p.Destinations {
		i := slices.IndexFunc(have.Destinations, func(e DestinationEntry) bool { return e.Origin == d.Origin })
		if i < 0 {
			have.Destinations = append(have.Destinations, d)
			continue
		}
		have.Destinations[i].Types = appendUnique(have.Destinations[i].Types, d.Types...)
		have.Destinations[i].AtLoad = have.Destinations[i].AtLoad || d.AtLoad
	}
	for _, f := range p.Forms {
		have.Forms = appendForm(have.Forms, f)
	}
	if have.Headers == nil {
		have.Headers = map[string]map[string]string{}
	}
	maps.Copy(have.Headers, p.Headers)
	have.ApproveData(p.DataDestinations...)
	have.sort()
}

// browserOwn reports documents that belong to the browser, not the site:
// Chromium's error page, shown when the probe fails a payment request on
// purpose, runs inline scripts of its own. about:blank is not among them,
// because skimmers run code in blank iframes.
func browserOwn(documentURL string) bool {
	for _, p := range []string{"chrome-error:", "chrome:", "devtools:", "chrome-extension:"} {
		if strings.HasPrefix(documentURL, p) {
			return true
		}
	}
	return false
}

// shapePrefix marks an input-dependent script's approved content: its
// ScriptShape, not its fingerprint, because its data varies with the input.
const shapePrefix = "shape:"

// typedValues are the honey values the probe typed, or nil before input.
func typedValues(o *observation.Observation) map[string]string {
	if o.Probe == nil {
		return nil
	}
	return o.Probe.Values
}

func scriptEntry(s observation.Script, typed map[string]string) ScriptEntry {
	fp := s.Fingerprint
	if fp == "" {
		fp = s.SHA256
	}
	e := ScriptEntry{Kind: s.Kind, Fingerprints: []string{fp}, SHA256: s.SHA256}
	external := s.URL != "" && s.URL != s.DocumentURL && s.Kind != observation.ScriptInline && s.Kind != observation.ScriptEval
	switch {
	case external && s.AfterInput:
		// Only a script that appeared after the probe typed can have a URL
		// made from the input; one parsed at load is known by its path.
		if id, ok := InputDependentIdentity(s.URL, typed); ok {
			e.Identity, e.URL = id, id
			e.Fingerprints = []string{shapePrefix + scriptShape(s)}
			return e
		}
		e.Identity = ScriptIdentity(s.URL)
		e.URL = e.Identity
	case external:
		e.Identity = ScriptIdentity(s.URL)
		e.URL = e.Identity
	default:
		// Code without a URL of its own is known only by what it is and
		// where it ran.
		e.Document = PageKey(s.DocumentURL)
		e.Identity = s.Kind + ":" + e.Document + "#" + shortHash(fp)
	}
	return e
}

// scriptShape is the script's recorded shape, or one computed from its
// source when the observation predates shapes and kept the whole source.
// Without either the exact digest stands in, so the script reads as
// changed rather than silently approved.
func scriptShape(s observation.Script) string {
	switch {
	case s.Shape != "":
		return s.Shape
	case s.Source != "" && len(s.Source) == s.Length:
		return ScriptShape(s.Source)
	}
	return s.SHA256
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func formEntry(f observation.Form) FormEntry {
	doc := PageKey(f.DocumentURL)
	action := origin.Of(f.Action)
	if action == "" {
		action = origin.Of(f.DocumentURL)
	}
	var classes []string
	for _, fl := range f.Fields {
		if fl.Class != "" && fl.Class != observation.FieldOther {
			classes = appendUnique(classes, fl.Class)
		}
	}
	sort.Strings(classes)
	return FormEntry{Document: doc, ActionOrigin: action, Classes: classes, FrameOrigin: f.FrameOrigin}
}

// appendForm adds f unless an entry for the same document and action
// already exists, in which case the classes are unioned.
func appendForm(fs []FormEntry, f FormEntry) []FormEntry {
	for i := range fs {
		if fs[i].Document == f.Document && fs[i].ActionOrigin == f.ActionOrigin {
			fs[i].Classes = appendUnique(fs[i].Classes, f.Classes...)
			sort.Strings(fs[i].Classes)
			return fs
		}
	}
	return append(fs, f)
}

func appendUnique(s []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}

func (p *PageInventory) sort() {
	slices.SortFunc(p.Scripts, func(a, b ScriptEntry) int { return strings.Compare(a.Identity, b.Identity) })
	for i := range p.Scripts {
		sort.Strings(p.Scripts[i].Fingerprints)
	}
	slices.SortFunc(p.Destinations, func(a, b DestinationEntry) int { return strings.Compare(a.Origin, b.Origin) })
	for i := range p.Destinations {
		sort.Strings(p.Destinations[i].Types)
	}
	slices.SortFunc(p.Forms, func(a, b FormEntry) int {
		return strings.Compare(a.Document+"\x00"+a.ActionOrigin, b.Document+"\x00"+b.ActionOrigin)
	})
	slices.SortFunc(p.DataDestinations, func(a, b DataDestination) int {
		return strings.Compare(a.Class+"\x00"+a.Origin, b.Class+"\x00"+b.Origin)
	})
}

// RequestClass folds Chromium's resource types into the few classes a
// security engineer reasons about.
func RequestClass(t string) string {
	switch strings.ToLower(t) {
	case "document":
		return "document"
	case "script":
		return "script"
	case "xhr", "fetch", "eventsource":
		return "xhr"
	case "ping", "beacon":
		return "beacon"
	case "image", "media", "font", "stylesheet":
		return strings.ToLower(t)
	case "websocket":
		return "websocket"
	case "":
		return "other"
	}
	return strings.ToLower(t)
}

// securityHeaderNames are the headers whose weakening is a finding.
var securityHeaderNames = []string{
	"content-security-policy",
	"content-security-policy-report-only",
	"reporting-endpoints",
	"report-to",
	"x-frame-options",
	"referrer-policy",
	"permissions-policy",
	"strict-transport-security",
	"x-content-type-options",
}

// SecurityHeaders keeps only the security-relevant headers, with values
// normalised: nonces are replaced so that a rotating nonce is no change.
func SecurityHeaders(h map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		k = strings.ToLower(k)
		if slices.Contains(securityHeaderNames, k) {
			out[k] = normalizeHeader(k, v)
		}
	}
	return out
}

func normalizeHeader(name, v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if strings.HasPrefix(name, "content-security-policy") {
		v = reNonce.ReplaceAllString(v, "'nonce-*'")
	}
	return v
}

var reNonce = regexp.MustCompile(`'nonce-[^']*'`)
