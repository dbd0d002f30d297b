package pagecheck

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/network"

	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

// guard decides, for every request the browser is about to send, whether
// the probe lets it go. It denies by default once the probe has typed a
// honey value or clicked in a flow: from then on nothing that could place
// an order, create an account or send a message reaches the shop, whatever
// the shop's platform calls its endpoints. Recording and matching happen
// before the guard is asked, so a failed request is still evidence.
type guard struct {
	// payment are the payment origins; they may receive the honey
	// personal data and the hand-off navigation, never the honey card.
	payment []string
	// unsafeShopWrites is Options.AllowFinalSubmit: test shops only.
	unsafeShopWrites bool
	// block are the user's "METHOD URL-glob" rules, failed at any time.
	block []blockRule
	// find returns the honey values in a payload.
	find func([]byte) []honey.Match

	mu      sync.Mutex
	shop    []string    // the shop's own origins
	armedBy string      // what armed the guard; "" until then
	allow   []allowRule // the flow's allow: rules
	// seen are the shop pages (URLs without fragment) loaded in a window
	// before the guard armed: loading one again is going back, not new.
	seen map[string]bool
	// through are the network ids of page loads of the shop the guard let
	// through; a redirect keeps its request's id, so the shop's answer to
	// a load it was allowed (POST /cart/add, then 303 to /cart) goes too.
	through map[string]bool
}

// allowRule lets matching requests through from one flow step on.
type allowRule struct {
	blockRule
	fromStep int
}

// matches is blockRule.match, except that a glob starting with "/" is a
// path (and query) on any of the shop's origins: "POST /cart/add".
func (a allowRule) matches(method, rawURL string) bool {
	if !strings.HasPrefix(a.Glob, "/") {
		return a.match(method, rawURL)
	}
	if a.Method != "*" && !strings.EqualFold(a.Method, method) {
		return false
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return globMatch(a.Glob, p)
}

// outgoing is a request as the guard sees it, paused before it is sent.
type outgoing struct {
	Method string
	URL    string // with its fragment
	// Type is the Chromium resource type: Document, XHR, Fetch, Ping, Other...
	Type string
	Body []byte
	// Step is the flow step the check was at when the request paused.
	Step int
	// NetworkID is the request's id in the Network domain; the hops of
	// one redirect chain share it.
	NetworkID string
	// Page: the request loads the document of a window (the tab or a
	// window the page opened), not of an iframe.
	Page bool
	// Visit: the check itself navigates the tab here (a visit step).
	Visit bool
}

// newRequestGuard builds one check's guard. The shop is the start URL's
// origin, Options.ShopOrigins and the flow's shop_origins; block rules
// (options and flow) apply throughout, a flow's allow: rules from their
// step on. Options and flow are validated before.
func newRequestGuard(opts *Options, flow *Flow, start string, steps []Step, m *honey.Matcher) *guard {
	shop := append([]string{weborigin.Of(start)}, opts.ShopOrigins...)
	if flow != nil {
		shop = append(shop, flow.ShopOrigins...)
	}
	var block []blockRule
	for _, s := range opts.Block {
		if rule, err := parseBlockRule(s); err == nil {
			block = append(block, rule)
		}
	}
	g := newGuard(shop, opts.PaymentOrigins, opts.AllowFinalSubmit, block, m.Find)
	for i, s := range steps {
		if s.Allow == "" {
			continue
		}
		if rule, err := parseBlockRule(s.Allow); err == nil {
			g.allowFrom(rule, i)
		}
	}
	return g
}

func newGuard(shop, payment []string, unsafeShopWrites bool, block []blockRule, find func([]byte) []honey.Match) *guard {
	g := &guard{payment: payment, unsafeShopWrites: unsafeShopWrites, block: block, find: find,
		seen: map[string]bool{}, through: map[string]bool{}}
	for _, o := range shop {
		g.addShopOrigin(o)
	}
	return g
}

// addShopOrigin adds one of the shop's own origins.
func (g *guard) addShopOrigin(origin string) {
	origin = weborigin.Of(origin)
	if origin == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !slices.Contains(g.shop, origin) {
		g.shop = append(g.shop, origin)
	}
}

// learnRedirect adds the origin a shop page redirects to (http to https,
// the bare domain to www) as the shop's own, but only before the guard
// arms: after honey input a redirect may be a hijacked hand-off, and the
// origin it leads to is no more the shop's than the attacker's is.
func (g *guard) learnRedirect(from, to string) {
	to = weborigin.Of(to)
	if to == "" || weborigin.In(g.payment, to) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armedBy != "" || !weborigin.In(g.shop, weborigin.Of(from)) || slices.Contains(g.shop, to) {
		return
	}
	g.shop = append(g.shop, to)
}

// allowFrom lets requests matching rule through from flow step on.
func (g *guard) allowFrom(rule blockRule, step int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.allow = append(g.allow, allowRule{blockRule: rule, fromStep: step})
}

// arm starts denying; the first reason is kept. Call it before the first
// key event of a honey value, and before a flow's click, so that what the
// key or click triggers is already judged armed.
func (g *guard) arm(why string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armedBy == "" {
		g.armedBy = why
	}
}

// armed returns what armed the guard, "" when it is not armed.
func (g *guard) armed() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.armedBy
}

// safeMethod reports the methods that change nothing on a server by HTTP's
// own definition. Everything else, including methods we do not know,
// counts as state-changing.
func safeMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "GET", "HEAD", "OPTIONS":
		return true
	}
	return false
}

// decide returns why a request must be failed, or "" to let it go.
func (g *guard) decide(q outgoing) string {
	origin := weborigin.Of(q.URL)
	var found []honey.Match
	searched := false
	carried := func() []honey.Match {
		if !searched {
			searched = true
			if g.find != nil {
				found = g.find(append([]byte(q.URL+"\n"), q.Body...))
			}
		}
		return found
	}
	if weborigin.In(g.payment, origin) && hasClass(carried(), observation.FieldCardNumber) {
		return "honey card to payment origin " + origin
	}
	for _, rule := range g.block {
		if rule.match(q.Method, q.URL) {
			return "matches block rule " + rule.Method + " " + rule.Glob
		}
	}
	g.mu.Lock()
	shop := weborigin.In(g.shop, origin)
	armedBy := g.armedBy
	allow := slices.Clone(g.allow)
	g.mu.Unlock()
	if !shop || g.unsafeShopWrites {
		return ""
	}
	if armedBy == "" {
		g.letThrough(q, true)
		return ""
	}
	what := fmt.Sprintf("%s %s %s", strings.ToUpper(q.Method), resourceName(q.Type), pathOf(q.URL))
	// The card never goes to the shop's own server: an allow rule is for
	// cart updates and hand-offs, not for card data.
	if hasClass(carried(), observation.FieldCardNumber) {
		return fmt.Sprintf("honey card to the shop's own origin (%s)", what)
	}
	allowed := func() bool {
		for _, a := range allow {
			if q.Step >= a.fromStep && a.matches(q.Method, q.URL) {
				return true
			}
		}
		return false
	}
	if !safeMethod(q.Method) {
		if allowed() {
			g.letThrough(q, false)
			return ""
		}
		return fmt.Sprintf("state-changing request to the shop after %s (%s)", armedBy, what)
	}
	if q.Type != string(network.ResourceTypeDocument) {
		return ""
	}
	if classes := classesOf(carried()); len(classes) > 0 {
		return fmt.Sprintf("form submission by GET carrying honey %s (%s)", strings.Join(classes, ", "), what)
	}
	// A GET can write as well as a POST can: a confirm page that creates a
	// pending order, an ?add-to-cart= link. Once armed, a window loads
	// from the shop only what the check itself visits, pages it loaded
	// before arming, the shop's redirects of loads let through, and what
	// an allow: rule names. A GET form submission, a script's navigation
	// and a link the flow clicks are all failed otherwise. Iframes are
	// not judged here: a page the check loads brings its own.
	if !q.Page || q.Visit || g.known(q) || allowed() {
		g.letThrough(q, false)
		return ""
	}
	return fmt.Sprintf("page of the shop not loaded before %s (%s): a GET can change state too; a flow lets it through with allow: GET %s", armedBy, what, pathOnly(q.URL))
}

// letThrough remembers a page load of the shop that goes through: by its
// URL before arming, and by its network id for the redirects that follow.
func (g *guard) letThrough(q outgoing, beforeArming bool) {
	if !q.Page || q.Type != string(network.ResourceTypeDocument) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if beforeArming && safeMethod(q.Method) {
		g.seen[withoutFragment(q.URL)] = true
	}
	if q.NetworkID != "" {
		g.through[q.NetworkID] = true
	}
}

// known reports a page load the guard has let through before: the same
// URL before arming, or an earlier hop of the same redirect chain.
func (g *guard) known(q outgoing) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen[withoutFragment(q.URL)] || q.NetworkID != "" && g.through[q.NetworkID]
}

// shopSocket returns why a WebSocket to rawURL must carry nothing: it goes
// to one of the shop's origins (ws for http, wss for https) and the guard
// is armed. Interception never sees WebSocket frames, so the recorder
// holds them at the network level (socketPatterns); this names what was
// held. "" when the socket may be used.
func (g *guard) shopSocket(rawURL string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armedBy == "" || g.unsafeShopWrites {
		return ""
	}
	if slices.Contains(g.socketOrigins(), weborigin.Of(rawURL)) {
		return "WebSocket to the shop after " + g.armedBy
	}
	return ""
}

// socketPatterns are URL patterns (URLPattern syntax, as
// Network.emulateNetworkConditionsByRule wants them) of the WebSockets to
// the shop's origins; none with the unsafe escape hatch.
func (g *guard) socketPatterns() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.unsafeShopWrites {
		return nil
	}
	var out []string
	for _, o := range g.socketOrigins() {
		out = append(out, urlPatternEscape(o)+"/*")
	}
	return out
}

// socketOrigins maps the shop's origins to the origins of its
// WebSockets: ws://host for http://host, wss://host for https://host.
// Call with mu.
func (g *guard) socketOrigins() []string {
	var out []string
	for _, o := range g.shop {
		switch {
		case strings.HasPrefix(o, "http://"):
			out = append(out, "ws://"+strings.TrimPrefix(o, "http://"))
		case strings.HasPrefix(o, "https://"):
			out = append(out, "wss://"+strings.TrimPrefix(o, "https://"))
		}
	}
	return out
}

// urlPatternEscape escapes what URLPattern reads as syntax in an origin
// (an IPv6 host's brackets and colons), keeping the port separator.
func urlPatternEscape(origin string) string {
	scheme, rest, _ := strings.Cut(origin, "://")
	host, port := rest, ""
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "]") {
		host, port = rest[:i], rest[i:]
	}
	var b strings.Builder
	for _, c := range host {
		if strings.ContainsRune(`\:*?+(){}[]`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return scheme + "://" + b.String() + port
}

func withoutFragment(raw string) string {
	u, _, _ := strings.Cut(raw, "#")
	return u
}

// pathOnly is a URL's path, for the allow rule a reason suggests.
func pathOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.EscapedPath() == "" {
		return "/"
	}
	return u.EscapedPath()
}

func hasClass(ms []honey.Match, class string) bool {
	for _, m := range ms {
		if m.Class == class {
			return true
		}
	}
	return false
}

func classesOf(ms []honey.Match) []string {
	var out []string
	for _, m := range ms {
		if !slices.Contains(out, m.Class) {
			out = append(out, m.Class)
		}
	}
	slices.Sort(out)
	return out
}

// resourceName names a resource type for a reason a person reads.
func resourceName(t string) string {
	switch t {
	case "":
		return "request"
	case string(network.ResourceTypeXHR):
		return "XHR"
	case string(network.ResourceTypePing):
		return "beacon"
	}
	return strings.ToLower(t)
}

// withoutQueryValues is a URL for a reason line: the query keeps its
// names and drops their values, which can carry honey data or a
// customer's token; user info and fragment go too.
func withoutQueryValues(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		before, _, _ := strings.Cut(raw, "?")
		before, _, _ = strings.Cut(before, "#")
		return truncate(before, 200)
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	if u.RawQuery != "" {
		names := strings.Split(u.RawQuery, "&")
		for i, kv := range names {
			name, _, _ := strings.Cut(kv, "=")
			names[i] = name + "="
		}
		u.RawQuery = strings.Join(names, "&")
	}
	return truncate(u.String(), 200)
}

// pathOf is the path and query of a URL, capped for a reason line.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return truncate(raw, 120)
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return truncate(p, 120)
}
