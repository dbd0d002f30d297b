package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// findingState returns the one stored finding with key, as Findings reads it.
func findingState(t testing.TB, s store.Store, key string) store.StoredFinding {
	t.Helper()
	got, err := s.Findings(t.Context(), store.FindingQuery{Site: "shop", Key: key})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("finding %s: %d rows, want 1", key, len(got))
	}
	return got[0]
}

func putFinding(t testing.TB, s store.Store, f finding.Finding) string {
	t.Helper()
	key := store.FindingKey(f)
	_, err := s.PutFinding(t.Context(), key, f)
	must(t, err)
	return key
}

func testFindingStates(t *testing.T, newStore NewFunc) {
	t.Run("script sources", func(t *testing.T) { testScriptSources(t, newStore) })
	t.Run("event paging", func(t *testing.T) { testEventPaging(t, newStore) })
	t.Run("a finding nobody decided on is open with no decision", func(t *testing.T) {
		s := newStore(t)
		key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
		if got := findingState(t, s, key); got.State != store.StateOpen || got.Decision != nil {
			t.Errorf("state %q, decision %+v; want open and none", got.State, got.Decision)
		}
	})
	t.Run("a decision records who, when, why and the finding's severity and last sighting", func(t *testing.T) {
		s := newStore(t)
		key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
		at := t0.Add(time.Minute)
		d, err := s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: store.StateAcknowledged,
			Reason: "looking into it", Actor: "aiko", Time: at})
		must(t, err)
		want := store.FindingDecision{Site: "shop", Key: key, State: store.StateAcknowledged, Reason: "looking into it",
			Actor: "aiko", Time: at, Severity: finding.High, LastSeen: t0}
		if d != want {
			t.Errorf("returned %+v, want %+v", d, want)
		}
		got := findingState(t, s, key)
		if got.State != store.StateAcknowledged || got.Decision == nil || *got.Decision != want {
			t.Errorf("read back state %q, decision %+v; want acknowledged, %+v", got.State, got.Decision, want)
		}
	})
	cases := []struct {
		name  string
		state store.FindingState
		again finding.Severity // severity when raised again after the decision
		want  store.FindingState
	}{
		{"an acknowledged finding raised again stays acknowledged", store.StateAcknowledged, finding.High, store.StateAcknowledged},
		{"a resolved finding raised again reopens", store.StateResolved, finding.High, store.StateOpen},
		{"a dismissed finding raised again at the same severity stays dismissed", store.StateDismissed, finding.High, store.StateDismissed},
		{"a dismissed finding raised again at a lower severity stays dismissed", store.StateDismissed, finding.Medium, store.StateDismissed},
		{"a dismissed finding whose severity rises reopens", store.StateDismissed, finding.Critical, store.StateOpen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
			_, err := s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: c.state,
				Reason: "reviewed", Actor: "aiko", Time: t0.Add(time.Minute)})
			must(t, err)
			if got := findingState(t, s, key); got.State != c.state {
				t.Fatalf("before it is raised again: state %q, want %q", got.State, c.state)
			}
			_, err = s.PutFinding(t.Context(), key, fnd(c.again, "script.changed", "m", t0.Add(time.Hour)))
			must(t, err)
			got := findingState(t, s, key)
			if got.State != c.want {
				t.Errorf("after it is raised again: state %q, want %q", got.State, c.want)
			}
			if got.Decision == nil || got.Decision.State != c.state {
				t.Errorf("decision %+v, want the %s decision kept", got.Decision, c.state)
			}
			// The list's state filter agrees with the state shown.
			list, err := s.Findings(t.Context(), store.FindingQuery{State: c.want})
			must(t, err)
			if len(list) != 1 || list[0].Key != key {
				t.Errorf("filter state=%s: %d rows, want this finding", c.want, len(list))
			}
		})
	}
	t.Run("a resolved finding replayed from before the decision stays resolved", func(t *testing.T) {
		s := newStore(t)
		key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
		_, err := s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: store.StateResolved, Actor: "aiko"})
		must(t, err)
		_, err = s.PutFinding(t.Context(), key, fnd(finding.High, "script.changed", "m", t0.Add(-time.Hour)))
		must(t, err)
		if got := findingState(t, s, key); got.State != store.StateResolved {
			t.Errorf("state %q, want resolved", got.State)
		}
	})
	t.Run("setting a finding open again removes the decision", func(t *testing.T) {
		s := newStore(t)
		key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
		_, err := s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: store.StateResolved, Actor: "aiko"})
		must(t, err)
		_, err = s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: store.StateOpen, Actor: "aiko"})
		must(t, err)
		if got := findingState(t, s, key); got.State != store.StateOpen || got.Decision != nil {
			t.Errorf("state %q, decision %+v; want open and none", got.State, got.Decision)
		}
	})
	refused := []struct {
		name string
		d    store.FindingDecision
		want error
	}{
		{"a dismissal without a reason is refused", store.FindingDecision{State: store.StateDismissed, Reason: "  "}, store.ErrInvalid},
		{"an unknown state is refused", store.FindingDecision{State: "ignored", Reason: "x"}, store.ErrInvalid},
		{"an over-long reason is refused", store.FindingDecision{State: store.StateResolved, Reason: strings.Repeat("x", store.MaxReasonBytes+1)}, store.ErrInvalid},
		{"a decision about a finding that is not stored is not found", store.FindingDecision{State: store.StateResolved, Key: "nope"}, store.ErrNotFound},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
			c.d.Site, c.d.Actor = "shop", "aiko"
			if c.d.Key == "" {
				c.d.Key = key
			}
			if _, err := s.SetFindingState(t.Context(), c.d); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if got := findingState(t, s, key); got.Decision != nil {
				t.Errorf("a refused decision was stored: %+v", got.Decision)
			}
		})
	}
	t.Run("a card number in a reason is stored masked", func(t *testing.T) {
		s := newStore(t)
		key := putFinding(t, s, fnd(finding.High, "script.changed", "m", t0))
		_, err := s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: store.StateDismissed,
			Reason: "customer card " + realCard + " was a test", Actor: "aiko"})
		must(t, err)
		got := findingState(t, s, key)
		if got.Decision == nil || strings.Contains(got.Decision.Reason, realCard) || !strings.Contains(got.Decision.Reason, realCardMasked) {
			t.Errorf("reason %+v, want the card masked as %s", got.Decision, realCardMasked)
		}
	})
	t.Run("filters by source, severity, key and state each keep only their findings", func(t *testing.T) {
		s := newStore(t)
		a := fnd(finding.High, "script.changed", "a", t0)
		b := fnd(finding.Medium, "destination.new", "b", t0)
		c := fnd(finding.High, "fim.changed", "c", t0)
		c.Source = "fim"
		ka, kb, kc := putFinding(t, s, a), putFinding(t, s, b), putFinding(t, s, c)
		_, err := s.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: kb, State: store.StateAcknowledged, Actor: "aiko"})
		must(t, err)
		for _, q := range []struct {
			name string
			q    store.FindingQuery
			want []string
		}{
			{"source fim", store.FindingQuery{Source: "fim"}, []string{kc}},
			{"source check", store.FindingQuery{Source: "check"}, []string{ka, kb}},
			{"severity medium", store.FindingQuery{Severity: finding.Medium}, []string{kb}},
			{"key", store.FindingQuery{Key: ka}, []string{ka}},
			{"state acknowledged", store.FindingQuery{State: store.StateAcknowledged}, []string{kb}},
			{"state open, severity high", store.FindingQuery{State: store.StateOpen, Severity: finding.High}, []string{ka, kc}},
			{"another site", store.FindingQuery{Site: "other"}, nil},
		} {
			got, err := s.Findings(t.Context(), q.q)
			must(t, err)
			var keys []string
			for _, f := range got {
				keys = append(keys, f.Key)
			}
			if !sameSet(keys, q.want) {
				t.Errorf("%s: keys %v, want %v", q.name, keys, q.want)
			}
		}
	})
	t.Run("paging with the cursor returns every finding once, in the list's order", func(t *testing.T) {
		s := newStore(t)
		sevs := []finding.Severity{finding.Info, finding.Low, finding.Medium, finding.High, finding.Critical}
		for i := range 37 {
			f := fnd(sevs[i%5], "k", fmt.Sprint("msg ", i), t0.Add(time.Duration(i%4)*time.Minute))
			f.Site = []string{"shop", "other"}[i%2]
			_, err := s.PutFinding(t.Context(), store.FindingKey(f, f.Message), f)
			must(t, err)
		}
		all, err := s.Findings(t.Context(), store.FindingQuery{})
		must(t, err)
		if len(all) != 37 {
			t.Fatalf("%d findings, want 37", len(all))
		}
		var paged []store.StoredFinding
		q := store.FindingQuery{Limit: 5}
		for range 20 {
			page, err := s.Findings(t.Context(), q)
			must(t, err)
			paged = append(paged, page...)
			if len(page) < q.Limit {
				break
			}
			// The cursor goes through its URL form, as the dashboard's does.
			q.After, err = store.ParseFindingCursor(store.CursorOf(page[len(page)-1]).String())
			must(t, err)
		}
		if len(paged) != len(all) {
			t.Fatalf("paged %d findings, want %d", len(paged), len(all))
		}
		for i := range all {
			if paged[i].Site != all[i].Site || paged[i].Key != all[i].Key {
				t.Fatalf("row %d: paged %s/%s, want %s/%s", i, paged[i].Site, paged[i].Key, all[i].Site, all[i].Key)
			}
			if i > 0 && all[i].Severity > all[i-1].Severity {
				t.Fatalf("row %d: severity %v after %v", i, all[i].Severity, all[i-1].Severity)
			}
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func digestOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func testScriptSources(t *testing.T, newStore NewFunc) {
	t.Run("a source is read back by its digest", func(t *testing.T) {
		s := newStore(t)
		src := "var a=1;function f(){return a}"
		must(t, s.PutScriptSources(t.Context(), []store.ScriptSource{{SHA256: digestOf(src), URL: "https://shop.example/a.js", Source: src, FirstSeen: t0}}))
		got, err := s.ScriptSource(t.Context(), digestOf(src))
		must(t, err)
		want := store.ScriptSource{SHA256: digestOf(src), URL: "https://shop.example/a.js", Source: src, Length: len(src), FirstSeen: t0}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("the first copy under a digest is kept", func(t *testing.T) {
		s := newStore(t)
		d := digestOf("x")
		must(t, s.PutScriptSources(t.Context(), []store.ScriptSource{{SHA256: d, Source: "first", FirstSeen: t0}}))
		must(t, s.PutScriptSources(t.Context(), []store.ScriptSource{{SHA256: d, Source: "second", FirstSeen: t0.Add(time.Hour)}}))
		got, err := s.ScriptSource(t.Context(), d)
		must(t, err)
		if got.Source != "first" || !got.FirstSeen.Equal(t0) {
			t.Errorf("got %q first seen %v, want the first copy", got.Source, got.FirstSeen)
		}
	})
	t.Run("a card number in a source is stored masked", func(t *testing.T) {
		s := newStore(t)
		src := `var c="` + realCard + `";`
		must(t, s.PutScriptSources(t.Context(), []store.ScriptSource{{SHA256: digestOf(src), Source: src}}))
		got, err := s.ScriptSource(t.Context(), digestOf(src))
		must(t, err)
		if strings.Contains(got.Source, realCard) || !strings.Contains(got.Source, realCardMasked) {
			t.Errorf("source %q, want the card masked", got.Source)
		}
	})
	t.Run("a source over the cap is kept in part and marked truncated", func(t *testing.T) {
		s := newStore(t)
		src := strings.Repeat("é", store.MaxScriptSourceBytes) // two bytes each, so the cap falls mid-text
		must(t, s.PutScriptSources(t.Context(), []store.ScriptSource{{SHA256: digestOf(src), Source: src}}))
		got, err := s.ScriptSource(t.Context(), digestOf(src))
		must(t, err)
		if !got.Truncated || len(got.Source) != store.MaxScriptSourceBytes || got.Length != len(src) {
			t.Errorf("truncated %v, %d bytes kept, length %d; want truncated, %d kept, length %d",
				got.Truncated, len(got.Source), got.Length, store.MaxScriptSourceBytes, len(src))
		}
	})
	t.Run("an invalid digest fails the whole batch", func(t *testing.T) {
		s := newStore(t)
		good := digestOf("good")
		err := s.PutScriptSources(t.Context(), []store.ScriptSource{{SHA256: good, Source: "good"}, {SHA256: strings.ToUpper(good), Source: "bad"}})
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		if _, err := s.ScriptSource(t.Context(), good); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the valid source was written anyway: %v", err)
		}
	})
}

func testEventPaging(t *testing.T, newStore NewFunc) {
	t.Run("events page backwards newest first with BeforeSeq", func(t *testing.T) {
		s := newStore(t)
		for i := range 7 {
			_, err := s.AppendEvent(t.Context(), store.Event{Site: "shop", Type: "t", Actor: "a", Time: t0.Add(time.Duration(i) * time.Second)})
			must(t, err)
		}
		_, err := s.AppendEvent(t.Context(), store.Event{Site: "other", Type: "t", Actor: "a", Time: t0})
		must(t, err)
		var seqs []int64
		q := store.EventQuery{Site: "shop", Newest: true, Limit: 3}
		for range 5 {
			page, err := s.Events(t.Context(), q)
			must(t, err)
			for _, e := range page {
				seqs = append(seqs, e.Seq)
			}
			if len(page) < q.Limit {
				break
			}
			q.BeforeSeq = page[len(page)-1].Seq
		}
		if fmt.Sprint(seqs) != "[7 6 5 4 3 2 1]" {
			t.Errorf("seqs %v, want 7 down to 1", seqs)
		}
	})
}
