package report

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding/kindtext"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/store"
)

// view is what a template sees: every value already in the document's
// language, so that templates only place text.
type view struct {
	Kind  Kind
	Lang  string
	Title string
	In    *Input
	Inc   *incident.Incident

	ShopName, Operator, Contact, Reporter, Cause template.HTML
	SecondaryDamage, Publication, Acquirer       template.HTML
	ShopURL                                      string
	Actions, Measures                            []string

	Issued string
	// Period is the customers' period: days, from the earliest possible
	// start to the latest possible end.
	PeriodFrom, PeriodTo string
	// Periods are the customers' periods one by one: a page cleaned and
	// tampered again has a gap no customer was exposed in, and a notice
	// must not claim it. Overlapping windows of several pages are one.
	Periods            []periodRow
	StartText, EndText string
	StartWeaker        string
	EndWeaker          string

	Figures  figures
	Classes  []classRow
	CardData bool
	Artifact incident.Artifact
	Pages    []pageRow
	// PageKinds names the tampered pages' kinds, for prose.
	PageKinds string
	Citations []citationRow
	ChainHead string

	Deadlines deadlineRow
	Final     bool

	Scripts     []scriptRow
	Alerts      []alertRow
	EventTypes  []eventTypeRow
	Events      []eventRow
	EventsLeft  int
	EventsFirst string
	EventsLast  string
}

type figures struct {
	Orders, Registrations, Customers, PossiblyAffected, PossiblyCustomers int
	// People counts everyone the Commission must hear about: affected and
	// possibly affected.
	People int
	// Cards counts card payments or registrations whose card number was
	// exposed, possibly affected included.
	Cards, CardsPossibly int
}

type classRow struct {
	Label          string
	Orders, People int
}

type periodRow struct{ From, To string }

type pageRow struct {
	Target, Kind, Exposed, Start, End string
}

type citationRow struct {
	Seq     string
	Hash    string
	Source  string
	What    string
	Time    string
	Offline bool
}

type deadlineRow struct {
	Aware, Preliminary, Final string
	FinalDays                 int
}

type scriptRow struct {
	Page, Identity, Kind, URL, Fingerprints, Approved, ApprovedBy string
	Justification                                                 template.HTML
}

type alertRow struct {
	Key, Kind, Title, Status, Target, Detector, Message string
	Opened, Announced, Acknowledged, AckBy, Resolved    string
	Deliveries                                          []deliveryRow
}

type deliveryRow struct {
	Sink, Status, Created, LastError string
	Attempts                         int
}

type eventTypeRow struct {
	Type  string
	Count int
}

type eventRow struct {
	Seq, Time, Type, Actor, Hash string
}

// maxListedEvents caps the event listing of the evidence pack: a check
// every few minutes for weeks is tens of thousands of entries, and the
// pack points to `skimwatch events` for the rest; the counts per type and
// the first and last hashes cover the whole period.
const maxListedEvents = 200

func newView(in *Input, k Kind, lang string) *view {
	c := catalogue(lang)
	inc := in.Incident
	v := &view{Kind: k, Lang: lang, In: in, Inc: inc, Title: c.title(k)}
	todo := func(hint string) template.HTML { return todoHTML(lang, c.msg(hint)) }
	text := func(l Localized, hint string) template.HTML {
		if s := l.In(lang); s != "" {
			return template.HTML(template.HTMLEscapeString(s))
		}
		return todo(hint)
	}
	s := in.Shop
	v.ShopName = text(s.Name, "todo.shopName")
	v.Operator = text(s.Operator, "todo.operator")
	v.Contact = text(s.Contact, "todo.contact")
	v.Reporter = text(s.Reporter, "todo.reporter")
	v.Cause = text(s.Cause, "todo.cause")
	v.SecondaryDamage = text(s.SecondaryDamage, "todo.secondary")
	v.Publication = text(s.Publication, "todo.publication")
	v.Acquirer = text(s.Acquirer, "todo.acquirer")
	v.ShopURL = s.URL
	if v.ShopURL == "" {
		v.ShopURL = inc.Site
	}
	for _, a := range s.Actions {
		v.Actions = append(v.Actions, a.In(lang))
	}
	for _, m := range s.Measures {
		v.Measures = append(v.Measures, m.In(lang))
	}

	loc := in.loc()
	v.Issued = c.date(in.Issued.In(loc))
	w := inc.Window
	from := w.Start.After
	fromApprox := false
	if from.IsZero() {
		from, fromApprox = w.Start.NoLaterThan, true
	}
	v.PeriodFrom = c.date(from.In(loc))
	if fromApprox {
		v.PeriodFrom = fmt.Sprintf(c.msg("period.orEarlier"), v.PeriodFrom)
	}
	if w.End.Open || w.End.NoLaterThan.IsZero() {
		v.PeriodTo = c.msg("period.ongoing")
	} else {
		v.PeriodTo = c.date(w.End.NoLaterThan.In(loc))
	}
	v.Periods = periods(inc, c, loc)
	v.StartText = c.startBounds(w.Start, loc)
	v.EndText = c.endBounds(w.End, loc)
	v.StartWeaker, v.EndWeaker = w.Start.Weaker, w.End.Weaker

	n := inc.Counts
	v.Figures = figures{
		Orders: n.Orders, Registrations: n.Registrations, Customers: n.Customers,
		PossiblyAffected: n.PossiblyAffected, PossiblyCustomers: n.PossiblyCustomers,
		People: n.Customers + n.PossiblyCustomers,
	}
	for _, o := range inc.Affected {
		if slices.Contains(o.Exposed, incident.ClassCardNumber) {
			v.Figures.Cards++
		}
	}
	for _, o := range inc.PossiblyAffected {
		if slices.Contains(o.Exposed, incident.ClassCardNumber) {
			v.Figures.CardsPossibly++
		}
	}
	for _, cl := range incident.DataClasses {
		if n.PerClass[cl] == 0 && n.PerClassCustomers[cl] == 0 && !slices.Contains(inc.Artifact.Exposed, cl) {
			continue
		}
		if cl.IsCard() {
			v.CardData = true
		}
		v.Classes = append(v.Classes, classRow{Label: c.class(cl), Orders: n.PerClass[cl], People: n.PerClassCustomers[cl]})
	}
	v.Artifact = inc.Artifact
	for _, p := range inc.Pages {
		var ex []string
		for _, cl := range p.Exposed {
			ex = append(ex, c.class(cl))
		}
		v.Pages = append(v.Pages, pageRow{
			Target: p.Target, Kind: c.msg("page." + p.Kind), Exposed: strings.Join(ex, c.msg("list.sep")),
			Start: c.startBounds(p.Window.Start, loc), End: c.endBounds(p.Window.End, loc),
		})
	}
	var kinds []string
	for _, p := range inc.Pages {
		if l := c.msg("page." + p.Kind); !slices.Contains(kinds, l) {
			kinds = append(kinds, l)
		}
	}
	if len(kinds) == 0 {
		kinds = []string{c.msg("page.unknown")}
	}
	v.PageKinds = strings.Join(kinds, c.msg("list.and"))
	v.Citations = citations(inc, c, loc)
	v.ChainHead = inc.ChainHead

	d := PPCDeadlines(in)
	v.Deadlines = deadlineRow{Aware: c.date(d.Aware.In(loc)), Preliminary: c.date(d.Preliminary), Final: c.date(d.Final), FinalDays: d.FinalDays}
	v.Final = k == PPCFinal

	if k == PCIEvidence {
		v.fillEvidence(in, c, loc)
	}
	return v
}

// periods are the customers' periods: each page window from its start's
// earliest bound to its end's latest, overlapping ones merged, in days.
func periods(inc *incident.Incident, c *messages, loc *time.Location) []periodRow {
	toSpan := func(w incident.Window) span {
		s := span{from: w.Start.After, to: w.End.NoLaterThan, open: w.End.Open || w.End.NoLaterThan.IsZero()}
		if s.from.IsZero() {
			s.from, s.fromApprox = w.Start.NoLaterThan, true
		}
		return s
	}
	var spans []span
	for _, p := range inc.Pages {
		spans = append(spans, toSpan(p.Window))
	}
	merged := mergeSpans(spans)
	if len(merged) <= 1 {
		// No gap: the incident's own window (the union) is the period.
		merged = []span{toSpan(inc.Window)}
	}
	var out []periodRow
	for _, s := range merged {
		r := periodRow{From: c.date(s.from.In(loc)), To: c.msg("period.ongoing")}
		if s.fromApprox {
			r.From = fmt.Sprintf(c.msg("period.orEarlier"), r.From)
		}
		if !s.open {
			r.To = c.date(s.to.In(loc))
		}
		out = append(out, r)
	}
	return out
}

// span is one period of exposure; open has no end yet.
type span struct {
	from, to         time.Time
	fromApprox, open bool
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && (merged[n-1].open || !s.from.After(merged[n-1].to)) {
			last := &merged[n-1]
			last.open = last.open || s.open
			if s.to.After(last.to) {
				last.to = s.to
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// citations lists every event-log entry the window rests on, once, in
// chain order; offline evidence (an access log, an mtime) after it.
func citations(inc *incident.Incident, c *messages, loc *time.Location) []citationRow {
	var all []incident.Citation
	add := func(b incident.Bounds) { all = append(all, b.Evidence...) }
	add(inc.Window.Start)
	add(inc.Window.End)
	for _, p := range inc.Pages {
		add(p.Window.Start)
		add(p.Window.End)
	}
	slices.SortStableFunc(all, func(a, b incident.Citation) int {
		if a.Offline != b.Offline {
			if a.Offline {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.EventSeq, b.EventSeq), a.Time.Compare(b.Time), strings.Compare(a.What, b.What))
	})
	var rows []citationRow
	seen := map[string]bool{}
	for _, ct := range all {
		key := fmt.Sprintf("%d\x00%s\x00%s\x00%s", ct.EventSeq, ct.EventHash, ct.What, ct.Source)
		if seen[key] {
			continue
		}
		seen[key] = true
		r := citationRow{Hash: ct.EventHash, Source: c.source(ct.Source), What: ct.What, Offline: ct.Offline}
		if !ct.Offline {
			r.Seq = strconv.FormatInt(ct.EventSeq, 10)
		}
		if !ct.Time.IsZero() {
			r.Time = c.dateTime(ct.Time.In(loc))
		}
		rows = append(rows, r)
	}
	return rows
}

func (v *view) fillEvidence(in *Input, c *messages, loc *time.Location) {
	for _, s := range in.Scripts {
		r := scriptRow{Page: s.Page, Identity: s.Identity, Kind: s.Kind, URL: s.URL,
			Fingerprints: strings.Join(s.Fingerprints, " "), ApprovedBy: s.ApprovedBy}
		if !s.Approved.IsZero() {
			r.Approved = c.dateTime(s.Approved.In(loc))
		}
		if s.Justification != "" {
			r.Justification = template.HTML(template.HTMLEscapeString(s.Justification))
		} else {
			r.Justification = todoHTML(v.Lang, c.msg("todo.justification"))
		}
		v.Scripts = append(v.Scripts, r)
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return c.dateTime(t.In(loc))
	}
	for _, a := range in.Alerts {
		i := a.Incident
		r := alertRow{Key: i.Key, Kind: i.Finding.Kind, Title: kindtext.Title(i.Finding.Kind, v.Lang), Status: c.msg("status." + i.Status), Target: i.Target, Detector: i.Detector,
			Message: i.Finding.Message, Opened: tm(i.Opened), Announced: tm(i.Announced), Acknowledged: tm(i.Acknowledged),
			AckBy: i.AckBy, Resolved: tm(i.Resolved)}
		for _, d := range a.Deliveries {
			r.Deliveries = append(r.Deliveries, deliveryRow{Sink: d.Sink, Status: c.msg("delivery." + d.Status),
				Created: tm(d.Created), Attempts: d.Attempts, LastError: d.LastError})
		}
		v.Alerts = append(v.Alerts, r)
	}
	counts := map[string]int{}
	for _, e := range in.Events {
		counts[e.Type]++
	}
	for t, n := range counts {
		v.EventTypes = append(v.EventTypes, eventTypeRow{Type: t, Count: n})
	}
	slices.SortFunc(v.EventTypes, func(a, b eventTypeRow) int { return strings.Compare(a.Type, b.Type) })
	ev := func(e store.Event) eventRow {
		return eventRow{Seq: strconv.FormatInt(e.Seq, 10), Time: c.dateTime(e.Time.In(loc)), Type: e.Type, Actor: e.Actor, Hash: e.Hash}
	}
	if len(in.Events) > 0 {
		first, last := in.Events[0], in.Events[len(in.Events)-1]
		v.EventsFirst = fmt.Sprintf("%d:%s", first.Seq, first.Hash)
		v.EventsLast = fmt.Sprintf("%d:%s", last.Seq, last.Hash)
	}
	for i, e := range in.Events {
		if i == maxListedEvents {
			v.EventsLeft = len(in.Events) - i
			break
		}
		v.Events = append(v.Events, ev(e))
	}
}

// todoHTML is the mark of a place the shop has to fill in: loud on screen
// and on paper, and one string to search for before filing.
func todoHTML(lang, hint string) template.HTML {
	label := catalogue(lang).msg("todo.label")
	return template.HTML(`<span class="todo">` + template.HTMLEscapeString(label+hint) + `</span>`)
}
