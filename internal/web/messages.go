package web

// coreMessages are the layout's, the overview's, the login's and the
// settings' messages. Other pages keep theirs in their own
// messages_NAME.go; New merges them all.
func coreMessages() catalog {
	return catalog{
		LangEN: {
			"app.name":         "Dashboard",
			"nav.overview":     "Overview",
			"nav.findings":     "Findings",
			"nav.inventory":    "Inventory",
			"nav.timeline":     "Timeline",
			"nav.settings":     "Settings",
			"nav.logout":       "Sign out",
			"role.viewer":      "viewer",
			"role.operator":    "operator",
			"role.admin":       "admin",
			"role.":            "signed out",
			"pager.prev":       "Previous",
			"pager.next":       "Next",
			"pager.page":       "Page %d",
			"forbidden.title":  "Not allowed",
			"forbidden.body":   "This needs the %s role. Ask an admin if you need it.",
			"overview.sites":   "Sites",
			"overview.site":    "Site",
			"overview.nosites": "No sites yet. Add one to the config and restart serve.",
		},
		LangJA: {
			"app.name":         "ダッシュボード",
			"nav.overview":     "概要",
			"nav.findings":     "検出事項",
			"nav.inventory":    "インベントリ",
			"nav.timeline":     "タイムライン",
			"nav.settings":     "設定",
			"nav.logout":       "ログアウト",
			"role.viewer":      "閲覧者",
			"role.operator":    "オペレーター",
			"role.admin":       "管理者",
			"role.":            "未ログイン",
			"pager.prev":       "前へ",
			"pager.next":       "次へ",
			"pager.page":       "%d ページ",
			"forbidden.title":  "権限がありません",
			"forbidden.body":   "この操作には「%s」の権限が必要です。必要なら管理者に依頼してください。",
			"overview.sites":   "サイト",
			"overview.site":    "サイト",
			"overview.nosites": "サイトがまだありません。設定ファイルに追加して serve を再起動してください。",
		},
	}
}
