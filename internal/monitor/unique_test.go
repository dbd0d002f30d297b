package monitor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

func TestEnqueueKeepsOnePageToOneQueuedCheck(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Not working: jobs stay queued, as they do while a check runs long.
	m, err := New(ctx, Options{Queue: filepath.Join(dir, "queue.db"), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop(ctx)
	page := Job{Every: time.Minute, Args: CheckArgs{Site: "shop", URL: "https://shop.example/checkout", Timeout: time.Minute}}
	other := Job{Every: time.Minute, Args: CheckArgs{Site: "shop", URL: "https://shop.example/cart", Timeout: time.Minute}}
	steps := []struct {
		name        string
		job         Job
		wantSkipped bool
	}{
		{"the first check of a page is queued", page, false},
		{"a second check of the same page is not queued while the first waits", page, true},
		{"a check of another page is queued", other, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			skipped, err := m.Enqueue(ctx, s.job)
			if err != nil {
				t.Fatal(err)
			}
			if skipped != s.wantSkipped {
				t.Errorf("skipped = %v, want %v", skipped, s.wantSkipped)
			}
		})
	}
	runs, err := m.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Errorf("%d jobs queued, want 2: %+v", len(runs), runs)
	}
	for _, r := range runs {
		if r.Complete {
			t.Errorf("a job that never ran is listed complete: %+v", r)
		}
	}
}

func TestJobsFollowTheConfig(t *testing.T) {
	cfg, err := config.ParseWith(strings.NewReader(`data_dir: /var/lib/skimwatch
sites:
  - name: shop
    payment_origins: [https://pay.example]
    pages:
      - url: https://shop.example/checkout
        every: 5m
    web_roots:
      - path: /srv/shop
        baseline: /etc/skimwatch/shop.fim
        every: 1h
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	jobs := Jobs(cfg)
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want a check, a verify and the site's housekeeping: %+v", len(jobs), jobs)
	}
	c, ok := jobs[0].Args.(CheckArgs)
	if !ok || c.URL != "https://shop.example/checkout" || jobs[0].Every != 5*time.Minute || c.Baseline != "" ||
		len(c.PaymentOrigins) != 1 || c.Timeout != config.DefaultPageTimeout {
		t.Errorf("check job = %+v every %s", jobs[0].Args, jobs[0].Every)
	}
	if f, ok := jobs[1].Args.(FimArgs); !ok || f.Path != "/srv/shop" || jobs[1].Every != time.Hour {
		t.Errorf("fim job = %+v every %s", jobs[1].Args, jobs[1].Every)
	}
	if s, ok := jobs[2].Args.(SiteArgs); !ok || s.Site != "shop" || s.Retain != config.DefaultReports || s.RetainDeliveries != config.DefaultDeliveries {
		t.Errorf("site job = %+v", jobs[2].Args)
	}
}
