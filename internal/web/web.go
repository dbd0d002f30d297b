package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/alexedwards/scs/v2"
	"golang.org/x/text/language"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/monitor"
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

	// Runs lists the monitor's newest runs for the overview; nil when this
	// process runs no monitor.
	Runs func(ctx context.Context, limit int) ([]monitor.Run, error)
	// Sinks are the config's alert sinks, for "send a test alert".
	Sinks []alert.Sink
	// Documents renders the PDF evidence sheet: serve passes one on the
	// Chromium its checks use. nil: each export starts a Chromium of its
	// own. Either way one export runs at a time; another asked for
	// meanwhile gets 429.
	Documents *document.Renderer

	// PasswordParams are argon2id's costs; default PasswordParams() (tests
	// lower them).
	PasswordParams *argon2id.Params
	// MaxLoginFailures in a row lock a user out for LockFor (defaults 5
	// and 15 minutes).
	MaxLoginFailures int
	LockFor          time.Duration
	// LoginsPerMinute caps sign-in attempts per client address (default
	// 10).
	LoginsPerMinute int
	// SessionLifetime ends a session however busy (default 12 hours);
	// SessionIdle ends an unused one (default 2 hours).
	SessionLifetime time.Duration
	SessionIdle     time.Duration
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

	runs      func(ctx context.Context, limit int) ([]monitor.Run, error)
	sinks     []alert.Sink
	documents *document.Renderer
	// pdfSlot holds one token while a PDF export runs.
	pdfSlot     chan struct{}
	sessions    *scs.SessionManager
	params      *argon2id.Params
	dummyHash   string
	maxFailures int
	lockFor     time.Duration
	limiter     *loginLimiter
	reports     *reportLimiter
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
	s.runs, s.sinks, s.documents = opts.Runs, opts.Sinks, opts.Documents
	s.pdfSlot = make(chan struct{}, 1)
	s.params = cmp.Or(opts.PasswordParams, PasswordParams())
	s.maxFailures = cmp.Or(opts.MaxLoginFailures, 5)
	s.lockFor = cmp.Or(opts.LockFor, 15*time.Minute)
	s.limiter = newLoginLimiter(cmp.Or(opts.LoginsPerMinute, 10))
	s.reports = newReportLimiter()
	s.sessions = newSessions(s.store, s.now, s.secure, cmp.Or(opts.SessionLifetime, 12*time.Hour),
		cmp.Or(opts.SessionIdle, 2*time.Hour), func(err error) { s.log.Error("session", "err", err) })
	// A hash to compare against when the user does not exist, so that
	// an unknown name costs the same time as a wrong password.
	dummy, err := argon2id.CreateHash(randomSecret(""), s.params)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.dummyHash = dummy
	if s.reportURI == "" {
		s.reportURI = "/api/csp-report"
	}
	m, err := mergeCatalogs(coreMessages(), findingMessages(), inventoryMessages(), reportMessages())
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

// PasswordParams are the argon2id costs for new password hashes: OWASP's
// first recommendation (19 MiB, 2 passes, 1 lane). The library's defaults
// use one lane per CPU (so a hash depends on the machine) and 64 MiB, which
// a burst of sign-ins from many addresses would multiply. Existing hashes
// carry their own costs and keep verifying when these change.
func PasswordParams() *argon2id.Params {
	return &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Handler serves the dashboard at / and its API at /api/.
func (s *Server) Handler() http.Handler { return s.handler }

// allowSlowResponse moves the connection's write deadline to d (plus a
// margin) from now, for the few handlers that may legitimately take longer
// than the server's write timeout (a PDF print, a test alert to a slow
// SMTP server). Without it the server closes the connection before the
// answer is written; the browser then silently retries the GET, and the
// retry meets the first request still holding its slot (a 429 instead of
// the PDF). Each such handler bounds its own work with a context of d.
func allowSlowResponse(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + 10*time.Second))
}
