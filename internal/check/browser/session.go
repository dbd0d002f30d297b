package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

func marshal(v any) ([]byte, error) { return jsonv2.Marshal(v, chromedp.DefaultMarshalOptions) }

func unmarshal(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, chromedp.DefaultUnmarshalOptions)
}

// Unmarshal decodes an event's params with the options cdproto expects.
func Unmarshal(b []byte, v any) error { return unmarshal(b, v) }

func targetSessionID(s string) target.SessionID { return target.SessionID(s) }

// TargetInfo describes the target behind a session.
type TargetInfo struct {
	TargetID string
	// Type is "page", "iframe", "worker", "service_worker", "shared_worker"
	// or "browser".
	Type string
	URL  string
	// ParentSession is the session that auto-attached this one.
	ParentSession string
	// WaitingForDebugger is true when the target is paused until
	// Runtime.runIfWaitingForDebugger.
	WaitingForDebugger bool
}

// Event is one protocol event from a tab's page or one of its children.
type Event struct {
	Session *Session
	Method  string
	Params  jsonv2.Value
	// Child is the new session for a Target.attachedToTarget event.
	Child *Session
}

// Session is a protocol session with one target. It implements cdp.Session,
// so cdproto's typed commands run on it with cdp.Call.
type Session struct {
	b    *Browser
	id   string
	tab  *Tab
	info TargetInfo

	mu   sync.Mutex
	subs map[string][]*queue[jsonv2.Value]
	done bool
}

var _ cdp.Session = (*Session)(nil)

func newSession(b *Browser, id string, tab *Tab, info TargetInfo) *Session {
	return &Session{b: b, id: id, tab: tab, info: info, subs: map[string][]*queue[jsonv2.Value]{}}
}

// ID is the protocol session id ("" for the browser session).
func (s *Session) ID() string { return s.id }

// Info describes the target.
func (s *Session) Info() TargetInfo { return s.info }

// Call runs one protocol command. It always has a deadline: the browser's
// CallTimeout when ctx has none sooner.
func (s *Session) Call(ctx context.Context, method string, params, result any) error {
	return s.b.send(ctx, s.id, method, params, result)
}

// Command is one protocol command of a Batch. Params are encoded as
// Call's are; the result is discarded.
type Command struct {
	Method string
	Params any
}

// Batch runs commands in order with one round trip: it writes them all,
// then waits for every reply. Use it for commands whose results are not
// needed and whose order is all that matters, such as the key events of
// one keystroke. It returns the first error. Like Call, it has a deadline.
func (s *Session) Batch(ctx context.Context, cmds ...Command) error {
	return s.b.sendAll(ctx, s.id, cmds)
}

// Subscribe buffers the events of method on this session until cancel.
func (s *Session) Subscribe(method string) (<-chan jsonv2.Value, func()) {
	q := newQueue[jsonv2.Value]()
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		q.close()
		return q.out, func() {}
	}
	s.subs[method] = append(s.subs[method], q)
	s.mu.Unlock()
	return q.out, func() {
		s.mu.Lock()
		list := s.subs[method]
		for i, x := range list {
			if x == q {
				s.subs[method] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		q.close()
	}
}

func (s *Session) deliver(ev Event) {
	s.mu.Lock()
	for _, q := range s.subs[ev.Method] {
		q.push(ev.Params)
	}
	s.mu.Unlock()
	if s.tab != nil {
		s.tab.events.push(ev)
	}
}

func (s *Session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done = true
	for _, list := range s.subs {
		for _, q := range list {
			q.close()
		}
	}
	s.subs = nil
}

// TabOptions configure a new tab.
type TabOptions struct {
	// Locale such as "ja-JP" sets Accept-Language, navigator.language(s)
	// and Intl's default locale; default "ja-JP".
	Locale string
	// Timezone such as "Asia/Tokyo"; empty keeps the machine's.
	Timezone string
	// Document opens the tab outside the checks' concurrency cap: it is
	// for rendering skimwatch's own documents (offline, no scripts), whose
	// callers bound themselves, and which must not queue behind checks
	// that can hold every slot for a minute.
	Document bool
}

// Tab is one page in its own browser context: no cookies, storage or cache
// are shared with any other tab. It holds one of the browser's concurrency
// slots until Close (a Document tab holds none).
type Tab struct {
	b         *Browser
	slot      bool
	ctxID     cdp.BrowserContextID
	targetID  target.ID
	page      *Session
	events    *queue[Event]
	opts      TabOptions
	internal  string
	closeOnce sync.Once
}

// NewTab waits for a free slot, then opens a blank page in a fresh browser
// context. The page's session auto-attaches to child targets (iframes,
// workers) paused, so that a caller sees them from their first request:
// the caller must release each child with Runtime.runIfWaitingForDebugger
// after setting it up. Events of the page and its children arrive on Events.
func (b *Browser) NewTab(ctx context.Context, opts TabOptions) (*Tab, error) {
	if opts.Locale == "" {
		opts.Locale = "ja-JP"
	}
	if !opts.Document {
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a browser slot: %w", ctx.Err())
		case <-b.done:
			return nil, b.Err()
		}
	}
	t := &Tab{b: b, slot: !opts.Document, events: newQueue[Event](), opts: opts, internal: "skimwatch-internal-" + randomToken() + ".js"}
	ok := false
	defer func() {
		if !ok {
			t.Close()
		}
	}()
	bc, err := cdp.Call(ctx, b.root, target.CreateBrowserContext, target.CreateBrowserContextParams{DisposeOnDetach: ptr(true)})
	if err != nil {
		return nil, fmt.Errorf("creating browser context: %w", err)
	}
	t.ctxID = bc.BrowserContextID
	b.mu.Lock()
	b.tabs[string(t.ctxID)] = t
	b.mu.Unlock()
	tg, err := cdp.Call(ctx, b.root, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", BrowserContextID: t.ctxID})
	if err != nil {
		return nil, fmt.Errorf("creating page: %w", err)
	}
	b.mu.Lock()
	t.targetID = tg.TargetID
	b.mu.Unlock()
	att, err := cdp.Call(ctx, b.root, target.AttachToTarget, target.AttachToTargetParams{TargetID: tg.TargetID, Flatten: ptr(true)})
	if err != nil {
		return nil, fmt.Errorf("attaching to page: %w", err)
	}
	t.page = newSession(b, string(att.SessionID), t, TargetInfo{TargetID: string(tg.TargetID), Type: "page", URL: "about:blank"})
	b.mu.Lock()
	b.sessions[t.page.id] = t.page
	b.mu.Unlock()
	if err := t.Disguise(ctx, t.page); err != nil {
		return nil, err
	}
	ok = true
	return t, nil
}

// owns reports whether a target discovered browser-wide in the tab's
// browser context belongs to the tab's check: a service worker, or a page
// other than the tab's own, which only the tab's page can have opened (each
// tab has a browser context of its own). The tab's own page is attached by
// NewTab; until its id is known nothing else can have been opened.
// Called with b.mu held.
func (t *Tab) owns(typ, targetID string) bool {
	switch typ {
	case "service_worker":
		return true
	case "page":
		return t.targetID != "" && string(t.targetID) != targetID
	}
	return false
}

// CloseTarget closes a target the tab's page opened (a window beyond what
// the caller will watch).
func (t *Tab) CloseTarget(ctx context.Context, s *Session) error {
	if _, err := cdp.Call(ctx, t.b.root, target.CloseTarget, target.CloseTargetParams{TargetID: target.ID(s.info.TargetID)}); err != nil {
		return fmt.Errorf("closing %s target: %w", s.info.Type, err)
	}
	return nil
}

// Page is the tab's top-level page session.
func (t *Tab) Page() *Session { return t.page }

// Events delivers every event of the page and of its child sessions, in
// the order the browser sent them. It is closed by Close.
func (t *Tab) Events() <-chan Event { return t.events.out }

// InternalScriptURL is the sourceURL that marks scripts skimwatch itself
// injected or evaluated in this tab, so that capture can drop them.
func (t *Tab) InternalScriptURL() string { return t.internal }

// Browser is the browser the tab belongs to.
func (t *Tab) Browser() *Browser { return t.b }

// Close disposes of the tab's browser context and frees its slot.
func (t *Tab) Close() error {
	var err error
	t.closeOnce.Do(func() {
		if t.ctxID != "" {
			ctx, cancel := context.WithTimeout(context.Background(), t.b.opts.CallTimeout)
			_, err = cdp.Call(ctx, t.b.root, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: t.ctxID})
			cancel()
			if err != nil && t.b.Err() != nil {
				err = nil // the browser is gone, and the context with it
			}
		}
		t.b.mu.Lock()
		delete(t.b.tabs, string(t.ctxID))
		t.b.mu.Unlock()
		if t.page != nil {
			t.b.mu.Lock()
			delete(t.b.sessions, t.page.id)
			t.b.mu.Unlock()
			t.page.close()
		}
		t.events.close()
		if t.slot {
			<-t.b.sem
		}
	})
	return err
}

// chromeShim gives headless pages the window.chrome object that a desktop
// Chrome has and that skimmers test for.
const chromeShim = `(() => {
  if (window.chrome && window.chrome.runtime !== undefined) return;
  const c = window.chrome || {};
  if (!c.runtime) c.runtime = {};
  if (!c.app) c.app = { isInstalled: false, InstallState: { DISABLED: 'disabled', INSTALLED: 'installed', NOT_INSTALLED: 'not_installed' }, RunningState: { CANNOT_RUN: 'cannot_run', READY_TO_RUN: 'ready_to_run', RUNNING: 'running' } };
  if (!window.chrome) Object.defineProperty(window, 'chrome', { value: c, writable: true, configurable: true, enumerable: true });
})();`

// Disguise makes a page or iframe session look like a customer's desktop
// Chrome: user agent without "Headless", matching client hints, the tab's
// locale, and window.chrome. Workers accept only the network override.
func (t *Tab) Disguise(ctx context.Context, s *Session) error {
	ua := t.b.UserAgent()
	version := "0"
	if i := strings.Index(ua, "Chrome/"); i >= 0 {
		version = strings.SplitN(ua[i+len("Chrome/"):], " ", 2)[0]
	}
	major := strings.SplitN(version, ".", 2)[0]
	meta := &emulation.UserAgentMetadata{
		Brands: []*emulation.UserAgentBrandVersion{
			{Brand: "Chromium", Version: major}, {Brand: "Google Chrome", Version: major}, {Brand: "Not.A/Brand", Version: "99"},
		},
		FullVersionList: []*emulation.UserAgentBrandVersion{
			{Brand: "Chromium", Version: version}, {Brand: "Google Chrome", Version: version}, {Brand: "Not.A/Brand", Version: "99.0.0.0"},
		},
		Platform: "Linux", PlatformVersion: "", Architecture: "x86", Model: "", Bitness: "64",
	}
	lang := acceptLanguage(t.opts.Locale)
	params := emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang, Platform: "Linux x86_64", UserAgentMetadata: meta}
	if s.info.Type != "page" && s.info.Type != "iframe" {
		// Workers have no Emulation domain; Network carries the override.
		err := s.Call(ctx, "Network.setUserAgentOverride", params, nil)
		if err != nil {
			t.b.log.Debug("worker user agent override", "type", s.info.Type, "err", err)
		}
		return nil
	}
	if _, err := cdp.Call(ctx, s, emulation.SetUserAgentOverride, params); err != nil {
		return fmt.Errorf("user agent override: %w", err)
	}
	if _, err := cdp.Call(ctx, s, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(t.opts.Locale, "-", "_")}); err != nil {
		// A second override in the same renderer is refused; the first stands.
		t.b.log.Debug("locale override", "err", err)
	}
	if t.opts.Timezone != "" {
		if _, err := cdp.Call(ctx, s, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: t.opts.Timezone}); err != nil {
			t.b.log.Debug("timezone override", "err", err)
		}
	}
	if _, err := cdp.Call(ctx, s, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: chromeShim + "\n//# sourceURL=" + t.internal,
	}); err != nil {
		return fmt.Errorf("adding window.chrome: %w", err)
	}
	return nil
}

// acceptLanguage turns "ja-JP" into "ja-JP,ja,en-US,en": the languages
// only. Chromium adds the q-values itself (the server sees
// "ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", as from a Japanese desktop
// Chrome); q-values given here would be doubled into a header no real
// browser sends.
func acceptLanguage(locale string) string {
	base := strings.SplitN(locale, "-", 2)[0]
	parts := []string{locale}
	if base != locale {
		parts = append(parts, base)
	}
	if base != "en" {
		parts = append(parts, "en-US", "en")
	}
	return strings.Join(parts, ",")
}

func ptr[T any](v T) *T { return &v }

func randomToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// queue is an unbounded FIFO with a channel on its far end, so that the
// read loop never waits for a slow consumer.
type queue[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []T
	closed bool
	out    chan T
	stop   chan struct{}
}

func newQueue[T any]() *queue[T] {
	q := &queue[T]{out: make(chan T), stop: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.pump()
	return q
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, v)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

func (q *queue[T]) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.stop)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

func (q *queue[T]) pump() {
	defer close(q.out)
	for {
		q.mu.Lock()
		for len(q.items) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed && len(q.items) == 0 {
			q.mu.Unlock()
			return
		}
		v := q.items[0]
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
		q.mu.Unlock()
		select {
		case q.out <- v:
		case <-q.stop:
			return
		}
	}
}
