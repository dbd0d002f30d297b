package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// DefaultPerPage is how many rows a list shows unless ?per= says otherwise.
const DefaultPerPage = 50

// MaxPerPage caps ?per=, so no request can ask for the whole store.
const MaxPerPage = 500

// Pager is one page of a list: ask the store for Limit() rows from
// Offset(), then call Trim with what came back, and render {{template
// "pager" .}} with it.
type Pager struct {
	Page    int
	PerPage int
	HasNext bool
	query   url.Values
}

// pagerFrom reads ?page= (1-based) and ?per= from the request; bad values
// fall back to the first page and the default size.
func pagerFrom(r *http.Request) Pager {
	q := r.URL.Query()
	p := Pager{Page: 1, PerPage: DefaultPerPage, query: q}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 && n < 1_000_000 {
		p.Page = n
	}
	if n, err := strconv.Atoi(q.Get("per")); err == nil && n > 0 {
		p.PerPage = min(n, MaxPerPage)
	}
	return p
}

// Offset is the first row of this page.
func (p Pager) Offset() int { return (p.Page - 1) * p.PerPage }

// Limit asks for one row more than a page, so Trim can tell whether a
// next page exists without counting the whole table.
func (p Pager) Limit() int { return p.PerPage + 1 }

// Trim cuts rows to one page and records whether there is a next one.
func Trim[T any](p *Pager, rows []T) []T {
	if len(rows) > p.PerPage {
		p.HasNext = true
		return rows[:p.PerPage]
	}
	return rows
}

// HasPrev reports whether there is a page before this one.
func (p Pager) HasPrev() bool { return p.Page > 1 }

// PrevURL and NextURL keep the other query parameters (filters).
func (p Pager) PrevURL() string { return p.link(p.Page - 1) }

// NextURL is the link to the following page.
func (p Pager) NextURL() string { return p.link(p.Page + 1) }

func (p Pager) link(page int) string {
	q := url.Values{}
	for k, v := range p.query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	return "?" + q.Encode()
}
