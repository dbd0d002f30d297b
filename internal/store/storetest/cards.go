package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Real-shaped card numbers (Luhn-valid, real issuer digits, outside the
// test range) and how the store must keep them, and a honey card.
const (
	realCard       = "4539148803436467"
	realCardMasked = "453914******6467"
	honeyCard      = "4111111111111111"
)

func testCardMasking(t *testing.T, newStore NewFunc) {
	t.Run("a card in a finding's message, URL and evidence is stored masked", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		f := fnd(finding.High, "scan.match", "loot file holds "+realCard, t0)
		f.URL = "https://evil.example/c/" + realCard
		f.Evidence = map[string]any{
			"number":  int64(4539148803436467),
			"strings": []struct{ Data string }{{Data: "cc=4539 1488 0343 6467"}},
			"honey":   honeyCard,
		}
		_, err := s.PutFinding(ctx, "k", f)
		must(t, err)
		got, err := s.Findings(ctx, store.FindingQuery{})
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("got %d findings", len(got))
		}
		g := got[0]
		if g.Message != "loot file holds "+realCardMasked || g.URL != "https://evil.example/c/"+realCardMasked {
			t.Errorf("message %q, URL %q: want the card masked", g.Message, g.URL)
		}
		if g.Evidence["number"] != realCardMasked {
			t.Errorf("evidence number = %#v, want %q", g.Evidence["number"], realCardMasked)
		}
		want := []any{map[string]any{"Data": "cc=4539 14** **** 6467"}}
		if !reflect.DeepEqual(g.Evidence["strings"], want) {
			t.Errorf("evidence strings = %#v, want %#v", g.Evidence["strings"], want)
		}
		if g.Evidence["honey"] != honeyCard {
			t.Errorf("honey card in evidence = %#v, want it kept", g.Evidence["honey"])
		}
	})
	t.Run("a card in an aggregate's path, source and sample is stored masked", func(t *testing.T) {
		s := newStore(t)
		a := agg("https://evil.example", 1, t0, t0, "c1")
		a.DocumentPath = "/thanks/" + realCard
		a.SourceFile = "https://evil.example/" + realCard + ".js"
		a.Sample = `{"blocked_url":"https://evil.example/c?n=` + realCard + `"}`
		must(t, s.MergeReportAggregates(t.Context(), "b1", []store.ReportAggregate{a}))
		g := one(t, s)
		if g.DocumentPath != "/thanks/"+realCardMasked || g.SourceFile != "https://evil.example/"+realCardMasked+".js" ||
			g.Sample != `{"blocked_url":"https://evil.example/c?n=`+realCardMasked+`"}` {
			t.Errorf("got path %q, source %q, sample %q: want the card masked", g.DocumentPath, g.SourceFile, g.Sample)
		}
	})
	t.Run("a card in an event's data is stored masked and the chain verifies", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		e, err := s.AppendEvent(ctx, store.Event{Type: "scan", Data: json.RawMessage(`{"row":"cc=` + realCard + `","n":` + realCard + `}`)})
		must(t, err)
		want := `{"n":"` + realCardMasked + `","row":"cc=` + realCardMasked + `"}`
		if string(e.Data) != want {
			t.Errorf("appended data %s, want %s", e.Data, want)
		}
		got, err := s.Events(ctx, store.EventQuery{})
		must(t, err)
		if len(got) != 1 || strings.Contains(string(got[0].Data), realCard) {
			t.Errorf("stored events %+v hold the card", got)
		}
		if n, err := s.VerifyEvents(ctx); err != nil || n != 1 {
			t.Errorf("VerifyEvents = %d, %v", n, err)
		}
	})
}

func checkRun(id, target string, at int, honey map[string]string) store.CheckRun {
	return store.CheckRun{CheckID: id, Site: "shop", Target: target, Time: t0.Add(time.Duration(at) * time.Minute), Honey: honey}
}

func testCheckRuns(t *testing.T, newStore NewFunc) {
	first := checkRun("AAAAAAAAA2", "https://shop.example/checkout", 0, map[string]string{
		"card-number": "4111111111110001", "email": "mitsu.aaaaaaaaa2@honey-aaaaaaaaa2.example", "phone": "09012345678",
	})
	second := checkRun("BBBBBBBBB3", "https://shop.example/register", 1, map[string]string{
		"card-number": "4111111111110002", "email": "mitsu.bbbbbbbbb3@honey-bbbbbbbbb3.example",
	})
	put := func(t *testing.T, s store.Store, rs ...store.CheckRun) {
		t.Helper()
		for _, r := range rs {
			must(t, s.PutCheckRun(t.Context(), r))
		}
	}
	ids := func(rs []store.CheckRun) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.CheckID)
		}
		return out
	}
	t.Run("a leaked honey card names the check that typed it", func(t *testing.T) {
		s := newStore(t)
		put(t, s, first, second)
		got, err := s.CheckRunsByHoney(t.Context(), "4111 1111 1111 0002")
		must(t, err)
		if len(got) != 1 || !reflect.DeepEqual(got[0], second) {
			t.Fatalf("got %+v, want exactly %+v", got, second)
		}
	})
	tests := []struct {
		name, value string
		want        []string
	}{
		{"a phone number written with dashes finds its check", "090-1234-5678", []string{first.CheckID}},
		{"an email in upper case finds its check", "MITSU.AAAAAAAAA2@HONEY-AAAAAAAAA2.EXAMPLE", []string{first.CheckID}},
		{"a value no check typed finds nothing", "4111111111119999", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			put(t, s, first, second)
			got, err := s.CheckRunsByHoney(t.Context(), tt.value)
			must(t, err)
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Errorf("CheckRunsByHoney(%q) = %v, want %v", tt.value, ids(got), tt.want)
			}
		})
	}
	t.Run("checks that typed the same value are listed newest first", func(t *testing.T) {
		s := newStore(t)
		shared := checkRun("CCCCCCCCC4", "https://shop.example/checkout", 2, map[string]string{"phone": "09012345678"})
		put(t, s, first, shared)
		got, err := s.CheckRunsByHoney(t.Context(), "09012345678")
		must(t, err)
		if !reflect.DeepEqual(ids(got), []string{shared.CheckID, first.CheckID}) {
			t.Errorf("got %v, want the newer check first", ids(got))
		}
	})
	t.Run("recording a check again replaces its honey values", func(t *testing.T) {
		s := newStore(t)
		put(t, s, first)
		again := first
		again.Honey = map[string]string{"card-number": "4111111111110003"}
		put(t, s, again)
		got, err := s.CheckRunsByHoney(t.Context(), "4111111111110001")
		must(t, err)
		if len(got) != 0 {
			t.Errorf("the replaced value still finds %v", ids(got))
		}
		got, err = s.CheckRunsByHoney(t.Context(), "4111111111110003")
		must(t, err)
		if !reflect.DeepEqual(ids(got), []string{first.CheckID}) {
			t.Errorf("the new value finds %v", ids(got))
		}
	})
	t.Run("a real-shaped card is refused: a check run holds honey values only", func(t *testing.T) {
		s := newStore(t)
		bad := checkRun("DDDDDDDDD5", "https://shop.example/checkout", 0, map[string]string{"card-number": realCard})
		err := s.PutCheckRun(t.Context(), bad)
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("PutCheckRun with a real-shaped card = %v, want ErrInvalid", err)
		}
		if strings.Contains(err.Error(), realCard) {
			t.Errorf("the error repeats the card: %v", err)
		}
		got, err := s.CheckRunsByHoney(t.Context(), realCard)
		must(t, err)
		if len(got) != 0 {
			t.Errorf("refused run was stored: %v", ids(got))
		}
	})
	t.Run("a run without an ID is refused", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutCheckRun(t.Context(), checkRun("", "https://shop.example/", 0, nil)); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("PutCheckRun without an ID = %v, want ErrInvalid", err)
		}
	})
}
