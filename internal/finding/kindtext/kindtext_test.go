package kindtext

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// emittedKinds is every kind the module's source can put in a finding,
// failing the test for a value the reader cannot trace.
func emittedKinds(t *testing.T) []string {
	t.Helper()
	r := readSource(t, "../../..")
	kinds := r.findingKinds()
	for at, why := range r.unresolved {
		t.Errorf("%s: %s; give the kind a constant or teach source_test.go the new way", at, why)
	}
	// Kinds reached through each way the source builds one: a constant,
	// a literal, a closure's parameter with a prefix, a function's
	// parameter, a struct table read through a function's result, a
	// positional table. If one is missing the reader is broken, and it
	// cannot vouch for the rest.
	for _, k := range []string{"honey.card-exfiltration", "dashboard.csp-violation", "csp.lint.unsafe-inline",
		"fim.unverified", "csp.unapproved-connect", "csp.foreign-document", "audit.git-exposed", "header.weakened", "alert.silence"} {
		if !slices.Contains(kinds, k) {
			t.Fatalf("the source reader missed %s (it found %d kinds)", k, len(kinds))
		}
	}
	return kinds
}

func TestEveryEmittedKindHasATitle(t *testing.T) {
	for _, kind := range emittedKinds(t) {
		t.Run(kind+" has a title in English and in Japanese", func(t *testing.T) {
			if _, exact := titles[kind]; !exact {
				// A prefix title is for kinds the code names at run
				// time; a kind the source spells out gets its own.
				t.Errorf("%s has no title of its own in kindtext.titles", kind)
			}
			for _, lang := range []string{English, Japanese} {
				if got := Title(kind, lang); got == "" || got == kind {
					t.Errorf("Title(%q, %s) = %q", kind, lang, got)
				}
			}
		})
	}
}

func TestEveryFamilyHasAFirstStep(t *testing.T) {
	for _, kind := range emittedKinds(t) {
		t.Run("a shop owner knows what to do first about "+kind, func(t *testing.T) {
			for _, lang := range []string{English, Japanese} {
				if got := FirstStep(kind, lang); got == defaultStep.in(lang) {
					t.Errorf("%s has only the generic first step in %s: add its family to firstSteps", kind, lang)
				}
			}
		})
	}
}

// asciiSentence finds a run of three or more ASCII words in Japanese text:
// an English phrase left untranslated. Single terms (CSP, eval, .env,
// 'unsafe-inline', a command in backquotes) are allowed.
func asciiSentence(s string) string {
	var run []string
	words := strings.FieldsFunc(s, func(r rune) bool { return r > unicode.MaxASCII || r == '`' })
	for _, w := range words {
		if f := strings.Fields(w); len(f) >= 3 && !strings.HasPrefix(strings.TrimSpace(w), "skimwatch ") {
			run = append(run, w)
		}
	}
	return strings.Join(run, " | ")
}

func TestJapaneseTextsAreJapanese(t *testing.T) {
	checked := 0
	check := func(name string, tx text) {
		checked++
		t.Run(name+" is written in Japanese, not copied from English", func(t *testing.T) {
			if tx.en == "" || tx.ja == "" {
				t.Fatalf("empty text: en %q, ja %q", tx.en, tx.ja)
			}
			if tx.ja == tx.en {
				t.Errorf("the Japanese text is the English one: %q", tx.ja)
			}
			if !strings.ContainsFunc(tx.ja, func(r rune) bool { return r > unicode.MaxASCII }) {
				t.Errorf("the Japanese text is ASCII only: %q", tx.ja)
			}
			if s := asciiSentence(tx.ja); s != "" {
				t.Errorf("the Japanese text has an English phrase: %q in %q", s, tx.ja)
			}
			if strings.ContainsFunc(tx.en, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) }) {
				t.Errorf("the English text has Japanese in it: %q", tx.en)
			}
		})
	}
	for k, tx := range titles {
		check("title of "+k, tx)
	}
	for _, p := range titlePrefixes {
		check("title of "+p.prefix+"*", p.text)
	}
	for _, p := range firstSteps {
		check("first step for "+p.prefix, p.text)
	}
	check("the default first step", defaultStep)
	if checked < len(titles)+len(firstSteps) {
		t.Fatal("not every text was checked")
	}
}

func TestAsciiSentenceFindsEnglishLeftInJapanese(t *testing.T) {
	for _, c := range []struct {
		name, in string
		found    bool
	}{
		{"a Japanese title with a technical term passes", "CSPがevalを許可", false},
		{"a quoted keyword passes", "CSPが'unsafe-inline'を許可", false},
		{"a command in backquotes passes", "`skimwatch csp policy` でポリシーを作成できます。", false},
		{"an English sentence in a Japanese text fails", "カード情報: Card data sent to a third party", true},
		{"an English text fails", "Card data sent to a third party", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := asciiSentence(c.in) != ""; got != c.found {
				t.Errorf("asciiSentence(%q) found = %v, want %v", c.in, got, c.found)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	for _, c := range []struct {
		name, kind, lang, want string
	}{
		{"a known kind reads in Japanese", "honey.card-exfiltration", Japanese, "カード情報の外部送信"},
		{"a known kind reads in English", "honey.card-exfiltration", English, "Card data sent to a third party"},
		{"an unknown language reads English", "honey.card-exfiltration", "fr", "Card data sent to a third party"},
		{"a new lint weakness reads as its prefix's title", "csp.lint.something-new", Japanese, "CSPの設定の弱点"},
		{"an unknown kind reads as the kind itself in Japanese", "old.kind-from-the-store", Japanese, "old.kind-from-the-store"},
		{"an unknown kind reads as the kind itself in English", "old.kind-from-the-store", English, "old.kind-from-the-store"},
		{"an unknown kind of a known family reads as the kind", "fim.changed", Japanese, "fim.changed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Title(c.kind, c.lang); got != c.want {
				t.Errorf("Title(%q, %q) = %q, want %q", c.kind, c.lang, got, c.want)
			}
		})
	}
}

func TestFirstStep(t *testing.T) {
	for _, c := range []struct {
		name, kind, lang, want string
	}{
		{"a card leak says to take the checkout down", "honey.card-exfiltration", English, "Switch the checkout to maintenance"},
		{"a personal data leak has its own step, not the card's", "honey.personal-data-exfiltration", English, "Personal data typed"},
		{"an audit finding has its family's step", "audit.env-exposed", Japanese, "攻撃者の侵入口"},
		{"a vulnerable component says to update", "audit.vulnerable-component", English, "Update it to a fixed version"},
		{"a CSP weakness is not read as a customer report", "csp.lint.unsafe-inline", English, "Content-Security-Policy leaves a way open"},
		{"a customer report keeps the csp family's step", "csp.unapproved-script", English, "Customers' browsers reported"},
		{"an unknown family gets the generic step", "old.kind", English, "Check the evidence above"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := FirstStep(c.kind, c.lang); !strings.Contains(got, c.want) {
				t.Errorf("FirstStep(%q, %q) = %q, want it to contain %q", c.kind, c.lang, got, c.want)
			}
		})
	}
}

// TestSourceReaderFollowsEveryWayAKindIsBuilt runs the reader over a small
// module of its own, one way of building a kind per case, so that the
// completeness test above is known to see kinds it has never met.
func TestSourceReaderFollowsEveryWayAKindIsBuilt(t *testing.T) {
	const findingPkg = "package finding\n\ntype Finding struct {\n\tKind    string\n\tMessage string\n}\n"
	for _, c := range []struct {
		name, decls, body string
		want              []string
		unresolved        bool
	}{
		{"a literal in a finding", "", `f := finding.Finding{Kind: "new.literal"}; _ = f`, []string{"new.literal"}, false},
		{"a constant of the package", `const KindX = "new.constant"`, `_ = finding.Finding{Kind: KindX}`, []string{"new.constant"}, false},
		{"an assignment to a finding variable's kind", "", `f := finding.Finding{}; f.Kind = "new.assigned"; _ = f`, []string{"new.assigned"}, false},
		{"a closure with a prefix, called with names", "", `add := func(kind string) { _ = finding.Finding{Kind: "new.lint." + kind} }; add("a"); add("b")`,
			[]string{"new.lint.a", "new.lint.b"}, false},
		{"a closure passed on to another function", `func pass(f func(string)) { f("c") }`,
			`add := func(kind string) { _ = finding.Finding{Kind: "new.passed." + kind} }; pass(add)`, []string{"new.passed.c"}, false},
		{"a function's parameter", `func mk(kind string) finding.Finding { return finding.Finding{Kind: kind} }`, `_ = mk("new.param")`, []string{"new.param"}, false},
		{"a method's parameter", `type a struct{}
func (a) add(kind string) finding.Finding { return finding.Finding{Kind: kind} }`, `var x a; _ = x.add("new.method")`, []string{"new.method"}, false},
		{"a function's result", `func pick() string { return "new.result" }`, `_ = finding.Finding{Kind: pick()}`, []string{"new.result"}, false},
		{"a field of a positional table", `type probe struct {
	path string
	kind string
}

var probes = []probe{{"/x", "new.table"}}`, `for _, p := range probes { _ = finding.Finding{Kind: p.kind} }`, []string{"new.table"}, false},
		{"the loop a variable belongs to, not another loop's of the same name", `type probe struct{ kind string }
type other struct{ kind string }

var probes = []probe{{"new.first"}}
var others = []other{{"new.second"}}`, `for _, p := range probes { _ = p }; for _, p := range others { _ = finding.Finding{Kind: p.kind} }`, []string{"new.second"}, false},
		{"the method of the receiver's type, not another type's of the same name", `type a struct{}
type b struct{}
func (a) kind() string { return "new.a" }
func (b) kind() string { return "new.b" }`, `var x b; _ = finding.Finding{Kind: x.kind()}`, []string{"new.b"}, false},
		{"a local set in two places", "", `k := "new.one"; if len(os.Args) > 1 { k = "new.two" }; _ = finding.Finding{Kind: k}`, []string{"new.one", "new.two"}, false},
		{"an assignment through a map lookup", "", `m := map[string]*finding.Finding{}; f, ok := m["x"]; if ok { f.Kind = "new.mapped" }`, []string{"new.mapped"}, false},
		{"an assignment through a method's receiver", `type holder struct{ fs []finding.Finding }
func (h *holder) set() { f := &h.fs[0]; f.Kind = "new.receiver" }`, `var h holder; h.set()`, []string{"new.receiver"}, false},
		{"a Kind set on a variable of a type the reader cannot tell is an error", "", `f := os.Stdin; f.Kind = "new.unknown"`, nil, true},
		{"a kind read from outside the source is an error", "", `_ = finding.Finding{Kind: os.Getenv("KIND")}`, nil, true},
		{"a kind-building function nobody calls is an error", `func mk(kind string) finding.Finding { return finding.Finding{Kind: kind} }`, ``, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			write := func(rel, body string) {
				p := filepath.Join(root, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("internal/finding/finding.go", findingPkg)
			write("internal/d/d.go", `package d

import (
	"os"

	"github.com/skimwatch/skimwatch/internal/finding"
)

`+c.decls+`

func run() {
	_ = os.Args
	`+c.body+`
}
`)
			r := readSource(t, root)
			got := r.findingKinds()
			if !slices.Equal(got, c.want) {
				t.Errorf("kinds = %q, want %q", got, c.want)
			}
			if (len(r.unresolved) > 0) != c.unresolved {
				t.Errorf("unresolved = %v, want some: %v", r.unresolved, c.unresolved)
			}
		})
	}
}

func TestAttackSign(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want bool
	}{
		{"honey.card-exfiltration", true},
		{"honey.personal-data-exfiltration", true},
		{"script.new", true},
		{"form.action-changed", true},
		{"header.weakened", true},
		{"header.removed", true},
		{"csp.unapproved-script", true},
		{"fim.modified", true},
		{"scan.match", true},
		{"a.kind-nobody-wrote-yet", true},
		{"audit.env-exposed", false},
		{"audit.dir.world-writable", false},
		{"csp.lint.unsafe-inline", false},
		{"header.no-csp", false},
		{"header.no-csp-reporting", false},
		{"probe.request-blocked", false},
		{"honey.card-to-payment-origin", false},
		{"honey.postcode-only", false},
	} {
		name := tc.kind + " is a sign of an attack"
		if !tc.want {
			name = tc.kind + " is not a sign of an attack"
		}
		t.Run(name, func(t *testing.T) {
			if got := AttackSign(tc.kind); got != tc.want {
				t.Errorf("AttackSign(%q) = %v", tc.kind, got)
			}
		})
	}
	t.Run("every entry names a kind the code emits or a family of them", func(t *testing.T) {
		kinds := emittedKinds(t)
		for _, p := range notAttacks {
			if !slices.ContainsFunc(kinds, func(k string) bool { return k == p || (strings.HasSuffix(p, ".") && strings.HasPrefix(k, p)) }) {
				t.Errorf("notAttacks entry %q matches no emitted kind", p)
			}
		}
	})
}
