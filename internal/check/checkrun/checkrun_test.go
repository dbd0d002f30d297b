package checkrun

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
)

const page = "https://shop.example/checkout"

func obs(complete bool, reasons ...string) *observation.Observation {
	return &observation.Observation{Target: page, Complete: complete, Incomplete: reasons,
		Scripts: []observation.Script{{Key: "1", URL: "https://shop.example/app.js", Kind: "external", DocumentURL: page, SHA256: "aa", Fingerprint: "aa"}}}
}

func TestApprove(t *testing.T) {
	tests := []struct {
		name     string
		obs      []*observation.Observation
		wantErr  error
		approved bool
	}{
		{"a complete check is approved into the baseline", []*observation.Observation{obs(true)}, nil, true},
		{"an incomplete check is refused and nothing is approved", []*observation.Observation{obs(false, "timeout")}, ErrIncomplete, false},
		{"one incomplete check among complete ones refuses them all", []*observation.Observation{obs(true), obs(false, "timeout")}, ErrIncomplete, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := inventory.New(time.Now())
			err := Approve(b, tt.obs, verdict.Options{}, time.Now())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := b.Page(page) != nil; got != tt.approved {
				t.Errorf("page approved = %v, want %v", got, tt.approved)
			}
		})
	}
}

func TestEvaluateNeverReportsAnIncompleteCheckAsComplete(t *testing.T) {
	tests := []struct {
		name    string
		o       *observation.Observation
		reasons []string
	}{
		{"a reason is kept under the target's name", obs(false, "load timeout"), []string{page + ": load timeout"}},
		{"an incomplete check with no reason still says it was incomplete", obs(false), []string{page + ": incomplete"}},
		{"a complete check adds no reason", obs(true), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &finding.Report{Complete: true}
			Evaluate(r, []*observation.Observation{tt.o}, nil, verdict.Options{})
			if r.Complete != (tt.reasons == nil) || !slices.Equal(r.Incomplete, tt.reasons) {
				t.Errorf("complete %v, reasons %q; want %q", r.Complete, r.Incomplete, tt.reasons)
			}
			if !slices.Equal(r.Targets, []string{page}) {
				t.Errorf("targets %q", r.Targets)
			}
		})
	}
}

func TestDifferentialAutoFindsAnApprovedFlow(t *testing.T) {
	flow := Target{Name: "flow:checkout", Target: pagecheck.Target{Flow: &pagecheck.Flow{Name: "checkout", Start: page}}}
	// Approve files the flow's observation under its target name, as a
	// real check run does.
	base := inventory.New(time.Now())
	o := &observation.Observation{Target: flow.Name, Complete: true}
	if err := Approve(base, []*observation.Observation{o}, verdict.Options{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if Differential("auto", base, flow) {
		t.Errorf("auto runs the differential passes for flow %q although the baseline approved it (pages %v)", flow.BaselineKey(), keys(base))
	}
	other := Target{Name: "flow:register", Target: pagecheck.Target{Flow: &pagecheck.Flow{Name: "register", Start: page}}}
	if !Differential("auto", base, other) {
		t.Errorf("auto skips the differential passes for flow %q, which the baseline has not approved", other.BaselineKey())
	}
}

func keys(b *inventory.Baseline) []string {
	var ks []string
	for k := range b.Pages {
		ks = append(ks, k)
	}
	return ks
}
