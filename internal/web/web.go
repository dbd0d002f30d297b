package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/text/language"

	"github.com/skimwatch/skimwatch/internal/store"
)

// Options configure a Server.
type Options struct {
	// Store is where users, sessions, findings and the event log live.
	Store store.Store
	// Logger defaults to a no-op logger.
	Logger *slog.Logger
	// SecureCookies marks session cookies Secure; set it when the
	// dashboard is reached over https (directly or behind a proxy).
	SecureCookies bool
	// CSPReportURI is where browsers send the dashboard's own CSP
	// violations: our collector's endpoint for the dashboard's site when
	// serve has one, else empty for the local /api/csp-report.
	CSPReportURI string
	// Now is the clock; tests set it. Default time.Now.
	Now func() time.Time
}

// Server is the dashboard. Build it with New; serve Handler().
type Server struct {
	store     store.Store
	log       *slog.Logger
	secure    bool
	reportURI string
	now       func() time.Time
	messages  catalog
	langs     language.Matcher
	pages     map[string]*template.Template
	handler   http.Handler
}

// New builds the dashboard: it parses every template and merges every
// message table, so a broken template fails here and not on a request.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("web: a store is required")
	}
	s := &Server{
		store:     opts.Store,
		log:       opts.Logger,
		secure:    opts.SecureCookies,
		reportURI: opts.CSPReportURI,
		now:       opts.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.reportURI == "" {
		s.reportURI = "/api/csp-report"
	}
	m, err := mergeCatalogs(coreMessages(), findingMessages(), inventoryMessages())
	if err != nil {
		return nil, fmt.Errorf("web: messages: %w", err)
	}
	s.messages, s.langs = m, newMatcher()
	if s.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.secureHeaders(http.NewCrossOriginProtection().Handler(s.authenticate(mux)))
	return s, nil
}

// Handler serves the dashboard at / and its API at /api/.
func (s *Server) Handler() http.Handler { return s.handler }
