package incident

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/store"
)

// ErrNoArtifact is wrapped when nothing in the record shows the artifact,
// so no window can be proven.
var ErrNoArtifact = errors.New("no observation of the malicious artifact")

// Options says where an incident starts from.
type Options struct {
	Site string
	// FindingKeys are the stored findings the incident is opened from (a
	// payment-page and a registration-page finding may be one incident).
	FindingKeys []string
	// Since opens the incident from a time instead (a breach found
	// elsewhere): every check from Since on that served a script the page
	// did not serve before Since is taken as the artifact.
	Since time.Time
	// ScriptSHA256 adds known malicious script hashes (from a forensic
	// report, say) to those the findings name.
	ScriptSHA256 []string
	// AccessLog is the web server's parsed access log, if given.
	AccessLog []AccessRequest
	// AccessLogName names the log in citations.
	AccessLogName string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// sourceFinding is a stored finding with what it says about the artifact.
type sourceFinding struct {
	store.StoredFinding
	detector string
}

// Open scopes an incident from the store: the artifact from the findings,
// every observation of it in the event log, and the window. Orders are
// added afterwards by Scope.
func Open(ctx context.Context, st store.Store, o Options) (*Incident, error) {
	if o.Site == "" {
		return nil, fmt.Errorf("incident: a site is required")
	}
	if len(o.FindingKeys) == 0 && o.Since.IsZero() {
		return nil, fmt.Errorf("incident: open from a finding or from a time")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	all, err := st.Findings(ctx, store.FindingQuery{Site: o.Site})
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	var picked []store.StoredFinding
	for _, k := range o.FindingKeys {
		f, err := pickFinding(all, o.Site, k)
		if err != nil {
			return nil, err
		}
		picked = append(picked, f)
	}
	events, err := st.Events(ctx, store.EventQuery{Site: o.Site})
	if err != nil {
		return nil, fmt.Errorf("read event log: %w", err)
	}
	inc := &Incident{Site: o.Site, Opened: store.Timestamp(now()), Since: o.Since}
	if len(picked) > 0 {
		inc.FindingKey = picked[0].Key
	}
	if len(events) > 0 {
		last := events[len(events)-1]
		inc.ChainHead = fmt.Sprintf("%d:%s", last.Seq, last.Hash)
	}

	pages, m := artifactOf(picked, all, events)
	// The file's own hash is the script's when it is served as is.
	for _, f := range picked {
		if f.Path != "" {
			inc.Artifact.Path = f.Path
			if s, _ := f.Evidence["sha256"].(string); s != "" {
				m.sha[s] = true
			}
		}
	}
	for _, s := range o.ScriptSHA256 {
		m.sha[strings.ToLower(s)] = true
	}
	if !o.Since.IsZero() {
		sinceArtifact(events, o.Since, m)
	}
	if m.empty() {
		return nil, fmt.Errorf("incident for %s: %w: the findings name no script, origin or file hash", o.Site, ErrNoArtifact)
	}
	inc.Artifact.ScriptSHA256 = sortedKeys(m.sha)
	inc.Artifact.Origins = sortedKeys(m.origins)

	obs := observationsOf(events, m, nil)
	aux := auxiliary(ctx, st, events, picked, m, o)
	for _, target := range sortedKeys(obsTargets(obs)) {
		seen := obs[target]
		spells := spellsOf(seen)
		if len(spells) == 0 {
			continue
		}
		exposed := exposedFor(target, pages, all, seen)
		for i, sp := range spells {
			p := Page{Target: target, Exposed: exposed}
			p.Kind = pageKind(p.Exposed)
			p.Window = windowOf(sp, aux.forPage(p.Kind))
			inc.Pages = append(inc.Pages, p)
			// The checks from the last clean one before to the first clean
			// one after: every check a bound rests on and every dirty one,
			// not a year of clean checks around them. Two spells can share
			// the clean check between them; it is listed once.
			if i > 0 && spells[i-1][len(spells[i-1])-1].Cite == sp[0].Cite {
				sp = sp[1:]
			}
			inc.Observations = append(inc.Observations, sp...)
		}
		inc.Artifact.Pages = append(inc.Artifact.Pages, target)
		inc.Artifact.Exposed = sortClasses(append(inc.Artifact.Exposed, exposed...))
	}
	inc.Observations = append(inc.Observations, aux.all()...)
	if len(inc.Pages) == 0 {
		return nil, fmt.Errorf("incident for %s: %w: no browser check served it", o.Site, ErrNoArtifact)
	}
	slices.SortStableFunc(inc.Observations, func(a, b Observation) int { return a.Time.Compare(b.Time) })
	inc.Window = unionWindow(inc.Pages)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s", o.Site, inc.Opened.Format(time.RFC3339Nano), strings.Join(o.FindingKeys, ","), inc.ChainHead))
	inc.ID = fmt.Sprintf("%s-%x", inc.Opened.Format("20060102T150405Z"), sum[:4])
	return inc, nil
}

// ErrAmbiguousFinding is wrapped when a finding is named by a kind that
// more than one of the site's findings have.
var ErrAmbiguousFinding = errors.New("more than one finding of that kind")

// pickFinding finds the finding named by ref: its store key, or its kind
// (honey.card-exfiltration) when the site has exactly one finding of that
// kind. A kind is what `skimwatch findings` and an alert show a shop
// owner; the key is what the store and the dashboard's links use.
func pickFinding(all []store.StoredFinding, site, ref string) (store.StoredFinding, error) {
	if i := slices.IndexFunc(all, func(f store.StoredFinding) bool { return f.Key == ref }); i >= 0 {
		return all[i], nil
	}
	var same []store.StoredFinding
	for _, f := range all {
		if f.Kind == ref {
			same = append(same, f)
		}
	}
	switch len(same) {
	case 0:
		return store.StoredFinding{}, fmt.Errorf("finding %s of site %s: %w", ref, site, store.ErrNotFound)
	case 1:
		return same[0], nil
	}
	var keys []string
	for _, f := range same {
		where := f.URL
		if where == "" {
			where = f.Path
		}
		keys = append(keys, f.Key+" ("+where+")")
	}
	return store.StoredFinding{}, fmt.Errorf("finding %s of site %s: %w: give the key of one of %s", ref, site, ErrAmbiguousFinding, strings.Join(keys, ", "))
}

// spellsOf splits one page's observations (in time order) into its
// tampered spells: each run of dirty observations with the clean one just
// before and just after it. A complete clean check between two dirty runs
// means the page was cleaned and tampered again, and the orders between
// were not exposed, so each run gets a window of its own. Incomplete
// checks are not in seen, so they never split a spell.
func spellsOf(seen []Observation) [][]Observation {
	var out [][]Observation
	for i := 0; i < len(seen); i++ {
		if !seen[i].Dirty {
			continue
		}
		j := i
		for j+1 < len(seen) && seen[j+1].Dirty {
			j++
		}
		lo, hi := max(i-1, 0), min(j+1, len(seen)-1)
		out = append(out, seen[lo:hi+1])
		i = j
	}
	return out
}

func obsTargets(m map[string][]Observation) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// pageHint is what a finding says about one page: which target, and what
// the artifact took there.
type pageHint struct {
	url     string
	exposed []DataClass
}

// artifactOf reads the malicious script hashes and origins from the
// findings and the check events they came from.
func artifactOf(fs, all []store.StoredFinding, events []store.Event) ([]pageHint, scriptMatcher) {
	m := scriptMatcher{sha: map[string]bool{}, origins: map[string]bool{}}
	var hints []pageHint
	for _, f := range fs {
		ev := f.Evidence
		exposed := valuesOf(f)
		if f.Source == "check" {
			// What the probe saw leave the same page while this finding
			// was raised: a card skimmer that also takes the e-mail has
			// two findings (card, personal data), and a new script none.
			for _, g := range all {
				if g.Source == "check" && sameTarget(g.URL, f.URL) && !g.FirstSeen.After(f.LastSeen) && !g.LastSeen.Before(f.FirstSeen) {
					exposed = sortClasses(append(exposed, valuesOf(g)...))
				}
			}
		}
		if len(exposed) == 0 && f.Source == "check" {
			// Nothing left while the probe watched: what a fake card form
			// asks for is the card.
			exposed = allCard
		}
		for _, k := range []string{"destination_origin", "blocked", "origin", "landing_origin", "action_origin"} {
			if s, _ := ev[k].(string); s != "" && origin.Of(s) != "" {
				m.origins[origin.Of(s)] = true
			}
		}
		if f.Source != "check" {
			continue
		}
		hints = append(hints, pageHint{url: f.URL, exposed: exposed})
		script, _ := ev["script"].(string)
		if script == "" {
			script, _ = ev["url"].(string)
		}
		for s := range dirtyScripts(events, f, script) {
			m.sha[s] = true
		}
	}
	return hints, m
}

// dirtyScripts finds, for a check finding, the hashes of the scripts the
// check that raised it served and the page's earliest (or, failing that,
// latest) check did not: the malicious script as served. script, when
// set, narrows to scripts loaded from that URL (the one that sent the
// data, or the new one).
func dirtyScripts(events []store.Event, f store.StoredFinding, script string) map[string]bool {
	type look struct {
		at time.Time
		c  checkEvent
	}
	var looks []look
	for _, e := range events {
		c, ok := decodeCheck(e)
		if !ok || !c.Complete && len(c.Scripts) == 0 {
			continue
		}
		if !sameTarget(c.Targets[0], f.URL) && !servesURL(c, script) {
			continue
		}
		looks = append(looks, look{c.at(e), c})
	}
	if len(looks) == 0 {
		return nil
	}
	slices.SortStableFunc(looks, func(a, b look) int { return a.at.Compare(b.at) })
	// The check that raised the finding is the last one at or before its
	// first sighting.
	ri := 0
	for i, l := range looks {
		if !l.at.After(f.FirstSeen) {
			ri = i
		}
	}
	ref := looks[ri]
	clean := map[string]bool{}
	switch {
	case ri > 0:
		for _, s := range looks[0].c.Scripts {
			clean[s.SHA256] = true
		}
	case ri < len(looks)-1:
		for _, s := range looks[len(looks)-1].c.Scripts {
			clean[s.SHA256] = true
		}
	}
	out := map[string]bool{}
	matching := map[string]bool{}
	for _, s := range ref.c.Scripts {
		if script != "" && s.URL != script {
			continue
		}
		matching[s.SHA256] = true
		if !clean[s.SHA256] {
			out[s.SHA256] = true
		}
	}
	if len(out) == 0 {
		return matching
	}
	return out
}

func servesURL(c checkEvent, url string) bool {
	if url == "" {
		return false
	}
	return slices.ContainsFunc(c.Scripts, func(s struct {
		URL    string `json:"url"`
		Kind   string `json:"kind"`
		SHA256 string `json:"sha256"`
	}) bool {
		return s.URL == url
	})
}

// sinceArtifact takes, for an incident opened from a time, every script a
// page served from since on that it did not serve before.
func sinceArtifact(events []store.Event, since time.Time, m scriptMatcher) {
	before := map[string]map[string]bool{}
	for _, e := range events {
		c, ok := decodeCheck(e)
		if !ok || !c.Complete || !c.at(e).Before(since) {
			continue
		}
		t := c.Targets[0]
		if before[t] == nil {
			before[t] = map[string]bool{}
		}
		for _, s := range c.Scripts {
			before[t][s.SHA256] = true
		}
	}
	for _, e := range events {
		c, ok := decodeCheck(e)
		if !ok || c.at(e).Before(since) || before[c.Targets[0]] == nil {
			continue
		}
		for _, s := range c.Scripts {
			if !before[c.Targets[0]][s.SHA256] {
				m.sha[s.SHA256] = true
			}
		}
	}
}

// exposedFor is what the artifact took on target: from the finding about
// that page, else from the probe's findings on that page while it was
// dirty (an incident opened from a time), else from the one finding, else
// a fake card form's fields.
func exposedFor(target string, hints []pageHint, all []store.StoredFinding, seen []Observation) []DataClass {
	for _, h := range hints {
		if sameTarget(target, h.url) || strings.HasSuffix(strings.TrimSuffix(h.url, "/"), strings.TrimSuffix(target, "/")) {
			return h.exposed
		}
	}
	var from, to time.Time
	for _, o := range seen {
		if o.Dirty {
			if from.IsZero() {
				from = o.Time
			}
			to = o.Time
		}
	}
	var out []DataClass
	for _, g := range all {
		if g.Source == "check" && sameTarget(g.URL, target) && !g.FirstSeen.After(to) && !g.LastSeen.Before(from) {
			out = sortClasses(append(out, valuesOf(g)...))
		}
	}
	if len(out) > 0 {
		return out
	}
	if len(hints) == 1 {
		return hints[0].exposed
	}
	return allCard
}

// unionWindow is the incident's window over all its pages: the earliest
// start, the latest end.
func unionWindow(ps []Page) Window {
	w := ps[0].Window
	for _, p := range ps[1:] {
		w.Start = earlier(w.Start, p.Window.Start)
		w.End = later(w.End, p.Window.End)
	}
	return w
}

func earlier(a, b Bounds) Bounds {
	if cmp.Compare(a.NoLaterThan.UnixNano(), b.NoLaterThan.UnixNano()) <= 0 {
		return a
	}
	return b
}

func later(a, b Bounds) Bounds {
	if a.Open || (!b.Open && !b.After.After(a.After)) {
		return a
	}
	return b
}

// valuesOf is what a honey finding's evidence says left the page.
func valuesOf(f store.StoredFinding) []DataClass {
	var out []DataClass
	if vs, ok := f.Evidence["values"].([]any); ok {
		for _, v := range vs {
			if s, ok := v.(string); ok {
				out = append(out, classOf(s))
			}
		}
	}
	return sortClasses(out)
}
