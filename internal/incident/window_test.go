package incident

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/checkrun"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

const (
	shop     = "http://127.0.0.1:8080"
	payPage  = shop + "/checkout/link"
	attacker = "http://127.0.0.2:9000"
	benignJS = "1111111111111111111111111111111111111111111111111111111111111111"
	evilJS   = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
)

var t0 = time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)

func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkAt files one browser check of target at time at, as checkrun
// records it, serving the benign script and (when dirty) the skimmer.
func checkAt(t *testing.T, st store.Store, target string, at time.Time, dirty, complete bool) store.Event {
	t.Helper()
	o := &observation.Observation{Target: target, Complete: complete, StartedAt: at,
		Scripts: []observation.Script{{URL: shop + "/js/app.js", Kind: observation.ScriptExternal, SHA256: benignJS}}}
	if dirty {
		o.Scripts = append(o.Scripts, observation.Script{URL: shop + "/js/jquery.min.js", Kind: observation.ScriptExternal, SHA256: evilJS})
	}
	r := &finding.Report{Command: "check", Complete: complete}
	evs := checkrun.Events("test", r, []*observation.Observation{o})
	evs[0].Site, evs[0].Time = "shop", at.Add(time.Second)
	e, err := st.AppendEvent(context.Background(), evs[0])
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// exfilFinding files the finding a dirty check raises.
func exfilFinding(t testing.TB, st store.Store, page string, at time.Time, values ...string) string {
	t.Helper()
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	f := finding.Finding{Severity: finding.Critical, Kind: verdict.KindCardExfil, Source: "check", Site: "shop", URL: page, Time: at,
		Message:  "The test card was sent to " + attacker,
		Evidence: map[string]any{"destination_origin": attacker, "script": shop + "/js/jquery.min.js", "values": vs}}
	if err := record.Put(context.Background(), st, "shop", []finding.Finding{f}, nil, nil); err != nil {
		t.Fatal(err)
	}
	fs, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
	if err != nil || len(fs) == 0 {
		t.Fatal(fs, err)
	}
	for _, sf := range fs {
		if sf.URL == page {
			return sf.Key
		}
	}
	t.Fatal("finding not stored")
	return ""
}

func TestWindowFromChecks(t *testing.T) {
	ctx := context.Background()
	every := 15 * time.Minute
	t.Run("a tamper between clean checks is bracketed by the last clean and first dirty check at each end", func(t *testing.T) {
		st := openStore(t)
		var evs []store.Event
		for i := range 12 {
			dirty := i >= 4 && i <= 8
			evs = append(evs, checkAt(t, st, payPage, t0.Add(time.Duration(i)*every), dirty, true))
		}
		key := exfilFinding(t, st, payPage, t0.Add(4*every), "card-number", "cvv", "expiry", "holder")
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}, Now: func() time.Time { return t0.Add(time.Hour * 24) }})
		if err != nil {
			t.Fatal(err)
		}
		w := inc.Window
		if !w.Start.After.Equal(t0.Add(3*every)) || !w.Start.NoLaterThan.Equal(t0.Add(4*every)) {
			t.Errorf("start = (%s, %s], want (check 3, check 4]", w.Start.After, w.Start.NoLaterThan)
		}
		if !w.End.After.Equal(t0.Add(8*every)) || !w.End.NoLaterThan.Equal(t0.Add(9*every)) || w.End.Open {
			t.Errorf("end = [%s, %s) open=%v, want [check 8, check 9)", w.End.After, w.End.NoLaterThan, w.End.Open)
		}
		if w.Start.AfterSource != SourceCheck || w.Start.NoLaterThanSource != SourceCheck {
			t.Errorf("start sources = %q/%q, want check/check", w.Start.AfterSource, w.Start.NoLaterThanSource)
		}
		if got := w.Start.Evidence; len(got) != 2 || got[0].EventSeq != evs[3].Seq || got[0].EventHash != evs[3].Hash || got[1].EventSeq != evs[4].Seq || got[1].EventHash != evs[4].Hash {
			t.Errorf("start cites %+v, want events %d and %d with their hashes", got, evs[3].Seq, evs[4].Seq)
		}
		if got := w.End.Evidence; len(got) != 2 || got[0].EventSeq != evs[8].Seq || got[1].EventSeq != evs[9].Seq {
			t.Errorf("end cites %+v, want events %d and %d", got, evs[8].Seq, evs[9].Seq)
		}
		if want := []string{evilJS}; strings.Join(inc.Artifact.ScriptSHA256, ",") != strings.Join(want, ",") {
			t.Errorf("artifact hashes = %v, want only the skimmer's %v (the benign script served on both sides)", inc.Artifact.ScriptSHA256, want)
		}
		if len(inc.Pages) != 1 || inc.Pages[0].Kind != PagePayment || strings.Join(classNamesOf(inc.Pages[0].Exposed), ",") != "card-number,card-expiry,card-holder,security-code" {
			t.Errorf("pages = %+v, want the payment page exposing the four card classes", inc.Pages)
		}
		v, err := Verify(ctx, st, inc)
		if err != nil || !v.OK() || v.Checked == 0 {
			t.Errorf("verify = %+v, %v; want every citation to hold", v, err)
		}
	})
	t.Run("an incomplete check between is not taken as clean", func(t *testing.T) {
		st := openStore(t)
		checkAt(t, st, payPage, t0, false, true)
		checkAt(t, st, payPage, t0.Add(every), false, false) // incomplete
		checkAt(t, st, payPage, t0.Add(2*every), true, true)
		checkAt(t, st, payPage, t0.Add(3*every), false, false) // incomplete
		key := exfilFinding(t, st, payPage, t0.Add(2*every), "card-number")
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}})
		if err != nil {
			t.Fatal(err)
		}
		if !inc.Window.Start.After.Equal(t0) {
			t.Errorf("start after = %s, want the last complete clean check %s", inc.Window.Start.After, t0)
		}
		if !inc.Window.End.Open {
			t.Errorf("end = %+v, want open: no complete clean check came after", inc.Window.End)
		}
	})
	t.Run("installed after the breach: the start is before the first observation and the file's mtime narrows it as weaker evidence", func(t *testing.T) {
		st := openStore(t)
		for i := range 3 {
			checkAt(t, st, payPage, t0.Add(time.Duration(i)*every), true, true)
		}
		checkAt(t, st, payPage, t0.Add(3*every), false, true)
		key := exfilFinding(t, st, payPage, t0, "card-number")
		mtime := t0.Add(-36 * time.Hour)
		ff := finding.Finding{Severity: finding.High, Kind: "fim.added", Source: "fim", Path: "js/jquery.min.js", Message: "new file", Time: t0.Add(every),
			Evidence: map[string]any{"mtime": mtime.Format(time.RFC3339Nano), "sha256": evilJS}}
		if err := record.Put(ctx, st, "shop", []finding.Finding{ff}, nil, []store.Event{{Type: "fim verify", Time: t0.Add(every + time.Second), Data: []byte(`{"findings":1}`)}}); err != nil {
			t.Fatal(err)
		}
		fs, _ := st.Findings(ctx, store.FindingQuery{Site: "shop"})
		var fimKey string
		for _, f := range fs {
			if f.Source == "fim" {
				fimKey = f.Key
			}
		}
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key, fimKey}})
		if err != nil {
			t.Fatal(err)
		}
		s := inc.Window.Start
		if !s.After.Equal(mtime) || s.AfterSource != SourceMtime {
			t.Errorf("start after = %s from %q, want the mtime %s", s.After, s.AfterSource, mtime)
		}
		if !s.NoLaterThan.Equal(t0) || s.NoLaterThanSource != SourceCheck {
			t.Errorf("start no later than = %s from %q, want the first check %s", s.NoLaterThan, s.NoLaterThanSource, t0)
		}
		if !strings.Contains(s.Weaker, "modification time") {
			t.Errorf("weaker = %q, want it to name the file's modification time", s.Weaker)
		}
		if inc.Artifact.Path != "js/jquery.min.js" {
			t.Errorf("artifact path = %q", inc.Artifact.Path)
		}
	})
	t.Run("installed after the breach: the last page view before the script's first request bounds the start as weaker evidence", func(t *testing.T) {
		st := openStore(t)
		checkAt(t, st, payPage, t0, true, true)
		checkAt(t, st, payPage, t0.Add(every), false, true)
		key := exfilFinding(t, st, payPage, t0, "card-number")
		view, first := t0.Add(-3*time.Hour), t0.Add(-2*time.Hour)
		log := []AccessRequest{
			{Line: 1, Time: t0.Add(-5 * time.Hour), Path: "/checkout/link", Status: 200},
			{Line: 2, Time: view, Path: "/checkout/link", Status: 200},
			{Line: 3, Time: first, Path: "/js/jquery.min.js", Status: 200},
			{Line: 4, Time: first.Add(time.Second), Path: "/checkout/link", Status: 200},
		}
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}, AccessLog: log})
		if err != nil {
			t.Fatal(err)
		}
		s := inc.Window.Start
		if !s.After.Equal(view) || s.AfterSource != SourceAccessLog || !s.NoLaterThan.Equal(first) || s.NoLaterThanSource != SourceAccessLog {
			t.Errorf("start = %s, want (line 2, line 3] from the access log", s.StartText())
		}
		if !strings.Contains(s.Weaker, "cached script") {
			t.Errorf("weaker = %q, want it to say a page view may have used a cached script", s.Weaker)
		}
	})
	t.Run("installed after the breach with nothing else: the start has no lower bound and says so", func(t *testing.T) {
		st := openStore(t)
		checkAt(t, st, payPage, t0, true, true)
		checkAt(t, st, payPage, t0.Add(every), false, true)
		key := exfilFinding(t, st, payPage, t0, "card-number")
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}})
		if err != nil {
			t.Fatal(err)
		}
		if !inc.Window.Start.After.IsZero() || !strings.Contains(inc.Window.Start.Weaker, "first observation") {
			t.Errorf("start = %+v, want no lower bound and a note on skimwatch's first observation", inc.Window.Start)
		}
	})
	t.Run("a customer's CSP report before the first dirty check narrows the start", func(t *testing.T) {
		st := openStore(t)
		checkAt(t, st, payPage, t0, false, true)
		checkAt(t, st, payPage, t0.Add(every), true, true)
		checkAt(t, st, payPage, t0.Add(2*every), false, true)
		key := exfilFinding(t, st, payPage, t0.Add(every), "card-number")
		report := t0.Add(5 * time.Minute)
		if err := st.MergeReportAggregates(ctx, "", []store.ReportAggregate{{Site: "shop", Directive: "connect-src", Kind: "connect", Blocked: attacker,
			DocumentPath: "/checkout/link", Disposition: "report", Count: 3, ClientHashes: []string{"a"}, FirstSeen: report, LastSeen: t0.Add(every + 5*time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}})
		if err != nil {
			t.Fatal(err)
		}
		if s := inc.Window.Start; !s.NoLaterThan.Equal(report) || s.NoLaterThanSource != SourceCSP {
			t.Errorf("start no later than = %s from %q, want the CSP report at %s", s.NoLaterThan, s.NoLaterThanSource, report)
		}
		if e := inc.Window.End; !e.After.Equal(t0.Add(every+5*time.Minute)) || e.AfterSource != SourceCSP {
			t.Errorf("end after = %s from %q, want the last CSP report", e.After, e.AfterSource)
		}
	})
	t.Run("the access log's first request for the skimmer narrows the start and is cited offline", func(t *testing.T) {
		st := openStore(t)
		checkAt(t, st, payPage, t0, false, true)
		checkAt(t, st, payPage, t0.Add(every), true, true)
		checkAt(t, st, payPage, t0.Add(2*every), false, true)
		key := exfilFinding(t, st, payPage, t0.Add(every), "card-number")
		first := t0.Add(7 * time.Minute)
		log := []AccessRequest{
			{Line: 1, Time: t0.Add(6 * time.Minute), Path: "/checkout/link", Status: 200},
			{Line: 2, Time: first, Path: "/js/jquery.min.js", Status: 200},
			{Line: 3, Time: t0.Add(20 * time.Minute), Path: "/js/jquery.min.js", Status: 200},
		}
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}, AccessLog: log, AccessLogName: "access.log"})
		if err != nil {
			t.Fatal(err)
		}
		s := inc.Window.Start
		if !s.NoLaterThan.Equal(first) || s.NoLaterThanSource != SourceAccessLog {
			t.Fatalf("start no later than = %s from %q, want the access log's %s", s.NoLaterThan, s.NoLaterThanSource, first)
		}
		last := s.Evidence[len(s.Evidence)-1]
		if !last.Offline || !strings.Contains(last.What, "access.log line 2") {
			t.Errorf("citation = %+v, want an offline citation of access.log line 2", last)
		}
		v, err := Verify(ctx, st, inc)
		if err != nil || !v.OK() || v.Offline == 0 {
			t.Errorf("verify = %+v, %v; want OK with offline citations counted apart", v, err)
		}
	})
}
