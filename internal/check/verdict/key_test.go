package verdict

import (
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// keyOf returns the store key of the only finding of kind in fs.
func keyOf(t *testing.T, fs []finding.Finding, kind string) (key, message string) {
	t.Helper()
	for _, f := range fs {
		if f.Kind == kind {
			if key != "" {
				t.Fatalf("two %s findings", kind)
			}
			key, message = store.KeyOf(f), f.Message
		}
	}
	if key == "" {
		t.Fatalf("no %s finding in %v", kind, fs)
	}
	return key, message
}

func TestOneTamperIsOneFindingFromCheckToCheck(t *testing.T) {
	base := inventory.FromObservation(cleanCheckout())
	opts := Options{PaymentOrigins: []string{psp}}

	t.Run("a card sent by the skimmer's script and one sent as the page closed are the same finding", func(t *testing.T) {
		byScript := seedAttack()
		atClose := seedAttack()
		for i := range atClose.Leaks {
			atClose.Leaks[i].Script = ""
		}
		k1, m1 := keyOf(t, Evaluate(byScript, base, opts), KindCardExfil)
		k2, m2 := keyOf(t, Evaluate(atClose, base, opts), KindCardExfil)
		if m1 == m2 {
			t.Fatalf("the two messages are alike (%q): the test no longer tells anything", m1)
		}
		if k1 != k2 {
			t.Errorf("keys %s and %s differ for one skimmer sending to one origin:\n  %s\n  %s", k1, k2, m1, m2)
		}
	})

	t.Run("a changed script keeps its finding when its cache buster rotates", func(t *testing.T) {
		dirty := func(v string) *observation.Observation {
			o := cleanCheckout()
			o.Scripts[0].URL = shop + "/static/jquery.js?v=" + v
			o.Scripts[0].Fingerprint = inventory.Fingerprint("jq();skim()")
			o.Requests[0].URL = o.Scripts[0].URL
			return o
		}
		k1, m1 := keyOf(t, Evaluate(dirty("1"), base, opts), KindScriptChanged)
		k2, m2 := keyOf(t, Evaluate(dirty("2"), base, opts), KindScriptChanged)
		if k1 != k2 {
			t.Errorf("keys %s and %s differ for one changed script:\n  %s\n  %s", k1, k2, m1, m2)
		}
	})

	t.Run("cards sent to two origins are two findings", func(t *testing.T) {
		o := seedAttack()
		other := *o
		other.Leaks = append([]observation.Leak(nil), o.Leaks...)
		for i := range other.Leaks {
			if other.Leaks[i].DestinationOrigin == attacker {
				other.Leaks[i].DestinationOrigin = "http://127.0.0.1:8003"
				other.Leaks[i].Destination = "http://127.0.0.1:8003/c"
			}
		}
		k1, _ := keyOf(t, Evaluate(o, base, opts), KindCardExfil)
		k2, _ := keyOf(t, Evaluate(&other, base, opts), KindCardExfil)
		if k1 == k2 {
			t.Errorf("one key %s for cards sent to two attacker origins", k1)
		}
	})
}
