package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/store"
)

// reportRoutes registers the Reports page (the collector's aggregates of
// customers' CSP reports, per site) and its JSON twin.
func (s *Server) reportRoutes(mux *http.ServeMux) {
	mux.Handle("GET /reports", s.requireRole(RoleViewer, http.HandlerFunc(s.reportsPage)))
	mux.Handle("GET /api/sites/{site}/reports", s.requireRole(RoleViewer, http.HandlerFunc(s.apiReports)))
}

// ReportRow is one aggregate as the page and the API show it. Client hashes
// stay in the store: the count is what a reader needs.
type ReportRow struct {
	Directive    string    `json:"directive"`
	Kind         string    `json:"kind"`
	Blocked      string    `json:"blocked"`
	SourceFile   string    `json:"source_file"`
	DocumentPath string    `json:"document_path"`
	Disposition  string    `json:"disposition"`
	Count        int64     `json:"count"`
	Clients      int       `json:"clients"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	// FindingKey is the key of the finding these reports count towards
	// (collector.FindingKeyOf), "" when they raise none; FindingsURL lists
	// it on the Findings page, in any state.
	FindingKey  string `json:"finding_key,omitempty"`
	FindingsURL string `json:"-"`
}

func reportRow(a store.ReportAggregate) ReportRow {
	r := ReportRow{Directive: a.Directive, Kind: a.Kind, Blocked: a.Blocked, SourceFile: a.SourceFile, DocumentPath: a.DocumentPath,
		Disposition: a.Disposition, Count: a.Count, Clients: a.Clients, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen,
		FindingKey: collector.FindingKeyOf(a)}
	if r.FindingKey != "" {
		r.FindingsURL = "/findings?" + url.Values{"site": {a.Site}, "key": {r.FindingKey}, "state": {"all"}}.Encode()
	}
	return r
}

// reportPage reads ?after= and ?per= and returns one page of site's rows
// and the cursor of the next page ("" at the end).
func (s *Server) reportPage(r *http.Request, site string) ([]ReportRow, string, error) {
	v := r.URL.Query()
	after, err := store.ParseReportCursor(v.Get("after"))
	if err != nil {
		return nil, "", err
	}
	per := DefaultPerPage
	if n, err := strconv.Atoi(v.Get("per")); err == nil && n > 0 {
		per = min(n, MaxPerPage, store.MaxReportPage)
	}
	aggs, next, err := s.store.ReportAggregatePage(r.Context(), store.ReportPageQuery{Site: site, After: after, Limit: per})
	if err != nil {
		return nil, "", err
	}
	rows := make([]ReportRow, 0, len(aggs))
	for _, a := range aggs {
		rows = append(rows, reportRow(a))
	}
	return rows, next.String(), nil
}

type reportsData struct {
	Site     string
	Sites    []store.Site
	Rows     []ReportRow
	NextURL  string
	FirstURL string
	Error    string
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) {
	d := reportsData{Site: r.URL.Query().Get("site")}
	var err error
	if d.Sites, err = s.store.Sites(r.Context()); err != nil {
		s.serverError(w, r, "list sites", err)
		return
	}
	if d.Site == "" && len(d.Sites) > 0 {
		d.Site = d.Sites[0].Name
	}
	if d.Site != "" {
		var next string
		d.Rows, next, err = s.reportPage(r, d.Site)
		if errors.Is(err, store.ErrInvalid) {
			d.Error = "reports.badcursor"
			s.renderStatus(w, r, http.StatusBadRequest, "reports.html", d)
			return
		}
		if err != nil {
			s.serverError(w, r, "read reports", err)
			return
		}
		q := url.Values{"site": {d.Site}}
		if per := r.URL.Query().Get("per"); per != "" {
			q.Set("per", per)
		}
		if r.URL.Query().Get("after") != "" {
			d.FirstURL = "/reports?" + q.Encode()
		}
		if next != "" {
			q.Set("after", next)
			d.NextURL = "/reports?" + q.Encode()
		}
	}
	s.render(w, r, "reports.html", d)
}

func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) {
	rows, next, err := s.reportPage(r, r.PathValue("site"))
	if errors.Is(err, store.ErrInvalid) {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	if err != nil {
		s.serverError(w, r, "read reports", err)
		return
	}
	out := map[string]any{"aggregates": rows}
	if next != "" {
		out["next_after"] = next
	}
	s.writeJSON(w, http.StatusOK, out)
}
