package pagecheck

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/lab"
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
