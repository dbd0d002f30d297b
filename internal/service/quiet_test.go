package service

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// A test that asserts "no further alert" must first see the positive event
// after which that alert would already be at the webhook: a fixed sleep on a
// loaded machine can end before the unwanted alert was even queued, and the
// test then passes without testing anything. These helpers wait for such
// events, and fail when one does not come within quietWait.

// quietWait bounds each wait for a positive event; generous, because the
// machines that run CI are shared and slow, and a wait that runs out fails.
const quietWait = 90 * time.Second

// serveStore opens the embedded store serve keeps in dir (its data_dir),
// to read what the running process has recorded.
func serveStore(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := open.Open(t.Context(), "sqlite://"+filepath.Join(dir, "skimwatch.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitDrained waits until no delivery in st is pending. A delivery is
// marked delivered only after its sink answered, so from then on every
// alert queued before the call is at its receiver.
func waitDrained(t *testing.T, st store.AlertStore) {
	t.Helper()
	var pending []store.Delivery
	for end := time.Now().Add(quietWait); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		var err error
		if pending, err = st.Deliveries(context.Background(), store.DeliveryQuery{Status: store.DeliveryPending}); err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			return
		}
	}
	t.Fatalf("alert deliveries still pending after %s: %+v", quietWait, pending)
}

// queuedAlerts lists the IDs of the alerts queued in st for any sink, in the
// order they were queued: what the alerter decided, whatever reached a sink.
func queuedAlerts(t *testing.T, st store.AlertStore) []string {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		if !slices.Contains(ids, d.AlertID) {
			ids = append(ids, d.AlertID)
		}
	}
	return ids
}

// waitRuns waits until /api/runs lists at least n completed runs that match
// accepts, and returns them. A job is completed only after its Work
// returned, which is after the run was handed to the alerter and the alerts
// it made due were queued (monitor.finish, alert.Notifier.Observe).
func waitRuns(t *testing.T, api, token, what string, n int, match func(monitor.Run) bool) []monitor.Run {
	t.Helper()
	var got []monitor.Run
	for end := time.Now().Add(quietWait); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		var out struct{ Runs []monitor.Run }
		if code := getAs(t, token, api+"/api/runs?limit=1000", &out); code != http.StatusOK {
			t.Fatalf("/api/runs answered %d", code)
		}
		got = got[:0]
		for _, r := range out.Runs {
			if r.State == "completed" && r.Result != nil && match(r) {
				got = append(got, r)
			}
		}
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("%d of %d completed runs %s within %s", len(got), n, what, quietWait)
	return nil
}

// waitEvents waits until site's event log holds an event of each of types,
// such as "fim watch" (the watcher's first hand-on, filed once its inotify
// watches are in place and its start sweep is done) and "fim verify" (a
// periodic verify that has finished).
func waitEvents(t *testing.T, st store.Store, site string, types ...string) {
	t.Helper()
	missing := types
	for end := time.Now().Add(quietWait); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		missing = nil
		for _, typ := range types {
			es, err := st.Events(context.Background(), store.EventQuery{Site: site, Type: typ, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) == 0 {
				missing = append(missing, typ)
			}
		}
		if len(missing) == 0 {
			return
		}
	}
	t.Fatalf("no %q event of %s within %s", missing, site, quietWait)
}

// waitFinding waits until site has a stored finding that accepts.
func waitFinding(t *testing.T, st store.Store, site, what string, accepts func(store.StoredFinding) bool) {
	t.Helper()
	var fs []store.StoredFinding
	for end := time.Now().Add(quietWait); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		var err error
		if fs, err = st.Findings(context.Background(), store.FindingQuery{Site: site}); err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(fs, accepts) {
			return
		}
	}
	t.Fatalf("no finding %s within %s; have %+v", what, quietWait, fs)
}

// waitFirstVerify waits until a complete verify of root has been handed to
// the alerter (its job completed).
func waitFirstVerify(t *testing.T, api, token, root string) {
	t.Helper()
	waitRuns(t, api, token, "verifying "+root, 1, func(r monitor.Run) bool {
		return r.Result.Detector == monitor.DetectorFim && r.Result.Target == root && r.Result.Complete
	})
}
