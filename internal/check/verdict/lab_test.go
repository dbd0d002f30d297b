package verdict_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// needChromium skips where a developer lacks Chromium, and fails in CI.
func needChromium(t *testing.T) {
	t.Helper()
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium (install Debian's chromium to run the browser tests)", err)
}

// labRig is one lab, one browser and the clean baselines of its pages.
type labRig struct {
	lab  *lab.Lab
	b    *browser.Browser
	opts pagecheck.Options
	pol  verdict.Options

	mu    sync.Mutex
	bases map[string]*inventory.PageInventory // by page path
}

func newLabRig(t *testing.T) *labRig {
	needChromium(t)
	return newLabRigOn(t, launchBrowser(t, 2))
}

func launchBrowser(t *testing.T, checks int) *browser.Browser {
	b, err := browser.Launch(context.Background(), browser.Options{MaxConcurrent: checks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// newLabRigOn starts a lab of its own, checked with the browser b.
func newLabRigOn(t *testing.T, b *browser.Browser) *labRig {
	l, err := lab.Start(context.Background(), lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	opts := pagecheck.DefaultOptions()
	opts.PaymentOrigins = []string{l.PSPOrigin(), l.PSPAPIOrigin()}
	// Longer than the delayed-debounce skimmer waits (4 s) after the last
	// key, as the default (6 s) is: shorter, and it is caught by chance.
	opts.Dwell = 5 * time.Second
	return &labRig{lab: l, b: b, opts: opts, pol: verdict.Options{PaymentOrigins: opts.PaymentOrigins, Site: "lab"}, bases: map[string]*inventory.PageInventory{}}
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
	p := verdict.Approve(o, r.pol)
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

// scenarioWorkers is how many labs check scenarios at once. A check spends
// most of its time waiting (typing pauses, dwell, unload), so a few run
// side by side even on two cores; each lab has its own scenario switch.
const scenarioWorkers = 4

// scenarioResult is one scenario's single check, judged twice.
type scenarioResult struct {
	obs           *observation.Observation
	without, with []finding.Finding
	err           error
}

// target is what a scenario is checked with: its flow when the page alone
// cannot show the theft, and "differential:" when the check must run the
// differential probe.
func scenarioTarget(sc lab.Scenario) string {
	t := sc.Page
	if sc.NeedsFlow {
		t = "flow:" + sc.Flow
	}
	if sc.Differential {
		t = "differential:" + t
	}
	return t
}

// observe checks a page path or a "flow:" target on this rig's lab. It
// returns errors rather than failing, because workers call it off the test
// goroutine.
func (r *labRig) observe(target string) (*observation.Observation, error) {
	check := pagecheck.Check
	if rest, ok := strings.CutPrefix(target, "differential:"); ok {
		check, target = pagecheck.CheckDifferential, rest
	}
	t := pagecheck.Target{URL: r.lab.ShopURL() + target}
	if name, ok := strings.CutPrefix(target, "flow:"); ok {
		src, err := r.lab.Flow(name)
		if err != nil {
			return nil, err
		}
		flow, err := pagecheck.ParseFlow(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("flow %s: %w", name, err)
		}
		t = pagecheck.Target{Flow: flow}
	}
	o, err := check(context.Background(), r.b, t, r.opts)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", target, err)
	}
	return o, nil
}

// baselineOf approves the clean target once per rig.
func (r *labRig) baselineOf(target string) (*inventory.PageInventory, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.bases[target]; ok {
		return p, nil
	}
	if err := r.lab.SetScenario(""); err != nil {
		return nil, err
	}
	o, err := r.observe(target)
	if err != nil {
		return nil, err
	}
	if !o.Complete {
		return nil, fmt.Errorf("clean check of %s incomplete: %v", target, o.Incomplete)
	}
	p := verdict.Approve(o, r.pol)
	r.bases[target] = p
	return p, nil
}

// honeyKind is the finding a scenario's theft must produce with no
// baseline, and its severity.
func honeyKind(sc lab.Scenario) (string, finding.Severity) {
	switch {
	case sc.Steals == lab.StealsCard && sc.Differential:
		return verdict.KindDisguisedExfil, finding.Critical
	}
	switch sc.Steals {
	case lab.StealsCard:
		return verdict.KindCardExfil, finding.Critical
	case lab.StealsPersonal:
		return verdict.KindPersonalExfil, finding.High
	}
	return "", 0
}

// withBaselineKind is what scenarios that steal nothing must raise against
// the clean baseline.
var withBaselineKind = map[string]string{
	"headers-weakened": verdict.KindHeaderRemoved,
	"dead-loader":      verdict.KindScriptNew,
}

// TestEveryScenarioIsCaught is the bar. Each scenario is checked
// once; its observation is judged with no baseline (day one: the shop may
// already be skimmed) and against the clean baseline. With no baseline,
// every theft is found from the honey evidence alone, by its kind; every
// benign variant stays below high, and below medium with the baseline.
func TestEveryScenarioIsCaught(t *testing.T) {
	needChromium(t)
	scenarios := lab.Scenarios()
	if n := countTamper(scenarios); n < 12 {
		t.Fatalf("the lab has %d tampering scenarios, want at least 12", n)
	}
	// Contiguous runs of one target share a lab, so each lab approves few
	// clean targets.
	order := slices.Clone(scenarios)
	slices.SortStableFunc(order, func(a, b lab.Scenario) int { return strings.Compare(scenarioTarget(a), scenarioTarget(b)) })
	results := make(map[string]*scenarioResult, len(order))
	var mu sync.Mutex
	var wg sync.WaitGroup
	per := (len(order) + scenarioWorkers - 1) / scenarioWorkers
	b := launchBrowser(t, scenarioWorkers)
	for w := 0; w*per < len(order); w++ {
		share := order[w*per : min((w+1)*per, len(order))]
		r := newLabRigOn(t, b)
		wg.Go(func() {
			for _, sc := range share {
				res := r.runScenario(sc)
				mu.Lock()
				results[sc.Name] = res
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	var table strings.Builder
	for _, sc := range scenarios {
		res := results[sc.Name]
		t.Run(sc.Name, func(t *testing.T) {
			if res.err != nil {
				t.Fatal(res.err)
			}
			fmt.Fprintf(&table, "\n| %s | %s | %s |", sc.Name, top(res.without), top(res.with))
			if !res.obs.Complete {
				t.Fatalf("incomplete check: %v", res.obs.Incomplete)
			}
			if sc.Benign {
				if rep := (finding.Report{Findings: res.without}); rep.AtOrAbove(finding.High) > 0 {
					t.Errorf("benign variant %q with no baseline raised findings:%s", sc.Name, summarize(res.without))
				}
				with := res.with
				if sc.AddsVendor {
					// The vendor's script is new against the old baseline, rightly.
					with = slices.DeleteFunc(slices.Clone(with), func(f finding.Finding) bool { return f.Kind == verdict.KindScriptNew })
				}
				if rep := (finding.Report{Findings: with}); rep.AtOrAbove(finding.Medium) > 0 {
					t.Errorf("benign variant %q against its baseline raised findings:%s", sc.Name, summarize(with))
				}
				return
			}
			if kind, sev := honeyKind(sc); kind != "" {
				for name, fs := range map[string][]finding.Finding{"with no baseline": res.without, "against the clean baseline": res.with} {
					if !hasKind(fs, kind, sev) {
						t.Errorf("%s (%s) %s: no %s %s finding; findings:%s", sc.Name, sc.Technique, name, sev, kind, summarize(fs))
					}
				}
				return
			}
			kind, ok := withBaselineKind[sc.Name]
			if !ok {
				t.Fatalf("scenario %q steals nothing and names no finding it must raise: add it to withBaselineKind", sc.Name)
			}
			if !hasKind(res.with, kind, finding.High) {
				t.Errorf("%s against the clean baseline: no high %s finding; findings:%s", sc.Name, kind, summarize(res.with))
			}
		})
	}
	t.Logf("detection table (scenario | no baseline | with baseline):%s", table.String())
}

// runScenario checks one scenario once, on this rig's lab, and judges the
// observation with and without the clean baseline.
func (r *labRig) runScenario(sc lab.Scenario) *scenarioResult {
	target := scenarioTarget(sc)
	// The baseline comes from a plain check: what is approved does not
	// depend on how many passes the probe runs.
	base, err := r.baselineOf(strings.TrimPrefix(target, "differential:"))
	if err != nil {
		return &scenarioResult{err: err}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.lab.SetScenario(sc.Name); err != nil {
		return &scenarioResult{err: err}
	}
	defer r.lab.SetScenario("")
	o, err := r.observe(target)
	if err != nil {
		return &scenarioResult{err: err}
	}
	return &scenarioResult{obs: o, without: verdict.Evaluate(o, nil, r.pol), with: verdict.Evaluate(o, base, r.pol)}
}

// hasKind reports a finding of kind at exactly sev.
func hasKind(fs []finding.Finding, kind string, sev finding.Severity) bool {
	return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Kind == kind && f.Severity == sev })
}

// top names the most severe findings: severity and kinds.
func top(fs []finding.Finding) string {
	var best finding.Severity
	for _, f := range fs {
		best = max(best, f.Severity)
	}
	if best < finding.Medium {
		return fmt.Sprintf("%s (none at medium or above)", best)
	}
	var ks []string
	for _, f := range fs {
		if f.Severity == best && !slices.Contains(ks, f.Kind) {
			ks = append(ks, f.Kind)
		}
	}
	slices.Sort(ks)
	return fmt.Sprintf("%s %s", best, strings.Join(ks, ", "))
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
	for _, f := range verdict.Evaluate(o, base, r.pol) {
		if f.Kind == verdict.KindCardExfil {
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
			base := verdict.Approve(clean, r.pol)
			orders, charges := len(r.lab.Orders()), len(r.lab.Charges())
			again := r.checkFlow(t, tt.flow)
			if rep := (finding.Report{Findings: verdict.Evaluate(again, base, r.pol)}); rep.AtOrAbove(finding.Medium) > 0 {
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
			fs := verdict.Evaluate(o, base, r.pol)
			rep := finding.Report{Findings: fs}
			if rep.AtOrAbove(finding.High) == 0 {
				t.Fatalf("%s through %s not detected at high or critical:%s", tt.scenario, tt.flow, summarize(fs))
			}
			gotCard := false
			for _, f := range fs {
				gotCard = gotCard || f.Kind == verdict.KindCardExfil
			}
			if tt.wantCard && !gotCard {
				t.Errorf("no card exfiltration found through the flow:%s", summarize(fs))
			}
		})
	}
}
