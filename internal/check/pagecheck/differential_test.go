package pagecheck

import (
	"testing"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// pass is one pass's observation with one POST from the page's inline code
// to origin, carrying body (no request when body is "").
func pass(origin, body string) *observation.Observation {
	o := &observation.Observation{Requests: []observation.Request{
		{Method: "GET", URL: "http://shop.test/checkout", Type: "Document", Phase: observation.PhaseLoad},
	}}
	if body != "" {
		o.Requests = append(o.Requests, observation.Request{Method: "POST", URL: origin + "/api/v1/metrics", Type: "Fetch",
			Initiator: "http://shop.test/checkout", Body: body, Phase: observation.PhaseInput})
	}
	return o
}

func TestDisguisedSendsFollowTheCardNotTheNoise(t *testing.T) {
	const attacker, psp = "http://attacker.test", "http://psp.test"
	tests := []struct {
		name           string
		origin         string
		first, b, last string
		want           bool
	}{
		{"a payload that changes with the card and repeats for the same card is disguised", attacker, "7a1f", "09c3", "7a1f", true},
		{"keystroke timings that differ on every pass are noise", attacker, `{"g":[81,64]}`, `{"g":[70,77]}`, `{"g":[66,90]}`, false},
		{"a payload that never changes carries no input", attacker, "v=1", "v=1", "v=1", false},
		{"a send missing from one pass cannot be compared", attacker, "7a1f", "", "7a1f", false},
		{"the payment provider may receive the card", psp, "7a1f", "09c3", "7a1f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := disguised([3]*observation.Observation{pass(tt.origin, tt.first), pass(tt.origin, tt.b), pass(tt.origin, tt.last)}, []string{psp})
			if (len(got) > 0) != tt.want {
				t.Fatalf("disguised %+v, want found=%v", got, tt.want)
			}
			if tt.want && (got[0].DestinationOrigin != tt.origin || got[0].Method != "POST" || got[0].Script != "http://shop.test/checkout") {
				t.Errorf("wrong send: %+v", got[0])
			}
		})
	}
}

func TestTheSecondCardChangesOnlyTheCard(t *testing.T) {
	id, err := honey.NewIdentity(honey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := otherCard(id)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case other.CardNumber == id.CardNumber || other.CVV == id.CVV:
		t.Errorf("card or code unchanged: %s/%s vs %s/%s", other.CardNumber, other.CVV, id.CardNumber, id.CVV)
	case other.CardNumber[:6] != id.CardNumber[:6]:
		t.Errorf("BIN changed: %s vs %s", other.CardNumber, id.CardNumber)
	case !card.Luhn(other.CardNumber):
		t.Errorf("second card %s fails Luhn", other.CardNumber)
	}
	other.CardNumber, other.CVV = id.CardNumber, id.CVV
	if other != id {
		t.Errorf("more than the card changed: %+v vs %+v", other, id)
	}
}
