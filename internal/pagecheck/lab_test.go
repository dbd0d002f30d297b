package pagecheck

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/observation"
)

func startLab(t testing.TB) *lab.Lab {
	t.Helper()
	l, err := lab.Start(context.Background(), lab.Options{})
	if err != nil {
		t.Fatalf("starting lab: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func labOptions(t testing.TB, l *lab.Lab) Options {
	o := testOptions(t)
	o.PaymentOrigins = []string{l.PSPOrigin(), l.PSPAPIOrigin()}
	return o
}

func cardLeakTo(o *observation.Observation, origin string) *observation.Leak {
	for i, lk := range o.Leaks {
		if lk.Class == observation.FieldCardNumber && lk.DestinationOrigin == origin {
			return &o.Leaks[i]
		}
	}
	return nil
}

func TestLabFakeCardForm(t *testing.T) {
	b := startBrowser(t)
	l := startLab(t)
	if err := l.SetScenario("fake-card-form"); err != nil {
		t.Fatal(err)
	}
	var sc lab.Scenario
	for _, s := range lab.Scenarios() {
		if s.Name == "fake-card-form" {
			sc = s
		}
	}
	t.Run("checking the confirm page alone finds the card going to the attacker", func(t *testing.T) {
		opts := labOptions(t, l)
		o, err := Check(context.Background(), b, Target{URL: l.ShopURL() + sc.Page}, opts)
		if err != nil {
			t.Fatal(err)
		}
		lk := cardLeakTo(o, l.AttackerOrigin())
		if lk == nil {
			t.Fatalf("no card leak to %s; incomplete %q; leaks %+v", l.AttackerOrigin(), o.Incomplete, o.Leaks)
		}
		if lk.Blocked {
			t.Error("the leak to the attacker was blocked; only payment and order requests may be")
		}
		var injected bool
		for _, f := range o.Forms {
			for _, fld := range f.Fields {
				injected = injected || fld.Class == observation.FieldCardNumber
			}
		}
		if !injected {
			t.Error("the fake card field is not among the forms")
		}
	})
	t.Run("the built-in link-checkout flow finds it too and never pays", func(t *testing.T) {
		y, err := l.Flow(sc.Flow)
		if err != nil {
			t.Fatal(err)
		}
		flow, err := ParseFlow(bytes.NewReader(y))
		if err != nil {
			t.Fatalf("ParseFlow(%s): %v", sc.Flow, err)
		}
		opts := labOptions(t, l)
		charges := len(l.Charges())
		o, err := Check(context.Background(), b, Target{Flow: flow}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Complete {
			t.Errorf("incomplete: %q", o.Incomplete)
		}
		if cardLeakTo(o, l.AttackerOrigin()) == nil {
			t.Errorf("no card leak to the attacker; leaks %+v", o.Leaks)
		}
		if got := len(l.Charges()); got != charges {
			t.Errorf("the payment provider charged %d times during the check", got-charges)
		}
		var pspBlocked bool
		for _, bl := range o.Blocked {
			pspBlocked = pspBlocked || strings.HasPrefix(bl.URL, l.PSPOrigin())
		}
		if !pspBlocked {
			t.Errorf("the honey card's payment at the provider was not blocked: %+v", o.Blocked)
		}
	})
}

// TestLabEveryScenario runs the lab's own flow for every scenario and checks
// that each tampering scenario sends honey data to the attacker's origin,
// and that no benign one does. It takes several minutes, so it runs only
// with SKIMWATCH_LONG=1.
func TestLabEveryScenario(t *testing.T) {
	if os.Getenv("SKIMWATCH_LONG") != "1" {
		t.Skip("takes minutes; set SKIMWATCH_LONG=1 to run")
	}
	b := startBrowser(t)
	l := startLab(t)
	// The data goes elsewhere in these: to the shop's own origin (a planted
	// collector), or nowhere (weakened headers only).
	noAttackerLeak := map[string]bool{"first-party-collector": true, "headers-weakened": true}
	wsAttacker := "ws" + strings.TrimPrefix(l.AttackerOrigin(), "http")
	for _, sc := range lab.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			if err := l.SetScenario(sc.Name); err != nil {
				t.Fatal(err)
			}
			target := Target{URL: l.ShopURL() + sc.Page}
			if sc.Flow != "" {
				y, err := l.Flow(sc.Flow)
				if err != nil {
					t.Fatal(err)
				}
				if target.Flow, err = ParseFlow(bytes.NewReader(y)); err != nil {
					t.Fatal(err)
				}
				target.URL = ""
			}
			o, err := Check(context.Background(), b, target, labOptions(t, l))
			if err != nil {
				t.Fatal(err)
			}
			if !o.Complete {
				t.Errorf("incomplete: %q", o.Incomplete)
			}
			var leaked bool
			for _, lk := range o.Leaks {
				leaked = leaked || lk.DestinationOrigin == l.AttackerOrigin() || lk.DestinationOrigin == wsAttacker
			}
			want := !sc.Benign && !noAttackerLeak[sc.Name]
			if leaked != want {
				t.Errorf("honey data to the attacker: %v, want %v", leaked, want)
			}
		})
	}
}
