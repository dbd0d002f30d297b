package monitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// TestSiteJobPrunesTheSitesOldDeliveredAlerts: the housekeeping job deletes
// the site's delivered deliveries older than RetainDeliveries, and keeps a
// recent one, an old one still pending, and another site's.
func TestSiteJobPrunesTheSitesOldDeliveredAlerts(t *testing.T) {
	ctx := context.Background()
	st, err := open.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	old := now.Add(-40 * 24 * time.Hour)
	dl := func(id, site string, at time.Time) store.Delivery {
		return store.Delivery{ID: id, AlertID: "a-" + id, Sink: "webhook", Site: site, Payload: json.RawMessage(`{}`), Created: at}
	}
	if err := st.SaveIncidents(ctx, nil, []store.Delivery{
		dl("shop-old", "shop", old), dl("shop-recent", "shop", now.Add(-time.Hour)), dl("shop-old-pending", "shop", old), dl("blog-old", "blog", old),
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"shop-old", "shop-recent", "blog-old"} {
		if _, err := st.RecordDeliveryAttempt(ctx, store.DeliveryAttempt{DeliveryID: id, At: old}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	m := &Monitor{log: slog.New(slog.DiscardHandler), alerter: newRecordingAlerter(), store: st, now: time.Now}
	w := &siteWorker{m: m}
	if err := w.Work(ctx, &river.Job[SiteArgs]{Args: SiteArgs{Site: "shop", Every: time.Minute, RetainDeliveries: 30 * 24 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	left, err := st.Deliveries(ctx, store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range left {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	if want := []string{"blog-old", "shop-old-pending", "shop-recent"}; !slices.Equal(ids, want) {
		t.Errorf("deliveries left %v, want %v", ids, want)
	}
}
