package web

// reportMessages are the Reports page's messages.
func reportMessages() map[string]map[string]string {
	return map[string]map[string]string{
		LangEN: {
			"nav.reports":        "Reports",
			"reports.intro":      "What customers' browsers reported against the site's Content-Security-Policy, folded by directive, blocked origin, source file and page. Newest first.",
			"reports.directive":  "Directive",
			"reports.blocked":    "Blocked (page)",
			"reports.source":     "Source file",
			"reports.count":      "Reports",
			"reports.clients":    "Clients",
			"reports.seen":       "First / last seen",
			"reports.finding":    "Finding",
			"reports.findings":   "Its finding",
			"reports.nofinding":  "none (approved or not a threat)",
			"reports.reportonly": "report-only",
			"reports.none":       "No reports from this site's customers yet.",
			"reports.nosites":    "No site has a collector key: configure collector_key for a site to receive its customers' CSP reports.",
			"reports.badcursor":  "This page link is malformed. Start from the first page.",
		},
		LangJA: {
			"nav.reports":        "CSP レポート",
			"reports.intro":      "顧客のブラウザがサイトの Content-Security-Policy への違反として報告した内容を、ディレクティブ・ブロックされたオリジン・ソースファイル・ページごとにまとめたものです。新しい順に表示します。",
			"reports.directive":  "ディレクティブ",
			"reports.blocked":    "ブロック対象(ページ)",
			"reports.source":     "ソースファイル",
			"reports.count":      "件数",
			"reports.clients":    "クライアント数",
			"reports.seen":       "初回 / 最終",
			"reports.finding":    "検出事項",
			"reports.findings":   "該当する検出事項",
			"reports.nofinding":  "なし(承認済みか脅威ではない)",
			"reports.reportonly": "レポートのみ",
			"reports.none":       "このサイトの顧客からのレポートはまだありません。",
			"reports.nosites":    "collector_key を設定したサイトがありません。顧客の CSP レポートを受け取るには、サイトに collector_key を設定してください。",
			"reports.badcursor":  "このページのリンクが不正です。最初のページからやり直してください。",
		},
	}
}
