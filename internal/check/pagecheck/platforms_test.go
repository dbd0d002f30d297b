package pagecheck

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/lab"
)

// platformOptions are short checks: the platform pages send at once.
func platformOptions(t *testing.T, l *lab.Lab) Options {
	o := labOptions(t, l)
	o.Dwell = 700 * time.Millisecond
	return o
}

// created reports whether the lab recorded what page creates for email.
func created(l *lab.Lab, p lab.PlatformPage, email string) bool {
	switch p.Creates {
	case "order":
		return slices.ContainsFunc(l.Orders(), func(o lab.Order) bool { return o.Email == email })
	case "account":
		return slices.Contains(l.Accounts(), email)
	case "message":
		return slices.ContainsFunc(l.Messages(), func(m lab.Message) bool { return m.Email == email })
	case "login":
		return slices.Contains(l.LoginAttempts(), email)
	}
	panic("unknown record kind " + p.Creates)
}

// endpointRequest finds the request to a platform's endpoint.
func endpointRequest(o *observation.Observation, shop string, p lab.PlatformPage) *observation.Request {
	want := shop + p.Endpoint
	for i, q := range o.Requests {
		if !strings.EqualFold(q.Method, p.Method) {
			continue
		}
		if q.URL == want || p.Method == "GET" && strings.HasPrefix(q.URL, want+"?") {
			return &o.Requests[i]
		}
	}
	return nil
}

// TestDenyByDefaultOnShopPlatforms runs a full check of every platform
// variant of the lab and proves from the lab's own tables that no order,
// account, login or message was created, and from the observation that the
// request that would have created it was seen, carried the honey email,
// and was failed. The unsafe escape hatch, run on the same pages, does
// create each record: the endpoints are real, so the first half can fail.
func TestDenyByDefaultOnShopPlatforms(t *testing.T) {
	b := startBrowser(t)
	l := startLab(t)
	for _, p := range lab.PlatformPages() {
		t.Run(p.Name+" creates nothing and its "+p.Method+" is seen, matched and failed", func(t *testing.T) {
			t.Parallel()
			opts := platformOptions(t, l)
			o, err := Check(context.Background(), b, Target{URL: l.ShopURL() + p.Page}, opts)
			if err != nil {
				t.Fatal(err)
			}
			email := opts.Identity.Email
			if created(l, p, email) {
				t.Errorf("the shop created a %s for the honey email %s", p.Creates, email)
			}
			q := endpointRequest(o, l.ShopURL(), p)
			if q == nil {
				t.Fatalf("no %s %s in the observation; incomplete %q; requests %v", p.Method, p.Endpoint, o.Incomplete, requestLines(o))
			}
			if !strings.HasPrefix(q.Failed, "blocked by skimwatch") {
				t.Errorf("%s %s was not failed by the probe: failed %q, status %d", q.Method, q.URL, q.Failed, q.Status)
			}
			var matched bool
			for _, lk := range o.Leaks {
				matched = matched || lk.Destination == q.URL && lk.Class == observation.FieldEmail && lk.Blocked
			}
			if !matched {
				t.Errorf("the honey email was not found, as blocked, in %s %s; leaks %+v", q.Method, q.URL, o.Leaks)
			}
			if !slices.ContainsFunc(o.Blocked, func(bl observation.BlockedRequest) bool { return bl.URL == q.URL }) {
				t.Errorf("%s is not among the blocked requests %+v", q.URL, o.Blocked)
			}
		})
		t.Run(p.Name+" does create a "+p.Creates+" with the unsafe escape hatch", func(t *testing.T) {
			t.Parallel()
			opts := platformOptions(t, l)
			opts.AllowFinalSubmit = true
			// Some platforms chain two requests (OpenCart: guest, then
			// confirm); leaving the page must not cut the second off.
			opts.Dwell = 2 * time.Second
			o, err := Check(context.Background(), b, Target{URL: l.ShopURL() + p.Page}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !created(l, p, opts.Identity.Email) {
				t.Errorf("no %s for %s: the lab endpoint or the page is broken, so the deny test proves nothing; requests %v",
					p.Creates, opts.Identity.Email, requestLines(o))
			}
		})
	}
	t.Run("a GET lookup carrying what was typed keeps working", func(t *testing.T) {
		t.Parallel()
		opts := platformOptions(t, l)
		o, err := Check(context.Background(), b, Target{URL: l.ShopURL() + "/shopping"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(l.AutocompleteQueries(), func(q string) bool { return strings.Contains(q, opts.Identity.CheckID) }) {
			t.Errorf("the shop answered no autocomplete lookup with the honey address; it got %q", l.AutocompleteQueries())
		}
		for _, q := range o.Requests {
			if strings.HasPrefix(q.URL, l.ShopURL()+"/api/autocomplete?") && q.Failed != "" {
				t.Errorf("autocomplete lookup failed: %s %q", q.URL, q.Failed)
			}
		}
	})
}

func requestLines(o *observation.Observation) []string {
	var out []string
	for _, q := range o.Requests {
		out = append(out, q.Method+" "+q.URL+" "+q.Type+" "+q.Failed)
	}
	return out
}
