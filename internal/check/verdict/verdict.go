// Package policy decides what a browser check's observation means: it turns
// where the honey data went, and how the page differs from its approved
// baseline, into findings with a severity and a sentence a shop owner can
// read.
//
// Severity follows the contract:
//   - critical: the honey card reached an origin that is not a payment
//     origin; card fields appear where the baseline had none; card fields
//     are served by an origin that is neither the shop's nor a payment
//     origin; the payment hand-off leads to such an origin. These need no
//     baseline: a shop that is already skimmed on its first check is caught
//     from the probe's own evidence;
//   - high: honey personal data reached an origin other than the form's own
//     action; a new or changed script; a new destination contacted after
//     input; a security header weakened or removed;
//   - medium, low, info: the rest a security engineer wants to know.
package verdict

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/finding"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

// Options is what the policy needs to know about the site.
type Options struct {
	// PaymentOrigins may receive the card (scheme://host[:port]).
	PaymentOrigins []string
	// ShopOrigins are the shop's own origins. The origin of the first page
	// checked is always one of them.
	ShopOrigins []string
	// Site names the monitored site, copied into every finding.
	Site string
}

// Kinds of finding this policy produces.
const (
	KindCardExfil        = "honey.card-exfiltration"
	KindPersonalExfil    = "honey.personal-data-exfiltration"
	KindPostcodeOnly     = "honey.postcode-only"
	KindCardToPayment    = "honey.card-to-payment-origin"
	KindCardFieldsNew    = "form.card-fields-new"
	KindScriptNew        = "script.new"
	KindScriptChanged    = "script.changed"
	KindDestinationNew   = "destination.new"
	KindDestinationType  = "destination.new-type"
	KindFormAction       = "form.action-changed"
	KindFormNew          = "form.new"
	KindFormFields       = "form.fields-new"
	KindHeaderRemoved    = "header.removed"
	KindHeaderWeakened   = "header.weakened"
	KindHeaderChanged    = "header.changed"
	KindHeaderAdded      = "header.added"
	KindNoCSP            = "header.no-csp"
	KindNoCSPReporting   = "header.no-csp-reporting"
	KindThirdPartyOnCard = "script.third-party-on-card-page"
	KindCardFieldsOnShop = "form.card-fields-on-merchant-page"
	KindSafetyBlocked    = "probe.request-blocked"
	KindDialog           = "page.dialog"
	KindProbeNoFields    = "probe.no-fields"
	// KindCardFieldsForeign: card fields in a page or frame whose origin is
	// neither the shop's nor a payment origin (a fake hosted-fields frame,
	// a fake payment page).
	KindCardFieldsForeign = "form.card-fields-foreign-origin"
	// KindHandoffForeign: the payment hand-off (form action, redirect,
	// payment link) leads to an origin that is neither the shop's nor a
	// payment origin.
	KindHandoffForeign = "form.handoff-foreign-origin"
	// KindDisguisedExfil: the differential probe saw a send whose payload
	// followed the typed card although no decoder found the card in it.
	KindDisguisedExfil = "honey.disguised-card-exfiltration"
)

// Evaluate returns the findings for one observation, compared with base
// (nil when there is no baseline for this target).
func Evaluate(o *observation.Observation, base *inventory.PageInventory, opts Options) []finding.Finding {
	e := evaluator{o: o, base: base, opts: opts}
	if len(o.Pages) > 0 {
		e.opts.ShopOrigins = append(slices.Clone(opts.ShopOrigins), weborigin.Of(o.Pages[0].URL))
	}
	e.leaks()
	e.disguised()
	e.foreignCardPages()
	e.changes()
	e.deadScripts()
	e.hygiene()
	for i := range e.out {
		e.out[i].Source = "check"
		e.out[i].Site = opts.Site
		if e.out[i].URL == "" {
			e.out[i].URL = o.Target
		}
		if e.out[i].Evidence == nil {
			e.out[i].Evidence = map[string]any{}
		}
	}
	return e.out
}

type evaluator struct {
	o    *observation.Observation
	base *inventory.PageInventory
	opts Options
	out  []finding.Finding
}

func (e *evaluator) add(f finding.Finding) { e.out = append(e.out, f) }

func (e *evaluator) isPayment(origin string) bool { return e.opts.isPayment(origin) }

// isShop reports the shop's own origins.
func (e *evaluator) isShop(origin string) bool {
	return weborigin.In(e.opts.ShopOrigins, origin)
}

// foreign reports an origin that is neither the shop's nor a payment
// origin. Documents without an origin of their own (about:blank, data:)
// are not judged here: they inherit their creator's origin.
func (e *evaluator) foreign(origin string) bool {
	return origin != "" && origin != "null" && !e.isShop(origin) && !e.isPayment(origin)
}

func (o Options) isPayment(origin string) bool { return weborigin.In(o.PaymentOrigins, origin) }

// Approve builds the inventory to approve from an observation: everything it
// saw, and honey data going where it is expected (the card to payment
// origins, personal data to its form's action). Leaks elsewhere are never
// approved silently.
func Approve(o *observation.Observation, opts Options) *inventory.PageInventory {
	p := inventory.FromObservation(o)
	// A script element whose load failed when the page was approved (an
	// old tag whose domain died) is approved as it is, failing: it must not
	// read as new on every check, and if its domain comes back and serves
	// code, that code is a change.
	for _, q := range o.Requests {
		if !failedScript(q) {
			continue
		}
		id := inventory.ScriptIdentity(q.URL)
		if slices.ContainsFunc(p.Scripts, func(s inventory.ScriptEntry) bool { return s.Identity == id }) {
			continue
		}
		p.Scripts = append(p.Scripts, inventory.ScriptEntry{Identity: id, Kind: observation.ScriptExternal, URL: id, Fingerprints: []string{failedLoad}})
	}
	for _, l := range o.Leaks {
		origin := l.DestinationOrigin
		// A postcode reaching an origin is an address lookup doing its job
		// (see postcodeOnly); approving it approves nothing else.
		if opts.isPayment(origin) || (l.FormActionOrigin != "" && origin == l.FormActionOrigin) || l.Class == observation.FieldPostcode {
			p.ApproveData(inventory.DataDestination{Class: l.Class, Origin: origin})
		}
	}
	return p
}

// leakGroup gathers the leaks of one destination and one sending script,
// so that a skimmer that sends six values in one beacon is one finding.
type leakGroup struct {
	origin, script string
	classes        []string
	encodings      []string
	urls           []string
	types          []string
	phases         []string
	blocked        bool
	document       string
}

func (e *evaluator) leaks() {
	var card, personal = map[string]*leakGroup{}, map[string]*leakGroup{}
	paid := map[string]*leakGroup{}
	for _, l := range e.o.Leaks {
		origin := l.DestinationOrigin
		if origin == "" {
			origin = weborigin.Of(l.Destination)
		}
		var groups map[string]*leakGroup
		switch {
		case observation.IsCardClass(l.Class):
			if e.isPayment(origin) || e.base.DataApproved(l.Class, origin) {
				groups = paid
			} else {
				groups = card
			}
		default:
			allowed := l.FormActionOrigin
			if allowed == "" {
				allowed = weborigin.Of(l.DocumentURL)
			}
			// Payment providers legitimately receive the holder's name and
			// contact details along with the card (token-type checkouts).
			if origin == allowed || e.isPayment(origin) || e.base.DataApproved(l.Class, origin) {
				continue
			}
			groups = personal
		}
		key := origin + "\x00" + l.Script
		g, ok := groups[key]
		if !ok {
			g = &leakGroup{origin: origin, script: l.Script, document: l.DocumentURL}
			groups[key] = g
		}
		g.classes = add(g.classes, l.Class)
		g.encodings = add(g.encodings, l.Encoding)
		g.types = add(g.types, l.RequestType)
		g.phases = add(g.phases, l.Phase)
		if len(g.urls) < 3 {
			g.urls = add(g.urls, trim(l.Destination, 200))
		}
		g.blocked = g.blocked || l.Blocked
	}
	for _, g := range sortedGroups(card) {
		e.add(finding.Finding{
			Severity: finding.Critical,
			Kind:     KindCardExfil,
			Subject:  g.origin,
			URL:      g.document,
			Message: fmt.Sprintf("The test card typed into %s was sent to %s%s, which is not a payment provider: card data is being skimmed.",
				pageName(g.document), g.origin, byScript(g.script, g.document)),
			Evidence: g.evidence(),
		})
	}
	for _, g := range sortedGroups(personal) {
		if postcodeOnly(g.classes) {
			e.add(finding.Finding{
				Severity: finding.Low,
				Kind:     KindPostcodeOnly,
				Subject:  g.origin,
				URL:      g.document,
				Message: fmt.Sprintf("Only the postcode typed into %s was sent to %s%s, as address lookups do; no other personal data went with it.",
					pageName(g.document), g.origin, byScript(g.script, g.document)),
				Evidence: g.evidence(),
			})
			continue
		}
		e.add(finding.Finding{
			Severity: finding.High,
			Kind:     KindPersonalExfil,
			Subject:  g.origin,
			URL:      g.document,
			Message: fmt.Sprintf("Personal data typed into %s (%s) was sent to %s%s, which is not where the form submits.",
				pageName(g.document), strings.Join(g.classes, ", "), g.origin, byScript(g.script, g.document)),
			Evidence: g.evidence(),
		})
	}
	for _, g := range sortedGroups(paid) {
		e.add(finding.Finding{
			Severity: finding.Info,
			Kind:     KindCardToPayment,
			Subject:  g.origin,
			URL:      g.document,
			Message:  fmt.Sprintf("The test card went to the payment provider %s, as expected.", g.origin),
			Evidence: g.evidence(),
		})
	}
}

// postcodeOnly reports a group that carried the postcode and nothing else.
// A postcode names an area of some hundreds of households, not a person, and
// address lookups must send it; a skimmer gains nothing from it alone, and
// one that sends it with anything else (name, email, phone, card) is judged
// on all it sent, per destination and script, and stays high or critical.
func postcodeOnly(classes []string) bool {
	return len(classes) == 1 && classes[0] == observation.FieldPostcode
}

func (g *leakGroup) evidence() map[string]any {
	ev := map[string]any{
		"destination_origin": g.origin,
		"values":             g.classes,
		"encodings":          g.encodings,
		"request_types":      g.types,
		"phases":             g.phases,
		"destinations":       g.urls,
	}
	if g.script != "" {
		ev["script"] = g.script
	}
	if g.blocked {
		ev["blocked_by_probe"] = true
	}
	return ev
}

func sortedGroups(m map[string]*leakGroup) []*leakGroup {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*leakGroup, 0, len(keys))
	for _, k := range keys {
		sort.Strings(m[k].classes)
		out = append(out, m[k])
	}
	return out
}

func (e *evaluator) changes() {
	for _, c := range inventory.Diff(e.base, e.o) {
		// The change's subject (a script's identity without its cache
		// buster, an origin, a document, a header) is what stays the same
		// from one check to the next; the message may not.
		f := finding.Finding{Kind: c.Kind, Evidence: c.Detail, Subject: c.Subject}
		switch c.Kind {
		case inventory.ChangeCardFieldsNew:
			f.Severity = finding.Critical
			f.Kind = KindCardFieldsNew
			f.URL = fmt.Sprint(c.Detail["document"])
			f.Message = fmt.Sprintf("Card fields appeared on %s, which had none when it was approved: this is how the 2021 fake payment form looked.", pageName(c.Subject))
		case inventory.ChangeScriptNew:
			f.Severity = finding.High
			f.Kind = KindScriptNew
			f.Message = fmt.Sprintf("A script that was not approved now runs: %s%s.", scriptName(c), afterInput(c.AfterInput))
		case inventory.ChangeScriptChanged:
			f.Severity = finding.High
			f.Kind = KindScriptChanged
			f.Message = fmt.Sprintf("The content of the approved script %s has changed.", scriptName(c))
		case inventory.ChangeDestinationNew:
			f.Kind = KindDestinationNew
			f.Severity = finding.Medium
			f.Message = fmt.Sprintf("The page now contacts %s, which it did not before.", c.Subject)
			if c.AfterInput {
				f.Severity = finding.High
				f.Message = fmt.Sprintf("After the test customer typed, the page contacted %s, a destination it never used before.", c.Subject)
			}
		case inventory.ChangeDestinationType:
			// The origin is already trusted, and honey data reaching it is
			// judged by the leak rules above; a new request type alone is
			// worth knowing, not an alarm.
			f.Kind = KindDestinationType
			f.Severity = finding.Low
			f.Message = fmt.Sprintf("The page now contacts the known origin %s in a new way (%v).", c.Subject, c.Detail["new_types"])
		case inventory.ChangeFormActionChange:
			f.Severity = finding.High
			f.Kind = KindFormAction
			f.URL = fmt.Sprint(c.Detail["document"])
			f.Message = fmt.Sprintf("A form on %s now submits to %v instead of %v.", pageName(c.Subject), c.Detail["action_origin"], c.Detail["approved_action_origins"])
		case inventory.ChangeFormNew:
			f.Severity = finding.Medium
			f.Kind = KindFormNew
			f.URL = fmt.Sprint(c.Detail["document"])
			f.Message = fmt.Sprintf("A new form asking for %v appeared on %s.", c.Detail["classes"], pageName(c.Subject))
		case inventory.ChangeFormFieldsNew:
			f.Severity = finding.Medium
			f.Kind = KindFormFields
			f.URL = fmt.Sprint(c.Detail["document"])
			f.Message = fmt.Sprintf("A form on %s now also asks for %v.", pageName(c.Subject), c.Detail["new_classes"])
		case inventory.ChangeHeaderRemoved:
			f.Kind = KindHeaderRemoved
			f.Severity = headerSeverity(c.Subject)
			f.Message = fmt.Sprintf("The security header %s is no longer sent on %v.", c.Subject, c.Detail["document"])
		case inventory.ChangeHeaderWeakened:
			f.Kind = KindHeaderWeakened
			f.Severity = headerSeverity(c.Subject)
			f.Message = fmt.Sprintf("The security header %s was weakened on %v: %v.", c.Subject, c.Detail["document"], c.Detail["why"])
		case inventory.ChangeHeaderChanged:
			f.Kind = KindHeaderChanged
			f.Severity = finding.Low
			f.Message = fmt.Sprintf("The security header %s changed on %v.", c.Subject, c.Detail["document"])
		case inventory.ChangeHeaderAdded:
			f.Kind = KindHeaderAdded
			f.Severity = finding.Info
			f.Message = fmt.Sprintf("The security header %s is now sent on %v.", c.Subject, c.Detail["document"])
		default:
			f.Severity = finding.Medium
			f.Message = "The page changed: " + c.Kind + " " + c.Subject
		}
		e.add(f)
	}
}

func headerSeverity(name string) finding.Severity {
	switch name {
	case "content-security-policy", "content-security-policy-report-only", "reporting-endpoints", "report-to",
		"x-frame-options", "referrer-policy":
		return finding.High
	}
	return finding.Medium
}

// hygiene adds what is worth knowing even without a baseline.
func (e *evaluator) hygiene() {
	o := e.o
	if len(o.Pages) > 0 {
		h := inventory.SecurityHeaders(o.Pages[0].Headers)
		csp, ro := h["content-security-policy"], h["content-security-policy-report-only"]
		switch {
		case csp == "" && ro == "":
			e.add(finding.Finding{Severity: finding.Low, Kind: KindNoCSP, URL: o.Pages[0].URL,
				Message:  "The page sends no Content-Security-Policy, so customers' browsers cannot report or block an injected skimmer.",
				Evidence: map[string]any{"document": o.Pages[0].URL}})
		case !strings.Contains(csp+ro, "report-uri") && !strings.Contains(csp+ro, "report-to"):
			e.add(finding.Finding{Severity: finding.Low, Kind: KindNoCSPReporting, URL: o.Pages[0].URL,
				Message:  "The Content-Security-Policy has no reporting endpoint, so violations seen by customers' browsers reach nobody.",
				Evidence: map[string]any{"document": o.Pages[0].URL}})
		}
	}
	// Third-party scripts running in a document that has card fields: the
	// inventory PCI DSS 4.0 requirement 6.4.3 asks for.
	cardDocs := map[string]bool{}
	for _, f := range o.Forms {
		for _, fl := range f.Fields {
			if observation.IsCardClass(fl.Class) {
				cardDocs[inventory.PageKey(f.DocumentURL)] = true
			}
		}
	}
	third := map[string][]string{}
	for _, s := range o.Scripts {
		doc := inventory.PageKey(s.DocumentURL)
		if !cardDocs[doc] || s.URL == "" {
			continue
		}
		so := weborigin.Of(s.URL)
		if so != "" && so != weborigin.Of(s.DocumentURL) && !e.isPayment(so) {
			third[doc] = add(third[doc], inventory.ScriptIdentity(s.URL))
		}
	}
	for _, doc := range sortedKeys(third) {
		e.add(finding.Finding{Severity: finding.Low, Kind: KindThirdPartyOnCard, URL: doc,
			Message:  fmt.Sprintf("%d third-party script(s) run on %s, where card data is typed; each can read the card.", len(third[doc]), pageName(doc)),
			Evidence: map[string]any{"scripts": third[doc]}})
	}
	if len(e.opts.PaymentOrigins) > 0 {
		for _, doc := range sortedKeys(boolKeys(cardDocs)) {
			if !e.isPayment(weborigin.Of(doc)) {
				e.add(finding.Finding{Severity: finding.Info, Kind: KindCardFieldsOnShop, URL: doc,
					Message:  fmt.Sprintf("Card fields are typed on the merchant's own page %s, not on the payment provider's.", doc),
					Evidence: map[string]any{"document": doc}})
			}
		}
	}
	for _, b := range o.Blocked {
		e.add(finding.Finding{Severity: finding.Info, Kind: KindSafetyBlocked, URL: b.URL,
			Message:  fmt.Sprintf("For safety the probe stopped %s %s (%s), so no real payment or order was made.", b.Method, trim(b.URL, 120), b.Reason),
			Evidence: map[string]any{"url": b.URL, "method": b.Method, "reason": b.Reason}})
	}
	if n := len(o.Dialogs); n > 0 {
		e.add(finding.Finding{Severity: finding.Info, Kind: KindDialog,
			Message:  fmt.Sprintf("The page opened %d JavaScript dialog(s); the probe dismissed them.", n),
			Evidence: map[string]any{"first": o.Dialogs[0].Message}})
	}
	if o.Probe != nil && len(o.Probe.Filled) == 0 {
		e.add(finding.Finding{Severity: finding.Info, Kind: KindProbeNoFields,
			Message:  "The probe found no fields to type into on this page, so only its scripts and destinations were checked.",
			Evidence: map[string]any{}})
	}
}

func boolKeys(m map[string]bool) map[string][]string {
	out := map[string][]string{}
	for k := range m {
		out[k] = nil
	}
	return out
}

func sortedKeys(m map[string][]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func add(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func pageName(u string) string {
	if u == "" {
		return "the page"
	}
	return "the page " + u
}

func byScript(s, document string) string {
	switch s {
	case "":
		return ""
	case document:
		// Inline code is attributed to the document it is written in.
		return " by a script written into the page itself"
	}
	return " by the script " + s
}

func afterInput(b bool) string {
	if b {
		return ", and it appeared only after the customer started typing"
	}
	return ""
}

func scriptName(c inventory.Change) string {
	kind, _ := c.Detail["kind"].(string)
	doc, _ := c.Detail["document"].(string)
	if u, ok := c.Detail["url"].(string); ok && u != "" && u != doc {
		return u
	}
	return fmt.Sprintf("%s code in the page %s", kind, doc)
}

// formOrigin is the origin of the document a form is in: the frame's
// security origin when known (it is right for blank and srcdoc frames),
// else the document URL's.
func formOrigin(f observation.Form) string {
	if f.FrameOrigin != "" && f.FrameOrigin != "null" && f.FrameOrigin != "://" {
		return f.FrameOrigin
	}
	return weborigin.Of(f.DocumentURL)
}

func hasCardField(f observation.Form) bool {
	return slices.ContainsFunc(f.Fields, func(fl observation.Field) bool { return observation.IsCardClass(fl.Class) })
}

// foreignCardPages judges, with or without a baseline, where the customer
// is asked for the card and where the payment hand-off leads: a card form
// served by an origin that is neither the shop's nor a payment provider's
// is a fake payment form whatever the baseline says, and so is a hand-off
// that leads there.
func (e *evaluator) foreignCardPages() {
	seen := map[string]bool{}
	for _, f := range e.o.Forms {
		origin := formOrigin(f)
		if !hasCardField(f) || !e.foreign(origin) || seen[KindCardFieldsForeign+origin] {
			continue
		}
		seen[KindCardFieldsForeign+origin] = true
		e.add(finding.Finding{Severity: finding.Critical, Kind: KindCardFieldsForeign, URL: f.DocumentURL,
			Message:  fmt.Sprintf("Card fields are served by %s, which is neither the shop nor a payment provider: customers type their card into a form the attacker controls.", origin),
			Evidence: map[string]any{"document": f.DocumentURL, "origin": origin, "frame_id": f.FrameID}})
	}
	// A form on the shop's own page that submits elsewhere, carrying card
	// fields or replacing an approved hand-off.
	for _, f := range e.o.Forms {
		action := weborigin.Of(f.Action)
		if !e.isShop(formOrigin(f)) || !e.foreign(action) || seen[KindHandoffForeign+action] {
			continue
		}
		if !hasCardField(f) && !e.approvedHandoff(f.DocumentURL) {
			continue
		}
		seen[KindHandoffForeign+action] = true
		e.add(finding.Finding{Severity: finding.Critical, Kind: KindHandoffForeign, URL: f.DocumentURL,
			Message:  fmt.Sprintf("The payment form on %s now submits to %s, which is neither the shop nor a payment provider.", pageName(f.DocumentURL), action),
			Evidence: map[string]any{"document": f.DocumentURL, "action": f.Action, "action_origin": action, "via": "form action"}})
	}
	// Pages the customer was handed to: the probe follows the hand-off, so
	// every main-frame page the page itself led to is where a customer
	// would land. Pages the check visited on its own were not chosen by
	// the page.
	for i, pg := range e.o.Pages {
		origin := weborigin.Of(pg.URL)
		if i == 0 || pg.Visited || !e.foreign(origin) || seen[KindHandoffForeign+origin] {
			continue
		}
		seen[KindHandoffForeign+origin] = true
		from := e.o.Pages[i-1].URL
		e.add(finding.Finding{Severity: finding.Critical, Kind: KindHandoffForeign, URL: from,
			Message:  fmt.Sprintf("Leaving %s, the customer was taken to %s, which is neither the shop nor a payment provider.", pageName(from), origin),
			Evidence: map[string]any{"document": from, "landing": pg.URL, "landing_origin": origin, "via": "navigation"}})
	}
}

// approvedHandoff reports whether the baseline has a form on document that
// submitted to the shop or a payment provider: that form is the hand-off.
func (e *evaluator) approvedHandoff(document string) bool {
	if e.base == nil {
		return false
	}
	doc := inventory.PageKey(document)
	return slices.ContainsFunc(e.base.Forms, func(f inventory.FormEntry) bool {
		return f.Document == doc && (e.isShop(f.ActionOrigin) || e.isPayment(f.ActionOrigin))
	})
}

// deadScripts reports script elements that were requested but never ran
// (the domain does not resolve, the server refused, answered 404, or the
// request was blocked) and that the baseline does not know: the page's code
// was changed all the same, and the domain can come back tomorrow. Without
// a baseline nothing says the element is new.
func (e *evaluator) deadScripts() {
	if e.base == nil {
		return
	}
	known := map[string]bool{}
	for _, s := range e.base.Scripts {
		known[s.Identity] = true
	}
	for _, s := range e.o.Scripts {
		if s.URL != "" {
			known[inventory.ScriptIdentity(s.URL)] = true
		}
	}
	for _, q := range e.o.Requests {
		if !failedScript(q) {
			continue
		}
		id := inventory.ScriptIdentity(q.URL)
		if known[id] {
			continue
		}
		known[id] = true
		why := q.Failed
		if why == "" {
			why = fmt.Sprintf("HTTP %d", q.Status)
		}
		e.add(finding.Finding{Severity: finding.High, Kind: KindScriptNew, URL: q.DocumentURL,
			Message:  fmt.Sprintf("A script element that was not approved was added: %s. It did not load (%s), but the page's code was changed and the domain can come back.", q.URL, why),
			Evidence: map[string]any{"url": q.URL, "document": q.DocumentURL, "load_failed": why, "initiator": q.Initiator}})
	}
}

// disguised reports what the differential probe found: a send to an origin
// that is not a payment provider whose payload followed the card typed.
// The shop's own origin is no exception: a shop that hands the card to a
// payment provider must never receive it.
func (e *evaluator) disguised() {
	groups := map[string]*leakGroup{}
	for _, d := range e.o.Disguised {
		if e.isPayment(d.DestinationOrigin) {
			continue
		}
		key := d.DestinationOrigin + "\x00" + d.Script
		g, ok := groups[key]
		if !ok {
			g = &leakGroup{origin: d.DestinationOrigin, script: d.Script, document: d.DocumentURL}
			groups[key] = g
		}
		g.types = add(g.types, d.RequestType)
		g.phases = add(g.phases, d.Phase)
		if len(g.urls) < 3 {
			g.urls = add(g.urls, trim(d.Destination, 200))
		}
	}
	for _, g := range sortedGroups(groups) {
		ev := g.evidence()
		ev["evidence"] = "differential"
		ev["passes"] = e.o.DifferentialPasses
		delete(ev, "values")
		delete(ev, "encodings")
		e.add(finding.Finding{
			Severity: finding.Critical,
			Kind:     KindDisguisedExfil,
			URL:      g.document,
			Message: fmt.Sprintf("What %s sent to %s%s changed when only the test card changed, and stayed the same when the same card was typed again: "+
				"the card was sent disguised (encrypted or encoded so that no decoder finds it). The evidence is differential: %d passes with different test cards.",
				pageName(g.document), g.origin, byScript(g.script, g.document), e.o.DifferentialPasses),
			Evidence: ev,
		})
	}
}

// failedLoad stands for the content of a script that did not load.
const failedLoad = "load-failed"

// failedScript reports a script request that never ran: it failed, or the
// server answered with an error status.
func failedScript(q observation.Request) bool {
	return q.Type == "Script" && (q.Failed != "" || q.Status >= 400)
}
