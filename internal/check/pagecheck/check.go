// Package pagecheck runs one synthetic browser check of one page or
// multi-step flow in real Chromium: it captures every script, request,
// WebSocket frame, form and frame, types honey data like a customer, and
// records where the honey data went. It produces an observation.Observation
// and makes no judgement: findings are the policy's job.
package pagecheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

// ErrOption wraps every invalid Target or Options value.
var ErrOption = errors.New("invalid check option")

// Target is what to check: exactly one of URL and Flow.
type Target struct {
	URL  string
	Flow *Flow
}

// Options configure one check. Start from DefaultOptions.
type Options struct {
	// PaymentOrigins receive the honey card legitimately (the payment
	// provider). Requests carrying it there are recorded, then failed, so
	// that nothing is ever paid.
	PaymentOrigins []string
	// Probe types honey data into the forms found and submits them.
	Probe bool
	// Identity is the honey customer; a fresh one is drawn when nil.
	Identity *honey.Identity
	// Locale the browser presents, e.g. "ja-JP".
	Locale string
	// Dwell is how long to keep watching after the last submit (or after
	// the page loaded, without a probe) for delayed sends.
	Dwell time.Duration
	// Timeout bounds the whole check.
	Timeout time.Duration
	// ShopOrigins are the shop's own origins besides the start URL's
	// (an API or checkout host). Once the probe has typed a honey value or
	// a flow has clicked, every state-changing request to them is
	// recorded, then failed (see guard.go).
	ShopOrigins []string
	// AllowFinalSubmit lets state-changing requests to the shop's origins
	// through after honey input. UNSAFE: it places orders, creates
	// accounts and sends messages. Only for a test shop you own.
	AllowFinalSubmit bool
	// HoneyPhonePrefix starts the honey phone number when the identity is
	// drawn here (see honey.Options.PhonePrefix); default the
	// never-assigned honey.DefaultPhonePrefix.
	HoneyPhonePrefix string
	// Block lists extra "METHOD URL-glob" patterns to record, then fail.
	Block []string
	// MaxBodyBytes caps each request body and WebSocket frame kept.
	MaxBodyBytes int
	// MaxDialogs is how many JavaScript dialogs are dismissed before the
	// check ends as incomplete (a dialog storm).
	MaxDialogs int
	// KeyDelayMin and KeyDelayMax bound the pause after each typed key.
	KeyDelayMin, KeyDelayMax time.Duration
	// LoadTimeout bounds the wait for one page's load event.
	LoadTimeout time.Duration
	// Logger receives debug detail; default discard.
	Logger *slog.Logger

	// pausedLate, set by tests only, is how long the recorder takes to
	// see one paused request (by method and URL), as on a loaded machine
	// where Fetch.requestPaused reaches it long after Chromium reported
	// the request to Network.
	pausedLate func(method, url string) time.Duration
}

// DefaultOptions are the options for a check of a live shop.
func DefaultOptions() Options {
	return Options{
		Probe:        true,
		Locale:       "ja-JP",
		Dwell:        6 * time.Second,
		Timeout:      60 * time.Second,
		MaxBodyBytes: 256 << 10,
		MaxDialogs:   20,
		KeyDelayMin:  30 * time.Millisecond,
		KeyDelayMax:  80 * time.Millisecond,
		LoadTimeout:  20 * time.Second,
	}
}

// validate fills zero values from DefaultOptions and checks the rest.
func (o *Options) validate() error {
	def := DefaultOptions()
	if o.Locale == "" {
		o.Locale = def.Locale
	}
	if o.Timeout == 0 {
		o.Timeout = def.Timeout
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = def.MaxBodyBytes
	}
	if o.MaxDialogs == 0 {
		o.MaxDialogs = def.MaxDialogs
	}
	if o.LoadTimeout == 0 {
		o.LoadTimeout = def.LoadTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Dwell < 0:
		return fmt.Errorf("%w: Dwell %s is negative", ErrOption, o.Dwell)
	case o.Timeout < time.Second:
		return fmt.Errorf("%w: Timeout %s is under 1s", ErrOption, o.Timeout)
	case o.MaxBodyBytes < 0:
		return fmt.Errorf("%w: MaxBodyBytes %d is negative", ErrOption, o.MaxBodyBytes)
	case o.KeyDelayMin < 0 || o.KeyDelayMax < o.KeyDelayMin:
		return fmt.Errorf("%w: KeyDelayMin %s, KeyDelayMax %s", ErrOption, o.KeyDelayMin, o.KeyDelayMax)
	}
	for _, p := range o.PaymentOrigins {
		if weborigin.Of(p) == "" {
			return fmt.Errorf("%w: PaymentOrigins: %q is not an origin", ErrOption, p)
		}
	}
	for _, p := range o.ShopOrigins {
		if weborigin.Of(p) == "" {
			return fmt.Errorf("%w: ShopOrigins: %q is not an origin", ErrOption, p)
		}
	}
	for _, b := range o.Block {
		if _, err := parseBlockRule(b); err != nil {
			return fmt.Errorf("%w: Block: %w", ErrOption, err)
		}
	}
	if _, err := honey.NewIdentity(honey.Options{PhonePrefix: o.HoneyPhonePrefix}); err != nil {
		return fmt.Errorf("%w: HoneyPhonePrefix: %w", ErrOption, err)
	}
	return nil
}

// driver runs the steps of one check on one tab.
type driver struct {
	tab          *browser.Tab
	rec          *recorder
	opts         *Options
	log          *slog.Logger
	id           honey.Identity
	probeRec     *observation.Probe
	actionOrigin map[string]string
	lastSubmit   time.Time
	start        string // the URL relative visits resolve against
	timing       timing
}

// timing adds up where a check's time goes, for the debug log.
type timing struct {
	keys      time.Duration // key events' round trips
	keyPauses time.Duration // human pauses between keys
}

// phase logs, at debug level, how long one phase of the check took.
func (d *driver) phase(name string, since time.Time, args ...any) {
	d.log.Debug("phase", append([]any{"phase", name, "took", time.Since(since).Round(time.Millisecond)}, args...)...)
}

// Check runs one check. It returns an error only when the check could not
// be set up (bad options, no browser slot, protocol failure before the
// first navigation); anything that goes wrong later is reported in the
// Observation as Complete=false with a reason.
func Check(ctx context.Context, b *browser.Browser, t Target, opts Options) (*observation.Observation, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	steps, name, start, err := plan(t)
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.Block != "" {
			opts.Block = append(opts.Block, s.Block)
		}
	}
	var id honey.Identity
	if opts.Identity != nil {
		id = *opts.Identity
	} else if id, err = honey.NewIdentity(honey.Options{PhonePrefix: opts.HoneyPhonePrefix}); err != nil {
		return nil, fmt.Errorf("drawing honey identity: %w", err)
	}
	matcher := honey.NewMatcher(id.Values())
	log := opts.Logger.With("target", name)

	began := time.Now()
	tab, err := b.NewTab(ctx, browser.TabOptions{Locale: opts.Locale})
	if err != nil {
		return nil, fmt.Errorf("opening tab: %w", err)
	}
	log.Debug("phase", "phase", "open tab", "took", time.Since(began).Round(time.Millisecond))
	defer func() {
		t0 := time.Now()
		tab.Close()
		log.Debug("phase", "phase", "close tab", "took", time.Since(t0).Round(time.Millisecond), "check", time.Since(began).Round(time.Millisecond))
	}()

	rec := newRecorder(tab, &opts, weborigin.Of(start), matcher, newRequestGuard(&opts, t.Flow, start, steps, matcher))
	rec.log = log
	rec.frames[rec.mainID] = &observation.Frame{ID: rec.mainID, Kind: "main"}
	rec.frameOrder = append(rec.frameOrder, rec.mainID)
	rec.alias(tab.Page())

	// Events are read until after the last handler; the loop outlives the
	// check's deadline so that late paused requests are still answered.
	loopCtx, stopLoop := context.WithCancel(context.WithoutCancel(ctx))
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		rec.run(loopCtx)
	}()
	defer func() {
		stopLoop()
		<-loopDone
	}()

	cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	t0 := time.Now()
	if err := rec.enable(cctx, tab.Page()); err != nil {
		return nil, fmt.Errorf("setting up capture: %w", err)
	}
	log.Debug("phase", "phase", "enable capture", "took", time.Since(t0).Round(time.Millisecond))

	d := &driver{
		tab: tab, rec: rec, opts: &opts, log: log, id: id,
		probeRec:     &observation.Probe{CheckID: id.CheckID, Values: map[string]string{}},
		actionOrigin: map[string]string{}, start: start,
	}
	// Leave room to watch the page unload after the steps.
	unloadBudget := min(5*time.Second, opts.Timeout/5)
	sctx, scancel := context.WithTimeout(cctx, opts.Timeout-unloadBudget)
	stepErr := d.run(sctx, steps)
	scancel()
	switch {
	case stepErr == nil:
	case errors.Is(stepErr, context.DeadlineExceeded) && ctx.Err() == nil:
		rec.addIncomplete("timed out after %s: %v", opts.Timeout, stepErr)
	case ctx.Err() != nil:
		rec.addIncomplete("cancelled: %v", ctx.Err())
	default:
		rec.addIncomplete("%v", stepErr)
	}
	if !rec.isCrashed() {
		t0 := time.Now()
		d.unload(cctx)
		d.phase("unload", t0)
	}
	if cctx.Err() != nil && ctx.Err() == nil && stepErr == nil {
		rec.addIncomplete("timed out after %s while leaving the page", opts.Timeout)
	}

	// Wait for handlers (script sources, bodies) before reading state.
	t0 = time.Now()
	stopLoop()
	<-loopDone
	if !waitGroup(&rec.wg, 5*time.Second) {
		rec.addIncomplete("capture handlers did not finish")
	}
	rec.undecidedLeft()
	d.phase("finish handlers", t0)
	t0 = time.Now()
	o := d.observation(name, began)
	d.phase("assemble observation", t0, "keys", d.timing.keys.Round(time.Millisecond), "key pauses", d.timing.keyPauses.Round(time.Millisecond))
	return o, nil
}

func (r *recorder) isCrashed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.crashed
}

func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// plan turns a target into steps: a URL is visit, probe, submit.
func plan(t Target) (steps []Step, name, start string, err error) {
	switch {
	case (t.URL == "") == (t.Flow == nil):
		return nil, "", "", fmt.Errorf("%w: set exactly one of Target.URL and Target.Flow", ErrOption)
	case t.Flow != nil:
		if err := t.Flow.Validate(); err != nil {
			return nil, "", "", err
		}
		name = t.Flow.Name
		if name == "" {
			name = t.Flow.Start
		}
		if len(t.Flow.Steps) > 0 && t.Flow.Steps[0].Visit != "" {
			return t.Flow.Steps, name, t.Flow.Start, nil
		}
		// Step 0 is then the implicit visit of start.
		return append([]Step{{Visit: t.Flow.Start}}, t.Flow.Steps...), name, t.Flow.Start, nil
	}
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", "", fmt.Errorf("%w: Target.URL %q is not an http(s) URL", ErrOption, t.URL)
	}
	return []Step{{Visit: t.URL}, {Probe: true}, {Submit: autoSubmit}}, t.URL, t.URL, nil
}

// autoSubmit marks the implicit submit of a URL target: the probe's own
// form, with no selector.
const autoSubmit = "\x00auto"

func (d *driver) run(ctx context.Context, steps []Step) error {
	stepBegan := time.Now()
	var last struct {
		doc   *frameDoc
		field *jsField
		form  *jsForm
	}
	for i, s := range steps {
		d.log.Debug("step", "i", i, "step", fmt.Sprintf("%+v", s))
		if i > 0 {
			d.phase(fmt.Sprintf("step %d", i-1), stepBegan)
		}
		stepBegan = time.Now()
		d.rec.setStep(i)
		if err := d.rec.failed(); err != nil {
			return err
		}
		switch {
		case s.Visit != "":
			target := s.Visit
			if u, err := url.Parse(d.start); err == nil {
				if v, err := u.Parse(s.Visit); err == nil {
					target = v.String()
				}
			}
			if err := d.navigate(ctx, target); err != nil {
				return err
			}
			// A probe step right after collects the forms itself.
			if i+1 >= len(steps) || !steps[i+1].Probe || !d.opts.Probe {
				d.collect(ctx)
			}
		case s.Probe:
			if !d.opts.Probe {
				continue
			}
			doc, field, form, n, err := d.probe(ctx)
			if err != nil {
				return err
			}
			last.doc, last.field, last.form = doc, field, form
			d.log.Debug("probe filled fields", "n", n)
		case s.Submit != "":
			if !d.opts.Probe && s.Submit == autoSubmit {
				continue
			}
			if err := d.submitStep(ctx, s.Submit, last.doc, last.field); err != nil {
				return err
			}
		case s.Click != "":
			// A click may submit: deny by default from here on.
			d.rec.arm(ctx, fmt.Sprintf("the click of step %d", i))
			if err := d.clickSelector(ctx, s.Click, true); err != nil {
				return fmt.Errorf("step %d click %q: %w", i, s.Click, err)
			}
		case s.Fill != nil:
			if err := d.fillSelector(ctx, s.Fill); err != nil {
				return fmt.Errorf("step %d fill %q: %w", i, s.Fill.Selector, err)
			}
		case s.Wait != 0:
			if err := d.pause(ctx, time.Duration(s.Wait), time.Duration(s.Wait)); err != nil {
				return err
			}
		case s.Expect != "":
			if !d.expect(ctx, s.Expect) {
				return fmt.Errorf("step %d: expected %q on the page, found none", i, s.Expect)
			}
		}
	}
	d.phase(fmt.Sprintf("step %d", len(steps)-1), stepBegan)
	dwellBegan := time.Now()
	defer func() { d.phase("dwell", dwellBegan) }()
	// Watch for delayed sends: Dwell after the last submit, or after load.
	from := d.lastSubmit
	if from.IsZero() {
		from = time.Now()
	}
	if wait := time.Until(from.Add(d.opts.Dwell)); wait > 0 {
		// A crash or a dialog storm ends the dwell early.
		d.rec.waitFor(ctx, wait, func() bool { return d.rec.crashed || len(d.rec.dialogs) > d.opts.MaxDialogs })
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dwelling: %w", err)
		}
	}
	return d.rec.failed()
}

// failed returns an error once the check cannot go on: crash, dialog storm.
func (r *recorder) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.crashed || len(r.dialogs) > r.opts.MaxDialogs {
		return errStopped
	}
	return nil
}

var errStopped = errors.New("check stopped")

// sourcesRead waits, briefly, until every script parsed so far has had its
// source read. The driver calls it before it makes the page navigate (a
// click, a visit, leaving the page): a navigation discards the sources of
// the page being left, and a script whose source could not be read makes
// the check incomplete. On a loaded machine the reads can lag the parse.
func (d *driver) sourcesRead(ctx context.Context) {
	d.rec.waitFor(ctx, 2*time.Second, func() bool { return d.rec.sourcesDue == 0 })
}

// navigate loads a URL in the main frame and waits for its load event and
// for the network to go quiet.
func (d *driver) navigate(ctx context.Context, target string) error {
	d.sourcesRead(ctx)
	d.rec.awaitDecisions(ctx, decideWait)
	d.rec.mu.Lock()
	loads := d.rec.loads
	d.rec.visiting, d.rec.visitURL = true, target
	d.rec.mu.Unlock()
	defer func() {
		d.rec.mu.Lock()
		d.rec.visiting, d.rec.visitURL = false, ""
		d.rec.mu.Unlock()
	}()
	res, err := cdp.Call(ctx, d.tab.Page(), page.Navigate, page.NavigateParams{URL: target})
	if err != nil {
		return fmt.Errorf("navigating to %s: %w", target, err)
	}
	if res.ErrorText != "" {
		return fmt.Errorf("navigating to %s: %s", target, res.ErrorText)
	}
	return d.waitLoad(ctx, loads)
}

// waitLoad waits for a load event after the count loads, then for quiet.
// A page that never fires load is recorded as incomplete, and the check
// goes on with what it has.
func (d *driver) waitLoad(ctx context.Context, loads int) error {
	began := time.Now()
	ok := d.rec.waitFor(ctx, d.opts.LoadTimeout, func() bool {
		return d.rec.loads > loads || d.rec.crashed || len(d.rec.dialogs) > d.opts.MaxDialogs
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("waiting for the page to load: %w", err)
	}
	if err := d.rec.failed(); err != nil {
		return err
	}
	if !ok {
		d.rec.addIncomplete("page never finished loading: no load event within %s", d.opts.LoadTimeout)
	}
	d.phase("load event", began)
	t0 := time.Now()
	d.settle(ctx, 300*time.Millisecond, 2*time.Second)
	d.phase("settle after load", t0)
	return nil
}

// quiet waits until no request is paused or waiting to be, and nothing
// new happened on the network for gap, for at most limit.
func (d *driver) quiet(ctx context.Context, gap, limit time.Duration) {
	end := time.Now().Add(limit)
	for time.Now().Before(end) && ctx.Err() == nil {
		d.rec.mu.Lock()
		idle := d.rec.inflight == 0 && d.rec.pending() == 0 && time.Since(d.rec.lastNet) >= gap
		wait := gap - time.Since(d.rec.lastNet)
		d.rec.mu.Unlock()
		if idle {
			return
		}
		if wait < 20*time.Millisecond {
			wait = 20 * time.Millisecond
		}
		d.rec.waitFor(ctx, min(wait, time.Until(end)), func() bool { return false })
	}
}

// settle waits until the page has settled after a load, for at most
// limit: either every request it started has finished, every frame and
// worker that attached has been set up, and its main thread has gone idle
// with nothing new on the network meanwhile; or (a page with a long-lived
// request) nothing happened on the network for gap. The first is an event,
// so a page that is done does not pay for the whole gap.
func (d *driver) settle(ctx context.Context, gap, limit time.Duration) {
	// A script that just arrived runs before it can send the next request:
	// idleness is asked only once the network was still for this long.
	const still = 50 * time.Millisecond
	end := time.Now().Add(limit)
	for time.Now().Before(end) && ctx.Err() == nil {
		d.rec.mu.Lock()
		last, since := d.rec.lastNet, time.Since(d.rec.lastNet)
		// A request not yet paused is pending as much as one paused.
		paused, open := d.rec.inflight+d.rec.pending(), len(d.rec.open)+d.rec.settingUp
		d.rec.mu.Unlock()
		switch {
		case paused == 0 && since >= gap:
			return
		case paused == 0 && open == 0 && since >= still:
			d.idle(ctx, min(gap, time.Until(end)))
			d.rec.mu.Lock()
			unchanged := d.rec.lastNet.Equal(last) && d.rec.inflight == 0 && d.rec.pending() == 0 && len(d.rec.open) == 0 && d.rec.settingUp == 0
			d.rec.mu.Unlock()
			if unchanged {
				return
			}
		case paused == 0 && open == 0:
			d.rec.waitFor(ctx, min(still-since, time.Until(end)), func() bool { return false })
		default:
			// Woken when the last request finishes, else when gap passes.
			d.rec.waitFor(ctx, min(max(gap-since, 20*time.Millisecond), time.Until(end)), func() bool {
				return d.rec.inflight == 0 && d.rec.pending() == 0 && len(d.rec.open) == 0 && d.rec.settingUp == 0
			})
		}
	}
}

// idleJS resolves when the page's main thread is idle, or after %d ms.
const idleJS = `new Promise(r => requestIdleCallback(() => r(true), { timeout: %d }))`

// idle waits, for at most limit, until the main frame's renderer has run
// what it had queued (the scripts that just loaded) and gone idle. It asks
// from an isolated world, which page scripts cannot tamper with.
func (d *driver) idle(ctx context.Context, limit time.Duration) {
	s := d.tab.Page()
	cid, err := d.world(ctx, s, d.rec.mainID)
	if err != nil {
		d.rec.waitFor(ctx, limit, func() bool { return false })
		return
	}
	cctx, cancel := context.WithTimeout(ctx, limit+time.Second)
	defer cancel()
	if _, err := cdp.Call(cctx, s, runtime.Evaluate, runtime.EvaluateParams{
		Expression: fmt.Sprintf(idleJS, max(limit.Milliseconds(), 1)) + "\n//# sourceURL=" + d.rec.internal,
		ContextID:  cid, AwaitPromise: ptr(true), ReturnByValue: ptr(true), Silent: ptr(true),
	}); err != nil {
		d.log.Debug("waiting for the page to go idle", "err", err)
		d.rec.waitFor(ctx, limit, func() bool { return false })
	}
}

// submitStep submits: the probe's form for the automatic step, or the
// element a selector finds. It then follows the navigation, and probes and
// submits the next page too when it has fields (a link-type payment page).
func (d *driver) submitStep(ctx context.Context, selector string, doc *frameDoc, field *jsField) error {
	for round := 0; round < 3; round++ {
		d.rec.mu.Lock()
		navs, loads := d.rec.mainNavs, d.rec.loads
		d.rec.mu.Unlock()
		if selector == autoSubmit {
			if doc == nil || field == nil {
				return nil // nothing was filled, nothing to submit
			}
			if err := d.submit(ctx, doc, field); err != nil {
				return fmt.Errorf("submitting: %w", err)
			}
		} else {
			d.rec.arm(ctx, "the submit step")
			d.probeRec.Submitted = true
			if err := d.clickSelector(ctx, selector, false); err != nil {
				return fmt.Errorf("submit %q: %w", selector, err)
			}
		}
		d.lastSubmit = time.Now()
		navigated, late := d.waitNav(ctx, navs, d.opts.Dwell)
		if late {
			// The dwell watches what follows the submit, and that starts
			// once its request was let go.
			d.lastSubmit = time.Now()
		}
		if err := d.rec.failed(); err != nil {
			return err
		}
		if !navigated || selector != autoSubmit || !d.opts.Probe {
			if navigated {
				return d.waitLoad(ctx, loads)
			}
			return nil
		}
		if err := d.waitLoad(ctx, loads); err != nil {
			return err
		}
		d.rec.setStep(d.rec.currentStep() + 1)
		var n int
		var err error
		doc, field, _, n, err = d.probe(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
	return nil
}

func (r *recorder) currentStep() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.step
}

const queryJS = `(() => { try { return document.querySelector(%q); } catch (e) { return null; } })()`

// findSelector returns the first frame (main first) where a CSS selector
// matches, with a handle on the element.
func (d *driver) findSelector(ctx context.Context, sel string) (*frameDoc, runtime.RemoteObjectID, error) {
	for _, fd := range d.frames(ctx) {
		cid, err := d.world(ctx, fd.session, fd.frameID)
		if err != nil {
			continue
		}
		fd := fd
		fd.ctxID = cid
		obj, err := d.element(ctx, &fd, fmt.Sprintf(queryJS, sel))
		if err == nil {
			return &fd, obj, nil
		}
	}
	return nil, "", errNoElement
}

// decideWait bounds how long the driver waits for interception to pause a
// request Chromium already reported, before it goes on without. Under
// heavy load (load average 30 on two cores) a pause was seen to lag the
// report by more than a second.
const decideWait = 10 * time.Second

// waitNav waits up to wait for the main frame to navigate past navs (or
// the check to stop). When it does not, and a request the page started is
// not yet paused for the guard, that request may be the navigation: it
// waits for the decision (late reports that it did), then up to wait again.
func (d *driver) waitNav(ctx context.Context, navs int, wait time.Duration) (navigated, late bool) {
	cond := func() bool {
		return d.rec.mainNavs > navs || d.rec.crashed || len(d.rec.dialogs) > d.opts.MaxDialogs
	}
	if d.rec.waitFor(ctx, wait, cond) {
		return true, false
	}
	if !d.rec.awaitDecisions(ctx, decideWait) {
		return false, false
	}
	return d.rec.waitFor(ctx, wait, cond), true
}

func (d *driver) clickSelector(ctx context.Context, sel string, follow bool) error {
	fd, obj, err := d.findSelector(ctx, sel)
	if err != nil {
		return err
	}
	d.rec.mu.Lock()
	navs, loads := d.rec.mainNavs, d.rec.loads
	d.rec.mu.Unlock()
	if err := d.click(ctx, fd, obj); err != nil {
		return err
	}
	if follow {
		// A click that navigates commits within a moment; one that does
		// not costs this short wait.
		if navigated, _ := d.waitNav(ctx, navs, time.Second); navigated {
			if err := d.waitLoad(ctx, loads); err != nil {
				return err
			}
			d.collect(ctx)
		}
	}
	return nil
}

func (d *driver) fillSelector(ctx context.Context, f *Fill) error {
	fd, obj, err := d.findSelector(ctx, f.Selector)
	if err != nil {
		return err
	}
	value := f.Value
	if f.Class != "" {
		value = d.id.ValueFor(f.Class)
		d.rec.arm(ctx, "typing honey "+f.Class)
	}
	d.rec.setPhase(observation.PhaseInput)
	if err := d.focus(ctx, fd, obj); err != nil {
		return err
	}
	if err := d.typeText(ctx, fd.session, value); err != nil {
		return err
	}
	if f.Class != "" {
		d.probeRec.Filled = append(d.probeRec.Filled, observation.FilledField{Field: f.Selector, Class: f.Class})
		d.probeRec.Values[f.Class] = value
	}
	return nil
}

func (d *driver) expect(ctx context.Context, sel string) bool {
	end := time.Now().Add(5 * time.Second)
	for {
		if _, _, err := d.findSelector(ctx, sel); err == nil {
			return true
		}
		if time.Now().After(end) || d.pause(ctx, 100*time.Millisecond, 100*time.Millisecond) != nil {
			return false
		}
	}
}

// unload leaves the page for about:blank while still capturing, so that
// beacons sent from pagehide/unload are seen, then waits for them.
func (d *driver) unload(ctx context.Context) {
	d.sourcesRead(ctx)
	// Leaving cancels what interception has not paused yet. Keep time to
	// leave, and to watch the unload, within the check's deadline.
	if d.rec.awaitDecisions(ctx, d.leaveRoom(ctx, decideWait)) {
		// What was just let through needs a moment to go out: leaving
		// at once would cancel it on its way.
		d.quiet(ctx, 300*time.Millisecond, d.leaveRoom(ctx, 2*time.Second))
	}
	d.rec.setPhase(observation.PhaseUnload)
	d.rec.mu.Lock()
	navs := d.rec.mainNavs
	d.rec.mu.Unlock()
	if _, err := cdp.Call(ctx, d.tab.Page(), page.Navigate, page.NavigateParams{URL: "about:blank"}); err != nil {
		d.rec.addIncomplete("leaving the page: %v", err)
		return
	}
	t0 := time.Now()
	d.rec.waitFor(ctx, 3*time.Second, func() bool { return d.rec.mainNavs > navs })
	d.phase("leave: commit about:blank", t0)
	// Unload handlers run around the commit; their beacons reach Fetch a
	// moment later, so the quiet period starts now, not at the last request.
	d.rec.mu.Lock()
	d.rec.lastNet = time.Now()
	d.rec.mu.Unlock()
	d.quiet(ctx, 300*time.Millisecond, 2*time.Second)
	// The check ends here: a window the page opened may still have a
	// request waiting for its decision.
	d.rec.awaitDecisions(ctx, d.leaveRoom(ctx, time.Second))
}

// leaveRoom is limit, or less when ctx ends sooner: half of what is left,
// so that the check can still leave the page within its deadline.
func (d *driver) leaveRoom(ctx context.Context, limit time.Duration) time.Duration {
	if end, ok := ctx.Deadline(); ok {
		return min(limit, time.Until(end)/2)
	}
	return limit
}

// observation assembles the result once every handler has finished.
func (d *driver) observation(name string, began time.Time) *observation.Observation {
	r := d.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	o := &observation.Observation{
		Target: name, StartedAt: began, Duration: observation.MillisOf(time.Since(began)),
		Pages: r.pages, Forms: r.forms, Dialogs: r.dialogs, WebSockets: r.wsFrames, Blocked: r.blocked,
	}
	for _, id := range r.frameOrder {
		f := r.frames[id]
		if f.URL == "" && f.Kind != "main" {
			continue
		}
		o.Frames = append(o.Frames, *f)
	}
	r.resolveUnread()
	r.refineKinds()
	r.markInjected()
	scripts := make([]scriptRec, len(r.scripts))
	copy(scripts, r.scripts)
	sortBySeq(scripts)
	for _, s := range scripts {
		o.Scripts = append(o.Scripts, s.Script)
	}
	o.Requests = r.requests()
	if d.opts.Probe {
		o.Probe = d.probeRec
	}
	o.Incomplete = append([]string(nil), r.incomplete...)
	o.Leaks = d.leaks(o)
	if len(o.Pages) == 0 {
		o.Incomplete = appendOnce(o.Incomplete, "no page loaded")
	}
	o.Complete = len(o.Incomplete) == 0
	return o
}

func sortBySeq(s []scriptRec) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].seq < s[j-1].seq; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// scan runs the matcher on one payload; a search cut short by the
// matcher's limits makes the observation incomplete, since a leak could
// hide in what was not searched.
func (d *driver) scan(o *observation.Observation, dest string, payload []byte) []honey.Match {
	res := d.rec.matcher.Scan(payload)
	if len(res.Incomplete) > 0 {
		o.Incomplete = appendOnce(o.Incomplete, fmt.Sprintf("honey search cut short on a payload to %s: %s", weborigin.Of(dest), strings.Join(res.Incomplete, "; ")))
	}
	return res.Matches
}

// leaks runs the honey matcher over every request URL and body and every
// WebSocket frame sent.
func (d *driver) leaks(o *observation.Observation) []observation.Leak {
	var out []observation.Leak
	seen := map[string]bool{}
	add := func(l observation.Leak) {
		key := strings.Join([]string{l.Class, l.Encoding, l.Destination, l.Method, l.RequestType, l.Phase}, "\x00")
		if !seen[key] {
			seen[key] = true
			out = append(out, l)
		}
	}
	for _, q := range o.Requests {
		payload := []byte(q.URL + "\n" + q.Body)
		for _, m := range d.scan(o, q.URL, payload) {
			script := q.Initiator
			if script == "" || script == "parser" {
				script = q.InitiatorKey
			}
			add(observation.Leak{
				Class: m.Class, Encoding: m.Encoding, Destination: q.URL, DestinationOrigin: weborigin.Of(q.URL),
				Method: q.Method, RequestType: q.Type, Script: script, FormActionOrigin: d.actionOrigin[m.Class],
				DocumentURL: q.DocumentURL, Phase: q.Phase, Blocked: d.rec.isBlocked(q),
			})
		}
		// A cookie reaches the server the browser sends it to, whoever set
		// it: data stashed in one is a leak to that origin.
		cookie := d.rec.sentCookie[q.ID]
		if cookie == "" {
			continue
		}
		for _, m := range d.scan(o, q.URL, []byte(cookie)) {
			add(observation.Leak{
				Class: m.Class, Encoding: "cookie>" + m.Encoding, Destination: q.URL, DestinationOrigin: weborigin.Of(q.URL),
				Method: q.Method, RequestType: q.Type, FormActionOrigin: d.actionOrigin[m.Class],
				DocumentURL: q.DocumentURL, Phase: q.Phase, Blocked: d.rec.isBlocked(q),
			})
		}
	}
	for i, f := range o.WebSockets {
		if !f.Sent {
			continue
		}
		for _, m := range d.scan(o, f.URL, []byte(f.Payload)) {
			script := f.Initiator
			if script == "" {
				script = f.InitiatorKey
			}
			add(observation.Leak{
				Class: m.Class, Encoding: m.Encoding, Destination: f.URL, DestinationOrigin: weborigin.Of(f.URL),
				RequestType: "WebSocket", Script: script, FormActionOrigin: d.actionOrigin[m.Class], Phase: f.Phase,
				Blocked: d.rec.heldFrames[i],
			})
		}
	}
	return out
}
