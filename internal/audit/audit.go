// Package audit looks at a shop from outside, as an attacker would: files
// that should not be served (installers, .git, .env, backups, listings,
// phpinfo), admin screens open to anyone, and the security headers and
// cookie flags of the shop and of the page given. Probes are polite: GET
// only, never a login, bounded in number and rate, each with a timeout, and
// no redirect is followed off the origin.
package audit

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// Defaults for Options.
const (
	DefaultMaxRequests = 60
	DefaultRate        = 5.0
	DefaultTimeout     = 10 * time.Second
	// maxBody is what is read of any response: enough for every marker,
	// and a hostile server cannot make us read more.
	maxBody = 64 << 10
	// maxRedirects followed on the origin per probe.
	maxRedirects = 3
)

// ErrInvalidTarget is wrapped by Run's error for a URL it cannot audit.
var ErrInvalidTarget = errors.New("invalid audit target")

// Options configure one audit run.
type Options struct {
	// MaxRequests caps the requests sent, redirects included.
	MaxRequests int
	// Rate is the most requests per second.
	Rate float64
	// Timeout bounds each request.
	Timeout time.Duration
	// Client sends the requests; its redirect policy is replaced, so that
	// redirects are followed only on the origin. Nil: a default client.
	Client *http.Client
	Logger *slog.Logger
	// Now is the clock for the report's times.
	Now func() time.Time
	// Random names the soft-404 baseline path; nil: crypto/rand.
	Random io.Reader
	// Advisories are matched against the platform and libraries found;
	// nil: versions are reported but not matched (the report says so).
	Advisories *advisory.DB
	// Scripts are script URLs from a browser check's inventory, read for
	// libraries in place of the page's own <script src> tags.
	Scripts []string
	// RootCAs verifies an https shop's certificate chain, in the TLS
	// checks and, when Client is nil, in the requests; nil: the system
	// roots.
	RootCAs *x509.CertPool
}

func (o Options) withDefaults() Options {
	if o.MaxRequests <= 0 {
		o.MaxRequests = DefaultMaxRequests
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Random == nil {
		o.Random = rand.Reader
	}
	c := &http.Client{}
	if o.Client != nil {
		*c = *o.Client
	} else if o.RootCAs != nil {
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12}}
	}
	// Redirects are followed by hand, so each counts against the budget
	// and none leaves the origin.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.Client = c
	return o
}

// errBudget is returned when --max-requests is reached.
var errBudget = errors.New("request budget spent")

// response is what a probe keeps of one answer.
type response struct {
	URL    string // the URL that answered (after same-origin redirects)
	Status int
	Header http.Header
	Body   []byte
}

// prober sends requests within the budget and rate; one per Run.
type prober struct {
	opts     Options
	origin   *url.URL
	sent     int
	next     time.Time
	interval time.Duration
}

// get fetches u, following redirects only while they stay on the origin.
func (p *prober) get(ctx context.Context, u string) (*response, error) {
	for range maxRedirects + 1 {
		r, err := p.once(ctx, u)
		if err != nil {
			return nil, err
		}
		loc := r.Header.Get("Location")
		if r.Status < 300 || r.Status > 399 || loc == "" {
			return r, nil
		}
		next, err := url.Parse(u)
		if err != nil {
			return r, nil
		}
		next, err = next.Parse(loc)
		if err != nil || !sameOrigin(next, p.origin) {
			return r, nil // off the origin: the redirect itself is the answer
		}
		u = next.String()
	}
	return nil, fmt.Errorf("GET %s: more than %d redirects", u, maxRedirects)
}

// take spends one request of the budget, waiting for the rate; every
// request and every TLS handshake of its own goes through it.
func (p *prober) take(ctx context.Context) error {
	if p.sent >= p.opts.MaxRequests {
		return errBudget
	}
	if wait := time.Until(p.next); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	p.next = time.Now().Add(p.interval)
	p.sent++
	return nil
}

func (p *prober) once(ctx context.Context, u string) (*response, error) {
	if err := p.take(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("User-Agent", "skimwatch-audit")
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body: %w", u, err)
	}
	p.opts.Logger.Debug("audit probe", "url", u, "status", resp.StatusCode, "bytes", len(body))
	return &response{URL: u, Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// Run audits the shop at target (the page given, usually the payment page)
// and returns a report. A probe that fails, or a budget spent before every
// probe ran, makes the report incomplete, never clean.
func Run(ctx context.Context, target string, opts Options) (*finding.Report, error) {
	opts = opts.withDefaults()
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidTarget, target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q: want an http or https URL", ErrInvalidTarget, target)
	}
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host}
	p := &prober{opts: opts, origin: origin, interval: time.Duration(float64(time.Second) / opts.Rate)}
	rep := &finding.Report{
		Tool: "skimwatch", Command: "audit", Targets: []string{target},
		Started: opts.Now(), Complete: true,
	}
	a := &auditor{p: p, rep: rep, origin: origin}
	a.run(ctx, u)
	rep.Finished = opts.Now()
	rep.Details = map[string]any{"requests": p.sent, "max_requests": opts.MaxRequests, "advisories": AdvisoryDetails(opts.Advisories)}
	rep.Sort()
	return rep, nil
}

type auditor struct {
	p      *prober
	rep    *finding.Report
	origin *url.URL
	// baseline is the answer to a path that cannot exist.
	baseline *response
	// page is the answer of the page given, nil if it failed.
	page *response
}

// fail records why a part of the audit did not happen.
func (a *auditor) fail(what string, err error) {
	if errors.Is(err, errBudget) {
		a.rep.MarkIncomplete(fmt.Sprintf("--max-requests %d reached before every probe ran", a.p.opts.MaxRequests))
		return
	}
	a.rep.MarkIncomplete(fmt.Sprintf("%s: %v", what, err))
}

func (a *auditor) add(kind, url, msg string, ev map[string]any) {
	a.addSeverity(kind, severityOf(kind), url, msg, ev)
}

func (a *auditor) addSeverity(kind string, sev finding.Severity, url, msg string, ev map[string]any) {
	a.rep.Findings = append(a.rep.Findings, finding.Finding{
		Severity: sev, Kind: kind, Message: msg, Evidence: ev,
		Source: "audit", URL: url, Time: a.p.opts.Now(),
	})
}

func (a *auditor) run(ctx context.Context, page *url.URL) {
	if strings.EqualFold(a.origin.Scheme, "https") {
		a.checkTLS(ctx)
	}
	home := a.origin.JoinPath("/").String()
	pages := []string{page.String()}
	if home != page.String() {
		pages = append(pages, home)
	}
	var seen []*response
	for _, pg := range pages {
		r, err := a.p.get(ctx, pg)
		if err != nil {
			a.fail("page "+pg, err)
			continue
		}
		if pg == page.String() && r.Status >= 400 {
			// A missing or refused page has none of the payment page's
			// headers or scripts: judging its error page instead would
			// read as a clean (or a wrongly dirty) payment page.
			a.fail("page "+pg, fmt.Errorf("answered %d: give the URL of the shop's payment page", r.Status))
			continue
		}
		a.checkHeaders(r)
		seen = append(seen, r)
		if pg == page.String() {
			a.page = r
		}
	}
	// Versions come last: the exposure probes matter more when the
	// budget is short.
	defer a.components(ctx, seen)

	var buf [12]byte
	if _, err := io.ReadFull(a.p.opts.Random, buf[:]); err != nil {
		a.fail("soft-404 baseline", err)
		return
	}
	base, err := a.p.get(ctx, a.origin.JoinPath("/skimwatch-"+hex.EncodeToString(buf[:])).String())
	if err != nil {
		// Without a baseline a shop that answers 200 to everything would
		// look exposed everywhere: stop rather than guess.
		a.fail("soft-404 baseline", err)
		return
	}
	a.baseline = base
	for _, pr := range probes {
		if ctx.Err() != nil {
			a.fail("audit", ctx.Err())
			return
		}
		r, err := a.p.get(ctx, a.origin.JoinPath(pr.path).String())
		if err != nil {
			a.fail("probe "+pr.path, err)
			if errors.Is(err, errBudget) {
				return
			}
			continue
		}
		if r.Status != http.StatusOK {
			continue
		}
		proof, ok := pr.match(r.Body)
		if !ok {
			continue
		}
		// A shop that echoes the path or shows the same page for everything
		// carries the proof in its not-found page as well: not an exposure.
		if a.baseline.Status == http.StatusOK {
			if _, also := pr.match(a.baseline.Body); also {
				continue
			}
		}
		a.add(pr.kind, r.URL, pr.message, map[string]any{
			"url": r.URL, "status": r.Status, "proof": proof,
		})
	}
}
