package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

func getIn(s *Server, u User, path, lang string) string {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept-Language", lang)
	return as(s, u, r).Body.String()
}

// TestFindingsAreNamedByTitle: where people read findings, a finding is
// named by its kind's title in the page's language, with the kind beside
// it and the detector's sentence kept as the evidence; the API adds the
// English title and keeps every field it had.
func TestFindingsAreNamedByTitle(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	leak := finding.Finding{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", Message: "card went to evil.example",
		URL: "https://shop.example/checkout"}
	s, st := newTestServerWith(t, Options{Runs: func(context.Context, int) ([]monitor.Run, error) {
		low := finding.Finding{Severity: finding.Low, Kind: verdict.KindNoCSP}
		return []monitor.Run{{Finished: &at, Result: &monitor.RunResult{Site: "shop", Target: "https://shop.example/checkout", Detector: "check",
			At: at, Complete: true, Findings: []finding.Finding{low, leak}}}}, nil
	}})
	key := put(t, st, leak)
	old := put(t, st, finding.Finding{Severity: finding.Medium, Kind: "old.kind-from-before", Source: "fim", Message: "an old finding"})
	if _, err := st.SetFindingState(t.Context(), store.FindingDecision{Site: "shop", Key: key, State: store.StateAcknowledged, Actor: "kenji", Time: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.event(t.Context(), httptest.NewRequest("GET", "/", nil), "finding.acknowledged", "shop",
		map[string]any{"key": key, "kind": leak.Kind, "state": "acknowledged", "reason": "looking into it"}); err != nil {
		t.Fatal(err)
	}
	page := func(path, lang string) string { return getIn(s, viewer, path, lang) }
	for _, tc := range []struct {
		name, path, lang string
		want             []string
	}{
		{"the Japanese findings list names the leak in Japanese, its kind and sentence beside it", "/findings?state=all", "ja",
			[]string{">カード情報の外部送信</a>", `<small class="muted mono">honey.card-exfiltration</small>`, "card went to evil.example"}},
		{"the English findings list names it in English", "/findings?state=all", "en",
			[]string{">Card data sent to a third party</a>", "honey.card-exfiltration"}},
		{"a kind with no title is listed by the kind itself", "/findings?state=all", "ja", []string{">old.kind-from-before</a>"}},
		{"the Japanese finding page's heading is the title, and the sentence stays", "/findings/" + key + "?site=shop", "ja",
			[]string{"カード情報の外部送信</h1>", `<dd class="mono">honey.card-exfiltration</dd>`, "card went to evil.example"}},
		{"the Japanese finding page says what to do first, as the alert did", "/findings/" + key + "?site=shop", "ja",
			[]string{"<strong>まずすること:</strong> skimwatchのテスト用カード情報が、送られるべきでない宛先へ送信されました。"}},
		{"the English finding page says what to do first", "/findings/" + key + "?site=shop", "en",
			[]string{"<strong>What to do first:</strong> Card data typed by skimwatch&#39;s test customer was sent somewhere it should not go."}},
		{"the English finding page's heading is the title", "/findings/" + key + "?site=shop", "en", []string{"Card data sent to a third party</h1>"}},
		{"the Japanese timeline names the finding and the decision about it by title", "/timeline?site=shop", "ja",
			[]string{">カード情報の外部送信</a>", "finding.acknowledged", "looking into it"}},
		{"the Japanese overview names the worst finding of the latest run", "/", "ja", []string{"カード情報の外部送信"}},
		{"the English overview names it in English", "/", "en", []string{"Card data sent to a third party"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := page(tc.path, tc.lang)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", tc.path, w)
				}
			}
		})
	}
	t.Run("the Japanese timeline shows the title twice: the finding and the decision", func(t *testing.T) {
		if n := len(regexp.MustCompile(`カード情報の外部送信`).FindAllString(page("/timeline?site=shop", "ja"), -1)); n != 2 {
			t.Errorf("title shown %d times, want 2", n)
		}
	})

	var list struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(page("/api/findings", "ja")), &list); err != nil {
		t.Fatal(err)
	}
	var one map[string]any
	if err := json.Unmarshal([]byte(page("/api/findings/"+key+"?site=shop", "ja")), &one); err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Entries []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal([]byte(page("/api/sites/shop/timeline", "ja")), &tl); err != nil {
		t.Fatal(err)
	}
	var ov struct {
		Targets []map[string]any `json:"targets"`
	}
	if err := json.Unmarshal([]byte(page("/api/overview", "ja")), &ov); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]map[string]any{}
	for _, f := range list.Findings {
		byKey[f["key"].(string)] = f
	}
	var tlFinding, tlDecision map[string]any
	for _, e := range tl.Entries {
		switch e["what"] {
		case leak.Kind:
			tlFinding = e
		case "finding.acknowledged":
			tlDecision = e
		}
	}
	for _, tc := range []struct {
		name      string
		got       map[string]any
		field     string
		want      any
		keepField string
	}{
		{"the list API adds the English title whatever the reader's language", byKey[key], "title", "Card data sent to a third party", "message"},
		{"the list API's title for an unknown kind is the kind", byKey[old], "title", "old.kind-from-before", "kind"},
		{"the finding API adds the English title", one, "title", "Card data sent to a third party", "evidence"},
		{"the timeline API adds the finding's kind", tlFinding, "kind", leak.Kind, "summary"},
		{"the timeline API adds the finding's English title", tlFinding, "title", "Card data sent to a third party", "link"},
		{"the timeline API names the kind a decision was about", tlDecision, "title", "Card data sent to a third party", "summary"},
		{"the overview API names the worst finding's kind", firstOf(ov.Targets), "top_kind", leak.Kind, "findings"},
		{"the overview API adds its English title", firstOf(ov.Targets), "top_title", "Card data sent to a third party", "max_severity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got == nil {
				t.Fatal("no such entry in the answer")
			}
			if tc.got[tc.field] != tc.want {
				t.Errorf("%s = %v, want %v", tc.field, tc.got[tc.field], tc.want)
			}
			if _, ok := tc.got[tc.keepField]; !ok {
				t.Errorf("the answer lost %q: %v", tc.keepField, tc.got)
			}
		})
	}
}

func firstOf(list []map[string]any) map[string]any {
	if len(list) == 0 {
		return nil
	}
	return list[0]
}
