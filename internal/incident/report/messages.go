package report

import (
	"fmt"
	"time"

	"github.com/skimwatch/skimwatch/internal/incident"
)

// messages is one language's words. The prose of each document lives in its
// template; these are the words shared between documents and the ones
// built from data (dates, bounds, data classes).
type messages struct {
	lang string
	m    map[string]string
}

func catalogue(lang string) *messages {
	if lang == "en" {
		return &messages{lang: "en", m: messagesEN}
	}
	return &messages{lang: "ja", m: messagesJA}
}

// msg returns the text for key, or the key itself so that a missing entry
// shows in a golden file instead of vanishing.
func (c *messages) msg(key string) string {
	if s, ok := c.m[key]; ok {
		return s
	}
	return "{" + key + "}"
}

func (c *messages) title(k Kind) string { return c.msg("title." + string(k)) }

func (c *messages) class(cl incident.DataClass) string { return c.msg("class." + string(cl)) }

func (c *messages) source(s string) string {
	if t, ok := c.m["source."+s]; ok {
		return t
	}
	return s
}

func (c *messages) date(t time.Time) string {
	if t.IsZero() {
		return c.msg("unknown")
	}
	if c.lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return t.Format("2 January 2006")
}

func (c *messages) dateTime(t time.Time) string {
	if t.IsZero() {
		return c.msg("unknown")
	}
	if c.lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), t.Format("15:04 MST"))
	}
	return t.Format("2 Jan 2006 15:04 MST")
}

// startBounds says when the exposure began, as the record bounds it.
func (c *messages) startBounds(b incident.Bounds, loc *time.Location) string {
	switch {
	case b.NoLaterThan.IsZero():
		return c.msg("unknown")
	case b.After.IsZero():
		return fmt.Sprintf(c.msg("start.unbounded"), c.dateTime(b.NoLaterThan.In(loc)), c.source(b.NoLaterThanSource))
	}
	return fmt.Sprintf(c.msg("start.bounded"), c.dateTime(b.After.In(loc)), c.source(b.AfterSource),
		c.dateTime(b.NoLaterThan.In(loc)), c.source(b.NoLaterThanSource))
}

// endBounds says when the exposure ended, or that it had not.
func (c *messages) endBounds(b incident.Bounds, loc *time.Location) string {
	switch {
	case b.Open || b.NoLaterThan.IsZero():
		if b.After.IsZero() {
			return c.msg("end.openUnknown")
		}
		return fmt.Sprintf(c.msg("end.open"), c.dateTime(b.After.In(loc)), c.source(b.AfterSource))
	case b.After.IsZero():
		return fmt.Sprintf(c.msg("end.unbounded"), c.dateTime(b.NoLaterThan.In(loc)), c.source(b.NoLaterThanSource))
	}
	return fmt.Sprintf(c.msg("end.bounded"), c.dateTime(b.After.In(loc)), c.source(b.AfterSource),
		c.dateTime(b.NoLaterThan.In(loc)), c.source(b.NoLaterThanSource))
}

var messagesJA = map[string]string{
	"title.customer-notice": "不正アクセスによる個人情報漏えいに関するお詫びとお知らせ",
	"title.web-notice":      "不正アクセスによる個人情報漏えいに関するお詫びとお知らせ",
	"title.ppc-preliminary": "個人データの漏えい等の事案に関する報告（速報）",
	"title.ppc-final":       "個人データの漏えい等の事案に関する報告（確報）",
	"title.card-brands":     "カード情報漏えいの可能性に関する報告（アクワイアラ・カードブランド向け）",
	"title.pci-evidence":    "PCI DSS 証跡資料（要件6.4.3・11.6.1）",

	"todo.label":         "【店舗記入】",
	"todo.shopName":      "店舗名",
	"todo.operator":      "運営会社名",
	"todo.contact":       "お問い合わせ窓口（電話番号・受付時間・メールアドレス）",
	"todo.reporter":      "報告者（氏名・部署・連絡先）",
	"todo.cause":         "攻撃者が侵入した経路（悪用された脆弱性）",
	"todo.secondary":     "二次被害の有無と内容",
	"todo.publication":   "公表の有無・日付・方法",
	"todo.acquirer":      "アクワイアラ・決済代行会社名",
	"todo.actions":       "実施済みの対応（カード決済の停止、不正プログラムの削除など）",
	"todo.measures":      "再発防止策",
	"todo.justification": "このスクリプトが必要な理由",
	"todo.response":      "本人への通知の日付と方法",
	"todo.noticeDate":    "通知日",

	"unknown":          "不明",
	"list.sep":         "、",
	"period.orEarlier": "%s以前",
	"period.ongoing":   "現在（継続中）",

	"start.bounded":   "%[1]s（%[2]s）より後、%[3]s（%[4]s）までに開始",
	"start.unbounded": "遅くとも%[1]s（%[2]s）には開始。skimwatch の最初の観測より前から続いていた可能性があります",
	"end.bounded":     "%[1]s（%[2]s）より後、%[3]s（%[4]s）までに終了",
	"end.unbounded":   "%[1]s（%[2]s）までに終了",
	"end.open":        "最後の観測 %[1]s（%[2]s）の時点で継続中",
	"end.openUnknown": "終了は確認されていません",

	"class.card-number":   "クレジットカード番号",
	"class.card-expiry":   "有効期限",
	"class.card-holder":   "カード名義",
	"class.security-code": "セキュリティコード",
	"class.personal-data": "個人情報（氏名、住所、電話番号、メールアドレス等）",

	"source.check":             "ブラウザ検査",
	"source.csp":               "お客様のブラウザからのCSP報告",
	"source.fim":               "ファイル改ざん検知",
	"source.scan":              "シグネチャ検査",
	"source.mtime":             "ファイルの更新日時",
	"source.access-log":        "Webサーバのアクセスログ",
	"source.first-observation": "skimwatch の最初の観測",

	"page.payment":      "決済ページ",
	"page.registration": "会員登録ページ",
	"page.unknown":      "ページ",
	"list.and":          "および",

	"status.watching": "監視中",
	"status.open":     "未解決",
	"status.resolved": "解決（通知待ち）",
	"status.closed":   "解決済み",

	"delivery.pending":   "送信待ち",
	"delivery.delivered": "送信済み",
	"delivery.failed":    "送信失敗",
}

var messagesEN = map[string]string{
	"title.customer-notice": "Notice and apology: personal data exposed through unauthorised access",
	"title.web-notice":      "Notice and apology: personal data exposed through unauthorised access",
	"title.ppc-preliminary": "Report of a personal data breach (preliminary report)",
	"title.ppc-final":       "Report of a personal data breach (final report)",
	"title.card-brands":     "Report of a possible card data compromise (for the acquirer and card brands)",
	"title.pci-evidence":    "PCI DSS evidence pack (requirements 6.4.3 and 11.6.1)",

	"todo.label":         "[To be filled in by the shop] ",
	"todo.shopName":      "shop name",
	"todo.operator":      "operating company",
	"todo.contact":       "contact desk (phone, hours, e-mail)",
	"todo.reporter":      "reporter (name, department, contact)",
	"todo.cause":         "how the attacker got in (the vulnerability exploited)",
	"todo.secondary":     "whether there is secondary damage, and what",
	"todo.publication":   "whether, when and how the breach was made public",
	"todo.acquirer":      "acquirer or payment service provider",
	"todo.actions":       "what has been done (card payments stopped, program removed ...)",
	"todo.measures":      "measures against recurrence",
	"todo.justification": "why this script is needed",
	"todo.response":      "when and how the people were notified",
	"todo.noticeDate":    "date of notice",

	"unknown":          "unknown",
	"list.sep":         ", ",
	"period.orEarlier": "%s or earlier",
	"period.ongoing":   "the present (ongoing)",

	"start.bounded":   "began after %[1]s (%[2]s) and no later than %[3]s (%[4]s)",
	"start.unbounded": "began no later than %[1]s (%[2]s), possibly before skimwatch's first observation",
	"end.bounded":     "ended after %[1]s (%[2]s) and no later than %[3]s (%[4]s)",
	"end.unbounded":   "ended no later than %[1]s (%[2]s)",
	"end.open":        "still ongoing at the last observation, %[1]s (%[2]s)",
	"end.openUnknown": "no end has been observed",

	"class.card-number":   "card number",
	"class.card-expiry":   "expiry date",
	"class.card-holder":   "cardholder name",
	"class.security-code": "security code (CVV)",
	"class.personal-data": "personal data (name, address, phone number, e-mail address, etc.)",

	"source.check":             "browser check",
	"source.csp":               "CSP report from a customer's browser",
	"source.fim":               "file integrity monitoring",
	"source.scan":              "signature scan",
	"source.mtime":             "file modification time",
	"source.access-log":        "web server access log",
	"source.first-observation": "skimwatch's first observation",

	"page.payment":      "payment page",
	"page.registration": "registration page",
	"page.unknown":      "pages",
	"list.and":          " and ",

	"status.watching": "watching",
	"status.open":     "open",
	"status.resolved": "resolved (announcement pending)",
	"status.closed":   "closed",

	"delivery.pending":   "pending",
	"delivery.delivered": "delivered",
	"delivery.failed":    "failed",
}
