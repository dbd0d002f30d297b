package lab

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	// lab tests call their HTTP client helper browser.
	swbrowser "github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// A user agent without "Headless", as a careful checker would send.
const desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// chromium returns a browser allocator, or skips (fails under CI=true) when
// Chromium is missing. stealth hides the usual automation tells.
func chromium(t *testing.T, stealth bool) context.Context {
	t.Helper()
	bin, err := swbrowser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	if stealth {
		opts = append(opts, chromedp.Flag("enable-automation", false),
			chromedp.Flag("disable-blink-features", "AutomationControlled"), chromedp.UserAgent(desktopUA))
	}
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	return ctx
}

// tab is a fresh browser context (no shared cookies or storage) that
// accepts every JavaScript dialog.
func tab(t *testing.T, alloc context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return ctx
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{16,}={0,2}`)

// carries reports whether what the attacker received holds the honey card
// number: plain, URL-encoded, in base64 (JSON inside), hex, reversed, or
// XOR'd with one byte. Spaces are ignored, as the shop groups card digits.
func carries(r Received, needle string) bool {
	raw := r.URL + "\n" + r.Body
	candidates := []string{raw}
	if u, err := url.QueryUnescape(raw); err == nil {
		candidates = append(candidates, u)
		for _, m := range base64Run.FindAllString(u, -1) {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
				if b, err := enc.DecodeString(m); err == nil {
					candidates = append(candidates, string(b))
				}
			}
		}
	}
	if b, err := hex.DecodeString(strings.TrimSpace(r.Body)); err == nil {
		candidates = append(candidates, string(b))
	}
	rev := []rune(r.Body)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	candidates = append(candidates, string(rev))
	for k := 1; k < 256; k++ {
		b := []byte(r.Body)
		for i := range b {
			b[i] ^= byte(k)
		}
		candidates = append(candidates, string(b))
	}
	for _, c := range candidates {
		if strings.Contains(strings.ReplaceAll(c, " ", ""), needle) {
			return true
		}
	}
	return false
}

type step = chromedp.Action[chromedp.Void]

func typeInto(sel, text string) step {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}

func click(sel string) step { return chromedp.Click(chromedp.CSS(sel)) }

func visible(sel string) step { return chromedp.WaitVisible(chromedp.CSS(sel)) }

func typeContact(prefix string) step {
	return chromedp.Steps(
		typeInto("#"+prefix+"name", honeyName),
		typeInto("#"+prefix+"email", honeyEmail),
		typeInto("#"+prefix+"phone", honeyPhone),
	)
}

func typeTokenCard() step {
	return chromedp.Steps(
		typeInto("#card-number", honeyCard),
		typeInto("#card-exp", honeyExp),
		typeInto("#card-cvc", honeyCVC),
		typeInto("#card-name", honeyName),
		// Moving focus away fires change and focusout for the last field.
		click("#order-summary"),
	)
}

// TestScenariosExfiltrateInChromium drives each tampering scenario in real
// Chromium like a customer (real key events, real clicks) and requires the
// attacker's collector to receive the honey values. Benign variants must
// send nothing to the attacker and still complete an order.
func TestScenariosExfiltrateInChromium(t *testing.T) {
	alloc := chromium(t, true)
	l := startLab(t, Options{})

	type drive struct {
		// needle must reach the attacker, in at least hits records.
		needle string
		hits   int
		// dwell is how long the customer lingers after typing, before submitting.
		dwell time.Duration
		// then is what happens after the order is placed; "" waits on the page.
		then string
		// warmup is a page viewed first, for skimmers that skip first visits.
		warmup string
		// match, when set, counts records instead of carries(needle).
		match func(Received) bool
	}
	card := drive{needle: honeyCard, hits: 1}
	drives := map[string]drive{
		"fake-card-form":        card,
		"registration-leak":     {needle: honeyEmail, hits: 1},
		"encoded-exfil":         {needle: honeyCard, hits: 4},
		"delayed-debounce":      {needle: honeyCard, hits: 1, dwell: 5 * time.Second},
		"localstorage-later":    {needle: honeyCard, hits: 1, then: "leave-unpaid"},
		"first-party-collector": card,
		"second-visit":          {needle: honeyCard, hits: 1, warmup: "/"},
		// Encrypted under the skimmer's key: the request is all there is to see.
		"keyed-cipher": {hits: 1, match: func(r Received) bool { return strings.Contains(r.URL, "/api/v1/metrics") }},
		// The card, hex-encoded, is a directory of a script's URL path.
		"path-exfil": {hits: 1, match: func(r Received) bool {
			for _, seg := range strings.Split(r.URL, "/") {
				if b, err := hex.DecodeString(seg); err == nil && strings.ReplaceAll(string(b), " ", "") == honeyCard {
					return true
				}
			}
			return false
		}},
	}

	// Where the theft does not end in the attacker's collector on this
	// journey, and what shows it instead.
	elsewhere := map[string]string{
		"headers-weakened":      "nothing runs in the browser; TestEveryScenarioServesItsTamper covers it",
		"dead-loader":           "nothing loads; TestEveryScenarioServesItsTamper covers the script element",
		"cookie-to-shop":        "the cookie goes to the shop's own server; policy.TestEveryScenarioIsCaught sees it sent",
		"vendor-exfil":          "the card goes to the shop's analytics vendor; policy.TestEveryScenarioIsCaught sees it sent",
		"foreign-hosted-fields": "the card is typed into the attacker's frame; policy.TestEveryScenarioIsCaught drives it",
		"handoff-foreign":       "the customer lands on the attacker's payment page; policy.TestEveryScenarioIsCaught drives it",
	}
	for _, s := range Scenarios() {
		if _, ok := elsewhere[s.Name]; ok {
			continue
		}
		d, ok := drives[s.Name]
		if !ok {
			d = card
		}
		name := s.Name + " sends the honey data to the attacker"
		if s.Benign {
			name = s.Name + " sends nothing to the attacker and completes the order"
		}
		t.Run(name, func(t *testing.T) {
			if err := l.SetScenario(s.Name); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = l.SetScenario("clean") })
			l.Attacker().Reset()
			ordersBefore := len(l.Orders())
			ctx := tab(t, alloc)

			var steps []step
			switch s.Page {
			case "/checkout/link":
				steps = []step{
					chromedp.Navigate(l.ShopURL() + s.Page),
					visible("#checkout-form"),
					typeContact(""),
				}
				if !s.Benign {
					steps = append(steps,
						typeInto("#cc_number", honeyCard), typeInto("#cc_exp", honeyExp),
						typeInto("#cc_cvv", honeyCVC), typeInto("#cc_owner", honeyName))
				}
				steps = append(steps,
					click("#to-payment"),
					// The seed's tell: the customer still lands on the real provider.
					visible("#psp-form"),
					typeInto("#psp-number", honeyCard), typeInto("#psp-exp", honeyExp),
					typeInto("#psp-cvc", honeyCVC), typeInto("#psp-name", honeyName),
					click("#psp-pay"),
					visible("#order-complete"))
			case "/register":
				steps = []step{
					chromedp.Navigate(l.ShopURL() + s.Page),
					visible("#register-form"),
					typeContact("reg-"),
					typeInto("#reg-password", "honey-pass-123"),
					click("#register-submit"),
					visible("#member"),
				}
			default:
				if d.warmup != "" {
					steps = append(steps, chromedp.Navigate(l.ShopURL()+d.warmup))
				}
				steps = append(steps,
					chromedp.Navigate(l.ShopURL()+s.Page),
					visible("#token-form"),
					typeContact(""),
					typeTokenCard(),
					chromedp.Sleep(d.dwell),
				)
				if d.then == "leave-unpaid" {
					steps = append(steps, chromedp.Navigate(l.ShopURL()+"/"))
				} else {
					steps = append(steps,
						click("#place-order"),
						visible("#order-complete"))
				}
			}
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("driving %s: %v", s.Page, err)
			}

			if s.Benign {
				// Give late senders a moment, then require silence.
				if err := chromedp.Do(ctx, chromedp.Sleep(time.Second)); err != nil {
					t.Fatal(err)
				}
				if got := l.Attacker().Received(); len(got) != 0 {
					t.Errorf("benign variant reached the attacker: %+v", got[0])
				}
				if len(l.Orders()) != ordersBefore+1 {
					t.Errorf("no order recorded")
				}
				return
			}

			wctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			count := func() int {
				n := 0
				for _, r := range l.Attacker().Received() {
					if (d.match == nil && carries(r, d.needle)) || (d.match != nil && d.match(r)) {
						n++
					}
				}
				return n
			}
			_, err := l.Attacker().WaitFor(wctx, func(Received) bool { return count() >= d.hits })
			if err != nil {
				t.Fatalf("attacker got %d records carrying the honey value, want %d; all: %+v",
					count(), d.hits, l.Attacker().Received())
			}
		})
	}
}

// TestAntiBotIsQuietForANaiveRobot shows why a checker must hide its
// automation: with Chromium's default automation flags the skimmer sends
// nothing, although the order still goes through.
func TestAntiBotIsQuietForANaiveRobot(t *testing.T) {
	alloc := chromium(t, false)
	l := startLab(t, Options{})
	if err := l.SetScenario("anti-bot"); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, alloc)
	err := chromedp.Do(ctx,
		chromedp.Navigate(l.ShopURL()+"/checkout/token"),
		visible("#token-form"),
		typeContact(""), typeTokenCard(),
		click("#place-order"),
		visible("#order-complete"),
		chromedp.Sleep(time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Attacker().Received() {
		if carries(r, honeyCard) {
			t.Fatalf("anti-bot skimmer sent to a naive robot: %+v", r)
		}
	}
	if len(l.Orders()) != 1 {
		t.Errorf("%d orders, want 1", len(l.Orders()))
	}
}

// TestTrustedInputOnlyIgnoresScriptedValues shows why a probe must type with
// real key events: values set from script never reach this skimmer.
func TestTrustedInputOnlyIgnoresScriptedValues(t *testing.T) {
	alloc := chromium(t, true)
	l := startLab(t, Options{})
	if err := l.SetScenario("trusted-input-only"); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, alloc)
	if err := chromedp.Do(ctx, chromedp.Navigate(l.ShopURL()+"/checkout/token"), visible("#token-form")); err != nil {
		t.Fatal(err)
	}
	// What a naive probe does: set values and fire synthetic events.
	set := `for (const [id, v] of [['card-number', '` + honeyCard + `'], ['card-cvc', '` + honeyCVC + `']]) {
		const el = document.getElementById(id);
		el.focus();
		for (const ch of v) el.dispatchEvent(new KeyboardEvent('keydown', {key: ch, bubbles: true}));
		el.value = v;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.blur();
	}
	true`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](set)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, click("#order-summary"), chromedp.Sleep(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Attacker().Received() {
		if carries(r, honeyCard) {
			t.Fatalf("scripted values reached the attacker: %+v", r)
		}
	}
}

// TestSecondVisitIsQuietOnAFirstVisit shows why single-URL checks in a fresh
// profile miss visitor-selective skimmers, and flows do not.
func TestSecondVisitIsQuietOnAFirstVisit(t *testing.T) {
	alloc := chromium(t, true)
	l := startLab(t, Options{})
	if err := l.SetScenario("second-visit"); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, alloc)
	err := chromedp.Do(ctx,
		chromedp.Navigate(l.ShopURL()+"/checkout/token"),
		visible("#token-form"),
		typeContact(""), typeTokenCard(),
		click("#place-order"),
		visible("#order-complete"),
		chromedp.Sleep(time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Attacker().Received() {
		if carries(r, honeyCard) {
			t.Fatalf("second-visit skimmer sent on a first visit: %+v", r)
		}
	}
}
