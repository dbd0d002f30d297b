package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/invsheet"
	"github.com/skimwatch/skimwatch/internal/store"
)

// inventoryRoutes registers the inventory pages and their JSON twins. Every
// decision goes through store.DecideInventory, which writes the decision
// and its event-log entry (with the signed-in user as actor) in one
// transaction, so a decision is never recorded without its event.
func (s *Server) inventoryRoutes(mux *http.ServeMux) {
	view := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleViewer, h) }
	decide := func(h http.HandlerFunc) http.Handler { return s.requireRole(RoleOperator, h) }

	mux.Handle("GET /inventory", view(s.inventoryTargetsPage))
	mux.Handle("GET /inventory/{site}", view(s.inventoryPage))
	mux.Handle("GET /inventory/{site}/export", view(s.inventoryExport))
	for _, typ := range []string{store.EventInventoryApproved, store.EventInventoryRevoked, store.EventInventoryJustified} {
		mux.Handle("POST /inventory/{site}/"+decisionVerb(typ), decide(s.inventoryDecidePage(typ)))
		mux.Handle("POST /api/sites/{site}/inventory/"+decisionVerb(typ), decide(s.inventoryDecideAPI(typ)))
	}
	mux.Handle("GET /api/sites/{site}/inventory", view(s.inventoryTargetsAPI))
	mux.Handle("GET /api/sites/{site}/inventory/items", view(s.inventoryItemsAPI))
	mux.Handle("GET /api/sites/{site}/inventory/export", view(s.inventoryExport))
}

// decisionVerb is a decision's path segment: approve, revoke, justify.
func decisionVerb(typ string) string {
	return map[string]string{store.EventInventoryApproved: "approve", store.EventInventoryRevoked: "revoke",
		store.EventInventoryJustified: "justify"}[typ]
}

// maxDecisionBody caps a decision's form or JSON body: a justification is
// at most store.MaxJustificationBytes and a bulk list of IDs is short.
const maxDecisionBody = 64 << 10

type inventoryTargetsData struct {
	Targets []store.InventoryTarget
	Pager   Pager
}

func (s *Server) inventoryTargetsPage(w http.ResponseWriter, r *http.Request) {
	p := pagerFrom(r)
	targets, err := s.store.InventoryTargets(r.Context(), "")
	if err != nil {
		s.serverError(w, r, "list inventory", err)
		return
	}
	targets = Trim(&p, window(targets, p.Offset(), p.Limit()))
	s.render(w, r, "inventory_targets.html", inventoryTargetsData{Targets: targets, Pager: p})
}

// inventoryFilter is a page's or an API call's choice of items.
type inventoryFilter struct {
	Site, Target, Status, Kind string
}

func filterFrom(r *http.Request) inventoryFilter {
	q := r.URL.Query()
	f := inventoryFilter{Site: r.PathValue("site"), Target: q.Get("target"), Status: q.Get("status"), Kind: q.Get("kind")}
	if f.Target != "" {
		f.Target = inventory.TargetKey(f.Target)
	}
	return f
}

func (f inventoryFilter) query() store.InventoryQuery {
	return store.InventoryQuery{Site: f.Site, Target: f.Target, Status: f.Status, Kind: f.Kind}
}

// URL is the page showing this filter, for links and redirects.
func (f inventoryFilter) URL() string {
	q := url.Values{}
	for k, v := range map[string]string{"target": f.Target, "status": f.Status, "kind": f.Kind} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u := "/inventory/" + url.PathEscape(f.Site)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// ExportURL is the export of this filter's site and page in format.
func (f inventoryFilter) ExportURL(format string) string {
	q := url.Values{"format": {format}}
	if f.Target != "" {
		q.Set("target", f.Target)
	}
	return "/inventory/" + url.PathEscape(f.Site) + "/export?" + q.Encode()
}

type inventoryPageData struct {
	Filter  inventoryFilter
	Targets []store.InventoryTarget
	Items   []store.InventoryItem
	Total   int
	// Bulk counts the pending items a clean check saw, which one press
	// approves (shown only when a page is chosen).
	Bulk  int
	Pager Pager
	// Done is the verb of the decision just made and N how many items
	// it changed; Error the message key of a refused one.
	Done  string
	N     int
	Error string
	// Statuses and Kinds are the filter's choices.
	Statuses, Kinds []string
}

func (s *Server) inventoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := filterFrom(r)
	p := pagerFrom(r)
	d := inventoryPageData{Filter: f,
		Statuses: []string{store.ItemPending, store.ItemApproved, store.ItemRevoked},
		Kinds:    []string{store.ItemScript, store.ItemDestination, store.ItemForm, store.ItemData, store.ItemHeaders}}
	// The notices come back through the redirect's query: only known
	// verbs and keys are shown, so a crafted link cannot put words there.
	if verb, n, ok := strings.Cut(r.URL.Query().Get("done"), ":"); ok && slices.Contains([]string{"approve", "revoke", "justify"}, verb) {
		d.Done, d.N = verb, atoiOr(n, 0)
	}
	if e := r.URL.Query().Get("error"); slices.Contains([]string{"invalid", "notfound", "conflict"}, e) {
		d.Error = e
	}
	var err error
	if d.Targets, err = s.store.InventoryTargets(ctx, f.Site); err != nil {
		s.serverError(w, r, "list inventory", err)
		return
	}
	if len(d.Targets) == 0 {
		http.NotFound(w, r)
		return
	}
	q := f.query()
	q.Offset, q.Limit = p.Offset(), p.Limit()
	if d.Items, d.Total, err = s.store.InventoryItems(ctx, q); err != nil {
		s.serverError(w, r, "read inventory", err)
		return
	}
	d.Items = Trim(&p, d.Items)
	d.Pager = p
	if f.Target != "" {
		if d.Bulk, err = s.bulkCount(ctx, f.Site, f.Target); err != nil {
			s.serverError(w, r, "read inventory", err)
			return
		}
	}
	s.render(w, r, "inventory.html", d)
}

// bulkCount is how many items a bulk approval of target would approve.
func (s *Server) bulkCount(ctx context.Context, site, target string) (int, error) {
	_, n, err := s.store.InventoryItems(ctx, store.InventoryQuery{Site: site, Target: target, Status: store.ItemPending, Clean: true, Limit: 1})
	return n, err
}

// decisionRequest is a decision as a form or the API sends it.
type decisionRequest struct {
	Target        string   `json:"target"`
	Items         []string `json:"items"`
	Justification string   `json:"justification"`
	// Bulk must be true to approve with no items: an empty list sent by
	// mistake must not approve everything pending.
	Bulk bool `json:"bulk"`
}

func (s *Server) decideInventory(ctx context.Context, typ, site string, req decisionRequest) ([]store.InventoryItem, error) {
	if len(req.Items) == 0 && !(typ == store.EventInventoryApproved && req.Bulk) {
		return nil, fmt.Errorf("%w: name the items, or ask for a bulk approval", store.ErrInvalid)
	}
	if req.Bulk {
		req.Items = nil
	}
	return s.store.DecideInventory(ctx, store.InventoryDecision{Type: typ, Site: site, Target: inventory.TargetKey(req.Target),
		Items: req.Items, Justification: req.Justification, Actor: userFrom(ctx).Actor()})
}

// decisionStatus is the HTTP status for a refused decision.
func decisionStatus(err error) int {
	switch {
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func (s *Server) inventoryDecidePage(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxDecisionBody)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		req := decisionRequest{Target: r.PostForm.Get("target"), Items: r.PostForm["item"],
			Justification: r.PostForm.Get("justification"), Bulk: r.PostForm.Get("bulk") == "1"}
		back := inventoryFilter{Site: r.PathValue("site"), Target: inventory.TargetKey(req.Target),
			Status: r.PostForm.Get("status"), Kind: r.PostForm.Get("kind")}.URL()
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		changed, err := s.decideInventory(r.Context(), typ, r.PathValue("site"), req)
		if err != nil {
			if decisionStatus(err) == http.StatusInternalServerError {
				s.serverError(w, r, "inventory decision", err)
				return
			}
			// The reason is a message key, never the error's text, which
			// may quote stored values.
			http.Redirect(w, r, back+sep+"error="+url.QueryEscape(refusalKey(err)), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, back+sep+"done="+url.QueryEscape(fmt.Sprintf("%s:%d", decisionVerb(typ), len(changed))), http.StatusSeeOther)
	}
}

// refusalKey names a refused decision's message.
func refusalKey(err error) string {
	switch {
	case errors.Is(err, store.ErrInvalid):
		return "invalid"
	case errors.Is(err, store.ErrNotFound):
		return "notfound"
	}
	return "conflict"
}

func (s *Server) inventoryDecideAPI(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req decisionRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDecisionBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "the body must be a JSON decision: target, items, justification, bulk"})
			return
		}
		changed, err := s.decideInventory(r.Context(), typ, r.PathValue("site"), req)
		if err != nil {
			code := decisionStatus(err)
			if code == http.StatusInternalServerError {
				s.serverError(w, r, "inventory decision", err)
				return
			}
			s.writeJSON(w, code, map[string]any{"error": err.Error()})
			return
		}
		s.writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(changed)})
	}
}

func (s *Server) inventoryTargetsAPI(w http.ResponseWriter, r *http.Request) {
	targets, err := s.store.InventoryTargets(r.Context(), r.PathValue("site"))
	if err != nil {
		s.serverError(w, r, "list inventory", err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"targets": nonNil(targets)})
}

func (s *Server) inventoryItemsAPI(w http.ResponseWriter, r *http.Request) {
	p := pagerFrom(r)
	q := filterFrom(r).query()
	q.Offset, q.Limit = p.Offset(), p.Limit()
	items, total, err := s.store.InventoryItems(r.Context(), q)
	if err != nil {
		s.serverError(w, r, "read inventory", err)
		return
	}
	items = Trim(&p, items)
	s.writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(items), "total": total, "page": p.Page,
		"per_page": p.PerPage, "has_next": p.HasNext})
}

// exportTimeout bounds an export, Chromium's start and print included.
const exportTimeout = 2 * time.Minute

// inventoryExport sends the site's (or one page's) inventory as CSV or as
// the PDF evidence sheet, both from invsheet, as the CLI exports them.
func (s *Server) inventoryExport(w http.ResponseWriter, r *http.Request) {
	f := filterFrom(r)
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "pdf" {
		http.Error(w, "format must be csv or pdf", http.StatusBadRequest)
		return
	}
	if format == "pdf" {
		// One print at a time: it holds a tab (or a whole Chromium) for
		// seconds, and a viewer's clicks must not take the checks' CPU.
		select {
		case s.pdfSlot <- struct{}{}:
			defer func() { <-s.pdfSlot }()
		default:
			w.Header().Set("Retry-After", "10")
			http.Error(w, "another PDF export is running; try again in a few seconds", http.StatusTooManyRequests)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), exportTimeout)
	defer cancel()
	allowSlowResponse(w, exportTimeout)
	items, _, err := s.store.InventoryItems(ctx, store.InventoryQuery{Site: f.Site, Target: f.Target})
	if err != nil {
		s.serverError(w, r, "export inventory", err)
		return
	}
	var body bytes.Buffer
	name := "inventory-" + fileSafe(f.Site) + "-" + s.now().UTC().Format("20060102")
	switch format {
	case "csv":
		if err := invsheet.WriteCSV(&body, items); err != nil {
			s.serverError(w, r, "export inventory", err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "pdf":
		pdf, err := s.evidencePDF(ctx, invsheet.Sheet{Site: f.Site, Generated: s.now(), By: userFrom(ctx).Actor(), Items: items})
		if err != nil {
			s.serverError(w, r, "export inventory", err)
			return
		}
		body.Write(pdf)
		w.Header().Set("Content-Type", "application/pdf")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	_, _ = body.WriteTo(w)
}

// evidencePDF prints the sheet with the service's renderer, or, when the
// dashboard was given none (serve with no browser checks), in a Chromium of
// its own. The renderer loads each document in a fresh tab with no network,
// so nothing carries from one export into the next or into a check.
func (s *Server) evidencePDF(ctx context.Context, sheet invsheet.Sheet) ([]byte, error) {
	if s.documents != nil {
		return invsheet.PDF(ctx, s.documents, sheet)
	}
	b, err := browser.Launch(ctx, browser.Options{Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("start Chromium: %w", err)
	}
	defer b.Close()
	return invsheet.PDF(ctx, document.NewRenderer(b, s.log), sheet)
}

// fileSafe keeps letters, digits, dot, dash and underscore of a site name
// for a download's file name.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, name)
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
