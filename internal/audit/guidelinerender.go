package audit

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/termtext"
)

// Languages a guideline report is written in.
const (
	LangJA = "ja"
	LangEN = "en"
)

// ParseLangs reads --lang: ja, en, or both (Japanese first: the guideline
// is Japanese, and the sheet is kept for Japanese auditors).
func ParseLangs(s string) ([]string, error) {
	switch s {
	case LangJA:
		return []string{LangJA}, nil
	case LangEN:
		return []string{LangEN}, nil
	case "both", "":
		return []string{LangJA, LangEN}, nil
	}
	return nil, fmt.Errorf("language %q: want ja, en or both", s)
}

// In picks a language's text.
func (t Text) In(lang string) string {
	if lang == LangJA {
		return t.JA
	}
	return t.EN
}

// labels are the report's own words.
var labels = map[string]map[string]string{
	LangJA: {
		"heading": "クレジットカード・セキュリティガイドライン（5.0版・6.0版）EC加盟店の実施必須項目",
		"target":  "対象", "site": "サイト", "audited": "監査日時", "requests": "リクエスト数",
		"complete": "完了", "incomplete": "未完了",
		"met": "充足", "not met": "未充足", "unknown": "不明",
		"reason": "判定", "evidence": "根拠", "advice": "参考", "todo": "対応", "limits": "限界",
		"none": "なし", "event": "イベント", "key": "キー", "unmapped": "対応する項目のない検出",
		"generated": "skimwatch audit --report guideline により作成",
	},
	LangEN: {
		"heading": "Japan's credit card security guideline (v5.0, v6.0): the measures mandatory for online merchants",
		"target":  "Target", "site": "Site", "audited": "Audited", "requests": "Requests",
		"complete": "complete", "incomplete": "INCOMPLETE",
		"met": "MET", "not met": "NOT MET", "unknown": "UNKNOWN",
		"reason": "Why", "evidence": "Evidence", "advice": "Advice", "todo": "To do", "limits": "Limits",
		"none": "none", "event": "event", "key": "key", "unmapped": "Findings no measure claims",
		"generated": "Made by skimwatch audit --report guideline",
	},
}

func label(lang, key string) string { return labels[lang][key] }

// WriteGuidelineText writes the checklist for a terminal, in langs.
// Everything that came from the shop goes through termtext.Escape.
func WriteGuidelineText(w io.Writer, g *GuidelineReport, langs []string) error {
	esc := termtext.Escape
	var b strings.Builder
	for _, l := range langs {
		fmt.Fprintln(&b, label(l, "heading"))
	}
	fmt.Fprintln(&b)
	pair := func(key, value string) {
		var names []string
		for _, l := range langs {
			names = append(names, label(l, key))
		}
		fmt.Fprintf(&b, "%s: %s\n", strings.Join(names, " / "), value)
	}
	pair("target", esc(g.Target))
	if g.Site != "" {
		pair("site", esc(g.Site))
	}
	pair("audited", g.Audited.UTC().Format(time.RFC3339))
	pair("requests", fmt.Sprint(g.Requests))
	if !g.Complete {
		pair("incomplete", esc(strings.Join(g.Incomplete, "; ")))
	}
	for _, m := range g.Measures {
		fmt.Fprintln(&b)
		var st []string
		for _, l := range langs {
			st = append(st, label(l, string(m.Status)))
		}
		head := fmt.Sprintf("%d. [%s] ", m.Number, strings.Join(st, " / "))
		indent := strings.Repeat(" ", len(fmt.Sprintf("%d. ", m.Number)))
		for i, l := range langs {
			if i == 0 {
				fmt.Fprintf(&b, "%s%s\n", head, m.Title.In(l))
			} else {
				fmt.Fprintf(&b, "%s%s\n", indent, m.Title.In(l))
			}
		}
		for _, l := range langs {
			fmt.Fprintf(&b, "%s%s: %s\n", indent, label(l, "reason"), esc(m.Reason.In(l)))
		}
		evidence := func(key string, evs []MeasureEvidence) {
			if len(evs) == 0 {
				return
			}
			var names []string
			for _, l := range langs {
				names = append(names, label(l, key))
			}
			fmt.Fprintf(&b, "%s%s:\n", indent, strings.Join(names, " / "))
			for _, e := range evs {
				fmt.Fprintf(&b, "%s  - %s\n", indent, esc(e.line()))
			}
		}
		evidence("evidence", m.Evidence)
		evidence("advice", m.Advice)
		for _, l := range langs {
			fmt.Fprintf(&b, "%s%s: %s\n", indent, label(l, "todo"), m.Todo.In(l))
		}
		for _, l := range langs {
			fmt.Fprintf(&b, "%s%s: %s\n", indent, label(l, "limits"), m.Limits.In(l))
		}
	}
	if len(g.Unmapped) > 0 {
		fmt.Fprintln(&b)
		fmt.Fprintf(&b, "%s:\n", label(langs[0], "unmapped"))
		for _, e := range g.Unmapped {
			fmt.Fprintf(&b, "  - %s\n", esc(e.line()))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// line is one evidence entry on one line: severity, kind, where, key.
func (e MeasureEvidence) line() string {
	parts := []string{}
	if e.Severity != "" {
		parts = append(parts, e.Severity)
	}
	parts = append(parts, e.Kind)
	switch {
	case e.URL != "":
		parts = append(parts, e.URL)
	case e.Path != "":
		parts = append(parts, e.Path)
	}
	if e.Event > 0 {
		parts = append(parts, fmt.Sprintf("event #%d at %s", e.Event, e.Time.Format(time.RFC3339)))
	}
	if e.Key != "" {
		parts = append(parts, "key "+e.Key[:min(12, len(e.Key))])
	}
	return strings.Join(parts, "  ")
}

//go:embed templates/guideline.html.tmpl
var templateFS embed.FS

var guidelineHTML = template.Must(template.New("guideline.html.tmpl").Funcs(template.FuncMap{
	"label": label,
	"in":    func(t Text, lang string) string { return t.In(lang) },
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
	"short": func(k string) string { return k[:min(12, len(k))] },
	"status": func(s Status) string {
		return strings.ReplaceAll(string(s), " ", "-")
	},
}).ParseFS(templateFS, "templates/guideline.html.tmpl"))

// WriteGuidelineHTML writes the checklist as one self-contained HTML page
// (no script, no outside resource), for the shop's records and for
// rendering to PDF.
func WriteGuidelineHTML(w io.Writer, g *GuidelineReport, langs []string) error {
	var buf bytes.Buffer
	if err := guidelineHTML.Execute(&buf, map[string]any{"G": g, "Langs": langs, "Lang": langs[0]}); err != nil {
		return fmt.Errorf("guideline HTML: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
