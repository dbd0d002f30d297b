package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func honeyCheckRun(id string) store.CheckRun {
	return store.CheckRun{CheckID: id, Site: "shop", Target: "https://shop.example/checkout", Time: t0,
		Honey: map[string]string{"card-number": honeyCard}}
}

func testJobRecords(t *testing.T, newStore NewFunc) {
	ctx := t.Context()
	job := store.JobRef{ID: 41, Created: t0}
	rec := func(attempt int, complete bool) store.JobRecord {
		return store.JobRecord{Job: job, Attempt: attempt, Kind: "skimwatch.check", Site: "shop", Complete: complete,
			Result: json.RawMessage(fmt.Sprintf(`{"attempt":%d,"complete":%t}`, attempt, complete)), Time: t0.Add(time.Duration(attempt) * time.Minute)}
	}
	runEvent := store.Event{Site: "shop", Type: "check", Actor: "skimwatch serve", Data: json.RawMessage(`{"complete":true}`)}
	events := func(t *testing.T, s store.Store) []store.Event {
		t.Helper()
		got, err := s.Events(ctx, store.EventQuery{})
		must(t, err)
		return got
	}

	t.Run("a record is filed with its events and read back by its job, naming them", func(t *testing.T) {
		s := newStore(t)
		r := rec(1, true)
		kept, filed, err := s.FileJobRecord(ctx, r, store.RunRecord{Events: []store.Event{runEvent, {Site: "shop", Type: "check.evidence"}}})
		must(t, err)
		if !filed || kept.Attempt != 1 || !slices.Equal(kept.Seqs, []int64{1, 2}) {
			t.Fatalf("filed %v, kept %+v; want attempt 1 filed with events 1 and 2", filed, kept)
		}
		got, err := s.JobRecords(ctx, job)
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("%d records, want 1", len(got))
		}
		g := got[0]
		if g.Job.ID != 41 || !g.Job.Created.Equal(t0) || g.Attempt != 1 || g.Kind != "skimwatch.check" || g.Site != "shop" ||
			!g.Complete || string(g.Result) != string(r.Result) || !slices.Equal(g.Seqs, []int64{1, 2}) || !g.Time.Equal(r.Time) {
			t.Errorf("read back %+v, want %+v with events 1 and 2", g, r)
		}
		ev := events(t, s)
		if len(ev) != 2 || ev[0].Type != "check" || ev[1].Type != "check.evidence" {
			t.Errorf("events %+v, want the check and its evidence", ev)
		}
		if n, err := s.VerifyEvents(ctx); err != nil || n != 2 {
			t.Errorf("chain verified %d events, %v", n, err)
		}
	})
	t.Run("a run's findings and check runs are filed with its record, and a later attempt's are not", func(t *testing.T) {
		s := newStore(t)
		run := func(checkID string) store.RunRecord {
			return store.RunRecord{Findings: []store.KeyedFinding{{Key: "k1", Finding: fnd(finding.Critical, "honey.card-exfiltration", "sent the card", t0)}},
				CheckRuns: []store.CheckRun{honeyCheckRun(checkID)}, Events: []store.Event{runEvent}}
		}
		if _, filed, err := s.FileJobRecord(ctx, rec(1, true), run("attempt-1")); err != nil || !filed {
			t.Fatalf("attempt 1: filed %v, %v", filed, err)
		}
		if _, filed, err := s.FileJobRecord(ctx, rec(2, true), run("attempt-2")); err != nil || filed {
			t.Fatalf("attempt 2: filed %v, %v; want nothing filed", filed, err)
		}
		fs, err := s.Findings(ctx, store.FindingQuery{})
		must(t, err)
		if len(fs) != 1 || fs[0].Key != "k1" || fs[0].Kind != "honey.card-exfiltration" || fs[0].Count != 1 {
			t.Errorf("findings %+v, want k1 once, counted once", fs)
		}
		runs, err := s.CheckRunsByHoney(ctx, honeyCard)
		must(t, err)
		if len(runs) != 1 || runs[0].CheckID != "attempt-1" {
			t.Errorf("check runs typing the honey card: %+v, want attempt 1's only", runs)
		}
	})
	t.Run("once a job has a complete record, a later attempt files nothing and gets that record back", func(t *testing.T) {
		s := newStore(t)
		_, _, err := s.FileJobRecord(ctx, rec(1, true), store.RunRecord{Events: []store.Event{runEvent}})
		must(t, err)
		for _, complete := range []bool{true, false} {
			kept, filed, err := s.FileJobRecord(ctx, rec(2, complete), store.RunRecord{Events: []store.Event{runEvent}})
			must(t, err)
			if filed || kept.Attempt != 1 || string(kept.Result) != string(rec(1, true).Result) || !slices.Equal(kept.Seqs, []int64{1}) {
				t.Errorf("attempt 2 (complete %v): filed %v, kept %+v; want attempt 1's record and nothing filed", complete, filed, kept)
			}
		}
		if n := len(events(t, s)); n != 1 {
			t.Errorf("%d events, want the first attempt's one", n)
		}
	})
	t.Run("an incomplete record does not stop the next attempt being filed", func(t *testing.T) {
		s := newStore(t)
		_, _, err := s.FileJobRecord(ctx, rec(1, false), store.RunRecord{Events: []store.Event{runEvent}})
		must(t, err)
		kept, filed, err := s.FileJobRecord(ctx, rec(2, true), store.RunRecord{Events: []store.Event{runEvent}})
		must(t, err)
		if !filed || kept.Attempt != 2 || !slices.Equal(kept.Seqs, []int64{2}) {
			t.Errorf("attempt 2: filed %v, kept %+v; want it filed with event 2", filed, kept)
		}
		got, err := s.JobRecords(ctx, job)
		must(t, err)
		if len(got) != 2 || got[0].Attempt != 1 || got[0].Complete || got[1].Attempt != 2 || !got[1].Complete {
			t.Errorf("records %+v, want attempt 1 incomplete, then attempt 2 complete", got)
		}
	})
	t.Run("a record with no events is filed and still closes its job", func(t *testing.T) {
		s := newStore(t)
		kept, filed, err := s.FileJobRecord(ctx, rec(1, true), store.RunRecord{})
		must(t, err)
		if !filed || len(kept.Seqs) != 0 {
			t.Fatalf("filed %v, kept %+v", filed, kept)
		}
		if _, filed, err := s.FileJobRecord(ctx, rec(2, true), store.RunRecord{Events: []store.Event{runEvent}}); err != nil || filed {
			t.Errorf("attempt 2 after an eventless complete record: filed %v, %v", filed, err)
		}
		if n := len(events(t, s)); n != 0 {
			t.Errorf("%d events, want none", n)
		}
	})
	t.Run("the same job ID created at another time is another job", func(t *testing.T) {
		s := newStore(t)
		_, _, err := s.FileJobRecord(ctx, rec(1, true), store.RunRecord{Events: []store.Event{runEvent}})
		must(t, err)
		other := rec(1, true)
		other.Job.Created = t0.Add(time.Microsecond)
		if _, filed, err := s.FileJobRecord(ctx, other, store.RunRecord{Events: []store.Event{runEvent}}); err != nil || !filed {
			t.Errorf("job 41 of a later queue: filed %v, %v; want it filed as a job of its own", filed, err)
		}
		got, err := s.JobRecords(ctx, other.Job)
		must(t, err)
		if len(got) != 1 || !got[0].Job.Created.Equal(other.Job.Created) {
			t.Errorf("the later job's records: %+v", got)
		}
	})
	t.Run("filing an attempt twice is an error and appends no event", func(t *testing.T) {
		s := newStore(t)
		_, _, err := s.FileJobRecord(ctx, rec(1, false), store.RunRecord{Events: []store.Event{runEvent}})
		must(t, err)
		if _, _, err := s.FileJobRecord(ctx, rec(1, false), store.RunRecord{Events: []store.Event{runEvent}}); err == nil {
			t.Error("attempt 1 was filed twice")
		}
		if n := len(events(t, s)); n != 1 {
			t.Errorf("%d events, want 1: the refused record's event must go with it", n)
		}
	})
	t.Run("an invalid event or record files nothing", func(t *testing.T) {
		good := func() store.RunRecord {
			return store.RunRecord{Findings: []store.KeyedFinding{{Key: "k1", Finding: fnd(finding.High, "honey.card-exfiltration", "sent", t0)}},
				CheckRuns: []store.CheckRun{honeyCheckRun("c1")}, Events: []store.Event{runEvent}}
		}
		for _, tt := range []struct {
			name string
			r    store.JobRecord
			run  store.RunRecord
		}{
			{"an event without a type", rec(1, true), func() store.RunRecord { r := good(); r.Events = append(r.Events, store.Event{Site: "shop"}); return r }()},
			{"a finding without a key", rec(1, true), func() store.RunRecord { r := good(); r.Findings[0].Key = ""; return r }()},
			{"a check run with a real card number", rec(1, true), func() store.RunRecord {
				r := good()
				r.CheckRuns[0].Honey["card-number"] = realCard
				return r
			}()},
			{"a record without a job ID", func() store.JobRecord { r := rec(1, true); r.Job.ID = 0; return r }(), good()},
			{"a record without a creation time", func() store.JobRecord { r := rec(1, true); r.Job.Created = time.Time{}; return r }(), good()},
			{"attempt 0", rec(0, true), good()},
			{"a result that is not JSON", func() store.JobRecord { r := rec(1, true); r.Result = json.RawMessage("{"); return r }(), good()},
			{"a result over the cap", func() store.JobRecord {
				r := rec(1, true)
				r.Result = json.RawMessage(`"` + strings.Repeat("x", store.MaxJobResultBytes) + `"`)
				return r
			}(), good()},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s := newStore(t)
				_, _, err := s.FileJobRecord(ctx, tt.r, tt.run)
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("err = %v, want ErrInvalid", err)
				}
				got, err := s.JobRecords(ctx, job)
				must(t, err)
				fs, err := s.Findings(ctx, store.FindingQuery{})
				must(t, err)
				runs, err := s.CheckRunsByHoney(ctx, honeyCard)
				must(t, err)
				if len(got) != 0 || len(events(t, s)) != 0 || len(fs) != 0 || len(runs) != 0 {
					t.Errorf("%d records, %d events, %d findings and %d check runs kept, want none", len(got), len(events(t, s)), len(fs), len(runs))
				}
			})
		}
	})
	t.Run("a result larger than an event's data is kept whole", func(t *testing.T) {
		s := newStore(t)
		r := rec(1, true)
		r.Result = json.RawMessage(`{"findings":"` + strings.Repeat("f", store.MaxEventDataBytes+1) + `"}`)
		_, filed, err := s.FileJobRecord(ctx, r, store.RunRecord{Events: []store.Event{runEvent}})
		must(t, err)
		got, err := s.JobRecords(ctx, job)
		must(t, err)
		if !filed || len(got) != 1 || string(got[0].Result) != string(r.Result) {
			t.Errorf("filed %v, %d records; want the %d-byte result read back whole", filed, len(got), len(r.Result))
		}
	})
	t.Run("a card number in a result is kept masked", func(t *testing.T) {
		s := newStore(t)
		r := rec(1, true)
		r.Result = json.RawMessage(`{"findings":[{"message":"loot holds ` + realCard + `"}]}`)
		kept, _, err := s.FileJobRecord(ctx, r, store.RunRecord{})
		must(t, err)
		got, err := s.JobRecords(ctx, job)
		must(t, err)
		for _, res := range []json.RawMessage{kept.Result, got[0].Result} {
			if strings.Contains(string(res), realCard) || !strings.Contains(string(res), realCardMasked) {
				t.Errorf("result %s, want the card as %s", res, realCardMasked)
			}
		}
	})
	t.Run("attempts filing at once leave one complete record and its events only", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		filed := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, filed[i], errs[i] = s.FileJobRecord(ctx, rec(i+1, true), store.RunRecord{Events: []store.Event{runEvent}})
			})
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		if c := len(slices.DeleteFunc(filed, func(f bool) bool { return !f })); c != 1 {
			t.Errorf("%d attempts filed, want 1", c)
		}
		if n := len(events(t, s)); n != 1 {
			t.Errorf("%d events, want 1", n)
		}
		got, err := s.JobRecords(ctx, job)
		must(t, err)
		if len(got) != 1 {
			t.Errorf("%d records, want 1", len(got))
		}
	})
	t.Run("pruning deletes records filed before the cut and nothing else", func(t *testing.T) {
		s := newStore(t)
		for i, at := range []time.Time{t0, t0.Add(time.Hour)} {
			r := rec(1, true)
			r.Job.ID, r.Time = int64(i+1), at
			_, _, err := s.FileJobRecord(ctx, r, store.RunRecord{Events: []store.Event{runEvent}})
			must(t, err)
		}
		n, err := s.PruneJobRecords(ctx, t0.Add(time.Minute))
		must(t, err)
		if n != 1 {
			t.Errorf("pruned %d, want 1", n)
		}
		for id, want := range map[int64]int{1: 0, 2: 1} {
			got, err := s.JobRecords(ctx, store.JobRef{ID: id, Created: t0})
			must(t, err)
			if len(got) != want {
				t.Errorf("job %d: %d records, want %d", id, len(got), want)
			}
		}
		if n := len(events(t, s)); n != 2 {
			t.Errorf("%d events, want both: the log is never pruned", n)
		}
	})
}
