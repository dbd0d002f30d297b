package lab

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// flowDoc mirrors pagecheck's flow format (name, start, steps of visit,
// click, fill, probe, submit, wait, expect, block, allow); unknown keys fail.
type flowDoc struct {
	Name  string `yaml:"name"`
	Start string `yaml:"start"`
	Steps []struct {
		Visit string `yaml:"visit"`
		Click string `yaml:"click"`
		Fill  *struct {
			Selector string `yaml:"selector"`
			Class    string `yaml:"class"`
			Value    string `yaml:"value"`
		} `yaml:"fill"`
		Probe  bool   `yaml:"probe"`
		Submit string `yaml:"submit"`
		Wait   string `yaml:"wait"`
		Expect string `yaml:"expect"`
		Block  string `yaml:"block"`
		Allow  string `yaml:"allow"`
	} `yaml:"steps"`
}

var selectorID = regexp.MustCompile(`#([A-Za-z0-9_-]+)`)

func TestFlowsAreValidAndMatchTheShop(t *testing.T) {
	l := startLab(t, Options{})
	c := browser(t)
	// Every page a flow can reach, with a cart so the cart page has its table.
	var pages strings.Builder
	for _, p := range []string{"/", "/products/linen-stole", "/checkout/token", "/checkout/link", "/cart", "/register"} {
		_, _, body := get(t, c, l.ShopURL()+p)
		pages.WriteString(body)
	}
	_, _, link := get(t, c, l.ShopURL()+"/checkout/link")
	resp, hosted := postForm(t, c, l.ShopURL()+"/checkout/link", url.Values{
		"csrf": {csrfOf(t, link)}, "name": {honeyName}, "email": {honeyEmail}, "phone": {honeyPhone}})
	if resp.Request.URL.Host != strings.TrimPrefix(l.PSPOrigin(), "http://") {
		t.Fatalf("hand-off landed on %s", resp.Request.URL)
	}
	pages.WriteString(hosted)
	served := pages.String()

	names := FlowNames()
	if len(names) < 3 {
		t.Fatalf("flows: %v", names)
	}
	for _, name := range names {
		t.Run(name+" parses strictly and its selectors exist", func(t *testing.T) {
			raw, err := l.Flow(name)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte(flowShopVar)) {
				t.Errorf("%s left in the flow", flowShopVar)
			}
			dec := yaml.NewDecoder(bytes.NewReader(raw))
			dec.KnownFields(true)
			var f flowDoc
			if err := dec.Decode(&f); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if f.Name != name || !strings.HasPrefix(f.Start, l.ShopURL()+"/") || len(f.Steps) == 0 {
				t.Errorf("name %q start %q, %d steps", f.Name, f.Start, len(f.Steps))
			}
			for i, s := range f.Steps {
				if s.Wait != "" {
					if _, err := time.ParseDuration(s.Wait); err != nil {
						t.Errorf("step %d: wait %q: %v", i, s.Wait, err)
					}
				}
				sel := s.Click + s.Submit + s.Expect
				if s.Fill != nil {
					sel += s.Fill.Selector
				}
				for _, m := range selectorID.FindAllStringSubmatch(sel, -1) {
					if !strings.Contains(served, `id="`+m[1]+`"`) {
						t.Errorf("step %d: no element with id %q on the shop's pages", i, m[1])
					}
				}
			}
		})
	}
	t.Run("an unknown flow is an error", func(t *testing.T) {
		if _, err := l.Flow("nope"); err == nil {
			t.Error("no error")
		}
	})
}
