package inventory

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/origin"
)

// Change kinds. The finding policy maps each to a severity.
const (
	ChangeScriptNew        = "script.new"
	ChangeScriptChanged    = "script.changed"
	ChangeDestinationNew   = "destination.new"
	ChangeDestinationType  = "destination.new-type"
	ChangeCardFieldsNew    = "form.card-fields-new"
	ChangeFormNew          = "form.new"
	ChangeFormActionChange = "form.action-changed"
	ChangeFormFieldsNew    = "form.fields-new"
	ChangeHeaderRemoved    = "header.removed"
	ChangeHeaderWeakened   = "header.weakened"
	ChangeHeaderChanged    = "header.changed"
	ChangeHeaderAdded      = "header.added"
)

// Change is one difference between a baseline and a new observation.
type Change struct {
	Kind string
	// Subject is what changed: a script identity, an origin, a document, a
	// header name.
	Subject string
	// AfterInput is true when the new thing appeared only after the probe
	// typed (a script parsed, a destination contacted).
	AfterInput bool
	Detail     map[string]any
}

// Diff compares an observation with the approved inventory of its target.
// With no inventory (nil) there is nothing to compare and Diff returns nil.
func Diff(base *PageInventory, o *observation.Observation) []Change {
	if base == nil {
		return nil
	}
	cur := FromObservation(o)
	var out []Change

	// Scripts: new identity, or known identity with unknown content.
	known := map[string]ScriptEntry{}
	var templates []scriptTemplate
	for _, s := range base.Scripts {
		known[s.Identity] = s
		if t, ok := newScriptTemplate(s); ok {
			templates = append(templates, t)
		}
	}
	seen := map[string]bool{}
	typed := typedValues(o)
	for _, s := range o.Scripts {
		if browserOwn(s.DocumentURL) {
			continue
		}
		e := scriptEntry(s, typed)
		have, ok := known[e.Identity]
		if !ok {
			e, have, ok = approvedAs(s, e, known, templates)
		}
		if seen[e.Identity+e.Fingerprints[0]] {
			continue
		}
		seen[e.Identity+e.Fingerprints[0]] = true
		detail := map[string]any{"kind": s.Kind, "sha256": s.SHA256, "document": s.DocumentURL}
		if s.URL != "" {
			detail["url"] = s.URL
		}
		if s.Initiator != "" {
			detail["initiator"] = s.Initiator
		}
		if s.Source != "" {
			detail["excerpt"] = excerpt(s.Source, 240)
		}
		if strings.HasPrefix(e.Fingerprints[0], shapePrefix) {
			// Say why the script is known by a template, so a reader can
			// check the typed value in its URL.
			detail["input_dependent"] = true
			detail["template"] = e.Identity
		}
		switch {
		case !ok:
			out = append(out, Change{Kind: ChangeScriptNew, Subject: e.Identity, AfterInput: s.AfterInput, Detail: detail})
		case !slices.Contains(have.Fingerprints, e.Fingerprints[0]):
			detail["approved_fingerprints"] = have.Fingerprints
			detail["fingerprint"] = e.Fingerprints[0]
			if have.SHA256 != "" {
				// With "sha256", the two digests by which the store keeps
				// the approved and the changed source, for a diff.
				detail["approved_sha256"] = have.SHA256
			}
			out = append(out, Change{Kind: ChangeScriptChanged, Subject: e.Identity, AfterInput: s.AfterInput, Detail: detail})
		}
	}

	// Destinations: a new origin, or a known origin contacted a new way.
	baseDest := map[string]DestinationEntry{}
	for _, d := range base.Destinations {
		baseDest[d.Origin] = d
	}
	for _, d := range cur.Destinations {
		have, ok := baseDest[d.Origin]
		if !ok {
			out = append(out, Change{Kind: ChangeDestinationNew, Subject: d.Origin, AfterInput: !d.AtLoad,
				Detail: map[string]any{"origin": d.Origin, "types": d.Types, "examples": exampleURLs(o, d.Origin, 3)}})
			continue
		}
		var newTypes []string
		for _, t := range d.Types {
			if !slices.Contains(have.Types, t) {
				newTypes = append(newTypes, t)
			}
		}
		if len(newTypes) > 0 {
			out = append(out, Change{Kind: ChangeDestinationType, Subject: d.Origin, AfterInput: !d.AtLoad,
				Detail: map[string]any{"origin": d.Origin, "new_types": newTypes, "approved_types": have.Types, "examples": exampleURLs(o, d.Origin, 3)}})
		}
	}

	// Forms: card fields where there were none, new forms, moved actions.
	baseDocs := map[string][]FormEntry{}
	for _, f := range base.Forms {
		baseDocs[f.Document] = append(baseDocs[f.Document], f)
	}
	for _, f := range cur.Forms {
		forms := baseDocs[f.Document]
		hadCard := false
		for _, bf := range forms {
			if hasCard(bf.Classes) {
				hadCard = true
			}
		}
		detail := map[string]any{"document": f.Document, "action_origin": f.ActionOrigin, "classes": f.Classes}
		if hasCard(f.Classes) && !hadCard {
			out = append(out, Change{Kind: ChangeCardFieldsNew, Subject: f.Document, Detail: detail})
			continue
		}
		i := slices.IndexFunc(forms, func(b FormEntry) bool { return b.ActionOrigin == f.ActionOrigin })
		switch {
		case i >= 0:
			var extra []string
			for _, c := range f.Classes {
				if !slices.Contains(forms[i].Classes, c) {
					extra = append(extra, c)
				}
			}
			if len(extra) > 0 {
				detail["new_classes"] = extra
				out = append(out, Change{Kind: ChangeFormFieldsNew, Subject: f.Document, Detail: detail})
			}
		case len(forms) > 0:
			var was []string
			for _, b := range forms {
				was = append(was, b.ActionOrigin)
			}
			detail["approved_action_origins"] = was
			out = append(out, Change{Kind: ChangeFormActionChange, Subject: f.Document, Detail: detail})
		default:
			if len(f.Classes) > 0 {
				out = append(out, Change{Kind: ChangeFormNew, Subject: f.Document, Detail: detail})
			}
		}
	}

	// Security headers, per document that both saw.
	for doc, bh := range base.Headers {
		ch, ok := cur.Headers[doc]
		if !ok {
			continue // the check did not reach this document this time
		}
		out = append(out, diffHeaders(doc, bh, ch)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Subject < out[j].Subject
	})
	return out
}

// scriptTemplate is an approved input-dependent script and the pattern of
// the paths it stands for: each InputPlaceholder one run of letters and
// digits, as InputDependentIdentity cuts them.
type scriptTemplate struct {
	entry ScriptEntry
	re    *regexp.Regexp
}

func newScriptTemplate(e ScriptEntry) (scriptTemplate, bool) {
	if !strings.Contains(e.Identity, InputPlaceholder) || len(e.Fingerprints) == 0 || !strings.HasPrefix(e.Fingerprints[0], shapePrefix) {
		return scriptTemplate{}, false
	}
	parts := strings.Split(e.Identity, InputPlaceholder)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	run := fmt.Sprintf("[A-Za-z0-9]{%d,}", minInputRun)
	re, err := regexp.Compile("^" + strings.Join(parts, run) + "$")
	if err != nil {
		return scriptTemplate{}, false
	}
	return scriptTemplate{entry: e, re: re}, true
}

// approvedAs finds the approved entry of an external script whose path
// matched what was typed by chance, now or when the baseline was taken (a
// numeric chunk name such as 185.js against a postcode starting 185): known
// by its literal path, it is compared by fingerprint; under an approved
// template, after input, by shape, so that another file on that path is
// still judged on its content. Otherwise it returns e unchanged and false.
func approvedAs(s observation.Script, e ScriptEntry, known map[string]ScriptEntry, templates []scriptTemplate) (ScriptEntry, ScriptEntry, bool) {
	if e.URL == "" {
		return e, ScriptEntry{}, false
	}
	lit := ScriptIdentity(s.URL)
	if have, ok := known[lit]; ok && lit != e.Identity {
		fp := s.Fingerprint
		if fp == "" {
			fp = s.SHA256
		}
		return ScriptEntry{Identity: lit, Kind: e.Kind, URL: lit, Fingerprints: []string{fp}}, have, true
	}
	if !s.AfterInput {
		return e, ScriptEntry{}, false
	}
	for _, t := range templates {
		if t.re.MatchString(lit) {
			id := t.entry.Identity
			return ScriptEntry{Identity: id, Kind: e.Kind, URL: id, Fingerprints: []string{shapePrefix + scriptShape(s)}}, t.entry, true
		}
	}
	return e, ScriptEntry{}, false
}

func hasCard(classes []string) bool {
	return slices.ContainsFunc(classes, observation.IsCardClass)
}

func exampleURLs(o *observation.Observation, dest string, n int) []string {
	var out []string
	add := func(u string) {
		if len(out) < n && origin.Of(u) == dest && !slices.Contains(out, u) {
			out = append(out, excerpt(u, 200))
		}
	}
	for _, r := range o.Requests {
		add(r.URL)
	}
	for _, w := range o.WebSockets {
		add(w.URL)
	}
	return out
}

func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func diffHeaders(doc string, was, now map[string]string) []Change {
	var out []Change
	for name, old := range was {
		cur, ok := now[name]
		d := map[string]any{"document": doc, "header": name, "approved": old}
		switch {
		case !ok:
			out = append(out, Change{Kind: ChangeHeaderRemoved, Subject: name, Detail: d})
		case cur == old:
		default:
			d["now"] = cur
			kind := ChangeHeaderChanged
			if why := weakened(name, old, cur); why != "" {
				kind = ChangeHeaderWeakened
				d["why"] = why
			}
			out = append(out, Change{Kind: kind, Subject: name, Detail: d})
		}
	}
	for name, cur := range now {
		if _, ok := was[name]; !ok {
			out = append(out, Change{Kind: ChangeHeaderAdded, Subject: name, Detail: map[string]any{"document": doc, "header": name, "now": cur}})
		}
	}
	return out
}

// weakened says why a new header value lets more through than the old one,
// or "" when it does not.
func weakened(name, old, cur string) string {
	switch name {
	case "content-security-policy", "content-security-policy-report-only":
		o, c := ParseCSP(old), ParseCSP(cur)
		for dir, srcs := range o {
			csrcs, ok := c[dir]
			if !ok {
				return fmt.Sprintf("directive %s was removed", dir)
			}
			for _, s := range csrcs {
				if !slices.Contains(srcs, s) {
					return fmt.Sprintf("%s now also allows %s", dir, s)
				}
			}
		}
		return ""
	case "x-frame-options":
		if strings.EqualFold(cur, "deny") {
			return ""
		}
		if strings.EqualFold(old, "deny") || strings.EqualFold(old, "sameorigin") && !strings.EqualFold(cur, "sameorigin") {
			return "framing is now allowed more widely"
		}
	case "referrer-policy":
		rank := map[string]int{"no-referrer": 0, "same-origin": 1, "strict-origin": 2, "strict-origin-when-cross-origin": 3,
			"origin": 4, "origin-when-cross-origin": 5, "no-referrer-when-downgrade": 6, "unsafe-url": 7}
		ro, ok1 := rank[strings.ToLower(old)]
		rc, ok2 := rank[strings.ToLower(cur)]
		if ok1 && ok2 && rc > ro {
			return "the referrer now leaks more of the URL"
		}
	}
	return ""
}

// ParseCSP splits a policy into directives and their sources (lower-cased
// names; for a repeated directive the first wins, as in browsers).
func ParseCSP(p string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(p, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		name := strings.ToLower(f[0])
		if _, ok := out[name]; !ok {
			out[name] = f[1:]
		}
	}
	return out
}
