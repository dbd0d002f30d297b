// Package lab reproduces the seed incident's shop, its payment provider, a
// benign third party, a lookalike CDN and the attacker's collector, each on
// its own loopback origin, with tampering scenarios that can be switched at
// run time. Tests, benchmarks and `skimwatch demo` run against it.
//
// Everything listens on loopback only. Card data is never stored: the shop
// and the payment provider keep contacts, amounts and token or charge ids.
// The attacker's collector is the one place that keeps what was sent to it,
// in memory, so tests can assert on it; tests type only honey values.
package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a lab. The zero value is usable.
type Options struct {
	// Logger receives request logs at debug level; nil discards.
	Logger *slog.Logger
	// AdminEndpoint enables POST /__lab/scenario on the shop origin; it
	// accepts only same-origin posts (see sameOrigin).
	AdminEndpoint bool
	// ReportURI, when set, is the report-uri of the shop's
	// Content-Security-Policy-Report-Only header.
	ReportURI string
	// Addr is the shop's listen address, default 127.0.0.1:0. It must be a
	// loopback address.
	Addr string
}

// ErrUnknownScenario is wrapped by SetScenario for names not in Scenarios().
var ErrUnknownScenario = errors.New("unknown scenario")

// ErrNotLoopback is returned by Start for a listen address off loopback.
var ErrNotLoopback = errors.New("lab listens on loopback only")

// Limits. The lab is a test fixture, but every body it reads is capped.
const (
	maxFormBody      = 64 << 10 // shop and PSP forms
	maxCollectorBody = 1 << 20  // one request body kept by the collector
	maxCollected     = 10000    // requests kept by the collector, oldest dropped
	maxSessions      = 10000    // shop sessions kept, oldest dropped
)

// Lab is a running lab. Its methods are safe for concurrent use.
type Lab struct {
	opts Options
	log  *slog.Logger

	// ctx is the base context of every server; Close cancels it so that
	// long polls and WebSockets end.
	ctx    context.Context
	cancel context.CancelFunc

	shop, psp, pspAPI, attacker, thirdParty, cdn *origin
	// fraud and postal serve the benign checkout's vendors (benign.go).
	fraud, postal *origin
	// dead is an origin whose port was opened once and closed: a loader's
	// domain that is down, refusing every connection.
	dead string

	assets   *assetSet
	client   *http.Client // the shop backend's client for the provider's API
	attack   *Collector
	store    *shopStore
	platform *platformLog // platforms.go: messages, logins, lookups
	live     *liveWrites  // livewrites.go: GETs that write, the shop's socket
	payments *paymentProvider

	mu       sync.RWMutex
	scenario scenarioDef

	closeOnce sync.Once
	closeErr  error
}

// origin is one listener and its server.
type origin struct {
	name string
	url  string // scheme://host:port, no trailing slash
	ln   net.Listener
	srv  *http.Server
}

// Start starts every origin and returns when all are listening. Cancelling
// ctx closes the lab as Close does.
func Start(ctx context.Context, opts Options) (*Lab, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("lab: address %q: %w", opts.Addr, err)
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("lab: address %q: %w", opts.Addr, ErrNotLoopback)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}

	l := &Lab{opts: opts, log: opts.Logger}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.scenario = cleanScenario()
	l.attack = newCollector()

	// Each origin gets its own loopback address where the system allows it,
	// so that cookies (which ignore ports) do not cross origins; otherwise
	// distinct ports on the shop's address still make distinct origins.
	if l.shop, err = listen("shop", opts.Addr); err != nil {
		l.cancel()
		return nil, err
	}
	altHost := func(i int) string {
		if host != "127.0.0.1" {
			return host
		}
		return fmt.Sprintf("127.0.0.%d", i)
	}
	for i, o := range []struct {
		name string
		dst  **origin
	}{
		{"psp", &l.psp}, {"psp-api", &l.pspAPI}, {"attacker", &l.attacker},
		{"third-party", &l.thirdParty}, {"cdn", &l.cdn},
		{"fraud", &l.fraud}, {"postal", &l.postal},
	} {
		*o.dst, err = listen(o.name, net.JoinHostPort(altHost(i+2), "0"))
		if err != nil {
			*o.dst, err = listen(o.name, net.JoinHostPort(host, "0"))
		}
		if err != nil {
			l.closeListeners()
			l.cancel()
			return nil, err
		}
	}

	dead, err := listen("dead", net.JoinHostPort(host, "0"))
	if err != nil {
		l.closeListeners()
		l.cancel()
		return nil, err
	}
	l.dead = dead.url
	dead.ln.Close()

	if l.assets, err = newAssetSet(l.urls()); err != nil {
		l.closeListeners()
		l.cancel()
		return nil, fmt.Errorf("lab: assets: %w", err)
	}
	l.store = newShopStore()
	l.platform = newPlatformLog()
	l.live = &liveWrites{}
	l.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	l.payments = newPaymentProvider(l.shop.url)

	l.serve(l.shop, l.shopHandler())
	l.serve(l.psp, l.pspHandler())
	l.serve(l.pspAPI, l.pspAPIHandler())
	l.serve(l.attacker, l.attackerHandler())
	l.serve(l.thirdParty, l.thirdPartyHandler())
	l.serve(l.cdn, l.cdnHandler())
	l.serve(l.fraud, l.fraudHandler())
	l.serve(l.postal, l.postalHandler())

	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	go func() {
		<-l.ctx.Done()
		stop()
	}()
	l.log.Info("lab started", "shop", l.shop.url, "psp", l.psp.url, "psp_api", l.pspAPI.url,
		"attacker", l.attacker.url, "third_party", l.thirdParty.url, "cdn", l.cdn.url)
	return l, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func listen(name, addr string) (*origin, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: %s origin: listen %s: %w", name, addr, err)
	}
	return &origin{name: name, ln: ln, url: "http://" + ln.Addr().String()}, nil
}

func (l *Lab) serve(o *origin, h http.Handler) {
	log := l.log.With("origin", o.name)
	o.srv = &http.Server{
		Handler:           logRequests(log, h),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return l.ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := o.srv.Serve(o.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", "err", err)
		}
	}()
}

func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Debug("request", "method", r.Method, "url", r.URL.String(), "remote", r.RemoteAddr)
		h.ServeHTTP(w, r)
	})
}

func (l *Lab) origins() []*origin {
	return []*origin{l.shop, l.psp, l.pspAPI, l.attacker, l.thirdParty, l.cdn, l.fraud, l.postal}
}

func (l *Lab) closeListeners() {
	for _, o := range l.origins() {
		if o != nil && o.ln != nil {
			_ = o.ln.Close()
		}
	}
}

// Close stops every origin. Long polls and WebSockets are cut, not drained.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		var errs []error
		for _, o := range l.origins() {
			if o == nil || o.srv == nil {
				continue
			}
			if err := o.srv.Close(); err != nil {
				errs = append(errs, fmt.Errorf("lab: close %s: %w", o.name, err))
			}
		}
		if l.client != nil {
			l.client.CloseIdleConnections()
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// ShopURL is the shop's origin, e.g. http://127.0.0.1:41234 (no trailing slash).
func (l *Lab) ShopURL() string { return l.shop.url }

// PSPOrigin serves the payment provider's hosted page and its JavaScript.
func (l *Lab) PSPOrigin() string { return l.psp.url }

// PSPAPIOrigin serves the payment provider's tokenisation and charge API,
// a separate origin reached with CORS.
func (l *Lab) PSPAPIOrigin() string { return l.pspAPI.url }

// AttackerOrigin is the attacker's collector.
func (l *Lab) AttackerOrigin() string { return l.attacker.url }

// ThirdPartyOrigin serves the benign analytics, chat widget and tag manager.
func (l *Lab) ThirdPartyOrigin() string { return l.thirdParty.url }

// CDNOrigin is the lookalike CDN.
func (l *Lab) CDNOrigin() string { return l.cdn.url }

// Attacker is the attacker's collector: what skimmers actually sent.
func (l *Lab) Attacker() *Collector { return l.attack }

// Orders are the orders the shop recorded, oldest first.
func (l *Lab) Orders() []Order { return l.store.orders() }

// Charges are the charges the payment provider recorded, oldest first.
func (l *Lab) Charges() []Charge { return l.payments.charges() }

// SetScenario switches the tampering scenario; "" and "clean" remove all
// tampering. An unknown name is an error wrapping ErrUnknownScenario and
// leaves the current scenario in place.
func (l *Lab) SetScenario(name string) error {
	def, ok := lookupScenario(name)
	if !ok {
		return fmt.Errorf("lab: %w %q (see Scenarios())", ErrUnknownScenario, name)
	}
	l.mu.Lock()
	l.scenario = def
	l.mu.Unlock()
	l.log.Info("scenario", "name", def.Name)
	return nil
}

// Scenario is the current scenario's name ("clean" when none).
func (l *Lab) Scenario() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.scenario.Name
}

func (l *Lab) current() scenarioDef {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.scenario
}

// originURLs are what asset templates may refer to.
type originURLs struct {
	Shop, PSP, PSPAPI, Attacker, AttackerWS, ThirdParty, CDN, Dead string
}

func (l *Lab) urls() originURLs {
	return originURLs{
		Shop: l.shop.url, PSP: l.psp.url, PSPAPI: l.pspAPI.url,
		Attacker: l.attacker.url, AttackerWS: "ws" + strings.TrimPrefix(l.attacker.url, "http"),
		ThirdParty: l.thirdParty.url, CDN: l.cdn.url, Dead: l.dead,
	}
}
