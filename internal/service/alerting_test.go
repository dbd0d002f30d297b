package service

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

func TestAlertRulesTakeTheConfigsTimings(t *testing.T) {
	d := func(v time.Duration) *config.Duration { c := config.Duration(v); return &c }
	n := func(v int) *int { return &v }
	given := alert.Options{Window: time.Second, Resend: time.Minute, SilenceAfter: 7}
	tests := []struct {
		name string
		cfg  config.Alerting
		want alert.Options
	}{
		{"an empty section keeps the rules given", config.Alerting{}, given},
		{"each key given replaces its rule", config.Alerting{Window: d(10 * time.Second), Resend: d(2 * time.Hour), SilenceAfter: n(5)},
			alert.Options{Window: 10 * time.Second, Resend: 2 * time.Hour, SilenceAfter: 5}},
		{"a zero window sends at once and a zero resend never re-sends", config.Alerting{Window: d(0), Resend: d(0)},
			alert.Options{Window: -1, Resend: -1, SilenceAfter: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alertRules(tt.cfg, given)
			if got.Window != tt.want.Window || got.Resend != tt.want.Resend || got.SilenceAfter != tt.want.SilenceAfter {
				t.Errorf("window %s resend %s silence after %d, want %s %s %d",
					got.Window, got.Resend, got.SilenceAfter, tt.want.Window, tt.want.Resend, tt.want.SilenceAfter)
			}
		})
	}
}

// TestConfigAlertingReachesTheNotifier: with silence_after 2 and window 0
// in the config, a page's second incomplete run (not its first, and not
// its third as by default) raises a silence alert, and it reaches the
// webhook at once rather than after the default 30 s grouping window.
func TestConfigAlertingReachesTheNotifier(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	recv := &webhookReceiver{t: t, secret: []byte("a-webhook-secret-of-the-shop")}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	t.Setenv("SKIMWATCH_TEST_HOOK_KEY", string(recv.secret))
	cfg, err := config.ParseWith(strings.NewReader(`sites:
  - name: shop
    pages: [{url: https://shop.example/checkout}]
alerts:
  - webhook: {url: `+srv.URL+`, secret: {env: SKIMWATCH_TEST_HOOK_KEY}}
alerting:
  window: 0s
  silence_after: 2
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "skimwatch.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, stop, _, err := startAlerts(ctx, st, &cfg, alert.Options{TickEvery: 50 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	incomplete := func(at time.Time) monitor.RunResult {
		return monitor.RunResult{Site: "shop", Target: "https://shop.example/checkout", Detector: monitor.DetectorCheck,
			At: at, Incomplete: []string{"navigation: connection refused"}}
	}
	start := time.Now()
	if err := a.Observe(ctx, incomplete(start)); err != nil {
		t.Fatal(err)
	}
	incs, err := st.Incidents(ctx, store.IncidentQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 1 || incs[0].Kind != store.IncidentSilence || !incs[0].Announced.IsZero() {
		t.Fatalf("after one incomplete run: incidents %+v, want one silence incident, not announced", incs)
	}
	if err := a.Observe(ctx, incomplete(start.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	got := recv.waitForWithin(t, 1, 10*time.Second)
	if got[0].Type != alert.TypeSilence || got[0].Site != "shop" {
		t.Errorf("alert = %s on %s, want a silence alert on shop", got[0].Type, got[0].Site)
	}
}
