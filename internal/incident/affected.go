package incident

import (
	"slices"
	"strings"
	"time"
)

// Exposure is how an order stands against a page's window.
type Exposure int

const (
	// NotExposed: outside the window, or through a page that was not tampered.
	NotExposed Exposure = iota
	// Possibly: between the two bounds of the window's start or end.
	Possibly
	// Exposed: inside the window, where every check saw the artifact's
	// page served (from the first dirty observation to the last).
	Exposed
)

// ExposureAt says where t falls in w. The start lies in (After,
// NoLaterThan] and the end in [After, NoLaterThan): an order at or after
// the first dirty observation and at or before the last one is exposed;
// one strictly between a clean and a dirty observation is possibly
// exposed; an open end exposes everything after the start.
func ExposureAt(w Window, t time.Time) Exposure {
	if !t.After(w.Start.After) && !w.Start.After.IsZero() {
		return NotExposed
	}
	if !w.End.Open && !t.Before(w.End.NoLaterThan) {
		return NotExposed
	}
	if t.Before(w.Start.NoLaterThan) {
		return Possibly
	}
	if !w.End.Open && t.After(w.End.After) {
		return Possibly
	}
	return Exposed
}

// Scope sorts orders into affected and possibly affected against an
// incident's pages. Orders are fed one at a time (a shop's database may
// hold millions) and only those that matter are kept.
type Scope struct {
	inc   *Incident
	pages map[string][]Page
	seen  int
}

// NewScope starts sorting orders for inc; it clears earlier results.
func NewScope(inc *Incident) *Scope {
	s := &Scope{inc: inc, pages: map[string][]Page{}}
	for _, p := range inc.Pages {
		s.pages[p.Kind] = append(s.pages[p.Kind], p)
	}
	inc.Affected, inc.PossiblyAffected, inc.Customers = nil, nil, nil
	return s
}

// pageKindFor is the page an order of this kind passes through.
func pageKindFor(orderKind string) string {
	if orderKind == KindRegistration {
		return PageRegistration
	}
	return PagePayment
}

// Add sorts one order.
func (s *Scope) Add(o Order) error {
	s.seen++
	best, page := NotExposed, Page{}
	for _, p := range s.pages[pageKindFor(o.Kind)] {
		if e := ExposureAt(p.Window, o.Time); e > best {
			best, page = e, p
		}
	}
	if best == NotExposed {
		return nil
	}
	a := AffectedOrder{ID: o.ID, Kind: o.Kind, Time: o.Time.UTC(), CustomerID: o.CustomerID, Email: o.Email, Name: o.Name,
		Page: page.Target, Exposed: page.Exposed, Possibly: best == Possibly, Lang: o.Lang}
	if a.Possibly {
		s.inc.PossiblyAffected = append(s.inc.PossiblyAffected, a)
	} else {
		s.inc.Affected = append(s.inc.Affected, a)
	}
	return nil
}

// Seen is how many orders were sorted.
func (s *Scope) Seen() int { return s.seen }

// customerKey is who an order belongs to: the shop's customer ID, else
// the e-mail address (case folded), else the order itself (a guest with
// no address on file is one person per order).
func customerKey(a AffectedOrder) string {
	switch {
	case a.CustomerID != "":
		return "id:" + a.CustomerID
	case a.Email != "":
		return "email:" + strings.ToLower(strings.TrimSpace(a.Email))
	}
	return a.Kind + ":" + a.ID
}

// Finish orders the lists, deduplicates customers and counts.
func (s *Scope) Finish() {
	inc := s.inc
	byTime := func(a, b AffectedOrder) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(inc.Affected, byTime)
	slices.SortFunc(inc.PossiblyAffected, byTime)
	c := Counts{PerClass: map[DataClass]int{}, PerClassCustomers: map[DataClass]int{}}
	type person struct {
		Customer
		langAt time.Time // the time of the order Lang came from
	}
	people := map[string]*person{}
	var order []string
	add := func(a AffectedOrder) {
		k := customerKey(a)
		p, ok := people[k]
		if !ok {
			p = &person{Customer: Customer{Key: k, Possibly: true}}
			people[k] = p
			order = append(order, k)
		}
		if p.Email == "" {
			p.Email = a.Email
		}
		if p.Name == "" {
			p.Name = a.Name
		}
		if a.Lang != "" && (p.Lang == "" || a.Time.After(p.langAt)) {
			p.Lang, p.langAt = a.Lang, a.Time
		}
		p.Orders = append(p.Orders, a.ID)
		// Affected orders come first, so a customer with any is affected
		// and their classes are only what their affected orders exposed.
		if !a.Possibly {
			p.Possibly = false
			p.Exposed = sortClasses(append(p.Exposed, a.Exposed...))
		} else if p.Possibly {
			// A customer who is only possibly affected is told what may
			// have been exposed; they are not counted per class.
			p.Exposed = sortClasses(append(p.Exposed, a.Exposed...))
		}
	}
	for _, a := range inc.Affected {
		if a.Kind == KindRegistration {
			c.Registrations++
		} else {
			c.Orders++
		}
		for _, cl := range a.Exposed {
			c.PerClass[cl]++
		}
		add(a)
	}
	for _, a := range inc.PossiblyAffected {
		add(a)
	}
	c.PossiblyAffected = len(inc.PossiblyAffected)
	for _, k := range order {
		p := people[k]
		if p.Possibly {
			c.PossiblyCustomers++
			continue
		}
		c.Customers++
		for _, cl := range p.Exposed {
			c.PerClassCustomers[cl]++
		}
	}
	inc.Customers = make([]Customer, 0, len(order))
	for _, k := range order {
		inc.Customers = append(inc.Customers, people[k].Customer)
	}
	inc.Counts = c
}
