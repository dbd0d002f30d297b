package incident

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Page kinds: which orders pass through a tampered page.
const (
	PagePayment      = "payment"
	PageRegistration = "registration"
)

// checkEvent is the part of a browser-check event (checkrun.Events) that
// says what a page served.
type checkEvent struct {
	Targets  []string  `json:"targets"`
	Complete bool      `json:"complete"`
	Started  time.Time `json:"started"`
	Scripts  []struct {
		URL    string `json:"url"`
		Kind   string `json:"kind"`
		SHA256 string `json:"sha256"`
	} `json:"scripts"`
}

// decodeCheck reads a check event; ok is false for events of other
// detectors and for run events without a per-target script list.
func decodeCheck(e store.Event) (checkEvent, bool) {
	if e.Type != "check" {
		return checkEvent{}, false
	}
	var c checkEvent
	if err := json.Unmarshal(e.Data, &c); err != nil || len(c.Targets) != 1 || c.Scripts == nil && !c.Complete {
		return checkEvent{}, false
	}
	return c, true
}

// at is when a check looked: its own start time when it recorded one (the
// event may be filed later), else the event's time.
func (c checkEvent) at(e store.Event) time.Time {
	if !c.Started.IsZero() {
		return c.Started.UTC()
	}
	return e.Time
}

func cite(e store.Event, source, what string, at time.Time) Citation {
	return Citation{EventSeq: e.Seq, EventHash: e.Hash, Source: source, What: what, Time: at}
}

// classOf maps a form field class (observation.Field*) to the data class
// it exposes.
func classOf(field string) DataClass {
	switch field {
	case observation.FieldCardNumber:
		return ClassCardNumber
	case observation.FieldExpiry:
		return ClassCardExpiry
	case observation.FieldHolder:
		return ClassCardHolder
	case observation.FieldCVV:
		return ClassSecurityCode
	}
	return ClassPersonalData
}

// sortClasses puts classes in DataClasses order without duplicates.
func sortClasses(cs []DataClass) []DataClass {
	var out []DataClass
	for _, c := range DataClasses {
		if slices.Contains(cs, c) {
			out = append(out, c)
		}
	}
	return out
}

// pageKind says which orders pass through a page that exposed cs: a page
// that took card data is where orders are paid; one that took personal
// data only is the registration page (the seed's second tampered page).
func pageKind(cs []DataClass) string {
	for _, c := range cs {
		if c.IsCard() {
			return PagePayment
		}
	}
	return PageRegistration
}

// allCard is what a fake card form takes when the finding names no fields.
var allCard = []DataClass{ClassCardNumber, ClassCardExpiry, ClassCardHolder, ClassSecurityCode}

// scriptMatcher decides whether a script served by a page is the
// malicious artifact.
type scriptMatcher struct {
	sha     map[string]bool
	origins map[string]bool
}

func (m scriptMatcher) dirty(c checkEvent, pageOrigin string) bool {
	for _, s := range c.Scripts {
		if m.sha[s.SHA256] {
			return true
		}
		// The page's own origin is never evidence by itself: a collector
		// planted on the shop's origin would otherwise taint every script.
		if o := origin.Of(s.URL); o != "" && o != pageOrigin && m.origins[o] {
			return true
		}
	}
	return false
}

func (m scriptMatcher) empty() bool { return len(m.sha) == 0 && len(m.origins) == 0 }

// observations lists, per target, the check events in time order with
// whether each saw the artifact. Incomplete checks are left out: a check
// that did not see the whole page cannot say it was clean.
func observationsOf(events []store.Event, m scriptMatcher, targets map[string]bool) map[string][]Observation {
	out := map[string][]Observation{}
	for _, e := range events {
		c, ok := decodeCheck(e)
		if !ok || (len(targets) > 0 && !targets[c.Targets[0]]) {
			continue
		}
		t := c.Targets[0]
		dirty := m.dirty(c, origin.Of(t))
		if !c.Complete && !dirty {
			continue
		}
		at := c.at(e)
		what := fmt.Sprintf("browser check of %s served no malicious script", t)
		if dirty {
			what = fmt.Sprintf("browser check of %s served the malicious script", t)
		}
		out[t] = append(out[t], Observation{Time: at, Source: SourceCheck, Target: t, Dirty: dirty, Cite: cite(e, SourceCheck, what, at)})
	}
	for t := range out {
		sort.SliceStable(out[t], func(i, j int) bool { return out[t][i].Time.Before(out[t][j].Time) })
	}
	return out
}

// sameTarget reports whether a check target (a URL or a flow name) is the
// page a finding's URL names, ignoring query and fragment.
func sameTarget(target, url string) bool {
	strip := func(s string) string {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
		return strings.TrimSuffix(s, "/")
	}
	return strip(target) == strip(url)
}
