package inventory

import (
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

func TestChangedScriptNamesBothSources(t *testing.T) {
	doc := "http://127.0.0.1:1/checkout"
	script := func(src, sha string) observation.Script {
		return observation.Script{URL: "http://127.0.0.1:1/static/app.js", Kind: observation.ScriptExternal, DocumentURL: doc,
			Fingerprint: Fingerprint(src), SHA256: sha}
	}
	approved := script("a()", "aaaa")
	base := FromObservation(obs([]observation.Script{approved}, nil, nil, nil))
	t.Run("a changed script's evidence names the approved and the new digest", func(t *testing.T) {
		got := Diff(base, obs([]observation.Script{script("a();skim()", "bbbb")}, nil, nil, nil))
		if len(got) != 1 || got[0].Kind != ChangeScriptChanged {
			t.Fatalf("changes %+v, want one %s", got, ChangeScriptChanged)
		}
		if got[0].Detail["approved_sha256"] != "aaaa" || got[0].Detail["sha256"] != "bbbb" {
			t.Errorf("approved_sha256 %v, sha256 %v; want aaaa and bbbb", got[0].Detail["approved_sha256"], got[0].Detail["sha256"])
		}
	})
	t.Run("approving a new version makes it the one a later change is compared with", func(t *testing.T) {
		b := &Baseline{Pages: map[string]*PageInventory{}}
		b.Merge(base, time.Now())
		b.Merge(FromObservation(obs([]observation.Script{script("a();b()", "cccc")}, nil, nil, nil)), time.Now())
		got := Diff(b.Pages[base.Target], obs([]observation.Script{script("a();skim()", "bbbb")}, nil, nil, nil))
		if len(got) != 1 || got[0].Detail["approved_sha256"] != "cccc" {
			t.Fatalf("changes %+v, want one naming cccc as approved", got)
		}
	})
}
