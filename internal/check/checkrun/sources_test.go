package checkrun

import (
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

func TestSaveSources(t *testing.T) {
	sha := func(c byte) string {
		b := make([]byte, 64)
		for i := range b {
			b[i] = c
		}
		return string(b)
	}
	o := &observation.Observation{Target: page, Complete: true, Scripts: []observation.Script{
		{URL: "https://shop.example/app.js", SHA256: sha('a'), Source: "a()", Length: 3},
		{URL: "https://shop.example/again.js", SHA256: sha('a'), Source: "a()", Length: 3},
		{URL: "https://shop.example/big.js", SHA256: sha('b'), Source: "b(", Length: 90000},
		{Kind: observation.ScriptInline, SHA256: sha('c')},
	}}
	st, err := sqlite.Open(t.Context(), store.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := SaveSources(t.Context(), st, []*observation.Observation{o}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sha, source string
		truncated         bool
		missing           bool
	}{
		{"a script's source is kept under its digest", sha('a'), "a()", false, false},
		{"a source the check kept only in part is marked truncated", sha('b'), "b(", true, false},
		{"a script without a kept source stores nothing", sha('c'), "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.ScriptSource(t.Context(), tc.sha)
			if tc.missing {
				if err == nil {
					t.Fatalf("stored %+v, want nothing", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != tc.source || got.Truncated != tc.truncated {
				t.Errorf("source %q truncated %v, want %q %v", got.Source, got.Truncated, tc.source, tc.truncated)
			}
		})
	}
}
