package policy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/browser"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/inventory"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/observation"
	"github.com/skimwatch/skimwatch/internal/pagecheck"
	"github.com/skimwatch/skimwatch/internal/policy"
)

// needChromium skips where a developer lacks Chromium, and fails in CI.
func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	if _, err := browser.FindChromium(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but Chromium is missing: %v", err)
		}
		t.Skipf("Chromium is not installed (%v); install Debian's chromium to run the browser tests", err)
	}
}

// labRig is one lab, one browser and the clean baselines of its pages.
type labRig struct {
	lab  *lab.Lab
	b    *browser.Browser
	opts pagecheck.Options
	pol  policy.Options

	mu    sync.Mutex
	bases map[string]*inventory.PageInventory // by page path
}

func newLabRig(t *testing.T) *labRig {
	needChromium(t)
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	b, err := browser.Launch(ctx, browser.Options{MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = []string{l.PSPOrigin(), l.PSPAPIOrigin()}
	opts.Dwell = 3 * time.Second
	return &labRig{lab: l, b: b, opts: opts, pol: policy.Options{PaymentOrigins: opts.PaymentOrigins, Site: "lab"}, bases: map[string]*inventory.PageInventory{}}
}

func (r *labRig) check(t *testing.T, path string) *observation.Observation {
	t.Helper()
	o, err := pagecheck.Check(context.Background(), r.b, pagecheck.Target{URL: r.lab.ShopURL() + path}, r.opts)
	if err != nil {
		t.Fatalf("check %s: %v", path, err)
	}
	return o
}

// baseline approves the clean page once per path; the scenario lock below
// guarantees the lab is clean while it runs.
func (r *labRig) baseline(t *testing.T, path string) *inventory.PageInventory {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.bases[path]; ok {
		return p
	}
	if err := r.lab.SetScenario(""); err != nil {
		t.Fatal(err)
	}
	o := r.check(t, path)
	if !o.Complete {
		t.Fatalf("clean check of %s incomplete: %v", path, o.Incomplete)
	}
	p := policy.Approve(o, r.pol)
	r.bases[path] = p
	return p
}

func summarize(fs []finding.Finding) string {
	s := ""
	for _, f := range fs {
		if f.Severity >= finding.Medium {
			s += fmt.Sprintf("\n  %s %s: %s", f.Severity, f.Kind, f.Message)
		}
	}
	return s
}

// TestEveryScenarioIsCaught is the bar: every tampering scenario is
// detected at high or critical, and every benign variant is clean after a
// baseline. Scenarios run one at a time because the lab has one switch.
func TestEveryScenarioIsCaught(t *testing.T) {
	r := newLabRig(t)
	scenarios := lab.Scenarios()
	if n := countTamper(scenarios); n < 12 {
		t.Fatalf("the lab has %d tampering scenarios, want at least 12", n)
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			base := r.baseline(t, sc.Page)
			if err := r.lab.SetScenario(sc.Name); err != nil {
				t.Fatal(err)
			}
			defer r.lab.SetScenario("")
			r.lab.Attacker().Reset()
			o := r.check(t, sc.Page)
			fs := policy.Evaluate(o, base, r.pol)
			rep := finding.Report{Findings: fs}
			if !o.Complete {
				t.Fatalf("incomplete check: %v", o.Incomplete)
			}
			if sc.Benign {
				if rep.AtOrAbove(finding.Medium) > 0 {
					t.Errorf("benign variant %q raised findings:%s", sc.Name, summarize(fs))
				}
				return
			}
			if rep.AtOrAbove(finding.High) == 0 {
				t.Errorf("scenario %q (%s) not detected at high or critical; attacker received %d request(s); findings:%s",
					sc.Name, sc.Technique, len(r.lab.Attacker().Received()), summarize(fs))
			}
		})
	}
}

func countTamper(ss []lab.Scenario) int {
	n := 0
	for _, s := range ss {
		if !s.Benign {
			n++
		}
	}
	return n
}

// TestSeedAttackLeaksTheCardToTheAttacker checks the seed incident end to end
// on both sides: the attacker's collector really received the honey card,
// and the check names the destination and the script.
func TestSeedAttackLeaksTheCardToTheAttacker(t *testing.T) {
	r := newLabRig(t)
	base := r.baseline(t, "/checkout/link")
	if err := r.lab.SetScenario("fake-card-form"); err != nil {
		t.Fatal(err)
	}
	defer r.lab.SetScenario("")
	r.lab.Attacker().Reset()
	o := r.check(t, "/checkout/link")
	var card *finding.Finding
	for _, f := range policy.Evaluate(o, base, r.pol) {
		if f.Kind == policy.KindCardExfil {
			card = &f
		}
	}
	if card == nil {
		t.Fatalf("no card exfiltration finding; leaks: %+v", o.Leaks)
	}
	if got := card.Evidence["destination_origin"]; got != r.lab.AttackerOrigin() {
		t.Errorf("destination %v, want the attacker %s", got, r.lab.AttackerOrigin())
	}
	if len(r.lab.Attacker().Received()) == 0 {
		t.Error("the attacker's collector received nothing: the scenario did not really exfiltrate")
	}
	if o.Probe == nil || o.Probe.Values[observation.FieldCardNumber] == "" {
		t.Fatal("the probe typed no card")
	}
	for _, ord := range r.lab.Orders() {
		if ord.Time.After(o.StartedAt) {
			t.Errorf("the probe completed a real order: %+v", ord)
		}
	}
}

// checkFlow runs one of the lab's flows.
func (r *labRig) checkFlow(t *testing.T, name string) *observation.Observation {
	t.Helper()
	src, err := r.lab.Flow(name)
	if err != nil {
		t.Fatal(err)
	}
	flow, err := pagecheck.ParseFlow(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("flow %s: %v", name, err)
	}
	o, err := pagecheck.Check(context.Background(), r.b, pagecheck.Target{Flow: flow}, r.opts)
	if err != nil {
		t.Fatalf("flow %s: %v", name, err)
	}
	return o
}

// TestFlowsCatchWhatOnePageCannot runs the realistic journeys (catalogue,
// cart, checkout, provider) and checks the scenarios whose data leaves only
// on a later page. The clean journey is approved first and must then check
// clean, without a real order or charge.
func TestFlowsCatchWhatOnePageCannot(t *testing.T) {
	r := newLabRig(t)
	tests := []struct {
		flow, scenario string
		wantCard       bool
	}{
		{"link-checkout", "fake-card-form", true},
		{"token-then-home", "localstorage-later", true},
		{"registration", "registration-leak", false},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+" through "+tt.flow, func(t *testing.T) {
			if err := r.lab.SetScenario(""); err != nil {
				t.Fatal(err)
			}
			clean := r.checkFlow(t, tt.flow)
			if !clean.Complete {
				t.Fatalf("clean flow incomplete: %v", clean.Incomplete)
			}
			base := policy.Approve(clean, r.pol)
			orders, charges := len(r.lab.Orders()), len(r.lab.Charges())
			again := r.checkFlow(t, tt.flow)
			if rep := (finding.Report{Findings: policy.Evaluate(again, base, r.pol)}); rep.AtOrAbove(finding.Medium) > 0 {
				t.Errorf("the clean flow checked again raised findings:%s", summarize(rep.Findings))
			}
			if len(r.lab.Orders()) != orders || len(r.lab.Charges()) != charges {
				t.Errorf("the probe completed a real order or charge (%d->%d orders, %d->%d charges)",
					orders, len(r.lab.Orders()), charges, len(r.lab.Charges()))
			}

			if err := r.lab.SetScenario(tt.scenario); err != nil {
				t.Fatal(err)
			}
			defer r.lab.SetScenario("")
			o := r.checkFlow(t, tt.flow)
			fs := policy.Evaluate(o, base, r.pol)
			rep := finding.Report{Findings: fs}
			if rep.AtOrAbove(finding.High) == 0 {
				t.Fatalf("%s through %s not detected at high or critical:%s", tt.scenario, tt.flow, summarize(fs))
			}
			gotCard := false
			for _, f := range fs {
				gotCard = gotCard || f.Kind == policy.KindCardExfil
			}
			if tt.wantCard && !gotCard {
				t.Errorf("no card exfiltration found through the flow:%s", summarize(fs))
			}
		})
	}
}
