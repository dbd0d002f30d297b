package incident

import (
	"context"
	"fmt"
	"slices"

	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Citations lists every citation in the incident, each once.
func (inc *Incident) Citations() []Citation {
	var out []Citation
	seen := map[string]bool{}
	add := func(cs ...Citation) {
		for _, c := range cs {
			k := fmt.Sprint(c.EventSeq, c.EventHash, c.Source, c.What, c.Offline)
			if !seen[k] {
				seen[k] = true
				out = append(out, c)
			}
		}
	}
	for _, b := range []Bounds{inc.Window.Start, inc.Window.End} {
		add(b.Evidence...)
	}
	for _, p := range inc.Pages {
		add(p.Window.Start.Evidence...)
		add(p.Window.End.Evidence...)
	}
	for _, o := range inc.Observations {
		add(o.Cite)
	}
	return out
}

// Verification is the outcome of Verify.
type Verification struct {
	Chain record.Chain `json:"chain"`
	// Checked counts citations found in the chain with their hash.
	Checked int `json:"checked"`
	// Offline counts citations of evidence outside the log (access log,
	// file times), which the chain cannot prove.
	Offline int `json:"offline"`
	// Problems are citations that do not hold, one sentence each.
	Problems []string `json:"problems,omitempty"`
}

// OK reports an intact chain in which every citation holds.
func (v Verification) OK() bool { return v.Chain.Broken == nil && len(v.Problems) == 0 }

// Verify re-checks the incident's citations against the event log: the
// chain must verify (up to the head the incident saw when it was opened),
// and every cited event must still be there with the cited hash.
func Verify(ctx context.Context, st store.Store, inc *Incident) (Verification, error) {
	var v Verification
	head, err := record.ParseHead(inc.ChainHead)
	if err != nil {
		v.Problems = append(v.Problems, "the incident's chain head does not parse: "+err.Error())
	}
	v.Chain, err = record.VerifyChain(ctx, st, head)
	if err != nil {
		return v, err
	}
	cs := inc.Citations()
	slices.SortFunc(cs, func(a, b Citation) int { return int(a.EventSeq - b.EventSeq) })
	for _, c := range cs {
		if c.Offline {
			v.Offline++
			continue
		}
		got, err := st.Events(ctx, store.EventQuery{AfterSeq: c.EventSeq - 1, Limit: 1})
		if err != nil {
			return v, fmt.Errorf("read event %d: %w", c.EventSeq, err)
		}
		switch {
		case len(got) == 0 || got[0].Seq != c.EventSeq:
			v.Problems = append(v.Problems, fmt.Sprintf("event %d (%s) is no longer in the log", c.EventSeq, c.What))
		case got[0].Hash != c.EventHash:
			v.Problems = append(v.Problems, fmt.Sprintf("event %d (%s) has hash %s, the incident cites %s", c.EventSeq, c.What, got[0].Hash, c.EventHash))
		case got[0].Site != inc.Site:
			v.Problems = append(v.Problems, fmt.Sprintf("event %d (%s) belongs to site %q, not %q", c.EventSeq, c.What, got[0].Site, inc.Site))
		default:
			v.Checked++
		}
	}
	return v, nil
}
