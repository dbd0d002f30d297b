package verdict

import (
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/finding"
)

const lookup = "http://127.0.0.1:8003"

// addressLookup is a checkout whose address lookup receives the typed
// postcode (zipcloud's layout: /api/search?zipcode=1000001), and, in the
// second case, a skimmer that sends the postcode along with the email.
func addressLookup(withEmail bool) *observation.Observation {
	o := cleanCheckout()
	doc := o.Target
	lib := shop + "/static/address.js"
	send := func(class string) observation.Leak {
		return observation.Leak{Class: class, Encoding: "raw", Destination: lookup + "/api/search?zipcode=1000001",
			DestinationOrigin: lookup, RequestType: "XHR", Script: lib, DocumentURL: doc, FormActionOrigin: shop, Phase: observation.PhaseInput}
	}
	o.Leaks = append(o.Leaks, send(observation.FieldPostcode))
	if withEmail {
		o.Leaks = append(o.Leaks, send(observation.FieldEmail))
	}
	return o
}

func TestPostcodeOnlySendIsNotAPersonalDataLeak(t *testing.T) {
	opts := Options{PaymentOrigins: []string{psp}}
	tests := []struct {
		name      string
		obs       *observation.Observation
		baseline  bool
		wantKind  string
		wantSev   finding.Severity
		forbidden []string
	}{
		{"a postcode alone sent to an address lookup is low, with no baseline",
			addressLookup(false), false, KindPostcodeOnly, finding.Low, []string{KindPersonalExfil}},
		{"a postcode sent with the email by one script is still a high personal-data leak",
			addressLookup(true), false, KindPersonalExfil, finding.High, []string{KindPostcodeOnly}},
		{"after a baseline that saw the lookup, its postcode is approved",
			addressLookup(false), true, "", 0, []string{KindPostcodeOnly, KindPersonalExfil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base *inventory.PageInventory
			if tt.baseline {
				base = Approve(tt.obs, opts)
			}
			fs := Evaluate(tt.obs, base, opts)
			got := kinds(fs)
			for _, k := range tt.forbidden {
				if _, ok := got[k]; ok {
					t.Errorf("got %s: %v", k, got)
				}
			}
			if tt.wantKind == "" {
				return
			}
			if got[tt.wantKind] != tt.wantSev {
				t.Fatalf("%s at %v, want %v (all: %v)", tt.wantKind, got[tt.wantKind], tt.wantSev, got)
			}
			for _, f := range fs {
				if f.Kind == tt.wantKind && f.Evidence["destination_origin"] != lookup {
					t.Errorf("evidence names %v, want the lookup %s", f.Evidence["destination_origin"], lookup)
				}
			}
		})
	}
}
