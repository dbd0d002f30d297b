package pagecheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/debugger"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
	"github.com/skimwatch/skimwatch/internal/store"
)

// maxSourceKept caps the script source kept as evidence; hashes cover all.
// It is the store's own cap, so a skimmer appended to a big library is
// still in the source the dashboard diffs.
const maxSourceKept = store.MaxScriptSourceBytes

// maxSourceKeptTotal is how much whole source one check keeps: past it,
// each script keeps only maxSourceClassified, so a page that makes
// thousands of big scripts cannot make one check hold gigabytes. A real
// checkout's scripts come to a few MiB.
const maxSourceKeptTotal = 32 << 20

// maxSourceClassified caps the inline scripts refineKinds compares with the
// served HTML: a search through the document per script is cheap for small
// ones, and a big inline script is very rarely written at run time.
const maxSourceClassified = 32 << 10

// Limits on what one check records; reaching one makes the check incomplete.
const (
	maxScripts  = 5000
	maxRequests = 20000
	maxWSFrames = 5000
	// maxPopups caps the new windows one check watches: a page that opens
	// window after window must not exhaust the browser. A window beyond it
	// is closed unwatched, and the check is incomplete.
	maxPopups = 4
)

// recorder turns the protocol events of one tab into an Observation. Its
// handlers run on the event loop and in short goroutines (for calls that
// must not wait behind each other); all state is under mu.
type recorder struct {
	tab      *browser.Tab
	opts     *Options
	log      *slog.Logger
	shop     string // origin of the checked page or flow start
	mainID   string // main frame id (= page target id)
	internal string // sourceURL of our own scripts
	matcher  *honey.Matcher
	guard    *guard // decides which paused requests are failed

	wg sync.WaitGroup // handler goroutines

	mu            sync.Mutex
	sourceKept    int // bytes of script source kept so far (keepSource)
	step          int
	phase         string
	afterInput    bool
	seq           int
	aliases       map[string]string // session id -> "s0", "s1", ...
	scripts       []scriptRec
	scriptURL     map[string]string // script key -> URL
	reqs          map[string]*reqRec
	reqOrder      []string
	fetchOnly     map[string]*reqRec // paused requests, by network id or fetch id
	cookies       map[string]string  // Cookie header by session alias and request id
	sentCookie    map[string]string  // Cookie header by observation.Request ID, set by requests()
	ws            map[string]wsInfo
	wsFrames      []observation.WebSocketFrame
	frames        map[string]*observation.Frame
	frameOrder    []string
	pages         []observation.Page
	docReqs       map[string]string // main-document request id -> URL
	served        map[string]string // document URL -> served HTML (capped)
	dialogs       []observation.Dialog
	blocked       []observation.BlockedRequest
	incomplete    []string
	mainNavs      int
	loads         int
	lastNet       time.Time
	inflight      int
	open          map[string]bool          // network requests not yet finished or failed
	undecided     map[string]*undecidedReq // by network request id: see undecidedReq
	pausedNet     map[string]bool          // network request ids interception has paused
	settingUp     int                      // attached children not yet set up and released
	crashed       bool
	sourcesDue    int // scripts parsed whose source is still being read
	forms         []observation.Form
	formKeys      map[string]bool
	formNames     [][]string      // per form: its id, then its fields' names and ids
	domScripts    map[string]bool // SHA-256 of inline <script> texts seen in the DOM
	childSessions []*browser.Session
	popups        int                      // new windows the page opened
	attached      map[string]bool          // target ids with a session in this check
	watched       map[string]chan struct{} // target id -> closed once its watching session is set up
	visiting      bool                     // the check's own navigation (a visit step) is loading
	visitURL      string                   // where that navigation goes
	socketsHeld   bool                     // the shop's WebSockets are held (arm)
	heldFrames    map[int]bool             // indexes in wsFrames of frames held, not sent
	heldSockets   map[string]bool          // sockets already listed in blocked
	heldIn        map[string]bool          // session ids whose sockets to the shop are held
	changed       chan struct{}            // closed and replaced on every state change
}

type scriptRec struct {
	seq int
	observation.Script
	// unread: the source was gone before it could be read (a navigation
	// discards it); SHA256 is then V8's own hash of it (see resolveUnread).
	unread bool
}

type reqRec struct {
	seq int
	observation.Request
	// cookie is the Cookie header the browser sent. It is matched for
	// honey values (a skimmer can stash data in a cookie for the shop's own
	// server to receive later) but never kept in the observation: it can
	// hold the shop's session.
	cookie    string
	networkID string
	blocked   bool
	done      bool // loading finished
}

// undecidedReq is a request Network reported that interception has not
// paused yet, so the guard has not decided it. Chromium reports a request
// to Network before interception pauses it, and on a loaded machine the
// pause can reach the recorder seconds later: leaving the page meanwhile
// cancels the request (ERR_ABORTED), unjudged, and the check never sees
// what the page did after it. Keyed by network request id, which is
// unique browser-wide: a dedicated worker's request is paused on the
// page's session.
type undecidedReq struct {
	seq         int
	method, url string
	session     string // id of the session Network reported it on
	// givenUp: the driver waited for a decision as long as it would
	// before leaving the page or ending the check. If the request then
	// never gets one, the check is incomplete (undecidedLeft).
	givenUp bool
	failed  string // how it ended after it was given up on
}

type wsInfo struct {
	url, initiator, key string
}

func newRecorder(tab *browser.Tab, opts *Options, shop string, matcher *honey.Matcher, g *guard) *recorder {
	return &recorder{
		tab: tab, opts: opts, log: opts.Logger, shop: shop,
		mainID:   tab.Page().Info().TargetID,
		internal: tab.InternalScriptURL(),
		matcher:  matcher, guard: g,
		phase:     observation.PhaseLoad,
		aliases:   map[string]string{},
		scriptURL: map[string]string{}, reqs: map[string]*reqRec{},
		fetchOnly: map[string]*reqRec{}, ws: map[string]wsInfo{},
		cookies: map[string]string{}, sentCookie: map[string]string{}, attached: map[string]bool{}, watched: map[string]chan struct{}{},
		frames: map[string]*observation.Frame{}, docReqs: map[string]string{}, open: map[string]bool{},
		undecided: map[string]*undecidedReq{}, pausedNet: map[string]bool{},
		served: map[string]string{}, domScripts: map[string]bool{},
		heldFrames: map[int]bool{}, heldSockets: map[string]bool{}, heldIn: map[string]bool{},
		changed: make(chan struct{}),
	}
}

// notify wakes waiters; call with mu held.
func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitFor blocks until cond (evaluated under mu) holds, ctx ends or d passes.
func (r *recorder) waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (r *recorder) addIncomplete(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	for _, m := range r.incomplete {
		if m == msg {
			return
		}
	}
	r.incomplete = append(r.incomplete, msg)
	r.notify()
}

func (r *recorder) alias(s *browser.Session) string {
	a, ok := r.aliases[s.ID()]
	if !ok {
		a = fmt.Sprintf("s%d", len(r.aliases))
		r.aliases[s.ID()] = a
	}
	return a
}

func (r *recorder) setPhase(phase string) {
	r.mu.Lock()
	r.phase = phase
	if phase != observation.PhaseLoad {
		r.afterInput = true
	}
	r.mu.Unlock()
}

func (r *recorder) setStep(step int) {
	r.mu.Lock()
	r.step = step
	r.mu.Unlock()
}

// enable turns on the domains a session is captured with.
func (r *recorder) enable(ctx context.Context, s *browser.Session) error {
	if err := r.enableNetwork(ctx, s); err != nil {
		return err
	}
	return r.enableDocument(ctx, s)
}

// enableNetwork turns on what sees requests. Chromium serves these domains
// from the browser process, so they answer for a new window that has no
// renderer yet (a form posted into a new window waits for its release).
func (r *recorder) enableNetwork(ctx context.Context, s *browser.Session) error {
	isPage := s.Info().Type == "page" || s.Info().Type == "iframe"
	if _, err := cdp.Call(ctx, s, network.Enable, network.EnableParams{MaxPostDataSize: ptr(int64(r.opts.MaxBodyBytes))}); err != nil {
		return fmt.Errorf("Network.enable: %w", err)
	}
	// Interception sees what Network misses: beacons sent while unloading.
	if _, err := cdp.Call(ctx, s, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*", RequestStage: fetch.RequestStageRequest}}}); err != nil {
		if isPage {
			return fmt.Errorf("Fetch.enable: %w", err)
		}
		// Dedicated workers have no Fetch domain; their requests are
		// intercepted on the page's session and seen by their Network.
		r.log.Debug("Fetch.enable on worker", "err", err)
	}
	return nil
}

// enableDocument turns on what sees the document and its scripts. Page
// sessions get Page; workers refuse it.
func (r *recorder) enableDocument(ctx context.Context, s *browser.Session) error {
	if s.Info().Type == "page" || s.Info().Type == "iframe" {
		if _, err := cdp.Call(ctx, s, page.Enable, page.EnableParams{}); err != nil {
			return fmt.Errorf("Page.enable: %w", err)
		}
	}
	if _, err := cdp.Call(ctx, s, debugger.Enable, debugger.EnableParams{}); err != nil {
		return fmt.Errorf("Debugger.enable: %w", err)
	}
	// `debugger;` traps must not freeze the page.
	if _, err := cdp.Call(ctx, s, debugger.SetSkipAllPauses, debugger.SetSkipAllPausesParams{Skip: true}); err != nil {
		return fmt.Errorf("Debugger.setSkipAllPauses: %w", err)
	}
	// Async stacks name the script behind a timer or promise that sends.
	if _, err := cdp.Call(ctx, s, debugger.SetAsyncCallStackDepth, debugger.SetAsyncCallStackDepthParams{MaxDepth: 16}); err != nil {
		r.log.Debug("async call stacks", "err", err)
	}
	// Nested iframes and workers, paused until set up like this one.
	if _, err := cdp.Call(ctx, s, target.SetAutoAttach, target.SetAutoAttachParams{AutoAttach: true, WaitForDebuggerOnStart: true, Flatten: ptr(true)}); err != nil {
		r.log.Debug("auto-attach", "type", s.Info().Type, "err", err)
	}
	return nil
}

// run handles events until the tab's stream ends or ctx is done.
func (r *recorder) run(ctx context.Context) {
	b := r.tab.Browser()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.Done():
			r.mu.Lock()
			r.crashed = true
			r.mu.Unlock()
			r.addIncomplete("browser exited during the check: %v", b.Err())
			return
		case ev, ok := <-r.tab.Events():
			if !ok {
				return
			}
			r.handle(ctx, ev)
		}
	}
}

func (r *recorder) spawn(f func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
}

func (r *recorder) handle(ctx context.Context, ev browser.Event) {
	s := ev.Session
	switch ev.Method {
	case "Target.attachedToTarget":
		if ev.Child != nil {
			child := ev.Child
			if ready, dup := r.duplicate(child); dup {
				// A service worker reaches the tab twice, browser-wide and
				// from the page; the second session would wait for the
				// first's and hold the worker paused. Let it run, unwatched:
				// the first session watches it. Not before the first is set
				// up, though: a worker released early runs its script before
				// the watching session can see it parsed.
				r.spawn(func() {
					select {
					case <-ready:
					case <-time.After(5 * time.Second):
					case <-ctx.Done():
					}
					r.release(ctx, child)
				})
				return
			}
			if child.Info().Type == "page" && !r.admitPopup(child) {
				r.spawn(func() { r.refusePopup(ctx, child) })
				return
			}
			r.addChildFrame(s, child)
			r.mu.Lock()
			r.childSessions = append(r.childSessions, child)
			r.settingUp++
			r.mu.Unlock()
			r.spawn(func() { r.setUpChild(ctx, child) })
		}
	case "Target.detachedFromTarget":
		var p struct {
			SessionID string `json:"sessionId"`
		}
		if browser.Unmarshal(ev.Params, &p) == nil && p.SessionID != "" {
			r.detached(p.SessionID)
		}
	case "Target.targetCrashed", "Inspector.targetCrashed":
		r.mu.Lock()
		r.crashed = true
		r.mu.Unlock()
		r.addIncomplete("page renderer crashed (%s)", s.Info().Type)
	case "Debugger.scriptParsed":
		var p debugger.EventScriptParsed
		if decode(ev, &p) {
			r.mu.Lock()
			r.seq++
			seq := r.seq
			step, after := r.step, r.afterInput
			r.sourcesDue++
			r.mu.Unlock()
			// The source must be fetched at once: a navigation discards it.
			r.spawn(func() {
				defer func() {
					r.mu.Lock()
					r.sourcesDue--
					r.notify()
					r.mu.Unlock()
				}()
				r.addScript(ctx, s, &p, seq, step, after)
			})
		}
	case "Debugger.paused":
		r.spawn(func() { s.Call(ctx, debugger.Resume.Method, debugger.ResumeParams{}, nil) })
	case "Page.javascriptDialogOpening":
		var p page.EventJavascriptDialogOpening
		if decode(ev, &p) {
			r.onDialog(ctx, s, &p)
		}
	case "Page.frameNavigated":
		var p page.EventFrameNavigated
		if decode(ev, &p) && p.Frame != nil {
			r.onFrameNavigated(s, p.Frame)
		}
	case "Page.loadEventFired":
		if s == r.tab.Page() {
			r.mu.Lock()
			r.loads++
			r.notify()
			r.mu.Unlock()
		}
	case "Network.requestWillBeSent":
		var p network.EventRequestWillBeSent
		if decode(ev, &p) {
			r.onRequest(ctx, s, &p)
		}
	case "Network.requestWillBeSentExtraInfo":
		// Only the extra info has the headers as sent, cookies included.
		var p network.EventRequestWillBeSentExtraInfo
		if decode(ev, &p) {
			if c := headerValue(p.Headers, "cookie"); c != "" {
				r.mu.Lock()
				r.cookies[r.alias(s)+":"+string(p.RequestID)] = c
				r.mu.Unlock()
			}
		}
	case "Network.responseReceived":
		var p network.EventResponseReceived
		if decode(ev, &p) {
			r.onResponse(ctx, s, &p)
		}
	case "Network.loadingFinished":
		var p network.EventLoadingFinished
		if decode(ev, &p) {
			r.finish(s, string(p.RequestID), "")
		}
	case "Network.loadingFailed":
		var p network.EventLoadingFailed
		if decode(ev, &p) {
			reason := p.ErrorText
			if p.BlockedReason != "" {
				reason += " (" + string(p.BlockedReason) + ")"
			}
			if reason == "" {
				reason = "failed"
			}
			r.finish(s, string(p.RequestID), reason)
		}
	case "Network.webSocketCreated":
		var p network.EventWebSocketCreated
		if decode(ev, &p) {
			r.onWebSocket(s, &p)
		}
	case "Network.webSocketFrameSent", "Network.webSocketFrameReceived":
		var p network.EventWebSocketFrameSent // same shape as received
		if decode(ev, &p) && p.Response != nil {
			r.onWSFrame(s, string(p.RequestID), ev.Method == "Network.webSocketFrameSent", p.Response)
		}
	case "Fetch.requestPaused":
		var p fetch.EventRequestPaused
		if !decode(ev, &p) {
			return
		}
		if late := r.opts.pausedLate; late != nil && p.Request != nil {
			if d := late(p.Request.Method, p.Request.URL); d > 0 {
				r.spawn(func() {
					select {
					case <-time.After(d):
						r.paused(ctx, s, &p)
					case <-ctx.Done():
						// The loop has stopped: a real event this late
						// would not be read either.
					}
				})
				return
			}
		}
		r.paused(ctx, s, &p)
	}
}

// paused counts a paused request as in flight, and decides it.
func (r *recorder) paused(ctx context.Context, s *browser.Session, p *fetch.EventRequestPaused) {
	r.mu.Lock()
	r.inflight++
	if p.NetworkID != "" {
		r.pausedNet[string(p.NetworkID)] = true
		delete(r.undecided, string(p.NetworkID))
	}
	r.notify()
	r.mu.Unlock()
	r.spawn(func() { r.onPaused(ctx, s, p) })
}

func decode(ev browser.Event, v any) bool {
	return browser.Unmarshal(ev.Params, v) == nil
}

// setUpChild enables capture on an auto-attached iframe or worker, then
// lets it run. It must always release the target, or the page would hang.
func (r *recorder) setUpChild(ctx context.Context, s *browser.Session) {
	defer func() {
		r.release(ctx, s)
		r.setUpDone(s)
		// The child runs from now on: what it sends comes after this.
		r.mu.Lock()
		r.settingUp--
		r.lastNet = time.Now()
		r.notify()
		r.mu.Unlock()
	}()
	if s.Info().Type == "page" {
		r.setUpWindow(ctx, s)
		return
	}
	if err := r.enable(ctx, s); err != nil {
		// A child that is gone before we could enable it sent nothing.
		r.log.Debug("enabling child", "type", s.Info().Type, "url", s.Info().URL, "err", err)
		return
	}
	if err := r.tab.Disguise(ctx, s); err != nil {
		r.log.Debug("disguising child", "err", err)
	}
	if r.guard.armed() != "" {
		r.holdSockets(ctx, s)
	}
}

// setUpWindow watches a new window the page opened: its requests before
// it is released (it may have no renderer until then), its document and
// scripts after. A window whose requests could not be watched may have
// sent anything: the check is incomplete.
func (r *recorder) setUpWindow(ctx context.Context, s *browser.Session) {
	// A window that a form posts into gets its renderer only once released,
	// and Network.enable waits for that renderer. Written in one batch, in
	// order, the enables take effect before the release lets the first
	// request go, and none waits for the other.
	cmds := []browser.Command{
		{Method: network.Enable.Method, Params: network.EnableParams{MaxPostDataSize: ptr(int64(r.opts.MaxBodyBytes))}},
		{Method: fetch.Enable.Method, Params: fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*", RequestStage: fetch.RequestStageRequest}}}},
	}
	held := false
	if r.guard.armed() != "" {
		if p := r.socketConditions(); p != nil {
			cmds = append(cmds, browser.Command{Method: network.EmulateNetworkConditionsByRule.Method, Params: p})
			held = true
		}
	}
	if s.Info().WaitingForDebugger {
		cmds = append(cmds, browser.Command{Method: runtime.RunIfWaitingForDebugger.Method, Params: cdp.Empty{}})
	}
	if err := s.Batch(ctx, cmds...); err != nil {
		r.addIncomplete("a new window the page opened (%s) could not be watched: %v", s.Info().URL, err)
		return
	}
	if held {
		r.mu.Lock()
		r.heldIn[s.ID()] = true
		r.mu.Unlock()
	}
	if err := r.enableDocument(ctx, s); err != nil {
		// Its requests are watched; a window that closed at once has no
		// document left to watch.
		r.log.Debug("watching a new window's document", "url", s.Info().URL, "err", err)
	}
	if err := r.tab.Disguise(ctx, s); err != nil {
		r.log.Debug("disguising a new window", "err", err)
	}
}

// duplicate reports a target that already has a session in this check, and
// a channel closed once that first session is set up.
func (r *recorder) duplicate(child *browser.Session) (<-chan struct{}, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := child.Info().TargetID
	ready, ok := r.watched[id]
	if !ok {
		ready = make(chan struct{})
		r.watched[id] = ready
	}
	if r.attached[id] {
		return ready, true
	}
	r.attached[id] = true
	return ready, false
}

// setUpDone tells a duplicate session of s's target that it may release it.
func (r *recorder) setUpDone(s *browser.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ready, ok := r.watched[s.Info().TargetID]; ok {
		select {
		case <-ready:
		default:
			close(ready)
		}
	}
}

// release lets a paused target run; releasing twice is harmless.
func (r *recorder) release(ctx context.Context, s *browser.Session) {
	if !s.Info().WaitingForDebugger {
		return
	}
	if _, err := cdp.Call(ctx, s, runtime.RunIfWaitingForDebugger, cdp.Empty{}); err != nil {
		r.log.Debug("releasing child", "type", s.Info().Type, "err", err)
	}
}

// admitPopup counts a new window the page opened, and reports whether it
// is within the cap.
func (r *recorder) admitPopup(child *browser.Session) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.popups++
	return r.popups <= maxPopups
}

// refusePopup closes a window beyond the cap; the check cannot say what
// it sent, so it is incomplete.
func (r *recorder) refusePopup(ctx context.Context, child *browser.Session) {
	r.addIncomplete("the page opened more than %d new windows; the rest were closed unwatched", maxPopups)
	if err := r.tab.CloseTarget(ctx, child); err != nil {
		r.log.Debug("closing an unwatched window", "err", err)
	}
}

func (r *recorder) addChildFrame(parent, child *browser.Session) {
	info := child.Info()
	kind := info.Type
	switch kind {
	case "iframe", "worker", "service_worker", "shared_worker":
	case "page":
		// A new window the page opened (window.open, target=_blank).
		kind = "popup"
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alias(child)
	id := info.TargetID
	f, ok := r.frames[id]
	if !ok {
		f = &observation.Frame{ID: id}
		r.frames[id] = f
		r.frameOrder = append(r.frameOrder, id)
	}
	f.Kind = kind
	if info.URL != "" {
		f.URL, f.Origin = info.URL, weborigin.Of(info.URL)
	}
	if kind != "iframe" {
		f.ParentID = parent.Info().TargetID
	}
}

func (r *recorder) onFrameNavigated(s *browser.Session, fr *cdp.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := string(fr.ID)
	f, ok := r.frames[id]
	if !ok {
		f = &observation.Frame{ID: id, Kind: "iframe"}
		r.frames[id] = f
		r.frameOrder = append(r.frameOrder, id)
	}
	f.URL = fr.URL
	f.Origin = fr.SecurityOrigin
	if f.Origin == "" || f.Origin == "null" {
		f.Origin = weborigin.Of(fr.URL)
	}
	if fr.ParentID != "" {
		f.ParentID = string(fr.ParentID)
	}
	if id == r.mainID && s == r.tab.Page() {
		f.Kind = "main"
		r.mainNavs++
		r.notify()
	}
}

func (r *recorder) onDialog(ctx context.Context, s *browser.Session, p *page.EventJavascriptDialogOpening) {
	r.mu.Lock()
	r.dialogs = append(r.dialogs, observation.Dialog{Type: string(p.Type), Message: truncate(p.Message, 500), URL: p.URL})
	n := len(r.dialogs)
	r.notify()
	r.mu.Unlock()
	if n > r.opts.MaxDialogs {
		r.addIncomplete("dialog storm: more than %d JavaScript dialogs", r.opts.MaxDialogs)
	}
	// Dismiss like a hurried customer: OK on alerts, Cancel on the rest
	// (a "leave this page?" prompt must not keep us on it).
	accept := p.Type == page.DialogTypeAlert || p.Type == page.DialogTypeBeforeunload
	r.spawn(func() {
		if _, err := cdp.Call(ctx, s, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept}); err != nil {
			r.log.Debug("dismissing dialog", "err", err)
		}
	})
}

func (r *recorder) addScript(ctx context.Context, s *browser.Session, p *debugger.EventScriptParsed, seq, step int, after bool) {
	if p.URL == r.internal || strings.HasSuffix(p.URL, r.internal) || isBrowserPage(p.URL) {
		return
	}
	var aux struct {
		FrameID string `json:"frameId"`
		Type    string `json:"type"`
	}
	if len(p.ExecutionContextAuxData) > 0 {
		browser.Unmarshal(p.ExecutionContextAuxData, &aux)
	}
	// Our own evaluations run in an isolated world; pages cannot use one.
	if aux.Type == "isolated" {
		return
	}
	res, err := cdp.Call(ctx, s, debugger.GetScriptSource, debugger.GetScriptSourceParams{ScriptID: p.ScriptID})
	src := ""
	if err != nil {
		r.log.Debug("script source", "id", p.ScriptID, "url", p.URL, "err", err)
	} else {
		src = res.ScriptSource
	}
	// Hashed before taking the lock: a large library would otherwise hold
	// up every other event handler while it is fingerprinted.
	var digest, fingerprint, shape string
	if err == nil {
		digest, fingerprint, shape = sha(src), inventory.Fingerprint(src), inventory.ScriptShape(src)
	}
	info := s.Info()
	r.mu.Lock()
	defer r.mu.Unlock()
	key := r.alias(s) + ":" + string(p.ScriptID)
	doc := info.URL
	if aux.FrameID != "" {
		if f := r.frames[aux.FrameID]; f != nil {
			doc = f.URL
		}
	}
	if isBrowserPage(doc) {
		return // Chromium's own error page, shown for a blocked navigation
	}
	sc := observation.Script{
		Key: key, URL: p.URL, DocumentURL: doc, FrameID: aux.FrameID,
		Length: len(src), Step: step, AfterInput: after,
	}
	if err != nil {
		// The source is gone, but V8 reported its SHA-256 (of the UTF-8
		// source, the same digest as ours) when it parsed it.
		sc.SHA256 = strings.ToLower(p.Hash)
	} else {
		sc.SHA256, sc.Fingerprint, sc.Shape = digest, fingerprint, shape
		sc.Source = r.keepSource(src)
	}
	var stackURL, stackKey string
	if p.StackTrace != nil {
		stackURL, stackKey = r.stackTop(s, p.StackTrace)
	}
	isWorker := info.Type == "worker" || info.Type == "shared_worker" || info.Type == "service_worker"
	switch {
	case isWorker && p.URL == info.URL:
		// The worker's own script. It may carry an async stack (the page's
		// register or new Worker call) when the worker started late.
		sc.Kind = observation.ScriptWorker
	case p.URL == "" || p.HasSourceURL && p.StackTrace != nil:
		// eval, new Function, setTimeout(string): no URL, or only the one
		// a //# sourceURL comment claims.
		sc.Kind = observation.ScriptEval
		if p.StackTrace == nil {
			sc.Kind = observation.ScriptDynamic
		}
	case p.URL == doc || sameDocument(p.URL, doc):
		sc.Kind = observation.ScriptInline
		if p.StackTrace != nil {
			sc.Kind = observation.ScriptDynamic
		}
	default:
		sc.Kind = observation.ScriptExternal
	}
	if sc.Kind == observation.ScriptEval || sc.Kind == observation.ScriptDynamic || sc.Kind == observation.ScriptExternal && p.StackTrace != nil {
		sc.Initiator = stackURL
		if sc.Initiator == "" {
			sc.Initiator = stackKey
		}
	}
	if len(r.scripts) >= maxScripts {
		r.incomplete = appendOnce(r.incomplete, fmt.Sprintf("more than %d scripts: the rest were not recorded", maxScripts))
		return
	}
	r.scripts = append(r.scripts, scriptRec{seq: seq, Script: sc, unread: err != nil})
	r.scriptURL[key] = p.URL
}

// isBrowserPage reports Chromium's own pages (the error page shown when a
// request is blocked), which are no part of the shop.
func isBrowserPage(u string) bool {
	return strings.HasPrefix(u, "chrome-error:") || strings.HasPrefix(u, "chrome:") || strings.HasPrefix(u, "devtools:")
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// resolveUnread completes a script whose source was gone before it could be
// read from a twin with the same SHA-256 that was read (the same library on
// the next page of a flow, the same page visited twice). Without a twin the
// script's content is unknown, and the check is incomplete: never pretend
// it was empty. Call with mu, after collection.
func (r *recorder) resolveUnread() {
	read := map[string]observation.Script{}
	for _, sc := range r.scripts {
		if !sc.unread && sc.SHA256 != "" {
			read[sc.SHA256] = sc.Script
		}
	}
	for i := range r.scripts {
		sc := &r.scripts[i]
		if !sc.unread {
			continue
		}
		if twin, ok := read[sc.SHA256]; ok && sc.SHA256 != "" {
			sc.Fingerprint, sc.Shape, sc.Source, sc.Length = twin.Fingerprint, twin.Shape, twin.Source, twin.Length
			sc.unread = false
			continue
		}
		r.incomplete = appendOnce(r.incomplete, "some script sources could not be read (navigated away too fast)")
	}
}

// refineKinds tells inserted <script> elements from eval'd code, which the
// protocol reports alike (no URL, a stack), and parser-inserted inline
// scripts from ones a script wrote: an inline script whose text the server
// never sent was added at run time. Call with mu, after collection.
func (r *recorder) refineKinds() {
	for i := range r.scripts {
		sc := &r.scripts[i].Script
		switch sc.Kind {
		case observation.ScriptEval:
			if r.domScripts[sc.SHA256] && !strings.HasPrefix(sc.Source, "(function anonymous(") {
				sc.Kind = observation.ScriptDynamic
			}
		case observation.ScriptInline:
			if served := r.served[sc.DocumentURL]; served != "" && sc.Length <= maxSourceClassified && !strings.Contains(served, strings.TrimSpace(sc.Source)) {
				sc.Kind = observation.ScriptDynamic
			}
		}
	}
}

func sameDocument(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	ua.Fragment, ub.Fragment = "", ""
	return ua.String() == ub.String()
}

// stackTop returns the URL and key of the innermost script on a stack,
// following async parents when the synchronous part is empty. Call with mu.
func (r *recorder) stackTop(s *browser.Session, st *runtime.StackTrace) (string, string) {
	for ; st != nil; st = st.Parent {
		for _, cf := range st.CallFrames {
			if cf.ScriptID == "" {
				continue
			}
			key := r.alias(s) + ":" + string(cf.ScriptID)
			u := cf.URL
			if u == r.internal {
				continue
			}
			if u == "" {
				u = r.scriptURL[key]
			}
			return u, key
		}
	}
	return "", ""
}

func (r *recorder) initiator(s *browser.Session, in *network.Initiator) (string, string) {
	if in == nil {
		return "", ""
	}
	if in.Stack != nil {
		if u, k := r.stackTop(s, in.Stack); u != "" || k != "" {
			return u, k
		}
	}
	if in.Type == network.InitiatorTypeParser {
		return "parser", ""
	}
	return in.URL, ""
}

func (r *recorder) onRequest(ctx context.Context, s *browser.Session, p *network.EventRequestWillBeSent) {
	if p.Request == nil || isBrowserPage(p.DocumentURL) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.alias(s) + ":" + string(p.RequestID)
	r.open[id] = true
	// Interception pauses http(s) requests only; a data: or blob: URL and
	// the about:blank the check leaves for never pause. A redirect's next
	// hop keeps the id; once paused, an id counts as decided.
	if interceptable(p.Request.URL) && !r.pausedNet[string(p.RequestID)] {
		r.undecided[string(p.RequestID)] = &undecidedReq{seq: r.seq + 1, method: p.Request.Method, url: p.Request.URL, session: s.ID()}
	}
	if p.RedirectResponse != nil && p.Type == network.ResourceTypeDocument && string(p.FrameID) == r.mainID {
		r.guard.learnRedirect(p.RedirectResponse.URL, p.Request.URL)
	}
	if p.RedirectResponse != nil {
		// The same id continues after a redirect: close the old hop.
		if old := r.reqs[id]; old != nil {
			old.Status = int(p.RedirectResponse.Status)
			old.ID = fmt.Sprintf("%s#%d", id, old.seq)
			old.networkID = ""
			old.done = true
			r.reqs[old.ID] = old
			for i, x := range r.reqOrder {
				if x == id {
					r.reqOrder[i] = old.ID
				}
			}
			delete(r.reqs, id)
		}
	}
	if len(r.reqs) >= maxRequests {
		r.incomplete = appendOnce(r.incomplete, fmt.Sprintf("more than %d requests: the rest were not recorded", maxRequests))
		return
	}
	r.seq++
	initURL, initKey := r.initiator(s, p.Initiator)
	rec := &reqRec{seq: r.seq, networkID: string(p.RequestID), Request: observation.Request{
		ID: id, Method: p.Request.Method, URL: p.Request.URL + p.Request.URLFragment, Type: string(p.Type),
		Initiator: initURL, InitiatorKey: initKey, DocumentURL: p.DocumentURL, FrameID: string(p.FrameID),
		Phase: r.phase, Step: r.step, Via: "network", Time: wallTime(p.WallTime),
	}}
	if len(p.Request.PostDataEntries) > 0 {
		var body []byte
		for _, e := range p.Request.PostDataEntries {
			body = append(body, e.Bytes...)
		}
		rec.Body, rec.BodyTruncated = capBody(body, r.opts.MaxBodyBytes)
	} else if p.Request.HasPostData {
		// Multipart with a Blob, or too long for the event: ask for it now.
		sess, rid := s, p.RequestID
		r.spawn(func() {
			res, err := cdp.Call(ctx, sess, network.GetRequestPostData, network.GetRequestPostDataParams{RequestID: rid})
			r.mu.Lock()
			defer r.mu.Unlock()
			if err != nil {
				rec.BodyTruncated = true
				r.log.Debug("request body", "url", rec.URL, "err", err)
				return
			}
			rec.Body, rec.BodyTruncated = capBody([]byte(res.PostData), r.opts.MaxBodyBytes)
		})
	}
	if _, dup := r.reqs[id]; !dup {
		r.reqOrder = append(r.reqOrder, id)
	}
	r.reqs[id] = rec
	if f := r.frames[string(p.FrameID)]; f != nil && f.URL == "" && p.Type == network.ResourceTypeDocument {
		// A new window is attached before it navigates, and may show no
		// navigation event for a document that is an image.
		f.URL, f.Origin = rec.URL, weborigin.Of(rec.URL)
	}
	if p.Type == network.ResourceTypeDocument && string(p.FrameID) == r.mainID && s == r.tab.Page() {
		r.docReqs[id] = rec.URL
	}
	r.lastNet = time.Now()
	r.notify()
}

func (r *recorder) onResponse(ctx context.Context, s *browser.Session, p *network.EventResponseReceived) {
	if p.Response == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.alias(s) + ":" + string(p.RequestID)
	if rec := r.reqs[id]; rec != nil {
		rec.Status = int(p.Response.Status)
	}
	if _, ok := r.docReqs[id]; ok {
		r.pages = append(r.pages, observation.Page{
			URL: p.Response.URL, Status: int(p.Response.Status),
			Headers: securityHeaders(p.Response.Headers), Step: r.step, Visited: r.visiting,
		})
		// Keep the served HTML, to tell forms a script injected from
		// forms the server sent.
		docURL, sess, rid := p.Response.URL, s, p.RequestID
		r.spawn(func() {
			// The body is only available once loading finished.
			r.waitFor(ctx, 10*time.Second, func() bool {
				rec := r.reqs[id]
				return rec == nil || rec.Failed != "" || rec.Status != 0 && r.loadsDone(id)
			})
			res, err := cdp.Call(ctx, sess, network.GetResponseBody, network.GetResponseBodyParams{RequestID: rid})
			if err != nil {
				r.log.Debug("document body", "url", docURL, "err", err)
				return
			}
			body := res.Body
			if len(body) > 4<<20 {
				body = body[:4<<20]
			}
			r.mu.Lock()
			r.served[docURL] = string(body)
			r.mu.Unlock()
		})
	}
}

// loadsDone reports whether request id finished loading. Call with mu.
func (r *recorder) loadsDone(id string) bool {
	rec := r.reqs[id]
	return rec != nil && rec.done
}

func (r *recorder) finish(s *browser.Session, rid, failed string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.alias(s) + ":" + rid
	delete(r.open, id)
	// A request that ends unpaused was served without the network (the
	// memory cache) or failed before it: nothing to decide. Unless the
	// driver gave up waiting for its decision: then it was most likely
	// cancelled by the check leaving the page.
	if u := r.undecided[rid]; u != nil {
		if failed != "" && u.givenUp {
			u.failed = failed
		} else {
			delete(r.undecided, rid)
		}
	}
	if rec := r.reqs[id]; rec != nil {
		if failed != "" {
			rec.Failed = failed
		} else {
			rec.done = true
		}
	}
	r.lastNet = time.Now()
	r.notify()
}

func (r *recorder) onWebSocket(s *browser.Session, p *network.EventWebSocketCreated) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, k := r.initiator(s, p.Initiator)
	id := r.alias(s) + ":" + string(p.RequestID)
	r.ws[id] = wsInfo{url: p.URL, initiator: u, key: k}
	r.seq++
	rec := &reqRec{seq: r.seq, Request: observation.Request{
		ID: id, Method: "GET", URL: p.URL, Type: "WebSocket", Initiator: u, InitiatorKey: k,
		Phase: r.phase, Step: r.step, Via: "network", Time: time.Now(),
	}}
	// Only where Chromium took the conditions: a socket elsewhere was not
	// stopped, and the observation must not say it was.
	if why := r.guard.shopSocket(p.URL); why != "" && r.heldIn[s.ID()] {
		// The handshake fails at the network level (socketConditions).
		rec.blocked = true
		rec.Failed = "blocked by skimwatch: " + why
		r.heldSockets[id] = true
		r.blocked = append(r.blocked, observation.BlockedRequest{URL: p.URL, Method: "GET", Reason: why + " (the handshake was failed)"})
	}
	r.reqs[id] = rec
	r.reqOrder = append(r.reqOrder, id)
}

func (r *recorder) onWSFrame(s *browser.Session, rid string, sent bool, f *network.WebSocketFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.alias(s) + ":" + rid
	info := r.ws[id]
	if len(r.wsFrames) >= maxWSFrames {
		r.incomplete = appendOnce(r.incomplete, fmt.Sprintf("more than %d WebSocket frames: the rest were not recorded", maxWSFrames))
		return
	}
	payload, _ := capBody(f.PayloadData, r.opts.MaxBodyBytes)
	if why := r.guard.shopSocket(info.url); sent && why != "" && r.heldIn[s.ID()] {
		// Chromium reports the frame as sent, but the network service holds
		// it while the socket's conditions say offline: it never leaves.
		r.heldFrames[len(r.wsFrames)] = true
		if !r.heldSockets[id] {
			r.heldSockets[id] = true
			r.blocked = append(r.blocked, observation.BlockedRequest{URL: info.url, Method: "WebSocket", Reason: why + " (messages on a socket opened before were held, never sent)"})
		}
	}
	r.wsFrames = append(r.wsFrames, observation.WebSocketFrame{
		URL: info.url, Sent: sent, Payload: payload, Initiator: info.initiator, InitiatorKey: info.key,
		Phase: r.phase, Time: time.Now(),
	})
}

// onPaused handles each intercepted request: record it, then continue it,
// or fail it when the guard says so (see guard.go).
func (r *recorder) onPaused(ctx context.Context, s *browser.Session, p *fetch.EventRequestPaused) {
	defer func() {
		r.mu.Lock()
		r.inflight--
		r.lastNet = time.Now()
		r.notify()
		r.mu.Unlock()
	}()
	req := p.Request
	if req == nil {
		cdp.Call(ctx, s, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: p.RequestID})
		return
	}
	var body []byte
	for _, e := range req.PostDataEntries {
		body = append(body, e.Bytes...)
	}
	fullURL := req.URL + req.URLFragment
	r.mu.Lock()
	q := outgoing{Method: req.Method, URL: fullURL, Type: string(p.ResourceType), Body: body, Step: r.step, NetworkID: string(p.NetworkID)}
	if p.ResourceType == network.ResourceTypeDocument {
		fid := string(p.FrameID)
		q.Page = fid == r.mainID || r.frames[fid] != nil && r.frames[fid].Kind == "popup"
		q.Visit = fid == r.mainID && r.visiting && r.visitURL != "" && sameVisit(fullURL, r.visitURL)
	}
	r.mu.Unlock()
	reason := r.guard.decide(q)

	r.mu.Lock()
	key := r.alias(s) + ":" + string(p.NetworkID)
	if p.NetworkID == "" {
		key = r.alias(s) + ":fetch:" + string(p.RequestID)
	}
	r.seq++
	rec := &reqRec{seq: r.seq, networkID: string(p.NetworkID), blocked: reason != "", Request: observation.Request{
		ID: key, Method: req.Method, URL: fullURL, Type: string(p.ResourceType), FrameID: string(p.FrameID),
		Phase: r.phase, Step: r.step, Via: "fetch", Time: time.Now(),
	}}
	rec.Body, rec.BodyTruncated = capBody(body, r.opts.MaxBodyBytes)
	if f := r.frames[string(p.FrameID)]; f != nil && !isBrowserPage(f.URL) {
		// The frame's document when the request paused: for an unload
		// beacon, usually the page being left.
		rec.DocumentURL = f.URL
	}
	if reason != "" {
		rec.Failed = "blocked by skimwatch: " + reason
		r.blocked = append(r.blocked, observation.BlockedRequest{URL: fullURL, Method: req.Method, Reason: reason})
	}
	r.fetchOnly[key] = rec
	r.mu.Unlock()

	// Answer even when the check's context has ended: a paused request
	// that is never answered hangs the page.
	actx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
	}
	var err error
	if reason != "" {
		_, err = cdp.Call(actx, s, fetch.FailRequest, fetch.FailRequestParams{RequestID: p.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
	} else {
		_, err = cdp.Call(actx, s, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: p.RequestID})
	}
	if err != nil {
		r.log.Debug("answering paused request", "url", fullURL, "err", err)
	}
}

// requests merges what Network and Fetch saw: one entry per request, with
// the body from whichever had it, and Fetch-only requests (unload beacons)
// added with Via "fetch". Call after all handlers are done.
func (r *recorder) requests() []observation.Request {
	// Request ids are unique browser-wide, so a worker's request paused on
	// the page session still finds its Network record.
	byNet := map[string]*reqRec{}
	for _, rec := range r.reqs {
		if rec.networkID != "" {
			byNet[rec.networkID] = rec
		}
	}
	var out []*reqRec
	for _, id := range r.reqOrder {
		if rec := r.reqs[id]; rec != nil && rec.ID == id {
			out = append(out, rec)
		}
	}
	for _, f := range r.fetchOnly {
		if n := byNet[f.networkID]; n != nil && f.networkID != "" {
			if n.Body == "" && f.Body != "" {
				n.Body, n.BodyTruncated = f.Body, f.BodyTruncated
			}
			if f.blocked {
				n.Failed = f.Failed
				n.blocked = true
			}
			if n.Type == "" {
				n.Type = f.Type
			}
			continue
		}
		// Network never reports requests sent while a document unloads
		// (see CHROMIUM-NOTES): what only interception saw was sent then.
		if !f.blocked {
			f.Phase = observation.PhaseUnload
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	reqs := make([]observation.Request, 0, len(out))
	for _, rec := range out {
		if c := r.cookies[strings.TrimSuffix(rec.ID, fmt.Sprintf("#%d", rec.seq))]; c != "" {
			r.sentCookie[rec.ID] = c
		}
		reqs = append(reqs, rec.Request)
	}
	return reqs
}

// detached forgets the undecided requests of a frame or worker that went
// away (the page removed an iframe): Chromium reports nothing more for
// them, and they went with it. Not those the driver gave up on: leaving
// the page detaches its iframes too.
func (r *recorder) detached(sessionID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, u := range r.undecided {
		if u.session == sessionID && !u.givenUp {
			delete(r.undecided, id)
		}
	}
	r.notify()
}

// interceptable reports the URLs Fetch interception pauses.
func interceptable(raw string) bool {
	return strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://")
}

// pending counts the requests Chromium has that the recorder has not
// decided and the driver still waits for. Call with mu.
func (r *recorder) pending() int {
	n := 0
	for _, u := range r.undecided {
		if !u.givenUp {
			n++
		}
	}
	return n
}

// awaitDecisions waits, for at most limit, until every request Network
// has reported so far was paused by interception (and so decided) or
// ended without needing it. The driver calls it before it leaves a page
// or ends the check, which cancels what is still undecided. A request
// still undecided after limit is given up on: undecidedLeft names it if
// it never gets a decision. It reports whether there was anything to wait
// for.
func (r *recorder) awaitDecisions(ctx context.Context, limit time.Duration) bool {
	r.mu.Lock()
	var ids []string
	for id, u := range r.undecided {
		if !u.givenUp {
			ids = append(ids, id)
		}
	}
	r.mu.Unlock()
	if len(ids) == 0 {
		return false
	}
	began := time.Now()
	r.waitFor(ctx, limit, func() bool {
		for _, id := range ids {
			if r.undecided[id] != nil {
				return false
			}
		}
		return true
	})
	r.log.Debug("waited for requests to be paused", "n", len(ids), "took", time.Since(began).Round(time.Millisecond))
	r.mu.Lock()
	for _, id := range ids {
		if u := r.undecided[id]; u != nil {
			u.givenUp = true
			r.log.Debug("request left undecided", "method", u.method, "url", withoutQueryValues(u.url))
		}
	}
	r.mu.Unlock()
	return true
}

// maxUndecidedNamed caps the requests undecidedLeft names one by one.
const maxUndecidedNamed = 5

// undecidedLeft makes the check incomplete for each request given up on
// that never got a decision: Chromium had it, the guard never judged it,
// and the check did not see what the page did after it. Call once the
// event loop has stopped.
func (r *recorder) undecidedLeft() {
	r.mu.Lock()
	var left []*undecidedReq
	for _, u := range r.undecided {
		if u.givenUp {
			left = append(left, u)
		}
	}
	r.mu.Unlock()
	sort.Slice(left, func(i, j int) bool { return left[i].seq < left[j].seq })
	for i, u := range left {
		if i == maxUndecidedNamed {
			r.addIncomplete("%d more requests were left undecided", len(left)-maxUndecidedNamed)
			break
		}
		how := "still pending when the check ended"
		if u.failed != "" {
			how = u.failed
		}
		r.addIncomplete("request left undecided: %s %s was never paused for the guard to judge (%s), so what the page did after it was not seen",
			u.method, withoutQueryValues(u.url), how)
	}
}

func (r *recorder) isBlocked(q observation.Request) bool {
	return strings.HasPrefix(q.Failed, "blocked by skimwatch")
}

// headerValue is a header's value, whatever the case of its name.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// securityHeaders keeps the response headers observation.Page lists.
func securityHeaders(h network.Headers) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		name := strings.ToLower(k)
		switch name {
		case "content-security-policy", "content-security-policy-report-only", "reporting-endpoints",
			"report-to", "x-frame-options", "referrer-policy", "permissions-policy",
			"strict-transport-security", "x-content-type-options":
			out[name] = fmt.Sprint(v)
		}
	}
	return out
}

func capBody(b []byte, max int) (string, bool) {
	if max > 0 && len(b) > max {
		return string(b[:max]), true
	}
	return string(b), false
}

// keepSource is the part of a script's source kept as evidence, within the
// check's budget. Call with mu.
func (r *recorder) keepSource(src string) string {
	limit := maxSourceKept
	if r.sourceKept+min(len(src), limit) > maxSourceKeptTotal {
		limit = maxSourceClassified
	}
	kept := truncate(src, limit)
	r.sourceKept += len(kept)
	return kept
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func wallTime(t cdp.TimeSinceEpoch) time.Time {
	if t == 0 {
		return time.Now()
	}
	sec := float64(t)
	return time.Unix(int64(sec), int64((sec-float64(int64(sec)))*1e9))
}

func ptr[T any](v T) *T { return &v }

// arm makes the guard deny by default (see guard.go), and holds the
// shop's WebSockets in every window, frame and worker watched so far:
// interception sees neither a WebSocket handshake nor its frames, so
// they are stopped at the network level instead. Children set up later
// are held as they are set up. Call it before what it guards against.
func (r *recorder) arm(ctx context.Context, why string) {
	r.guard.arm(why)
	r.mu.Lock()
	if r.socketsHeld {
		r.mu.Unlock()
		return
	}
	r.socketsHeld = true
	sessions := append([]*browser.Session{r.tab.Page()}, r.childSessions...)
	r.mu.Unlock()
	for _, s := range sessions {
		r.holdSockets(ctx, s)
	}
}

// socketConditions are the network conditions that hold the shop's
// WebSockets: offline for their URLs only. A new socket's handshake fails
// (ERR_INTERNET_DISCONNECTED), and a frame sent on a socket opened before
// stays in the network service, never sent; everything else goes as
// before. Nil with the unsafe escape hatch.
func (r *recorder) socketConditions() *network.EmulateNetworkConditionsByRuleParams {
	patterns := r.guard.socketPatterns()
	if len(patterns) == 0 {
		return nil
	}
	p := &network.EmulateNetworkConditionsByRuleParams{}
	for _, u := range patterns {
		p.MatchedNetworkConditions = append(p.MatchedNetworkConditions, &network.Conditions{
			URLPattern: u, Offline: true, DownloadThroughput: -1, UploadThroughput: -1,
		})
	}
	return p
}

// holdSockets applies socketConditions to one session. The page's own must
// work, or messages to the shop could go: the check is then incomplete.
// A worker may not take them; its sockets are a documented gap.
func (r *recorder) holdSockets(ctx context.Context, s *browser.Session) {
	p := r.socketConditions()
	if p == nil {
		return
	}
	if _, err := cdp.Call(ctx, s, network.EmulateNetworkConditionsByRule, *p); err != nil {
		if s == r.tab.Page() {
			r.addIncomplete("WebSockets to the shop could not be held: %v", err)
			return
		}
		r.log.Debug("holding the shop's WebSockets", "type", s.Info().Type, "err", err)
		return
	}
	r.mu.Lock()
	r.heldIn[s.ID()] = true
	r.mu.Unlock()
}

// sameVisit reports whether Chromium's request URL is the visit step's
// target as the flow wrote it: Chromium canonicalises the origin it sends
// to (lower case, no default port; the origin package's rule) and sends
// "/" for an empty path, and never the fragment.
func sameVisit(requested, target string) bool {
	canon := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			return raw
		}
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		if u.RawQuery != "" || u.ForceQuery {
			p += "?" + u.RawQuery
		}
		return weborigin.FromURL(u) + p
	}
	return canon(requested) == canon(target)
}
