package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func render(t *testing.T, in *Input, k Kind, lang string) string {
	t.Helper()
	b, err := Render(in, k, lang)
	if err != nil {
		t.Fatalf("Render(%s, %s): %v", k, lang, err)
	}
	return string(b)
}

func TestGoldenDocuments(t *testing.T) {
	in := fixtureInput()
	for _, k := range Kinds {
		for _, lang := range Langs {
			t.Run(fmt.Sprintf("the %s document in %s matches its golden file", k, lang), func(t *testing.T) {
				testsupport.Golden(t, filepath.Join("testdata", "golden", fmt.Sprintf("%s.%s.html", k, lang)), []byte(render(t, in, k, lang)))
			})
		}
	}
}

func TestEveryDocumentShowsTheFiguresAndTheHashesBehindThem(t *testing.T) {
	in := fixtureInput()
	for _, k := range Kinds {
		for _, lang := range Langs {
			t.Run(fmt.Sprintf("%s in %s", k, lang), func(t *testing.T) {
				doc := render(t, in, k, lang)
				// The chain head backs every figure; the full pages also list
				// every cited entry by sequence number and hash.
				if !strings.Contains(doc, chainHead) {
					t.Errorf("the chain head %s is missing", chainHead)
				}
				if k.Fragment() {
					if !strings.Contains(doc, "（4名）") && !strings.Contains(doc, "the 4 customers") {
						t.Errorf("the number of people (4) is missing:\n%s", doc)
					}
					return
				}
				for _, h := range []string{hashClean, hashDirty, hashGone, hashCSP} {
					if !strings.Contains(doc, h) {
						t.Errorf("cited hash %s is missing", h)
					}
				}
				for _, seq := range []string{">1201<", ">1202<", ">5120<", ">5188<"} {
					if !strings.Contains(doc, seq) {
						t.Errorf("cited sequence number %s is missing", seq)
					}
				}
				if n := strings.Count(doc, ">1202<"); n != 1 && k != PCIEvidence {
					t.Errorf("entry 1202 is cited by two bounds but listed %d times; want once", n)
				}
				for _, fig := range []string{">3 件<", ">1 件<"} {
					if lang == "en" {
						fig = strings.ReplaceAll(fig, " 件", "")
					}
					if !strings.Contains(doc, fig) {
						t.Errorf("figure %q missing", fig)
					}
				}
			})
		}
	}
}

func TestTheWindowIsWrittenAsBoundsWithTheirSources(t *testing.T) {
	in := fixtureInput()
	tests := []struct {
		name, lang string
		want       []string
	}{
		{"Japanese gives the customers' period in days, in JST", "ja", []string{"2020年12月8日 ～ 2021年1月26日",
			"2020年12月8日 11:00 JST（ブラウザ検査）より後、2020年12月8日 11:10 JST（ブラウザ検査）までに開始"}},
		{"English gives both bounds of the end with their source", "en", []string{"8 December 2020 – 26 January 2021",
			"ended after 26 Jan 2021 17:50 JST (browser check) and no later than 26 Jan 2021 18:00 JST (browser check)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := render(t, in, PPCFinal, tc.lang) + render(t, in, CustomerNotice, tc.lang)
			for _, w := range tc.want {
				if !strings.Contains(doc, w) {
					t.Errorf("missing %q", w)
				}
			}
		})
	}
	t.Run("an exposure begun before skimwatch's first observation says so", func(t *testing.T) {
		in := fixtureInput()
		in.Incident.Window.Start.After = time.Time{}
		in.Incident.Window.Start.NoLaterThanSource = incident.SourceFirstSeen
		doc := render(t, in, CustomerNotice, "en")
		if !strings.Contains(doc, "8 December 2020 or earlier – 26 January 2021") {
			t.Errorf("period not marked open-ended at its start")
		}
		doc = render(t, in, PPCPreliminary, "en")
		if !strings.Contains(doc, "began no later than 8 Dec 2020 11:10 JST (skimwatch&#39;s first observation), possibly before skimwatch&#39;s first observation") {
			t.Errorf("start bound not explained")
		}
	})
	t.Run("an exposure still going on says so", func(t *testing.T) {
		in := fixtureInput()
		in.Incident.Window.End = incident.Bounds{After: t3, AfterSource: incident.SourceCheck, Open: true}
		doc := render(t, in, CustomerNotice, "ja")
		if !strings.Contains(doc, "2020年12月8日 ～ 現在（継続中）") {
			t.Errorf("open period not shown as ongoing")
		}
	})
}

func TestWhatOnlyTheShopKnowsIsMarkedForTheShop(t *testing.T) {
	tests := []struct {
		name  string
		k     Kind
		lang  string
		shop  Shop
		want  []string
		avoid []string
	}{
		{"a report with no shop file marks the reporter, cause and measures", PPCFinal, "ja", Shop{},
			[]string{"【店舗記入】報告者", "【店舗記入】攻撃者が侵入した経路", "【店舗記入】再発防止策", "【店舗記入】二次被害の有無と内容", "【店舗記入】公表の有無"}, nil},
		{"the English report marks them in English", PPCPreliminary, "en", Shop{},
			[]string{"[To be filled in by the shop] reporter", "[To be filled in by the shop] how the attacker got in"}, nil},
		{"what the shop file gives is written, not marked", PPCFinal, "en",
			Shop{Reporter: Localized{"en": "Hanako Ito, Compliance"}, Cause: Localized{"en": "an unpatched plug-in"}, Measures: []Localized{{"en": "monthly vulnerability scans"}}},
			[]string{"Hanako Ito, Compliance", "an unpatched plug-in", "monthly vulnerability scans"},
			[]string{"[To be filled in by the shop] reporter", "[To be filled in by the shop] how the attacker got in", "[To be filled in by the shop] measures"}},
		{"a customer notice with no actions marks them", CustomerNotice, "ja", Shop{}, []string{"【店舗記入】実施済みの対応"}, nil},
		{"a script with no justification is marked", PCIEvidence, "en", Shop{}, []string{"[To be filled in by the shop] why this script is needed"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fixtureInput()
			in.Shop = tc.shop
			doc := render(t, in, tc.k, tc.lang)
			for _, w := range tc.want {
				if !strings.Contains(doc, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(doc, a) {
					t.Errorf("still marked: %q", a)
				}
			}
		})
	}
}

func TestAttackerControlledTextIsEscaped(t *testing.T) {
	in := fixtureInput()
	for _, k := range Kinds {
		for _, lang := range Langs {
			t.Run(fmt.Sprintf("%s in %s carries no script of the attacker's", k, lang), func(t *testing.T) {
				doc := render(t, in, k, lang)
				if strings.Contains(doc, "<script>alert(1)") {
					t.Errorf("the skimmer's URL was written as markup")
				}
			})
		}
	}
	t.Run("the skimmer's URL is shown, escaped", func(t *testing.T) {
		doc := render(t, in, CardBrands, "en")
		if !strings.Contains(doc, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("escaped URL missing")
		}
	})
}

func TestPPCDeadlines(t *testing.T) {
	tests := []struct {
		name       string
		discovered time.Time
		wantPre    time.Time
		wantFinal  time.Time
	}{
		{"counted from the incident's opening when the shop gives no date", time.Time{},
			time.Date(2021, 2, 1, 11, 30, 0, 0, jst), time.Date(2021, 3, 28, 11, 30, 0, 0, jst)},
		{"counted in Japan's days from the shop's own date", time.Date(2021, 1, 26, 20, 0, 0, 0, time.UTC),
			time.Date(2021, 2, 1, 5, 0, 0, 0, jst), time.Date(2021, 3, 28, 5, 0, 0, 0, jst)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fixtureInput()
			in.Shop.Discovered = tc.discovered
			d := PPCDeadlines(in)
			if !d.Preliminary.Equal(tc.wantPre) || !d.Final.Equal(tc.wantFinal) || d.FinalDays != 60 {
				t.Errorf("got preliminary %v, final %v (%d days); want %v, %v (60)", d.Preliminary, d.Final, d.FinalDays, tc.wantPre, tc.wantFinal)
			}
		})
	}
	t.Run("the final report names its 60-day deadline", func(t *testing.T) {
		doc := render(t, fixtureInput(), PPCFinal, "ja")
		if !strings.Contains(doc, "2021年3月28日（発覚から60日以内") {
			t.Errorf("deadline missing")
		}
	})
}

func TestMailMerge(t *testing.T) {
	in := fixtureInput()
	var buf bytes.Buffer
	if err := MailMerge(&buf, in, "ja"); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	t.Run("there is one row per customer after the header", func(t *testing.T) {
		if len(rows) != 1+len(in.Incident.Customers) {
			t.Fatalf("%d rows, want %d", len(rows), 1+len(in.Incident.Customers))
		}
		if strings.Join(rows[0], ",") != "name,email,language,orders,data_classes,possibly_affected" {
			t.Errorf("header %v", rows[0])
		}
	})
	t.Run("a customer with two orders has both in one row", func(t *testing.T) {
		want := []string{"山田 花子", "hanako@example.jp", "ja", "O-1001 O-1003", "クレジットカード番号、有効期限、カード名義、セキュリティコード", "no"}
		if strings.Join(rows[1], "|") != strings.Join(want, "|") {
			t.Errorf("row %q, want %q", rows[1], want)
		}
	})
	t.Run("possibly affected customers come last and say so", func(t *testing.T) {
		last := rows[len(rows)-1]
		if last[1] != "jiro@example.jp" || last[5] != "yes" {
			t.Errorf("last row %q", last)
		}
	})
	t.Run("a name written as a spreadsheet formula stays text", func(t *testing.T) {
		if rows[3][0] != `'=HYPERLINK("https://evil.example","Ken")` {
			t.Errorf("name cell %q", rows[3][0])
		}
	})
	t.Run("the English file names the data classes in English", func(t *testing.T) {
		var en bytes.Buffer
		if err := MailMerge(&en, in, "en"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(en.String(), "ken@example.com,en,R-2001,\"personal data (name, address, phone number, e-mail address, etc.)\",no") {
			t.Errorf("English row missing:\n%s", en.String())
		}
	})
}

func TestInputIsValidated(t *testing.T) {
	tests := []struct {
		name string
		in   *Input
		lang string
	}{
		{"no incident is refused", &Input{Issued: issued}, "ja"},
		{"no issue date is refused", &Input{Incident: fixtureIncident()}, "ja"},
		{"an unknown language is refused", fixtureInput(), "fr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Render(tc.in, CustomerNotice, tc.lang); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestScriptsFromBaseline(t *testing.T) {
	s := fixtureInput().Scripts
	if len(s) != 2 || s[0].Page != "https://shop.example/checkout" || s[1].Identity != "inline:checkout#1" ||
		!s[1].Approved.Equal(time.Date(2020, 11, 2, 10, 0, 0, 0, time.UTC)) || s[1].Justification != "" {
		t.Errorf("scripts %+v", s)
	}
}

func TestParseShop(t *testing.T) {
	tests := []struct {
		name, yaml string
		check      func(Shop) bool
		wantErr    bool
	}{
		{"a plain string is the same text in every language", "name: Yutori\n",
			func(s Shop) bool { return s.Name.In("ja") == "Yutori" && s.Name.In("en") == "Yutori" }, false},
		{"a mapping gives each language its text", "name: {ja: ゆとりの空間, en: Yutori}\n",
			func(s Shop) bool { return s.Name.In("ja") == "ゆとりの空間" && s.Name.In("en") == "Yutori" }, false},
		{"a language the text lacks falls back to another", "cause: {ja: 脆弱性}\n",
			func(s Shop) bool { return s.Cause.In("en") == "脆弱性" }, false},
		{"lists and dates are read", "actions: [stopped card payments]\ndiscovered: 2021-01-27T10:00:00+09:00\n",
			func(s Shop) bool {
				return len(s.Actions) == 1 && s.Discovered.Equal(time.Date(2021, 1, 27, 1, 0, 0, 0, time.UTC))
			}, false},
		{"an empty file is an empty shop", "", func(s Shop) bool { return s.Name == nil }, false},
		{"an unknown key is refused", "nmae: Yutori\n", nil, true},
		{"an unknown language is refused", "name: {fr: Yutori}\n", nil, true},
		{"a URL that is not http(s) is refused", "url: javascript:alert(1)\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseShop(strings.NewReader(tc.yaml))
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidShop) {
					t.Errorf("err = %v, want ErrInvalidShop", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s) {
				t.Errorf("parsed %+v", s)
			}
		})
	}
}

func FuzzParseShop(f *testing.F) {
	for _, s := range []string{"name: x\n", "name: {ja: あ, en: a}\nactions: [a, {ja: b}]\n", "url: https://a.example/\n", "discovered: 2021-01-27\n", "[]", "name: [1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		shop, err := ParseShop(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrInvalidShop) {
				t.Fatalf("error not wrapping ErrInvalidShop: %v", err)
			}
			return
		}
		// Whatever parses must render without error.
		in := fixtureInput()
		in.Shop = shop
		if _, err := Render(in, PPCFinal, "ja"); err != nil {
			t.Fatalf("render: %v", err)
		}
	})
}

// The shop file shown in docs/INCIDENT.md is what a shop owner will copy.
func TestTheDocumentedShopFileParses(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "INCIDENT.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/INCIDENT.md has no yaml example")
	}
	s, err := ParseShop(strings.NewReader(example))
	if err != nil {
		t.Fatalf("the documented example does not parse: %v", err)
	}
	if s.Operator.In("en") != "Yutori no Kukan Co., Ltd." || len(s.Actions) != 1 || s.Discovered.IsZero() || s.Acquirer.In("ja") == "" {
		t.Errorf("parsed %+v", s)
	}
}

func TestMailMergeSendsEachCustomerTheNoticeInTheirLanguage(t *testing.T) {
	in := fixtureInput()
	for i := range in.Incident.Customers {
		c := &in.Incident.Customers[i]
		switch c.Email {
		case "ken@example.com":
			c.Lang = "en"
		case "jiro@example.jp":
			c.Lang = "fr"
		}
	}
	emails := func(t *testing.T, lang string, written []string) []string {
		t.Helper()
		var buf bytes.Buffer
		if err := MailMergeFor(&buf, in, lang, written); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows[1:] {
			if r[2] != lang {
				t.Errorf("row %q says language %s in the %s file", r, r[2], lang)
			}
			out = append(out, r[1])
		}
		return out
	}
	both := []string{"ja", "en"}
	ja, en := emails(t, "ja", both), emails(t, "en", both)
	t.Run("a customer whose orders say English is in the English file only", func(t *testing.T) {
		if !slices.Contains(en, "ken@example.com") || slices.Contains(ja, "ken@example.com") {
			t.Errorf("ja %v, en %v", ja, en)
		}
	})
	t.Run("a customer of a language with no notice gets the English one", func(t *testing.T) {
		if !slices.Contains(en, "jiro@example.jp") || slices.Contains(ja, "jiro@example.jp") {
			t.Errorf("ja %v, en %v", ja, en)
		}
	})
	t.Run("a customer with no language gets the Japanese one, and everyone gets exactly one", func(t *testing.T) {
		if !slices.Contains(ja, "hanako@example.jp") {
			t.Errorf("ja %v", ja)
		}
		if len(ja)+len(en) != len(in.Incident.Customers) {
			t.Errorf("%d + %d rows for %d customers", len(ja), len(en), len(in.Incident.Customers))
		}
	})
	t.Run("with Japanese notices only, every customer is in the Japanese file", func(t *testing.T) {
		if got := emails(t, "ja", []string{"ja"}); len(got) != len(in.Incident.Customers) {
			t.Errorf("%d rows for %d customers", len(got), len(in.Incident.Customers))
		}
	})
}

func TestAPageTamperedTwiceIsTwoPeriodsInTheNotices(t *testing.T) {
	in := fixtureInput()
	inc := in.Incident
	// Cleaned on 15 December (JST), tampered again from 22 December.
	first, second := inc.Pages[0], inc.Pages[0]
	first.Window.End.After, first.Window.End.NoLaterThan = time.Date(2020, 12, 15, 1, 0, 0, 0, time.UTC), time.Date(2020, 12, 15, 1, 30, 0, 0, time.UTC)
	second.Window.Start.After, second.Window.Start.NoLaterThan = time.Date(2020, 12, 22, 3, 0, 0, 0, time.UTC), time.Date(2020, 12, 22, 3, 30, 0, 0, time.UTC)
	inc.Pages = []incident.Page{first, second}
	for _, tc := range []struct {
		kind       Kind
		lang, want string
	}{
		{CustomerNotice, "ja", "2020年12月8日 ～ 2020年12月15日<br>2020年12月22日 ～ 2021年1月26日"},
		{CustomerNotice, "en", "8 December 2020 – 15 December 2020<br>22 December 2020 – 26 January 2021"},
		{WebNotice, "ja", "2020年12月8日 ～ 2020年12月15日、2020年12月22日 ～ 2021年1月26日"},
		{CardBrands, "en", "Period: 8 December 2020 – 15 December 2020; 22 December 2020 – 26 January 2021"},
	} {
		t.Run("the "+string(tc.kind)+" in "+tc.lang+" names both periods and not the gap", func(t *testing.T) {
			doc := render(t, in, tc.kind, tc.lang)
			if !strings.Contains(doc, tc.want) {
				t.Errorf("document lacks %q", tc.want)
			}
		})
	}
}
