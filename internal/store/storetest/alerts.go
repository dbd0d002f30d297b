package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func incident(key, status string) store.Incident {
	f := fnd(finding.Critical, "honey.card-exfiltration", "The test card left for evil.example", t0)
	f.Site, f.Source, f.URL = "shop", "check", "https://shop.example/checkout"
	return store.Incident{Site: "shop", Key: key, Kind: store.IncidentFinding, Status: status,
		Target: "https://shop.example/checkout", Detector: "check", Finding: f, Opened: t0, LastSeen: t0}
}

func delivery(id string, at time.Time) store.Delivery {
	return store.Delivery{ID: id, AlertID: "alert-" + id, Sink: "webhook", Site: "shop",
		Payload: json.RawMessage(`{"type":"incident"}`), Created: at}
}

func testAlerts(t *testing.T, newStore NewFunc) {
	t.Run("an incident saved is read back as written, at version 1", func(t *testing.T) {
		s := newStore(t)
		inc := incident("k1", store.IncidentOpen)
		must(t, s.SaveIncidents(t.Context(), []store.Incident{inc}, nil))
		got, err := s.Incidents(t.Context(), store.IncidentQuery{Site: "shop"})
		must(t, err)
		want := inc
		want.Version = 1
		want.Finding.Evidence = map[string]any{}
		if len(got) != 1 {
			t.Fatalf("got %d incidents, want 1", len(got))
		}
		got[0].Finding.Evidence = map[string]any{}
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("read back\n%+v\nwant\n%+v", got[0], want)
		}
	})
	t.Run("a write from a stale read fails with ErrConflict and writes nothing, deliveries included", func(t *testing.T) {
		s := newStore(t)
		inc := incident("k1", store.IncidentOpen)
		must(t, s.SaveIncidents(t.Context(), []store.Incident{inc}, nil))
		first, err := s.Incidents(t.Context(), store.IncidentQuery{Key: "k1"})
		must(t, err)
		a, b := first[0], first[0]
		a.Announced = t0.Add(time.Minute)
		must(t, s.SaveIncidents(t.Context(), []store.Incident{a}, []store.Delivery{delivery("d1", t0)}))
		b.Announced = t0.Add(2 * time.Minute)
		err = s.SaveIncidents(t.Context(), []store.Incident{b}, []store.Delivery{delivery("d2", t0)})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second writer from the same read: err = %v, want ErrConflict", err)
		}
		// A new incident whose key already exists is a conflict too.
		if err := s.SaveIncidents(t.Context(), []store.Incident{inc}, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("inserting an existing key: err = %v, want ErrConflict", err)
		}
		got, err := s.Incidents(t.Context(), store.IncidentQuery{Key: "k1"})
		must(t, err)
		if !got[0].Announced.Equal(a.Announced) || got[0].Version != 2 {
			t.Errorf("stored announced %v version %d, want the first writer's %v at version 2", got[0].Announced, got[0].Version, a.Announced)
		}
		ds, err := s.Deliveries(t.Context(), store.DeliveryQuery{})
		must(t, err)
		if len(ds) != 1 || ds[0].ID != "d1" {
			t.Errorf("deliveries %+v, want only d1", ds)
		}
	})
	t.Run("incidents are selected by status", func(t *testing.T) {
		s := newStore(t)
		must(t, s.SaveIncidents(t.Context(), []store.Incident{
			incident("a", store.IncidentOpen), incident("b", store.IncidentClosed), incident("c", store.IncidentResolved),
		}, nil))
		got, err := s.Incidents(t.Context(), store.IncidentQuery{Statuses: []string{store.IncidentOpen, store.IncidentResolved}})
		must(t, err)
		var keys []string
		for _, inc := range got {
			keys = append(keys, inc.Key)
		}
		if !reflect.DeepEqual(keys, []string{"a", "c"}) {
			t.Errorf("keys %v, want [a c]", keys)
		}
	})
	t.Run("a claimed delivery is not claimed again until its lease ends", func(t *testing.T) {
		s := newStore(t)
		must(t, s.SaveIncidents(t.Context(), nil, []store.Delivery{delivery("d1", t0), delivery("d2", t0.Add(time.Hour))}))
		got, err := s.ClaimDeliveries(t.Context(), t0, time.Minute, 10)
		must(t, err)
		if len(got) != 1 || got[0].ID != "d1" || got[0].Status != store.DeliveryPending {
			t.Fatalf("claimed %+v, want only d1 (d2 is not due), pending", got)
		}
		if again, err := s.ClaimDeliveries(t.Context(), t0.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
			t.Errorf("claimed again within the lease: %+v, %v", again, err)
		}
		if later, err := s.ClaimDeliveries(t.Context(), t0.Add(time.Minute), time.Minute, 10); err != nil || len(later) != 1 {
			t.Errorf("after the lease: %+v, %v; want d1 again", later, err)
		}
	})
	t.Run("every attempt is kept with its outcome: a failure waits for its retry, a success delivers", func(t *testing.T) {
		s := newStore(t)
		must(t, s.SaveIncidents(t.Context(), nil, []store.Delivery{delivery("d1", t0)}))
		d, err := s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "d1", At: t0, Duration: 3 * time.Second,
			Error: "dial tcp 127.0.0.1:9: connection refused"}, t0.Add(10*time.Second))
		must(t, err)
		if d.Status != store.DeliveryPending || d.Attempts != 1 || !d.NextAttempt.Equal(t0.Add(10*time.Second)) {
			t.Errorf("after a failure: %+v, want pending, 1 attempt, next at +10s", d)
		}
		if got, _ := s.ClaimDeliveries(t.Context(), t0.Add(5*time.Second), time.Minute, 10); len(got) != 0 {
			t.Errorf("claimed before its retry time: %+v", got)
		}
		d, err = s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "d1", At: t0.Add(10 * time.Second), Duration: time.Millisecond}, time.Time{})
		must(t, err)
		if d.Status != store.DeliveryDelivered || d.Attempts != 2 || d.LastError != "" {
			t.Errorf("after a success: %+v, want delivered after 2 attempts", d)
		}
		as, err := s.DeliveryAttempts(t.Context(), "d1")
		must(t, err)
		want := []store.DeliveryAttempt{
			{DeliveryID: "d1", Seq: 1, At: t0, Duration: 3 * time.Second, Error: "dial tcp 127.0.0.1:9: connection refused"},
			{DeliveryID: "d1", Seq: 2, At: t0.Add(10 * time.Second), Duration: time.Millisecond},
		}
		if !reflect.DeepEqual(as, want) {
			t.Errorf("attempts\n%+v\nwant\n%+v", as, want)
		}
		if _, err := s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "d1"}, time.Time{}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("an attempt on a delivered delivery: err = %v, want ErrConflict", err)
		}
		if _, err := s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "nope"}, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an attempt on an unknown delivery: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("pruning deletes only the site's delivered deliveries created before the cut, with their attempts", func(t *testing.T) {
		s := newStore(t)
		old, recent := t0, t0.Add(48*time.Hour)
		other := delivery("blog-old", old)
		other.Site = "blog"
		must(t, s.SaveIncidents(t.Context(), nil, []store.Delivery{
			delivery("delivered-old", old), delivery("failed-old", old), delivery("pending-old", old),
			delivery("delivered-recent", recent), other,
		}))
		for _, id := range []string{"delivered-old", "delivered-recent", "blog-old"} {
			_, err := s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: id, At: old.Add(time.Second)}, time.Time{})
			must(t, err)
		}
		_, err := s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "failed-old", At: old, Error: "HTTP 410"}, time.Time{})
		must(t, err)
		_, err = s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "pending-old", At: old, Error: "timeout"}, old.Add(time.Minute))
		must(t, err)
		n, err := s.PruneDeliveries(t.Context(), "shop", t0.Add(24*time.Hour))
		must(t, err)
		if n != 1 {
			t.Errorf("pruned %d, want 1 (delivered-old)", n)
		}
		left, err := s.Deliveries(t.Context(), store.DeliveryQuery{})
		must(t, err)
		var ids []string
		for _, d := range left {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		if want := []string{"blog-old", "delivered-recent", "failed-old", "pending-old"}; !slices.Equal(ids, want) {
			t.Errorf("left %v, want %v", ids, want)
		}
		if as, err := s.DeliveryAttempts(t.Context(), "delivered-old"); err != nil || len(as) != 0 {
			t.Errorf("attempts of the pruned delivery: %+v, err %v; want none", as, err)
		}
		if as, err := s.DeliveryAttempts(t.Context(), "failed-old"); err != nil || len(as) != 1 {
			t.Errorf("attempts of a kept delivery: %+v, err %v; want its one", as, err)
		}
	})
	t.Run("a failed attempt with no retry time fails the delivery for good", func(t *testing.T) {
		s := newStore(t)
		must(t, s.SaveIncidents(t.Context(), nil, []store.Delivery{delivery("d1", t0)}))
		d, err := s.RecordDeliveryAttempt(t.Context(), store.DeliveryAttempt{DeliveryID: "d1", At: t0, Error: "HTTP 410"}, time.Time{})
		must(t, err)
		if d.Status != store.DeliveryFailed || d.LastError != "HTTP 410" {
			t.Errorf("got %+v, want failed with HTTP 410", d)
		}
		failed, err := s.Deliveries(t.Context(), store.DeliveryQuery{Status: store.DeliveryFailed})
		must(t, err)
		if len(failed) != 1 || failed[0].ID != "d1" {
			t.Errorf("failed deliveries %+v, want d1", failed)
		}
	})
	t.Run("card numbers in an incident or an alert payload are masked before they are stored", func(t *testing.T) {
		s := newStore(t)
		inc := incident("k1", store.IncidentOpen)
		inc.Finding.Message = "card " + realCard + " left"
		dl := delivery("d1", t0)
		dl.Payload = json.RawMessage(`{"message":"card ` + realCard + ` left"}`)
		must(t, s.SaveIncidents(t.Context(), []store.Incident{inc}, []store.Delivery{dl}))
		got, err := s.Incidents(t.Context(), store.IncidentQuery{})
		must(t, err)
		ds, err := s.Deliveries(t.Context(), store.DeliveryQuery{})
		must(t, err)
		if strings.Contains(got[0].Finding.Message, realCard) || strings.Contains(string(ds[0].Payload), realCard) {
			t.Errorf("stored %q and %s hold the card", got[0].Finding.Message, ds[0].Payload)
		}
		if !json.Valid(ds[0].Payload) {
			t.Errorf("masked payload %s is not JSON", ds[0].Payload)
		}
	})
	t.Run("workers claiming at once never get the same delivery", func(t *testing.T) {
		s := newStore(t)
		var ds []store.Delivery
		for i := range 40 {
			ds = append(ds, delivery(fmt.Sprintf("d%02d", i), t0))
		}
		must(t, s.SaveIncidents(t.Context(), nil, ds))
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					got, err := s.ClaimDeliveries(t.Context(), t0, time.Hour, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						claimed[d.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != len(ds) {
			t.Errorf("%d of %d deliveries claimed", len(claimed), len(ds))
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("delivery %s claimed %d times", id, n)
			}
		}
	})
	t.Run("an incident or delivery the store cannot keep is refused as invalid", func(t *testing.T) {
		s := newStore(t)
		badStatus := incident("k1", "snoozed")
		badKind := incident("k2", store.IncidentOpen)
		badKind.Kind = "rumour"
		noSite := incident("k3", store.IncidentOpen)
		noSite.Site = ""
		notJSON := delivery("d1", t0)
		notJSON.Payload = json.RawMessage(`{"type":`)
		tests := []struct {
			name string
			incs []store.Incident
			ds   []store.Delivery
		}{
			{"an unknown status", []store.Incident{badStatus}, nil},
			{"an unknown kind", []store.Incident{badKind}, nil},
			{"no site", []store.Incident{noSite}, nil},
			{"a payload that is not JSON", nil, []store.Delivery{notJSON}},
		}
		for _, tt := range tests {
			if err := s.SaveIncidents(t.Context(), tt.incs, tt.ds); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
			}
		}
	})
}
