package pagecheck

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func TestParseFlow(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; "" means valid
	}{
		{"a flow with every step kind parses", `name: all
start: https://shop.example/
steps:
  - visit: /cart
  - click: "#go"
  - fill: {selector: "#email", class: email}
  - fill: {selector: "#coupon", value: SPRING}
  - probe: true
  - submit: "#pay"
  - wait: 1500ms
  - expect: "#done"
  - block: "POST */order"
  - allow: "POST /cart/add"
`, ""},
		{"a flow may name the shop's other origins", "start: https://shop.example/\nshop_origins: [https://api.shop.example, 'http://127.0.0.1:8080/']\nsteps:\n  - visit: /\n", ""},
		{"a shop origin with a path is rejected", "start: https://shop.example/\nshop_origins: [https://api.shop.example/v1]\nsteps: []\n", "shop_origins:"},
		{"an allow rule needs a method", "start: https://a.example/\nsteps:\n  - visit: /\n  - allow: /cart/add\n", "steps[1].allow (line 4)"},
		{"an allow rule for GET names pages a click may load after arming", "start: https://a.example/\nsteps:\n  - allow: GET /products/*\n", ""},
		{"an allow rule for HEAD is pointless and rejected", "start: https://a.example/\nsteps:\n  - allow: HEAD /search\n", "HEAD requests are never failed"},
		{"an allow rule needs a path or an http(s) URL", "start: https://a.example/\nsteps:\n  - allow: POST cart/add\n", "want a path"},
		{"errors name the step's line", "start: https://a.example/\nsteps:\n  - visit: /\n\n  - wait: 2m\n", "steps[1].wait (line 5)"},
		{"a missing start is an error naming the field", "steps: []\n", "start: missing"},
		{"a start that is not http(s) is rejected", "start: javascript:alert(1)\n", "start:"},
		{"unknown keys are errors", "start: https://a.example/\nsteps:\n  - vist: /x\n", "field vist not found"},
		{"a step with two actions is rejected", "start: https://a.example/\nsteps:\n  - {visit: /, click: a}\n", "steps[0] (line 3): want exactly one action"},
		{"an empty step is rejected", "start: https://a.example/\nsteps:\n  - {}\n", "found 0"},
		{"fill needs a selector", "start: https://a.example/\nsteps:\n  - fill: {class: email}\n", "steps[0].fill.selector (line 3): missing"},
		{"fill with an unknown class is rejected", "start: https://a.example/\nsteps:\n  - fill: {selector: a, class: ssn}\n", "unknown class"},
		{"a literal card number is never typed", "start: https://a.example/\nsteps:\n  - fill: {selector: a, value: '4242 4242 4242 4242'}\n", "looks like a card number"},
		{"a wait over a minute is rejected", "start: https://a.example/\nsteps:\n  - wait: 2m\n", "steps[0].wait"},
		{"a wait that is not a duration is rejected", "start: https://a.example/\nsteps:\n  - wait: soon\n", "invalid flow"},
		{"a block rule needs a method and a glob", "start: https://a.example/\nsteps:\n  - block: /order\n", "steps[0].block"},
		{"a visit to a non-http URL is rejected", "start: https://a.example/\nsteps:\n  - visit: 'file:///etc/passwd'\n", "steps[0].visit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFlow(strings.NewReader(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseFlow: %v", err)
				}
				if len(f.Steps) == 0 {
					t.Fatal("no steps")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseFlow succeeded, want error containing %q", tt.wantErr)
			}
			if !errors.Is(err, ErrFlow) {
				t.Errorf("error %v does not wrap ErrFlow", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseFlowRejectsHugeInput(t *testing.T) {
	big := "start: https://a.example/\n# " + strings.Repeat("x", maxFlowBytes) + "\n"
	if _, err := ParseFlow(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}

// TestParseFlowGolden parses the lab's link-checkout flow and compares the
// parsed steps, re-encoded, with a golden file (go test -update rewrites it).
func TestParseFlowGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "flows", "link-checkout.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFlow(strings.NewReader(string(in)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	testsupport.Golden(t, filepath.Join("testdata", "flows", "link-checkout.golden.yaml"), got)
	if time.Duration(f.Steps[11].Wait) != time.Second {
		t.Errorf("steps[11].wait = %v, want 1s", time.Duration(f.Steps[11].Wait))
	}
}

func TestBlockRules(t *testing.T) {
	tests := []struct {
		name, rule, method, url string
		want                    bool
	}{
		{"a POST glob matches a POST to a matching path", "POST */order", "POST", "https://shop.example/order", true},
		{"a POST glob does not match a GET", "POST */order", "GET", "https://shop.example/order", false},
		{"a star method matches any method", "* https://psp.example/*", "PUT", "https://psp.example/pay?x=1", true},
		{"a glob anchors at both ends", "POST */order", "POST", "https://shop.example/order/done", false},
		{"middle stars match runs", "POST https://*.example/*/place", "POST", "https://shop.example/checkout/place", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseBlockRule(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.match(tt.method, tt.url); got != tt.want {
				t.Errorf("match(%s %s) = %v, want %v", tt.method, tt.url, got, tt.want)
			}
		})
	}
}

func TestOptionIndexFindsMonthsAndYears(t *testing.T) {
	months := [][]string{{"", "月"}, {"01", "1月"}, {"02", "2月"}, {"05", "5月"}, {"12", "12月"}}
	years := [][]string{{"", "年"}, {"2028", "2028年"}, {"2029", "2029年"}}
	short := [][]string{{"", "YY"}, {"28", "28"}, {"29", "29"}}
	tests := []struct {
		name string
		opts [][]string
		want string
		idx  int
	}{
		{"a two-digit month finds its option", months, "05", 3},
		{"a month finds an option written without the zero", [][]string{{"1", "1"}, {"5", "5"}}, "05", 1},
		{"a four-digit year finds its option", years, "2029", 2},
		{"a four-digit year finds a two-digit option", short, "2029", 2},
		{"a value with no option gives -1", months, "07", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := optionIndex(tt.opts, tt.want); got != tt.idx {
				t.Errorf("optionIndex(%q) = %d, want %d", tt.want, got, tt.idx)
			}
		})
	}
}

func FuzzParseFlow(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "flows", "link-checkout.yaml")); err == nil {
		f.Add(string(b))
	}
	f.Add("start: https://a.example/\nsteps:\n  - wait: 1s\n  - block: 'POST */x'\n")
	f.Add("start: https://a.example/\nshop_origins: [https://b.example]\nsteps:\n  - allow: POST /cart/add\n  - click: '#x'\n")
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFlow(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrFlow) && !strings.Contains(err.Error(), "reading flow") {
				t.Fatalf("error does not wrap ErrFlow: %v", err)
			}
			return
		}
		// A flow that parsed must validate again, and never carry a card.
		if err := fl.Validate(); err != nil {
			t.Fatalf("parsed flow fails Validate: %v", err)
		}
		for _, st := range fl.Steps {
			if st.Fill != nil && looksLikeCard(st.Fill.Value) {
				t.Fatalf("card-like literal accepted: %q", st.Fill.Value)
			}
		}
	})
}

func FuzzBlockRule(f *testing.F) {
	f.Add("POST */order", "POST", "https://shop.example/order")
	f.Add("* https://psp.example/*", "GET", "https://psp.example/pay")
	f.Add("GET ***", "GET", "")
	f.Fuzz(func(t *testing.T, rule, method, url string) {
		r, err := parseBlockRule(rule)
		if err != nil {
			return
		}
		// A rule whose glob is only stars matches every URL of its method.
		if strings.Trim(r.Glob, "*") == "" && !r.match(r.Method, url) && r.Method != "*" {
			t.Fatalf("%q does not match %q", rule, url)
		}
		// A glob with no star matches exactly itself.
		if !strings.Contains(r.Glob, "*") && r.match(method, url) && url != r.Glob {
			t.Fatalf("%q matched %q", rule, url)
		}
		_ = r.match(method, url)
	})
}
