package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// DashboardSite is the site name under which the dashboard's own CSP
// violations are filed as findings.
const DashboardSite = "skimwatch-dashboard"

// Limits of the local CSP report endpoint. It is open (browsers send
// reports without credentials), so it must not let anyone fill the store.
const (
	maxReportBody       = 64 << 10
	maxReportViolations = 10
	reportsPerMinute    = 30
)

// reportLimiter caps how many report requests the dashboard files, across
// all clients.
type reportLimiter struct{ lim *rate.Limiter }

func newReportLimiter() *reportLimiter {
	return &reportLimiter{lim: rate.NewLimiter(rate.Limit(float64(reportsPerMinute)/60), reportsPerMinute)}
}

func (l *reportLimiter) allow(now time.Time) bool { return l.lim.AllowN(now, 1) }

// cspReport files a violation of the dashboard's own CSP as a finding: on
// a page full of attacker-written text, a blocked script is how a failed
// injection shows itself.
func (s *Server) cspReport(w http.ResponseWriter, r *http.Request) {
	if !s.reports.allow(s.now()) {
		w.Header().Set("Retry-After", "60")
		s.writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "too many reports"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxReportBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": fmt.Sprintf("a report body may have %d bytes", maxReportBody)})
		return
	}
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "read body"})
		return
	}
	vs, _, err := csp.Decode(r.Header.Get("Content-Type"), body, csp.Limits{MaxReports: maxReportViolations})
	if errors.Is(err, csp.ErrUnsupportedMediaType) {
		s.writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"error": "not a CSP report"})
		return
	}
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "malformed report"})
		return
	}
	for _, v := range vs {
		e := csp.Normalize(v, csp.NormalizeOptions{})
		f := finding.Finding{
			Severity: finding.High, Kind: "dashboard.csp-violation", Source: "dashboard", Site: DashboardSite,
			URL:     e.DocumentURL,
			Message: fmt.Sprintf("The dashboard's own CSP blocked %s (%s): an injection into a dashboard page, or a dashboard bug", e.Blocked, e.Directive),
			Evidence: map[string]any{"directive": e.Directive, "blocked": e.Blocked, "blocked_url": e.BlockedURL,
				"source_file": e.SourceFile, "line": e.Line, "sample": e.Sample, "disposition": e.Disposition},
			Time: s.now(),
		}
		if _, err := s.store.PutFinding(r.Context(), store.FindingKey(f, e.Directive, e.Blocked, e.SourceFile), f); err != nil {
			s.serverError(w, r, "file CSP report", err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
