package alert

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/finding/kindtext"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// Alert types.
const (
	// TypeIncident announces new findings (grouped per site).
	TypeIncident = "incident"
	// TypeReminder re-sends unacknowledged critical incidents.
	TypeReminder = "reminder"
	// TypeResolved announces findings that a complete run no longer has.
	TypeResolved = "resolved"
	// TypeSilence announces targets whose runs keep coming back incomplete.
	TypeSilence = "silence"
	// TypeRecovered announces that a silent target can be seen again.
	TypeRecovered = "recovered"
)

// Languages every alert is written in: kindtext's, whose titles and first
// steps the texts use.
const (
	English  = kindtext.English
	Japanese = kindtext.Japanese
)

// Alert is what a sink sends: one alert about one or more incidents of one
// site. Its JSON form is the webhook body and what the store keeps.
type Alert struct {
	// ID is unique per alert; a receiver can drop a retried duplicate by it.
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Site     string           `json:"site"`
	Severity finding.Severity `json:"severity"`
	At       time.Time        `json:"at"`
	Items    []Item           `json:"items"`
	// More counts incidents this alert covers beyond the MaxItems listed.
	More int `json:"more,omitempty"`
	// Texts holds the alert in words for people, by language (en, ja).
	Texts map[string]Text `json:"texts"`
}

// Item is one incident in an alert.
type Item struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Title names the kind for people, in English (kindtext; the kind
	// itself where this version has no title for it). The texts carry it
	// in each language.
	Title    string           `json:"title"`
	Severity finding.Severity `json:"severity"`
	Detector string           `json:"detector"`
	// Page is the page or target the incident is about.
	Page    string `json:"page"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Since is when the incident began; Resolved when it ended.
	Since    time.Time      `json:"since"`
	LastSeen time.Time      `json:"last_seen"`
	Resolved time.Time      `json:"resolved,omitzero"`
	Evidence map[string]any `json:"evidence,omitempty"`
}

// Text is an alert in one language: a one-line title and a plain body.
type Text struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Limits that keep one alert within what every sink takes (and within
// store.MaxDeliveryPayload), however much one tamper changes at once.
const (
	// MaxItems is how many incidents one alert lists; More counts the rest.
	MaxItems = 50
	// MaxEvidenceBytes caps an item's evidence as JSON; larger evidence is
	// left out of the alert (it stays with the finding in the store).
	MaxEvidenceBytes = 4096
	// maxTextField caps page-supplied text in an alert item.
	maxTextField = 1024
)

func newAlert(typ, site string, incs []store.Incident, now time.Time) Alert {
	a := Alert{ID: newID(), Type: typ, Site: site, At: store.Timestamp(now)}
	for _, inc := range incs {
		f := inc.Finding
		page := f.URL
		if page == "" {
			page = inc.Target
		}
		ev := f.Evidence
		if b, err := json.Marshal(ev); err != nil || len(b) > MaxEvidenceBytes {
			ev = map[string]any{"left_out": fmt.Sprintf("%d bytes of evidence; see the finding in the store", len(b))}
		}
		a.Items = append(a.Items, Item{Key: inc.Key, Kind: f.Kind, Title: kindtext.Title(f.Kind, kindtext.English), Severity: f.Severity, Detector: inc.Detector, Page: clip(page),
			Path: clip(f.Path), Message: clip(f.Message), Since: inc.Opened, LastSeen: inc.LastSeen, Resolved: inc.Resolved, Evidence: ev})
		a.Severity = max(a.Severity, f.Severity)
	}
	// Most severe first, so that a cut keeps what matters.
	slices.SortStableFunc(a.Items, func(x, y Item) int {
		return cmp.Or(cmp.Compare(y.Severity, x.Severity), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Page, y.Page))
	})
	// Decided on every incident, before the cut: a sign of attack the
	// list leaves out still names the alert.
	attack := slices.ContainsFunc(a.Items, func(it Item) bool { return kindtext.AttackSign(it.Kind) })
	if len(a.Items) > MaxItems {
		a.More = len(a.Items) - MaxItems
		a.Items = a.Items[:MaxItems]
	}
	a.Texts = map[string]Text{English: a.text(English, attack), Japanese: a.text(Japanese, attack)}
	return a
}

// clip cuts s to maxTextField bytes at a character boundary.
func clip(s string) string {
	if len(s) <= maxTextField {
		return s
	}
	cut := maxTextField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// MarshalJSON writes the alert as one line of JSON through termtext, so that
// page-supplied strings cannot inject markup or terminal controls into a
// receiver that prints or embeds it.
func (a Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	var buf bytes.Buffer
	if err := termtext.WriteJSONLine(&buf, plain(a)); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// words holds the fixed phrases of the texts by language.
var words = map[string]map[string]string{
	English: {
		TypeIncident:  "Possible web skimming on %s: %d finding(s), highest %s",
		"weakness":    "Security weaknesses on %s: %d finding(s), highest %s",
		TypeReminder:  "Still open and not acknowledged on %s: %d critical finding(s)",
		TypeResolved:  "Resolved on %s: %d finding(s) no longer seen",
		TypeSilence:   "skimwatch cannot see %d page(s) of %s",
		TypeRecovered: "skimwatch can see %s again: %d page(s) recovered",
		"page":        "Page",
		"file":        "File",
		"more":        "... and %d more (see the findings in skimwatch).",
		"since":       "Since",
		"ended":       "Resolved",
		"first":       "What to do first",
		"what":        "What was found",
	},
	Japanese: {
		TypeIncident:  "%s でWebスキミングの疑い: 検出 %d 件（最高の重大度 %s）",
		"weakness":    "%s でセキュリティ上の弱点: 検出 %d 件（最高の重大度 %s）",
		TypeReminder:  "%s で未確認のまま続いている重大な検出が %d 件あります",
		TypeResolved:  "%s で解消: %d 件の検出が見られなくなりました",
		TypeSilence:   "skimwatch が %d ページを確認できません（%s）",
		TypeRecovered: "skimwatch が %s を再び確認できます: %d ページが回復",
		"page":        "ページ",
		"file":        "ファイル",
		"more":        "…ほか %d 件（skimwatch の検出一覧を確認してください）。",
		"since":       "発生",
		"ended":       "解消",
		"first":       "まずすること",
		"what":        "検出内容",
	},
}

// typeSteps says what a shop owner should do first about an alert that is
// about no new finding; for findings, kindtext says it by kind.
var typeSteps = map[string]map[string]string{
	English: {
		TypeResolved:  "Keep the evidence. A skimmer that disappears can come back; check the orders placed between the start and the end of the incident.",
		TypeRecovered: "Nothing to do. skimwatch is checking the page again.",
	},
	Japanese: {
		TypeResolved:  "証拠は保管してください。消えたスキマーが再び現れることがあります。発生から解消までの間の注文を確認してください。",
		TypeRecovered: "対応は不要です。skimwatchはページの確認を再開しました。",
	},
}

// text is the alert in lang; attack says whether any of its incidents may
// be a sign of an attack (kindtext.AttackSign), which decides whether the
// title speaks of skimming or of weaknesses.
func (a Alert) text(lang string, attack bool) Text {
	w := words[lang]
	site := termtext.Escape(a.Site)
	var title string
	count := len(a.Items) + a.More
	switch a.Type {
	case TypeIncident:
		// Only an incident with a sign of attack in it is called skimming;
		// one of weaknesses alone (an audit's, a policy's gaps) is not.
		head := w["weakness"]
		if attack {
			head = w[a.Type]
		}
		title = fmt.Sprintf(head, site, count, severityWord(lang, a.Severity))
	case TypeReminder, TypeResolved:
		title = fmt.Sprintf(w[a.Type], site, count)
	case TypeSilence:
		title = fmt.Sprintf(w[a.Type], count, site)
	case TypeRecovered:
		title = fmt.Sprintf(w[a.Type], site, count)
	}
	var b strings.Builder
	for i, it := range a.Items {
		if i > 0 {
			b.WriteString("\n")
		}
		// The title for the reader, the kind for searching and for
		// whoever the owner forwards the alert to.
		fmt.Fprintf(&b, "[%s] %s (%s)\n", severityWord(lang, it.Severity), termtext.Escape(kindtext.Title(it.Kind, lang)), termtext.Escape(it.Kind))
		fmt.Fprintf(&b, "%s: %s\n", w["page"], termtext.Escape(it.Page))
		if it.Path != "" {
			fmt.Fprintf(&b, "%s: %s\n", w["file"], termtext.Escape(it.Path))
		}
		fmt.Fprintf(&b, "%s: %s\n", w["since"], it.Since.UTC().Format(time.RFC3339))
		if !it.Resolved.IsZero() {
			fmt.Fprintf(&b, "%s: %s\n", w["ended"], it.Resolved.UTC().Format(time.RFC3339))
		}
		// The detector's sentence is English; it is the evidence, kept as
		// it is in both languages.
		fmt.Fprintf(&b, "%s: %s\n", w["what"], termtext.Escape(it.Message))
	}
	if a.More > 0 {
		fmt.Fprintf(&b, "\n"+w["more"]+"\n", a.More)
	}
	fmt.Fprintf(&b, "\n%s: %s\n", w["first"], a.firstStep(lang))
	return Text{Title: title, Body: b.String()}
}

// severityWord names a severity for people; English keeps the name every
// other output uses.
func severityWord(lang string, s finding.Severity) string {
	if lang == Japanese {
		switch s {
		case finding.Critical:
			return "緊急"
		case finding.High:
			return "高"
		case finding.Medium:
			return "中"
		case finding.Low:
			return "低"
		case finding.Info:
			return "情報"
		}
	}
	return s.String()
}

func (a Alert) firstStep(lang string) string {
	switch a.Type {
	case TypeResolved, TypeRecovered:
		return typeSteps[lang][a.Type]
	case TypeSilence:
		return kindtext.FirstStep(KindSilence, lang)
	}
	// The most severe item decides: the first thing to do is about it.
	top := a.Items[0]
	for _, it := range a.Items[1:] {
		if it.Severity > top.Severity {
			top = it
		}
	}
	return kindtext.FirstStep(top.Kind, lang)
}
