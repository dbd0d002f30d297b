package lab

// Scenario describes one tampering scenario or benign variant. The list is
// a contract: integration tests iterate it, expecting every tampering
// scenario to be detected on Page and every benign variant to be clean after
// a baseline taken under "clean".
type Scenario struct {
	Name  string
	Title string
	// Technique names the technique from docs/THREATS.md that it reproduces.
	Technique string
	// Page is the shop path to check, e.g. "/checkout/link". It works as a
	// single GET: checkout pages create a demo cart when the cart is empty.
	Page string
	// Flow names a built-in flow (see Flow and FlowNames) when a single page
	// load is not enough to see the behaviour; "" otherwise.
	Flow string
	// NeedsFlow is true when a check of Page alone cannot see the theft
	// (it happens only on a later page, or a later visit): tests check the
	// Flow instead.
	NeedsFlow bool
	// Differential is true when only the differential probe (a second
	// pass with another card) can see the theft: no decoder undoes it.
	// Benign variants with it set show that the probe stays quiet.
	Differential bool
	// Steals is what honey data the scenario takes: StealsCard,
	// StealsPersonal, or "" when nothing leaves (weakened headers, a loader
	// whose domain is down). A check with no baseline must find the theft
	// from the honey evidence alone.
	Steals string
	// Benign is true for harmless variants that must not raise an alarm.
	Benign bool
	// AddsVendor marks a benign variant in which the shop deliberately
	// adds a vendor's script: a baseline taken before it rightly reports
	// that script as new, and nothing else.
	AddsVendor  bool
	Description string
}

// What a scenario steals.
const (
	StealsCard     = "card"
	StealsPersonal = "personal data"
)

// Page keys: which shop pages an injection applies to.
const (
	pageHome     = "home"
	pageProduct  = "product"
	pageCart     = "cart"
	pageLink     = "link"
	pageToken    = "token"
	pageRegister = "register"
	pageLogin    = "login"
	pageAccount  = "account"
	pageComplete = "complete"
)

// First-party files that scenarios append to.
const (
	fileMinq     = "minq.js"
	fileTheme    = "theme.js"
	fileValidate = "validate.js"
)

// scenarioDef is a Scenario and how the lab plants it.
type scenarioDef struct {
	Scenario
	// Inline is a skimmer asset rendered as an inline <script> at the end of
	// the body of Pages (every page when Pages is empty).
	Inline string
	// External is a path on the attacker's origin (see attackerScript),
	// loaded with <script src> on Pages.
	External string
	Pages    []string
	// Append maps a first-party file (fileMinq, ...) to the skimmer appended to it.
	Append map[string]string
	// TagManager is appended to the trusted tag manager's script.
	TagManager string
	// ScriptSrc is a script element's URL, with the lab's {{...}} origins,
	// added on Pages (a loader whose domain is down).
	ScriptSrc string
	// ServiceWorker is the skimmer asset the shop serves at /sw.js.
	ServiceWorker string
	// FraudVendor adds the fraud-prevention vendor's script (keystroke
	// timings, a device id) to Pages.
	FraudVendor bool
	// CDN loads the lookalike CDN's library on Pages.
	CDN bool
	// DBBlock is rendered as a script inside the CMS block on every page.
	DBBlock string
	// Hidden puts a payload into a non-script resource: "svg", "jpeg" or "css".
	Hidden string
	// WeakHeaders drops the shop's security headers.
	WeakHeaders bool
	// PlantedCollector answers /media/x.php on the shop's own origin.
	PlantedCollector bool

	// Benign variants.
	Reminified bool
	Campaign   bool
	ChatOpen   bool
}

func (d scenarioDef) onPage(page string) bool {
	if len(d.Pages) == 0 {
		return true
	}
	for _, p := range d.Pages {
		if p == page {
			return true
		}
	}
	return false
}

const scenarioClean = "clean"

func cleanScenario() scenarioDef {
	d, _ := lookupScenario(scenarioClean)
	return d
}

func lookupScenario(name string) (scenarioDef, bool) {
	if name == "" {
		name = scenarioClean
	}
	for _, d := range scenarioDefs() {
		if d.Name == name {
			return d, true
		}
	}
	return scenarioDef{}, false
}

// Scenarios lists every tampering scenario and every benign variant,
// tampering first, in a stable order.
func Scenarios() []Scenario {
	defs := scenarioDefs()
	out := make([]Scenario, 0, len(defs))
	for _, d := range defs {
		out = append(out, d.Scenario)
	}
	return out
}

// scenarioDefs builds the registry afresh on each call, so nothing shared
// can be mutated.
func scenarioDefs() []scenarioDef {
	token := []string{pageToken}
	return []scenarioDef{
		{
			Scenario: Scenario{Name: "fake-card-form", Steals: StealsCard, Title: "Fake card form before the hand-off (the seed incident)",
				Technique: "fake payment form on the merchant's page before the redirect",
				Page:      "/checkout/link", Flow: "link-checkout",
				Description: "The link-type confirm page gains card fields. On submit they go to the attacker by XHR, " +
					"an error is shown, and the customer continues to the real payment provider."},
			Inline: "fake-card-form.js", Pages: []string{pageLink},
		},
		{
			Scenario: Scenario{Name: "registration-leak", Steals: StealsPersonal, Title: "New-member registration leaks personal data",
				Technique: "code appended to a first-party script; personal data by XHR",
				Page:      "/register", Flow: "registration",
				Description: "The registration page's validation script is appended with code that sends name, email, " +
					"phone and password to the attacker before the real submission."},
			Append: map[string]string{fileValidate: "registration-leak.js"},
		},
		{
			Scenario: Scenario{Name: "first-party-append", Steals: StealsCard, Title: "Skimmer appended to the shop's own library",
				Technique: "code appended to a first-party library",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "/static/js/minq.js (the shop's jQuery-like library) ends with a skimmer that posts the " +
					"card fields with fetch keepalive when the token form is submitted."},
			Append: map[string]string{fileMinq: "first-party-append.js"},
		},
		{
			Scenario: Scenario{Name: "lookalike-cdn", Steals: StealsCard, Title: "Library from a lookalike CDN",
				Technique: "script from a lookalike domain with a real library banner",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The token checkout loads a library from the lookalike CDN origin; it carries a jQuery " +
					"banner and a skimmer at its end that sends card fields on change."},
			CDN: true, Pages: token,
		},
		{
			Scenario: Scenario{Name: "tag-manager", Steals: StealsCard, Title: "Trusted tag manager serves a skimmer",
				Technique: "code injected through a tag manager (same URL, changed content)",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The tag manager script from the known third party keeps its URL; its content gains a " +
					"skimmer that posts card fields to the attacker."},
			TagManager: "tag-manager.js",
		},
		{
			Scenario: Scenario{Name: "svg-payload", Steals: StealsCard, Title: "Payload hidden in an SVG logo",
				Technique: "payload in a non-script resource (SVG) run by new Function",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline loader fetches the shop's own SVG logo, whose <metadata> holds a base64 " +
					"skimmer, and runs it with new Function."},
			Inline: "loader-svg.js", Hidden: "svg", Pages: token,
		},
		{
			Scenario: Scenario{Name: "image-exif", Steals: StealsCard, Title: "Payload hidden in a JPEG's EXIF data",
				Technique: "payload in a non-script resource (EXIF ImageDescription) run by eval",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline loader fetches the banner JPEG, extracts a base64 skimmer from its EXIF " +
					"ImageDescription and runs it with eval."},
			Inline: "loader-exif.js", Hidden: "jpeg", Pages: token,
		},
		{
			Scenario: Scenario{Name: "css-payload", Steals: StealsCard, Title: "Payload hidden in a stylesheet",
				Technique: "payload in a non-script resource (CSS custom property) run by new Function",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline loader fetches /static/css/fonts.css, reads a base64 skimmer from a CSS " +
					"custom property and runs it with new Function."},
			Inline: "loader-css.js", Hidden: "css", Pages: token,
		},
		{
			Scenario: Scenario{Name: "db-block", Steals: StealsCard, Title: "Skimmer stored in a CMS block",
				Technique: "code in the database rendered into every page",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The footer CMS block, rendered into every page, carries a script that sends card and " +
					"personal fields by XHR on submit."},
			DBBlock: "db-block.js",
		},
		{
			Scenario: Scenario{Name: "beacon-unload", Steals: StealsCard, Title: "sendBeacon while the page is left",
				Technique: "navigator.sendBeacon from pagehide",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The theme bundle keeps typed values in memory and sends them with navigator.sendBeacon " +
					"on pagehide and visibilitychange."},
			Append: map[string]string{fileTheme: "beacon-unload.js"},
		},
		{
			Scenario: Scenario{Name: "websocket-exfil", Steals: StealsCard, Title: "Card data over a WebSocket",
				Technique: "WebSocket messages",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script opens a WebSocket to the attacker and sends each card field as it changes."},
			Inline: "websocket-exfil.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "image-beacon", Steals: StealsCard, Title: "Card data in image beacon URLs",
				Technique: "image beacon: new Image().src with the data in the query",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script requests a 1x1 GIF from the attacker with the card fields in the query " +
					"string whenever a card field loses focus."},
			Inline: "image-beacon.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "fetch-nocors-keepalive", Steals: StealsCard, Title: "fetch with no-cors and keepalive",
				Technique: "fetch POST with mode no-cors and keepalive",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The theme bundle posts the card fields with fetch({mode:'no-cors', keepalive:true}) on submit."},
			Append: map[string]string{fileTheme: "fetch-nocors-keepalive.js"},
		},
		{
			Scenario: Scenario{Name: "first-party-collector", Steals: StealsCard, Title: "Collector planted on the shop's own origin",
				Technique: "exfiltration to the merchant's own origin (planted /media/x.php)",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script posts the card fields to /media/x.php on the shop's origin, a planted " +
					"file that relays them to the attacker."},
			Inline: "first-party-collector.js", Pages: token, PlantedCollector: true,
		},
		{
			Scenario: Scenario{Name: "localstorage-later", Steals: StealsCard, NeedsFlow: true, Title: "Stash in localStorage, send on a later page",
				Technique: "data stashed in localStorage and sent on a later page",
				Page:      "/checkout/token", Flow: "token-then-home",
				Description: "The theme bundle stores typed card fields in localStorage (base64) and sends them " +
					"from the next page that loads, by fetch."},
			Append: map[string]string{fileTheme: "localstorage-later.js"},
		},
		{
			Scenario: Scenario{Name: "encoded-exfil", Steals: StealsCard, Title: "Encoded exfiltration",
				Technique: "encoded payloads: JSON in base64, hex, reversed, single-byte XOR, URL encoding",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "On submit an inline script sends the card fields four times: JSON-in-base64 in an image " +
					"URL, hex, reversed text and XOR 0x5a bytes in fetch bodies."},
			Inline: "encoded-exfil.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "delayed-debounce", Steals: StealsCard, Title: "Sends seconds after typing",
				Technique: "sends on a debounce timer, seconds after typing",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The theme bundle waits until typing has stopped for 4 s, then posts the card fields."},
			Append: map[string]string{fileTheme: "delayed-debounce.js"},
		},
		{
			Scenario: Scenario{Name: "anti-bot", Steals: StealsCard, Title: "Quiet for robots",
				Technique: "stays quiet on navigator.webdriver, Headless UA, zero-size window, missing window.chrome, open devtools",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "A script from the attacker's origin does nothing when it believes a robot is watching; " +
					"otherwise it sends the card fields by sendBeacon on submit."},
			External: "/js/jquery.cookie.min.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "trusted-input-only", Steals: StealsCard, Title: "Reads only trusted key events",
				Technique: "reads only event.isTrusted key events",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script logs keys only from trusted keydown events, so values set by script " +
					"are invisible to it, and sends the log when a field loses focus."},
			Inline: "trusted-input-only.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "dialog-blocker", Steals: StealsCard, Title: "alert() in the submit handler",
				Technique: "a JavaScript dialog that blocks a naive robot",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline submit handler shows an alert() first, then sends the card fields by fetch."},
			Inline: "dialog-blocker.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "checkout-url-only", Steals: StealsCard, Title: "Runs only on checkout URLs",
				Technique: "runs only when the URL looks like a checkout",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The shop's library is appended with a skimmer that returns at once unless the path " +
					"contains checkout, onepage, payment or order."},
			Append: map[string]string{fileMinq: "checkout-url-only.js"},
		},
		{
			Scenario: Scenario{Name: "second-visit", Steals: StealsCard, NeedsFlow: true, Title: "Active only from the second page view",
				Technique: "activates only for some visitors (here: on their second page view)",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The theme bundle counts page views in localStorage and skims the submitted form " +
					"only from the second view on, so a single-URL check in a fresh profile sees no traffic; " +
					"the realistic flow (catalogue, cart, checkout) does."},
			Append: map[string]string{fileTheme: "second-visit.js"},
		},
		{
			Scenario: Scenario{Name: "token-form-hijack", Steals: StealsCard, Title: "Wraps the payment provider's tokeniser",
				Technique: "token type: reads the card before tokenisation by wrapping the PSP's JS",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script wraps LabPay.createToken, so the card handed to the payment provider " +
					"is also sent to the attacker with sendBeacon."},
			Inline: "token-form-hijack.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "blob-worker", Title: "Worker made from a blob sends the card", Steals: StealsCard,
				Technique: "dedicated worker created from a blob: URL; the worker sends by fetch",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script builds a worker from a Blob, hands it each card field as it changes, " +
					"and the worker posts it to the attacker."},
			Inline: "blob-worker.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "service-worker", Title: "Service worker relays the card", Steals: StealsCard,
				Technique: "service worker registered from a planted file; the page posts messages to it",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "An inline script registers /sw.js (a planted file on the shop) and posts each card field " +
					"to it; the service worker sends it to the attacker."},
			Inline: "service-worker.js", ServiceWorker: "sw-relay.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "popup-window", Title: "window.open carries the card", Steals: StealsCard,
				Technique: "window.open of the attacker's URL with the card in the query",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "On submit an inline script opens a tiny window whose URL carries the card, base64-encoded."},
			Inline: "popup-exfil.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "blank-target-submit", Title: "Form submitted into a new window", Steals: StealsCard,
				Technique: "hidden form with target=_blank posted to the attacker",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "On submit an inline script builds a hidden form with the card fields and submits it to the " +
					"attacker into a new window."},
			Inline: "blank-target-submit.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "path-exfil", Title: "Card in script and image URL paths", Steals: StealsCard,
				Technique: "data in the path of a script URL (hex) and an image URL (base64)",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "When a card field loses focus an inline script loads a script and an image from the attacker " +
					"whose paths are the field's value."},
			Inline: "path-exfil.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "cookie-to-shop", Title: "Card stashed in a cookie reaches the shop's server", Steals: StealsCard,
				Technique: "first-party cookie carries the card to the shop's own server on later requests",
				Page:      "/checkout/token", Flow: "token-then-home", NeedsFlow: true,
				Description: "An inline script writes each card field into a first-party cookie (base64); the browser " +
					"sends it to the shop with every later request, where a planted file can read it."},
			Inline: "cookie-stash.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "vendor-exfil", Title: "The shop's analytics vendor receives the card", Steals: StealsCard,
				Technique: "card sent to a vendor the shop already uses (analytics event label)",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "When a card field loses focus an inline script sends it to the shop's own analytics " +
					"vendor as an event label; the vendor's origin is approved, the data is not."},
			Inline: "vendor-exfil.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "foreign-hosted-fields", Title: "Hosted-fields frame from the attacker", Steals: StealsCard,
				Technique: "card fields in a frame on an origin that is neither the shop nor the payment provider",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "The shop's card fields are replaced by an iframe that looks like hosted fields but is " +
					"served by the attacker, whose script sends each field as it changes."},
			Inline: "foreign-hosted-fields.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "handoff-foreign", Title: "Hand-off to a fake payment page", Steals: StealsCard,
				Technique: "the link-type hand-off points at the attacker's copy of the payment page",
				Page:      "/checkout/link", Flow: "link-checkout",
				Description: "The confirm page's form now submits to the attacker's fake LabPay page, which asks for " +
					"the card and posts it to the attacker."},
			Inline: "handoff-foreign.js", Pages: []string{pageLink},
		},
		{
			Scenario: Scenario{Name: "keyed-cipher", Title: "Card under a keyed cipher", Steals: StealsCard, Differential: true,
				Technique: "payload encrypted with RC4 under a key in the skimmer: no decoder can undo it",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "On submit an inline script sends the card fields RC4-encrypted and hex-encoded in a JSON " +
					"body that looks like metrics."},
			Inline: "keyed-cipher.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "dead-loader", Title: "Loader whose domain is down",
				Technique: "a script element added to the checkout whose server refuses every connection",
				Page:      "/checkout/token", Flow: "token-checkout",
				Description: "A <script src> to a loader on a domain that is down is added to the checkout. Nothing " +
					"loads, so nothing is stolen today; the page's code was changed all the same."},
			ScriptSrc: "{{DEAD}}/js/jquery-migrate-3.4.1.min.js", Pages: token,
		},
		{
			Scenario: Scenario{Name: "headers-weakened", Title: "Security headers removed",
				Technique: "missing security headers (CSP, X-Frame-Options, Referrer-Policy)",
				Page:      "/checkout/token",
				Description: "The shop stops sending its CSP (report-only), X-Frame-Options, Referrer-Policy and " +
					"X-Content-Type-Options headers. No skimmer runs."},
			WeakHeaders: true,
		},

		// Benign variants: all must stay clean against a baseline taken under "clean".
		{
			Scenario: Scenario{Name: scenarioClean, Title: "No tampering", Benign: true,
				Technique: "none", Page: "/checkout/token",
				Description: "The shop as approved, with its everyday dynamics: rotating inline values, " +
					"cache-busting query strings, random analytics ids and a dynamically injected chat widget."},
		},
		{
			Scenario: Scenario{Name: "benign-reminified", Title: "Re-minified build of the same code", Benign: true,
				Technique: "re-minified build (whitespace and comments changed)", Page: "/checkout/token",
				Description: "The shop's library, theme bundle and validation script are served with indentation, " +
					"blank lines and line comments removed; the code is the same."},
			Reminified: true,
		},
		{
			Scenario: Scenario{Name: "benign-campaign", Title: "A sale: prices, totals and banners change", Benign: true,
				Technique: "per-request inline values and totals change", Page: "/checkout/link",
				Description: "A 20% sale: prices, order totals, the inline shop config and the banner text change."},
			Campaign: true,
		},
		{
			Scenario: Scenario{Name: "benign-chat-open", Title: "Chat widget opens and fetches a greeting", Benign: true,
				Technique: "widget injected dynamically by a known third party", Page: "/checkout/token",
				Description: "The known third party's chat widget opens by itself and fetches its greeting from " +
					"its own origin."},
			ChatOpen: true,
		},
		{
			Scenario: Scenario{Name: "benign-npm-checkout", Title: "A busy honest checkout built from npm libraries", Benign: true,
				Technique: "input masks, card preview, client-side encryption, tag container, analytics, fraud telemetry, postcode lookup",
				Page:      benignPage,
				Description: "The benign checkout (benign.go) as it always is: real libraries from npm read the card " +
					"fields, a fraud vendor sends keystroke timings, and the postcode lookup's URL follows the input."},
		},
		{
			Scenario: Scenario{Name: "benign-fraud-vendor", Title: "A fraud-prevention vendor sends keystroke timings", Benign: true,
				AddsVendor: true, Differential: true, Technique: "keystroke timings and a device id sent after input", Page: "/checkout/token",
				Description: "The checkout loads a fraud-prevention vendor's script that sends keystroke gaps and a " +
					"random device id (never the values) to the vendor after each field."},
			FraudVendor: true, Pages: token,
		},
	}
}
