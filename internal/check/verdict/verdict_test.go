package verdict

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

const (
	shop     = "http://127.0.0.1:8000"
	psp      = "http://127.0.0.1:8001"
	attacker = "http://127.0.0.1:8002"
)

func cleanCheckout() *observation.Observation {
	doc := shop + "/checkout/link"
	return &observation.Observation{
		Target:   doc,
		Complete: true,
		Pages: []observation.Page{{URL: doc, Status: 200, Headers: map[string]string{
			"content-security-policy-report-only": "script-src 'self'; report-uri /csp", "x-frame-options": "DENY"}}},
		Scripts: []observation.Script{
			{URL: shop + "/static/jquery.js", Kind: observation.ScriptExternal, DocumentURL: doc, Fingerprint: inventory.Fingerprint("jq()")},
		},
		Requests: []observation.Request{{URL: shop + "/static/jquery.js", Type: "Script", Phase: observation.PhaseLoad}},
		Forms: []observation.Form{{DocumentURL: doc, Action: psp + "/pay", Fields: []observation.Field{
			{Name: "email", Class: observation.FieldEmail}}}},
		Probe: &observation.Probe{Filled: []observation.FilledField{{DocumentURL: doc, Field: "email", Class: observation.FieldEmail}}},
	}
}

// seedAttack is the 2021 incident: a fake card form on the merchant's page,
// whose script sends the card to the attacker before the real redirect.
func seedAttack() *observation.Observation {
	o := cleanCheckout()
	doc := o.Target
	skim := shop + "/static/jquery.js"
	o.Scripts[0].Fingerprint = inventory.Fingerprint("jq();skim()")
	o.Forms = append(o.Forms, observation.Form{DocumentURL: doc, Fields: []observation.Field{
		{Name: "cardno", Class: observation.FieldCardNumber}, {Name: "cvv", Class: observation.FieldCVV}}})
	o.Requests = append(o.Requests, observation.Request{URL: attacker + "/c", Method: "POST", Type: "Ping", Phase: observation.PhaseUnload})
	o.Leaks = []observation.Leak{
		{Class: observation.FieldCardNumber, Encoding: "base64", Destination: attacker + "/c", DestinationOrigin: attacker, RequestType: "Ping", Script: skim, DocumentURL: doc, Phase: observation.PhaseUnload},
		{Class: observation.FieldCVV, Encoding: "base64", Destination: attacker + "/c", DestinationOrigin: attacker, RequestType: "Ping", Script: skim, DocumentURL: doc, Phase: observation.PhaseUnload},
		{Class: observation.FieldEmail, Encoding: "base64", Destination: attacker + "/c", DestinationOrigin: attacker, RequestType: "Ping", Script: skim, DocumentURL: doc, FormActionOrigin: psp, Phase: observation.PhaseUnload},
		{Class: observation.FieldCardNumber, Encoding: "raw", Destination: psp + "/pay", DestinationOrigin: psp, RequestType: "Document", DocumentURL: psp + "/hosted", Phase: observation.PhaseInput, Blocked: true},
	}
	o.Pages[0].Headers = map[string]string{"x-frame-options": "DENY"}
	return o
}

func kinds(fs []finding.Finding) map[string]finding.Severity {
	m := map[string]finding.Severity{}
	for _, f := range fs {
		m[f.Kind] = f.Severity
	}
	return m
}

func TestEvaluate(t *testing.T) {
	base := inventory.FromObservation(cleanCheckout())
	opts := Options{PaymentOrigins: []string{psp}}
	tests := []struct {
		name string
		obs  *observation.Observation
		base *inventory.PageInventory
		want map[string]finding.Severity
		none []string
	}{
		{"the clean page against its own baseline raises nothing above info",
			cleanCheckout(), base, map[string]finding.Severity{}, []string{KindCardExfil, KindScriptChanged}},
		{"the seed attack is critical for the card and high for the rest",
			seedAttack(), base, map[string]finding.Severity{
				KindCardExfil:      finding.Critical,
				KindCardFieldsNew:  finding.Critical,
				KindPersonalExfil:  finding.High,
				KindScriptChanged:  finding.High,
				KindDestinationNew: finding.High,
				KindHeaderRemoved:  finding.High,
				KindCardToPayment:  finding.Info,
			}, nil},
		{"without a baseline the card leak is still critical",
			seedAttack(), nil, map[string]finding.Severity{KindCardExfil: finding.Critical, KindPersonalExfil: finding.High}, []string{KindScriptChanged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kinds(Evaluate(tt.obs, tt.base, opts))
			for k, sev := range tt.want {
				if got[k] != sev {
					t.Errorf("%s: severity %v, want %v (all: %v)", k, got[k], sev, got)
				}
			}
			for _, k := range tt.none {
				if _, ok := got[k]; ok {
					t.Errorf("unexpected %s", k)
				}
			}
			for k, s := range got {
				if len(tt.want) == 0 && s > finding.Low {
					t.Errorf("unexpected %s at %v", k, s)
				}
			}
		})
	}
}

func TestCardToAnUndeclaredOriginIsCritical(t *testing.T) {
	o := seedAttack()
	got := kinds(Evaluate(o, nil, Options{}))
	if got[KindCardExfil] != finding.Critical {
		t.Fatalf("without payment origins, a card anywhere is critical: %v", got)
	}
}

func TestApprovedDataDestinationIsNotALeak(t *testing.T) {
	o := seedAttack()
	base := inventory.FromObservation(cleanCheckout())
	base.ApproveData(inventory.DataDestination{Class: observation.FieldEmail, Origin: attacker})
	for _, f := range Evaluate(o, base, Options{PaymentOrigins: []string{psp}}) {
		if f.Kind == KindPersonalExfil {
			t.Fatalf("approved destination reported: %+v", f)
		}
	}
}

// TestCheckReportGolden pins the JSON contract of `skimwatch check`.
func TestCheckReportGolden(t *testing.T) {
	base := inventory.FromObservation(cleanCheckout())
	r := &finding.Report{Tool: "skimwatch", Version: "test", Command: "check", Targets: []string{shop + "/checkout/link"}, Complete: true,
		Findings: Evaluate(seedAttack(), base, Options{PaymentOrigins: []string{psp}, Site: "lab"})}
	r.Sort()
	var buf bytes.Buffer
	if err := finding.RenderJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	testsupport.Golden(t, filepath.Join("testdata", "seed-attack.golden.json"), buf.Bytes())
	for _, fmtName := range []finding.Format{finding.FormatTable, finding.FormatSARIF} {
		var out bytes.Buffer
		if err := finding.Render(&out, r, fmtName); err != nil || !strings.Contains(out.String(), KindCardExfil) {
			t.Errorf("%s render: %v\n%s", fmtName, err, out.String())
		}
	}
}

func TestApproveTakesOnlyExpectedDataDestinations(t *testing.T) {
	p := Approve(seedAttack(), Options{PaymentOrigins: []string{psp}})
	if !p.DataApproved(observation.FieldCardNumber, psp) {
		t.Error("the card going to the payment origin must be approved")
	}
	for _, class := range []string{observation.FieldCardNumber, observation.FieldCVV, observation.FieldEmail} {
		if p.DataApproved(class, attacker) {
			t.Errorf("%s going to the attacker was approved", class)
		}
	}
}

// cardFrameOn is the clean checkout with a hosted-fields frame from origin.
func cardFrameOn(origin string) *observation.Observation {
	o := cleanCheckout()
	frame := origin + "/hosted-fields"
	o.Frames = append(o.Frames, observation.Frame{ID: "F2", URL: frame, Origin: origin, Kind: "iframe"})
	o.Forms = append(o.Forms, observation.Form{DocumentURL: frame, FrameID: "F2", FrameOrigin: origin, Fields: []observation.Field{
		{Name: "number", Class: observation.FieldCardNumber}, {Name: "cvc", Class: observation.FieldCVV}}})
	return o
}

// handoffTo is the clean checkout whose payment form now submits to
// origin, and the page the probe landed on when it followed the hand-off.
func handoffTo(origin string) *observation.Observation {
	o := cleanCheckout()
	o.Forms[0].Action = origin + "/pay"
	o.Pages = append(o.Pages, observation.Page{URL: origin + "/pay", Status: 200, Step: 2})
	return o
}

// visitedForeign is a flow that goes on to another site by its own visit
// step.
func visitedForeign() *observation.Observation {
	o := cleanCheckout()
	o.Pages = append(o.Pages, observation.Page{URL: attacker + "/landing", Status: 200, Step: 3, Visited: true})
	return o
}

// deadLoader is the clean checkout with a script element whose load failed.
func deadLoader(failed string, status int) *observation.Observation {
	o := cleanCheckout()
	o.Requests = append(o.Requests, observation.Request{URL: "http://127.0.0.1:1/loader.js", Type: "Script",
		DocumentURL: o.Target, Phase: observation.PhaseLoad, Failed: failed, Status: status})
	return o
}

func TestDayOneRulesNeedNoBaseline(t *testing.T) {
	opts := Options{PaymentOrigins: []string{psp}}
	base := Approve(cleanCheckout(), opts)
	tests := []struct {
		name   string
		obs    *observation.Observation
		base   *inventory.PageInventory
		kind   string
		want   finding.Severity // 0 (Info) with absent=true means "must not appear"
		absent bool
	}{
		{"card fields in a frame on an unknown origin are critical without a baseline",
			cardFrameOn(attacker), nil, KindCardFieldsForeign, finding.Critical, false},
		{"card fields in a frame on an unknown origin are critical with a baseline too",
			cardFrameOn(attacker), base, KindCardFieldsForeign, finding.Critical, false},
		{"card fields in the payment provider's frame are not foreign",
			cardFrameOn(psp), nil, KindCardFieldsForeign, 0, true},
		{"card fields on the shop's own page are not foreign",
			seedAttack(), nil, KindCardFieldsForeign, 0, true},
		{"a payment hand-off to an unknown origin is critical without a baseline",
			handoffTo(attacker), nil, KindHandoffForeign, finding.Critical, false},
		{"a payment hand-off to an unknown origin is critical with a baseline",
			handoffTo(attacker), base, KindHandoffForeign, finding.Critical, false},
		{"a hand-off to the payment provider is no finding",
			cleanCheckout(), nil, KindHandoffForeign, 0, true},
		{"a hand-off to the shop itself is no finding",
			handoffTo(shop), nil, KindHandoffForeign, 0, true},
		{"a page a flow visits on its own is no hand-off",
			visitedForeign(), nil, KindHandoffForeign, 0, true},
		{"a script element whose domain does not resolve is a new script",
			deadLoader("net::ERR_NAME_NOT_RESOLVED", 0), base, KindScriptNew, finding.High, false},
		{"a script element whose server refused is a new script",
			deadLoader("net::ERR_CONNECTION_REFUSED", 0), base, KindScriptNew, finding.High, false},
		{"a script element answered with 404 is a new script",
			deadLoader("", 404), base, KindScriptNew, finding.High, false},
		{"a failed script load with no baseline is no new-script finding",
			deadLoader("net::ERR_CONNECTION_REFUSED", 0), nil, KindScriptNew, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Evaluate(tt.obs, tt.base, opts)
			got, ok := kinds(fs)[tt.kind]
			switch {
			case tt.absent && ok:
				t.Errorf("unexpected %s at %v:%v", tt.kind, got, fs)
			case !tt.absent && (!ok || got != tt.want):
				t.Errorf("%s: present %v, severity %v, want %v; all: %v", tt.kind, ok, got, tt.want, kinds(fs))
			}
		})
	}
}

func TestAFailedLoaderNamesItsURLAndFailure(t *testing.T) {
	opts := Options{PaymentOrigins: []string{psp}}
	fs := Evaluate(deadLoader("net::ERR_NAME_NOT_RESOLVED", 0), Approve(cleanCheckout(), opts), opts)
	for _, f := range fs {
		if f.Kind == KindScriptNew {
			if f.Evidence["url"] != "http://127.0.0.1:1/loader.js" || f.Evidence["load_failed"] != "net::ERR_NAME_NOT_RESOLVED" {
				t.Errorf("evidence %v", f.Evidence)
			}
			return
		}
	}
	t.Fatalf("no %s in %v", KindScriptNew, kinds(fs))
}

func TestDisguisedSendsAreCriticalWithDifferentialEvidence(t *testing.T) {
	opts := Options{PaymentOrigins: []string{psp}}
	send := func(origin string) *observation.Observation {
		o := cleanCheckout()
		o.DifferentialPasses = 3
		o.Disguised = []observation.DisguisedSend{{Destination: origin + "/api/v1/metrics", DestinationOrigin: origin,
			Method: "POST", RequestType: "Fetch", Script: o.Target, DocumentURL: o.Target, Phase: observation.PhaseInput, Lengths: [3]int{90, 90, 90}}}
		return o
	}
	tests := []struct {
		name   string
		obs    *observation.Observation
		base   *inventory.PageInventory
		absent bool
	}{
		{"a disguised send to an unknown origin is critical with no baseline", send(attacker), nil, false},
		{"a disguised send to an unknown origin is critical with a baseline", send(attacker), Approve(cleanCheckout(), opts), false},
		{"a disguised send to the shop itself is critical: the shop must not receive the card", send(shop), nil, false},
		{"a send to the payment provider that follows the card is expected", send(psp), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *finding.Finding
			for _, f := range Evaluate(tt.obs, tt.base, opts) {
				if f.Kind == KindDisguisedExfil {
					got = &f
				}
			}
			switch {
			case tt.absent && got != nil:
				t.Fatalf("unexpected %+v", got)
			case tt.absent:
			case got == nil:
				t.Fatalf("no %s", KindDisguisedExfil)
			case got.Severity != finding.Critical || got.Evidence["evidence"] != "differential" ||
				!strings.Contains(got.Message, "disguised"):
				t.Errorf("finding %v %q evidence %v", got.Severity, got.Message, got.Evidence)
			}
		})
	}
}

func TestAScriptThatFailedWhenApprovedIsNotNewLater(t *testing.T) {
	opts := Options{PaymentOrigins: []string{psp}}
	stale := deadLoader("net::ERR_NAME_NOT_RESOLVED", 0) // an old tag whose domain died long ago
	base := Approve(stale, opts)
	if got := kinds(Evaluate(deadLoader("net::ERR_NAME_NOT_RESOLVED", 0), base, opts)); got[KindScriptNew] != 0 || hasKindIn(got, KindScriptNew) {
		t.Errorf("the approved dead script is reported again: %v", got)
	}
	// The domain comes back and serves code: that is a change.
	back := cleanCheckout()
	back.Scripts = append(back.Scripts, observation.Script{URL: "http://127.0.0.1:1/loader.js", Kind: observation.ScriptExternal,
		DocumentURL: back.Target, Fingerprint: inventory.Fingerprint("skim()")})
	if got := kinds(Evaluate(back, base, opts)); got[KindScriptChanged] != finding.High {
		t.Errorf("a dead script that comes back is not reported as changed: %v", got)
	}
}

func hasKindIn(m map[string]finding.Severity, kind string) bool {
	_, ok := m[kind]
	return ok
}
