package incident

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Every bound cites an event that names the fact itself: the collector
// evaluation that names the attacker's origin with its first report, the
// fim run that names the planted file with its hash and mtime.
func TestBoundsCiteTheEventThatNamesTheFact(t *testing.T) {
	ctx := context.Background()
	every := 15 * time.Minute
	t.Run("a CSP report's bound cites the collector evaluation that names the origin and its first report", func(t *testing.T) {
		st := openStore(t)
		checkAt(t, st, payPage, t0, false, true)
		checkAt(t, st, payPage, t0.Add(every), true, true)
		checkAt(t, st, payPage, t0.Add(2*every), false, true)
		key := exfilFinding(t, st, payPage, t0.Add(every), "card-number")
		report := t0.Add(5 * time.Minute)
		agg := store.ReportAggregate{Site: "shop", Directive: "connect-src", Kind: "connect", Blocked: attacker,
			DocumentPath: "/checkout/link", Disposition: "report", Count: 3, ClientHashes: []string{"a"}, FirstSeen: report, LastSeen: report.Add(time.Minute)}
		if err := st.MergeReportAggregates(ctx, "", []store.ReportAggregate{agg}); err != nil {
			t.Fatal(err)
		}
		stored, err := st.ReportAggregates(ctx, store.AggregateQuery{Site: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		// The evaluation just after the report ran before the collector
		// flushed it, so it names nothing; the next one names it.
		rep := &finding.Report{Command: "collector evaluate", Complete: true, Targets: []string{"shop"}}
		early := record.RunEvent("test", rep, collector.EvaluationFacts(nil, t0))
		early.Site, early.Time = "shop", report.Add(30*time.Second)
		if _, err := st.AppendEvent(ctx, early); err != nil {
			t.Fatal(err)
		}
		named := record.RunEvent("test", rep, collector.EvaluationFacts(stored, report.Add(-time.Minute)))
		named.Site, named.Time = "shop", report.Add(2*time.Minute)
		want, err := st.AppendEvent(ctx, named)
		if err != nil {
			t.Fatal(err)
		}
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key}})
		if err != nil {
			t.Fatal(err)
		}
		s := inc.Window.Start
		if s.NoLaterThanSource != SourceCSP {
			t.Fatalf("start no later than from %q, want the CSP report", s.NoLaterThanSource)
		}
		c := s.Evidence[len(s.Evidence)-1]
		if c.Offline || c.EventSeq != want.Seq || c.EventHash != want.Hash || !strings.Contains(c.What, attacker) {
			t.Errorf("citation = %+v, want event %d naming %s", c, want.Seq, attacker)
		}
		if v, err := Verify(ctx, st, inc); err != nil || !v.OK() {
			t.Errorf("verify = %+v, %v", v, err)
		}
	})
	t.Run("the planted file's bounds cite the fim run that names the file with its hash and mtime", func(t *testing.T) {
		st := openStore(t)
		for i := range 3 {
			checkAt(t, st, payPage, t0.Add(time.Duration(i)*every), true, true)
		}
		checkAt(t, st, payPage, t0.Add(3*every), false, true)
		key := exfilFinding(t, st, payPage, t0, "card-number")
		mtime := t0.Add(-36 * time.Hour)
		ff := finding.Finding{Severity: finding.High, Kind: "fim.added", Source: "fim", Path: "js/jquery.min.js", Message: "new file", Time: t0.Add(every),
			Evidence: map[string]any{"mtime": mtime.Format(time.RFC3339Nano), "sha256": evilJS}}
		other := finding.Finding{Severity: finding.Medium, Kind: "fim.modified", Source: "fim", Path: "index.php", Message: "changed", Time: t0.Add(every),
			Evidence: map[string]any{"sha256": benignJS}}
		rep := &finding.Report{Command: "fim verify", Complete: true, Targets: []string{"/var/www"}, Findings: []finding.Finding{other, ff}}
		ev := record.RunEvent("test", rep, nil)
		ev.Time = t0.Add(every + time.Second)
		if err := record.Put(ctx, st, "shop", rep.Findings, nil, []store.Event{ev}); err != nil {
			t.Fatal(err)
		}
		evs, _ := st.Events(ctx, store.EventQuery{Site: "shop", Type: "fim verify"})
		fs, _ := st.Findings(ctx, store.FindingQuery{Site: "shop"})
		var fimKey string
		for _, f := range fs {
			if f.Path == "js/jquery.min.js" {
				fimKey = f.Key
			}
		}
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{key, fimKey}})
		if err != nil {
			t.Fatal(err)
		}
		s := inc.Window.Start
		if s.AfterSource != SourceMtime {
			t.Fatalf("start after from %q, want the mtime", s.AfterSource)
		}
		for _, c := range s.Evidence {
			if c.Source != SourceMtime {
				continue
			}
			if c.Offline || c.EventSeq != evs[0].Seq || c.EventHash != evs[0].Hash {
				t.Errorf("mtime citation = %+v, want the fim run's event %d", c, evs[0].Seq)
			}
		}
		var fimCite *Citation
		for i, o := range inc.Observations {
			if o.Source == SourceFIM {
				fimCite = &inc.Observations[i].Cite
			}
		}
		if fimCite == nil || !strings.Contains(fimCite.What, "js/jquery.min.js") || !strings.Contains(fimCite.What, evilJS) || !strings.Contains(fimCite.What, mtime.Format(time.RFC3339)) {
			t.Errorf("fim citation = %+v, want it to name the file, its hash and its mtime", fimCite)
		}
	})
}

func TestOpenTakesAFindingByItsKindWhenTheSiteHasOneOfThatKind(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	every := 15 * time.Minute
	checkAt(t, st, payPage, t0, false, true)
	checkAt(t, st, payPage, t0.Add(every), true, true)
	checkAt(t, st, payPage, t0.Add(2*every), false, true)
	key := exfilFinding(t, st, payPage, t0.Add(every), "card-number")
	t.Run("the kind a shop owner sees in `skimwatch findings` opens the incident from that finding", func(t *testing.T) {
		inc, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{"honey.card-exfiltration"}})
		if err != nil {
			t.Fatal(err)
		}
		if inc.FindingKey != key {
			t.Errorf("opened from %q, want %q", inc.FindingKey, key)
		}
	})
	t.Run("a kind two findings share is refused with both keys named", func(t *testing.T) {
		other := exfilFinding(t, st, shop+"/register", t0.Add(every), "card-number")
		_, err := Open(ctx, st, Options{Site: "shop", FindingKeys: []string{"honey.card-exfiltration"}})
		if !errors.Is(err, ErrAmbiguousFinding) || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), other) {
			t.Errorf("err = %v, want ErrAmbiguousFinding naming %s and %s", err, key, other)
		}
	})
}
