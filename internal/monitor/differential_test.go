package monitor

import (
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/config"
)

func TestCheckJobsCarryTheirDifferentialMode(t *testing.T) {
	cfg, err := config.ParseWith(strings.NewReader(`sites:
  - name: shop
    differential: never
    pages:
      - url: https://shop.example/cart
      - url: https://shop.example/checkout
        differential: always
    flows:
      - file: /etc/skimwatch/pay.yaml
  - name: other
    pages:
      - url: https://other.example/
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"https://shop.example/cart":     "never",
		"https://shop.example/checkout": "always",
		"flow:/etc/skimwatch/pay.yaml":  "never",
		"https://other.example/":        "auto",
	}
	for _, j := range Jobs(cfg) {
		c, ok := j.Args.(CheckArgs)
		if !ok {
			continue
		}
		if c.Differential != want[c.target()] {
			t.Errorf("%s: differential %q, want %q", c.target(), c.Differential, want[c.target()])
		}
		delete(want, c.target())
	}
	if len(want) != 0 {
		t.Errorf("no check job for %v", want)
	}
}

func TestCheckTargetRunsTheDifferentialPassesAsTheModeSays(t *testing.T) {
	const url = "https://shop.example/checkout"
	approved := &inventory.Baseline{Pages: map[string]*inventory.PageInventory{url: {}}}
	other := &inventory.Baseline{Pages: map[string]*inventory.PageInventory{"https://shop.example/cart": {}}}
	tests := []struct {
		name string
		mode string
		base *inventory.Baseline
		want bool
	}{
		{"auto runs them while there is no baseline at all", "auto", nil, true},
		{"auto runs them while the baseline has not approved this page", "auto", other, true},
		{"auto leaves them out once the page is approved", "auto", approved, false},
		{"a job queued before the mode existed is auto", "", nil, true},
		{"a job queued before the mode existed leaves them out for an approved page", "", approved, false},
		{"always runs them on an approved page", "always", approved, true},
		{"never leaves them out with no baseline", "never", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckArgs{Site: "shop", URL: url, Differential: tt.mode}.checkTarget(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			if got.Differential != tt.want {
				t.Errorf("differential = %v, want %v", got.Differential, tt.want)
			}
			if got.Name != url {
				t.Errorf("target %q, want %q", got.Name, url)
			}
		})
	}
}
