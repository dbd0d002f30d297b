// Package browser runs one Chromium process for skimwatch and hands out a
// fresh, isolated tab (its own browser context) for each check.
//
// It speaks the DevTools protocol over Chromium's --remote-debugging-pipe,
// with chromedp's PipeConn for framing and cdproto for the typed commands,
// but routes the messages itself: chromedp drops the messages of child
// targets (cross-origin iframes, workers), and a tamper check must see them
// from their first request. See docs CHROMIUM-NOTES.md.
//
// The package makes no security decisions. It finds the binary, launches it
// with the flags a customer's browser would look like, caps concurrent tabs,
// and makes sure no Chromium process outlives it.
package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// ErrNotFound is returned when no Chromium binary can be found.
var ErrNotFound = errors.New("chromium not found")

// ErrClosed is returned by calls on a browser that has exited or was closed.
var ErrClosed = errors.New("browser closed")

// Options configure Launch. The zero value is usable.
type Options struct {
	// ExecPath is the Chromium binary. When empty, env SKIMWATCH_CHROMIUM,
	// then chromium, chromium-browser and google-chrome in PATH are tried.
	ExecPath string
	// MaxConcurrent caps the tabs (checks) open at once; default 2.
	MaxConcurrent int
	// WindowWidth and WindowHeight set the window size; default 1366x768.
	WindowWidth, WindowHeight int
	// Lang is the browser's UI language (--lang); default "ja-JP". Each
	// tab can still override the locale it presents.
	Lang string
	// StartTimeout bounds the launch and first handshake; default 30s.
	StartTimeout time.Duration
	// CallTimeout bounds every protocol call that has no earlier deadline;
	// default 15s.
	CallTimeout time.Duration
	// ExtraFlags are appended to the command line.
	ExtraFlags []string
	// Logger receives debug and warning messages; default discard.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 2
	}
	if o.WindowWidth <= 0 || o.WindowHeight <= 0 {
		o.WindowWidth, o.WindowHeight = 1366, 768
	}
	if o.Lang == "" {
		o.Lang = "ja-JP"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// FindChromium returns the Chromium binary to use: explicit when set, then
// env SKIMWATCH_CHROMIUM, then the usual names in PATH.
func FindChromium(explicit string) (string, error) {
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %w", ErrNotFound, explicit, err)
		}
		return p, nil
	}
	if env := os.Getenv("SKIMWATCH_CHROMIUM"); env != "" {
		p, err := exec.LookPath(env)
		if err != nil {
			return "", fmt.Errorf("%w: SKIMWATCH_CHROMIUM=%q: %w", ErrNotFound, env, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: set SKIMWATCH_CHROMIUM or install chromium", ErrNotFound)
}

// Browser is one running Chromium process.
type Browser struct {
	opts   Options
	log    *slog.Logger
	cmd    *exec.Cmd
	conn   *chromedp.PipeConn
	dir    string
	sem    chan struct{}
	root   *Session
	nextID atomic.Int64

	mu       sync.Mutex
	pending  map[int64]chan *cdproto.Message
	sessions map[string]*Session
	tabs     map[string]*Tab // by browser context id, for service workers
	closed   bool

	done      chan struct{} // closed when the connection is lost
	doneErr   error
	exited    chan struct{} // closed when the process has been waited for
	closeOnce sync.Once
	closeErr  error

	product   string
	userAgent string
}

// Launch starts Chromium. The browser lives until Close, or until ctx is
// cancelled, whichever comes first.
func Launch(ctx context.Context, opts Options) (*Browser, error) {
	opts.setDefaults()
	path, err := FindChromium(opts.ExecPath)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "skimwatch-chromium-")
	if err != nil {
		return nil, fmt.Errorf("creating user data dir: %w", err)
	}
	args := []string{
		"--headless",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-default-apps",
		"--disable-extensions",
		"--disable-blink-features=AutomationControlled",
		// With the back/forward cache on, leaving a page for about:blank
		// freezes it instead of unloading it, and the beacons a skimmer
		// sends from pagehide never leave (verified on Chromium 156).
		"--disable-features=BackForwardCache",
		"--remote-debugging-pipe",
		"--user-data-dir=" + dir,
		fmt.Sprintf("--window-size=%d,%d", opts.WindowWidth, opts.WindowHeight),
		"--lang=" + opts.Lang,
	}
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox on.
		args = append(args, "--no-sandbox")
		opts.Logger.Debug("running as root: chromium sandbox disabled")
	} else {
		opts.Logger.Debug("chromium sandbox stays on (not root)")
	}
	args = append(args, opts.ExtraFlags...)
	args = append(args, "about:blank")

	// fd 3 is what Chromium reads commands from, fd 4 what it writes to.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating pipe: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	cmd.Stdout = io.Discard
	cmd.Stderr = io.Discard
	// Own process group, so Close can kill renderers and zygotes too;
	// Pdeathsig so that the browser does not outlive a killed skimwatch.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		outR.Close()
		outW.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	cmdR.Close()
	outW.Close()

	b := &Browser{
		opts:     opts,
		log:      opts.Logger,
		cmd:      cmd,
		conn:     chromedp.NewPipeConn(outR, cmdW),
		dir:      dir,
		sem:      make(chan struct{}, opts.MaxConcurrent),
		pending:  make(map[int64]chan *cdproto.Message),
		sessions: make(map[string]*Session),
		tabs:     make(map[string]*Tab),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
	}
	b.root = newSession(b, "", nil, TargetInfo{Type: "browser"})
	go func() {
		err := cmd.Wait()
		b.log.Debug("chromium exited", "err", err)
		close(b.exited)
	}()
	go b.readLoop()
	go func() {
		select {
		case <-ctx.Done():
			b.Close()
		case <-b.done:
		}
	}()

	sctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	v, err := cdp.Call(sctx, b.root, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("chromium handshake: %w", err)
	}
	b.product = v.Product
	b.userAgent = v.UserAgent
	// Service workers and popups (window.open, target=_blank) are no child
	// of the page: discover them browser-wide and hand each to the tab
	// whose browser context it runs in. They start paused, so that capture
	// is on before their first line and their first request.
	if _, err := cdp.Call(sctx, b.root, target.SetAutoAttach, target.SetAutoAttachParams{
		AutoAttach: true, WaitForDebuggerOnStart: true, Flatten: ptr(true),
		Filter: target.Filter{{Type: "service_worker"}, {Type: "page"}, {Exclude: true}},
	}); err != nil {
		b.Close()
		return nil, fmt.Errorf("discovering service workers and popups: %w", err)
	}
	b.log.Debug("chromium started", "product", v.Product, "pid", cmd.Process.Pid)
	return b, nil
}

// PID is the browser process id (also its process group id).
func (b *Browser) PID() int { return b.cmd.Process.Pid }

// UserDataDir is the temporary profile directory, removed by Close.
func (b *Browser) UserDataDir() string { return b.dir }

// Product is the browser's product string, e.g. "Chrome/156.0.8078.108"
// (HeadlessChrome in headless mode).
func (b *Browser) Product() string { return b.product }

// UserAgent is the user agent a tab presents: the real one without "Headless".
func (b *Browser) UserAgent() string {
	return strings.ReplaceAll(b.userAgent, "HeadlessChrome", "Chrome")
}

// Done is closed when the connection to the browser is lost (crash, kill
// or Close).
func (b *Browser) Done() <-chan struct{} { return b.done }

// Err says why Done was closed.
func (b *Browser) Err() error {
	select {
	case <-b.done:
		return b.doneErr
	default:
		return nil
	}
}

// Close kills the browser's whole process group and removes its profile.
// It is safe to call more than once.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		b.conn.Close()
		pid := b.cmd.Process.Pid
		// Kill the group first: renderers must not be left orphaned.
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			b.log.Warn("killing chromium process group", "pid", pid, "err", err)
		}
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			b.closeErr = fmt.Errorf("chromium pid %d did not exit after SIGKILL", pid)
		}
		// Stragglers that left the group (none seen, but they would
		// hold the profile dir) are found by their command line.
		killStragglers(b.dir, b.log)
		if err := os.RemoveAll(b.dir); err != nil && b.closeErr == nil {
			b.closeErr = fmt.Errorf("removing %s: %w", b.dir, err)
		}
	})
	return b.closeErr
}

// Processes lists the pids of processes that belong to this browser: its
// process group, plus any process whose command line names its profile.
func (b *Browser) Processes() []int { return Processes(b.PID(), b.dir) }

// Processes lists the pids in process group pgid or whose command line
// contains dir. It reads /proc and returns nil where that is unavailable.
func Processes(pgid int, dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid <= 0 {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			pids = append(pids, pid)
			continue
		}
		if dir == "" {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cl), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func killStragglers(dir string, log *slog.Logger) {
	for _, pid := range Processes(-1, dir) {
		if pid == os.Getpid() {
			continue
		}
		log.Warn("killing chromium process outside its group", "pid", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// readLoop routes every message from the browser: replies to their caller,
// events to their session. It never blocks on a consumer.
func (b *Browser) readLoop() {
	var err error
	for {
		msg := new(cdproto.Message)
		if err = b.conn.Read(context.Background(), msg); err != nil {
			break
		}
		if msg.ID != 0 {
			b.mu.Lock()
			ch := b.pending[msg.ID]
			delete(b.pending, msg.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- msg
			}
			continue
		}
		if msg.Method != "" {
			b.dispatch(msg)
		}
	}
	b.mu.Lock()
	closed := b.closed
	b.closed = true
	pending := b.pending
	b.pending = map[int64]chan *cdproto.Message{}
	sessions := b.sessions
	b.sessions = map[string]*Session{}
	b.mu.Unlock()
	if closed {
		b.doneErr = ErrClosed
	} else {
		b.doneErr = fmt.Errorf("%w: connection lost: %w", ErrClosed, err)
		b.log.Warn("chromium connection lost", "err", err)
	}
	close(b.done)
	if !closed {
		// A crashed or killed browser can leave renderers behind.
		go b.Close()
	}
	for _, ch := range pending {
		close(ch)
	}
	for _, s := range sessions {
		s.close()
	}
	b.root.close()
}

func (b *Browser) dispatch(msg *cdproto.Message) {
	b.mu.Lock()
	s := b.root
	if msg.SessionID != "" {
		s = b.sessions[string(msg.SessionID)]
	}
	b.mu.Unlock()
	if s == nil {
		return
	}
	ev := Event{Session: s, Method: string(msg.Method), Params: msg.Params}
	switch ev.Method {
	case "Target.attachedToTarget":
		// Register the child before any of its own messages can arrive,
		// so none is dropped.
		var owner *Tab
		if s == b.root {
			var p attachedParams
			owned := false
			if unmarshal(msg.Params, &p) == nil {
				b.mu.Lock()
				owner = b.tabs[p.TargetInfo.BrowserContextID]
				owned = owner != nil && owner.owns(p.TargetInfo.Type, p.TargetInfo.TargetID)
				b.mu.Unlock()
			}
			if !owned {
				// Not ours (a tab's own page is attached by NewTab): let it
				// run, or it stays paused for ever.
				if p.WaitingForDebugger && p.SessionID != "" {
					go b.send(context.Background(), p.SessionID, "Runtime.runIfWaitingForDebugger", nil, nil)
				}
				return
			}
			// Deliver it as the page's child, so the tab sees it.
			s = owner.page
			ev.Session = s
		}
		if s.tab != nil {
			var p attachedParams
			if err := unmarshal(msg.Params, &p); err == nil && p.SessionID != "" {
				child := newSession(b, p.SessionID, s.tab, TargetInfo{
					TargetID: p.TargetInfo.TargetID, Type: p.TargetInfo.Type,
					URL: p.TargetInfo.URL, ParentSession: s.id,
					WaitingForDebugger: p.WaitingForDebugger,
				})
				b.mu.Lock()
				b.sessions[p.SessionID] = child
				b.mu.Unlock()
				ev.Child = child
			}
		}
	case "Target.detachedFromTarget":
		var p struct {
			SessionID string `json:"sessionId"`
		}
		if err := unmarshal(msg.Params, &p); err == nil {
			b.mu.Lock()
			child := b.sessions[p.SessionID]
			delete(b.sessions, p.SessionID)
			b.mu.Unlock()
			if child != nil {
				defer child.close()
			}
		}
	}
	s.deliver(ev)
}

type attachedParams struct {
	SessionID  string `json:"sessionId"`
	TargetInfo struct {
		TargetID         string `json:"targetId"`
		Type             string `json:"type"`
		URL              string `json:"url"`
		BrowserContextID string `json:"browserContextId"`
	} `json:"targetInfo"`
	WaitingForDebugger bool `json:"waitingForDebugger"`
}

func (b *Browser) send(ctx context.Context, sessionID, method string, params, res any) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.CallTimeout)
	defer cancel()
	c, err := b.write(ctx, sessionID, method, params)
	if err != nil {
		return err
	}
	return b.await(ctx, c, res)
}

// sendAll writes every command before it waits for the first reply, so
// that n commands cost one round trip instead of n. The browser runs the
// commands of a session in the order they arrive. It returns the first
// error, after every reply (or the deadline) has come.
func (b *Browser) sendAll(ctx context.Context, sessionID string, cmds []Command) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.CallTimeout)
	defer cancel()
	calls := make([]*call, 0, len(cmds))
	var first error
	for _, cmd := range cmds {
		c, err := b.write(ctx, sessionID, cmd.Method, cmd.Params)
		if err != nil {
			first = err
			break
		}
		calls = append(calls, c)
	}
	for _, c := range calls {
		if err := b.await(ctx, c, nil); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// call is a command written to the browser whose reply is awaited.
type call struct {
	id     int64
	method string
	ch     chan *cdproto.Message
}

func (b *Browser) write(ctx context.Context, sessionID, method string, params any) (*call, error) {
	var buf []byte
	if params != nil {
		var err error
		if buf, err = marshal(params); err != nil {
			return nil, fmt.Errorf("%s: encoding params: %w", method, err)
		}
	}
	// Ids stay within int32: Chromium rejects larger ones.
	c := &call{id: b.nextID.Add(1)&0x3fffffff + 1, method: method, ch: make(chan *cdproto.Message, 1)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", method, ErrClosed)
	}
	b.pending[c.id] = c.ch
	b.mu.Unlock()
	msg := &cdproto.Message{ID: c.id, SessionID: targetSessionID(sessionID), Method: cdproto.MethodType(method), Params: buf}
	if err := b.conn.Write(ctx, msg); err != nil {
		b.forget(c)
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return c, nil
}

func (b *Browser) forget(c *call) {
	b.mu.Lock()
	delete(b.pending, c.id)
	b.mu.Unlock()
}

func (b *Browser) await(ctx context.Context, c *call, res any) error {
	select {
	case <-ctx.Done():
		b.forget(c)
		return fmt.Errorf("%s: %w", c.method, ctx.Err())
	case reply, ok := <-c.ch:
		if !ok || reply == nil {
			return fmt.Errorf("%s: %w", c.method, ErrClosed)
		}
		if reply.Error != nil {
			return fmt.Errorf("%s: %w", c.method, &ProtocolError{Code: reply.Error.Code, Message: reply.Error.Message})
		}
		if res != nil && len(reply.Result) > 0 {
			if err := unmarshal(reply.Result, res); err != nil {
				return fmt.Errorf("%s: decoding result: %w", c.method, err)
			}
		}
		return nil
	}
}

// ProtocolError is an error answer from the browser.
type ProtocolError struct {
	Code    int64
	Message string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("protocol error %d: %s", e.Code, e.Message)
}
