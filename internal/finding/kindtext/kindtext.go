// Package kindtext is the one place that names finding kinds for people,
// in English and Japanese, and says what a shop owner should do first
// about each. A kind ("honey.card-exfiltration") stays the identifier
// every output and search uses; alerts and the dashboard put its title in
// front of it for the reader.
//
// TestEveryEmittedKindHasATitle reads the module's source for every kind a
// detector can put in a finding and fails for one without a title here.
package kindtext

import "strings"

// Languages the texts are written in; any other language reads English.
const (
	English  = "en"
	Japanese = "ja"
)

// text is one phrase in both languages.
type text struct{ en, ja string }

func (t text) in(lang string) string {
	if lang == Japanese {
		return t.ja
	}
	return t.en
}

// titles names every kind a detector emits. Titles are what a shop owner
// would call the thing, short enough for a list row; the detector's own
// sentence (Finding.Message) stays the evidence beside it.
var titles = map[string]text{
	// The browser check's honey probe.
	"honey.card-exfiltration":           {"Card data sent to a third party", "カード情報の外部送信"},
	"honey.disguised-card-exfiltration": {"Card data sent in disguise", "偽装されたカード情報の外部送信"},
	"honey.personal-data-exfiltration":  {"Personal data sent to a third party", "個人情報の外部送信"},
	"honey.postcode-only":               {"Postcode sent to an address lookup", "郵便番号のみの送信（住所検索）"},
	"honey.card-to-payment-origin":      {"Card sent to the payment provider (expected)", "決済代行会社へのカード送信（正常）"},
	// The browser check against the approved inventory.
	"script.new":                        {"New unapproved script", "未承認の新しいスクリプト"},
	"script.changed":                    {"Approved script changed", "承認済みスクリプトの変更"},
	"script.third-party-on-card-page":   {"Third-party scripts on the card page", "カード入力ページ上の外部スクリプト"},
	"destination.new":                   {"Page contacts a new destination", "新しい宛先への通信"},
	"destination.new-type":              {"New kind of request to a known destination", "既知の宛先への新しい種類の通信"},
	"form.new":                          {"New form on the page", "ページ上の新しいフォーム"},
	"form.fields-new":                   {"New fields in a form", "フォームへの入力欄の追加"},
	"form.action-changed":               {"Form now submits elsewhere", "フォームの送信先の変更"},
	"form.card-fields-new":              {"New card input fields", "新しいカード入力欄"},
	"form.card-fields-foreign-origin":   {"Card fields on an unknown site", "不明なサイト上のカード入力欄"},
	"form.handoff-foreign-origin":       {"Payment handed to an unknown site", "不明なサイトへの決済の受け渡し"},
	"form.card-fields-on-merchant-page": {"Card typed on the shop's own page", "ショップ自身のページでのカード入力"},
	"header.removed":                    {"Security header removed", "セキュリティヘッダーの削除"},
	"header.weakened":                   {"Security header weakened", "セキュリティヘッダーの弱体化"},
	"header.changed":                    {"Security header changed", "セキュリティヘッダーの変更"},
	"header.added":                      {"Security header added", "セキュリティヘッダーの追加"},
	"header.no-csp":                     {"Page has no Content-Security-Policy", "ページにCSPが未設定"},
	"header.no-csp-reporting":           {"CSP sends no violation reports", "CSPの違反レポートが未設定"},
	"probe.request-blocked":             {"Request stopped for safety", "安全のため停止した送信"},
	"probe.no-fields":                   {"No fields to test on the page", "テスト入力できる欄がない"},
	"page.dialog":                       {"Page opened a dialog", "ページがダイアログを表示"},
	// Customers' browsers (the CSP report collector).
	"csp.unapproved-script":      {"Unapproved script seen by customers", "お客様のブラウザーで未承認のスクリプト"},
	"csp.unapproved-connect":     {"Unapproved destination seen by customers", "お客様のブラウザーで未承認の送信先"},
	"csp.unapproved-form-action": {"Form sent elsewhere, seen by customers", "お客様のブラウザーで未承認のフォーム送信先"},
	"csp.unapproved-frame":       {"Unapproved frame seen by customers", "お客様のブラウザーで未承認のフレーム"},
	"csp.unapproved-image":       {"Unapproved image host seen by customers", "お客様のブラウザーで未承認の画像送信先"},
	"csp.inline-script":          {"Unapproved inline script seen by customers", "お客様のブラウザーで未承認のインラインスクリプト"},
	"csp.eval":                   {"Code run through eval, seen by customers", "お客様のブラウザーでevalによるコード実行"},
	"csp.foreign-document":       {"CSP reports from an unknown site", "不明なサイトからのCSPレポート"},
	// A page's Content-Security-Policy, read by the audit (csp.Lint).
	"csp.lint.no-script-restriction":  {"CSP does not limit scripts", "CSPがスクリプトを制限していない"},
	"csp.lint.unsafe-inline":          {"CSP allows inline scripts", "CSPがインラインスクリプトを許可"},
	"csp.lint.unsafe-eval":            {"CSP allows eval", "CSPがevalを許可"},
	"csp.lint.data-script":            {"CSP allows data: scripts", "CSPがdata:のスクリプトを許可"},
	"csp.lint.wildcard-source":        {"CSP allows any host", "CSPが任意のホストを許可"},
	"csp.lint.connect-src-fallback":   {"CSP has no connect-src of its own", "CSPにconnect-srcの個別指定がない"},
	"csp.lint.no-connect-restriction": {"CSP does not limit where data goes", "CSPが送信先を制限していない"},
	"csp.lint.no-form-action":         {"CSP does not limit form targets", "CSPがフォームの送信先を制限していない"},
	"csp.lint.no-object-src":          {"CSP does not limit plug-ins", "CSPがプラグイン（object-src）を制限していない"},
	"csp.lint.no-base-uri":            {"CSP does not limit the base URL", "CSPがベースURL（base-uri）を制限していない"},
	"csp.lint.no-reporting":           {"CSP sends no reports", "CSPがレポートを送らない設定"},
	// The web root on the server.
	"fim.added":                 {"New file on the server", "サーバー上の新しいファイル"},
	"fim.modified":              {"File changed on the server", "サーバー上のファイルの変更"},
	"fim.removed":               {"File removed from the server", "サーバー上のファイルの削除"},
	"fim.mode":                  {"File permissions changed", "ファイルの権限の変更"},
	"fim.owner":                 {"File owner changed", "ファイルの所有者の変更"},
	"fim.symlink-outside":       {"Link to outside the shop's files", "ショップ外を指すシンボリックリンク"},
	"fim.unverified":            {"File could not be checked", "確認できなかったファイル"},
	"fim.watch-limited":         {"Folders not watched live", "リアルタイム監視できないフォルダー"},
	"scan.match":                {"Known skimmer or webshell in a file", "既知のスキマー・Webシェルと一致するファイル"},
	"scan.symlink-outside-root": {"Link to outside the scanned folder", "スキャン対象外を指すシンボリックリンク"},
	// The vulnerability audit (remote and `audit DIR`).
	"audit.git-exposed":          {"Git repository exposed", "Gitリポジトリが公開状態"},
	"audit.env-exposed":          {"Environment file (.env) exposed", "環境設定ファイル（.env）が公開状態"},
	"audit.installer-exposed":    {"Installer left reachable", "インストーラーが残っている"},
	"audit.backup-exposed":       {"Source backup downloadable", "ソースのバックアップが公開状態"},
	"audit.phpinfo-exposed":      {"phpinfo page exposed", "phpinfoページが公開状態"},
	"audit.directory-listing":    {"Folder contents listed publicly", "フォルダーの中身が一覧表示される"},
	"audit.admin-reachable":      {"Admin login open to everyone", "管理画面のログインが誰でも開ける"},
	"audit.admin-default-path":   {"Admin login at its default address", "管理画面のURLが初期設定のまま"},
	"audit.plain-http":           {"Page served without HTTPS", "HTTPSなしでページを配信"},
	"audit.hsts-missing":         {"HTTPS not enforced (no HSTS)", "HTTPSの強制なし（HSTS未設定）"},
	"audit.csp-missing":          {"No Content-Security-Policy", "CSPが未設定"},
	"audit.framing-allowed":      {"Any site may frame the page", "どのサイトからもフレームで埋め込める"},
	"audit.cookie-flags":         {"Cookie missing protections", "Cookieの保護属性が不足"},
	"audit.tls-expired":          {"Certificate expired", "SSL/TLS証明書の期限切れ"},
	"audit.tls-expiring":         {"Certificate expires soon", "SSL/TLS証明書の期限が間近"},
	"audit.tls-untrusted":        {"Certificate not trusted", "信頼されていないSSL/TLS証明書"},
	"audit.tls-hostname":         {"Certificate for another name", "SSL/TLS証明書のホスト名が不一致"},
	"audit.tls-old-protocol":     {"Outdated TLS version accepted", "古いTLSバージョンを受け付けている"},
	"audit.platform":             {"Shop software and version", "ショップのソフトウェアとバージョン"},
	"audit.js-library":           {"JavaScript library in use", "使用中のJavaScriptライブラリ"},
	"audit.vulnerable-component": {"Software with a known vulnerability", "既知の脆弱性があるソフトウェア"},
	"audit.webroot-writable":     {"Shop code writable by the web server", "Webサーバーがショップのコードを書き換え可能"},
	"audit.world-writable":       {"Files writable by every account", "全アカウントが書き込めるファイル"},
	"audit.php-setting":          {"Risky PHP setting", "危険なPHP設定"},
	"audit.secret-readable":      {"Secrets inside the web root", "公開フォルダー内の秘密情報"},
	// skimwatch itself.
	"dashboard.csp-violation": {"Blocked content on the dashboard", "ダッシュボードでのCSP違反"},
	"alert.silence":           {"Page cannot be checked", "ページを確認できない"},
}

// prefixed is a text for every kind beginning with prefix.
type prefixed struct {
	prefix string
	text
}

// titlePrefixes name kinds built from a prefix and a name the code adds
// at run time ("csp.lint." + the weakness): a new weakness reads as its
// family until it gets a title of its own. The longest prefix wins.
var titlePrefixes = []prefixed{
	{"csp.lint.", text{"Weakness in the page's CSP", "CSPの設定の弱点"}},
}

// Title is kind's title in lang. A kind with no title (an old one in the
// store, or one from a newer version) reads as the kind itself, never as
// an empty string.
func Title(kind, lang string) string {
	if t, ok := lookup(kind); ok {
		return t.in(lang)
	}
	return kind
}

// Described reports whether kind has a title of its own or by prefix.
func Described(kind string) bool {
	_, ok := lookup(kind)
	return ok
}

func lookup(kind string) (text, bool) {
	if t, ok := titles[kind]; ok {
		return t, true
	}
	return longest(titlePrefixes, kind)
}

func longest(list []prefixed, kind string) (text, bool) {
	var best prefixed
	found := false
	for _, p := range list {
		if strings.HasPrefix(kind, p.prefix) && len(p.prefix) >= len(best.prefix) {
			best, found = p, true
		}
	}
	return best.text, found
}

// firstSteps say what a shop owner should do first about a finding, by the
// longest prefix of its kind: a family ("script.") or one kind whose first
// step differs from its family's.
var firstSteps = []prefixed{
	{"honey.", text{
		"Card data typed by skimwatch's test customer was sent somewhere it should not go. Switch the checkout to maintenance or to the payment provider's hosted page now, then find and remove the script that sends it.",
		"skimwatchのテスト用カード情報が、送られるべきでない宛先へ送信されました。すぐに決済画面をメンテナンス表示にするか決済代行会社のリンク型に切り替え、送信しているスクリプトを探して削除してください。"}},
	{"honey.personal-data-exfiltration", text{
		"Personal data typed by skimwatch's test customer was sent to a place the form does not submit to. Find the script that sends it and remove it; if you cannot tell what it is, treat it as an attack and change every admin password.",
		"skimwatchのテスト用の個人情報が、フォームの送信先ではない宛先へ送信されました。送信しているスクリプトを探して削除してください。正体がわからなければ攻撃として扱い、管理画面のパスワードをすべて変更してください。"}},
	{"honey.postcode-only", text{
		"Only the postcode left the page, as address lookups do. Check that the destination is the address lookup service you use.",
		"送信されたのは郵便番号だけで、住所検索ではよくある動きです。送信先が利用している住所検索サービスか確認してください。"}},
	{"honey.card-to-payment-origin", text{
		"Nothing to do: the test card went to the payment provider, as it should.",
		"対応は不要です。テスト用カード情報は決済代行会社へ正しく送信されました。"}},
	{"script.", text{
		"A script on the page is new or changed. Ask whoever maintains the shop whether they made this change; if nobody did, treat it as an attack: remove it and change every admin password.",
		"ページのスクリプトが追加または変更されました。サイトの管理者・制作会社に心当たりを確認し、誰も変更していなければ攻撃として扱い、削除して管理画面のパスワードをすべて変更してください。"}},
	{"destination.", text{
		"The page now sends data to a new place. If you do not know the destination, treat it as an attack: find the script that sends it and remove it.",
		"ページが新しい宛先へデータを送るようになりました。心当たりのない宛先なら攻撃として扱い、送信しているスクリプトを探して削除してください。"}},
	{"form.", text{
		"A form on the page changed. If nobody you know changed it, check the page's templates for injected fields and restore them from a known good copy.",
		"ページのフォームが変わりました。心当たりがなければ、テンプレートに入力欄が挿入されていないか確認し、正常な状態に戻してください。"}},
	{"header.", text{
		"A security header changed. Ask whoever maintains the server whether this was intended; if not, restore it.",
		"セキュリティヘッダーが変わりました。サーバー管理者に意図した変更か確認し、そうでなければ元に戻してください。"}},
	{"probe.", text{
		"A note on how the check ran, not an attack. If it keeps the check from testing the checkout, adjust the check's setup with whoever maintains the shop.",
		"確認の実行についてのお知らせで、攻撃ではありません。決済画面を確認できていない場合は、サイトの管理者・制作会社と確認の設定を見直してください。"}},
	{"page.", text{
		"A note on how the check ran, not an attack. If it keeps the check from testing the checkout, adjust the check's setup with whoever maintains the shop.",
		"確認の実行についてのお知らせで、攻撃ではありません。決済画面を確認できていない場合は、サイトの管理者・制作会社と確認の設定を見直してください。"}},
	{"csp.", text{
		"Customers' browsers reported something the page's policy does not allow. Check whether you added it; if not, find and remove it from the page.",
		"お客様のブラウザーが、ページのポリシーで許可されていない読み込みを報告しました。心当たりがなければ、ページから探して削除してください。"}},
	{"csp.lint.", text{
		"The page's Content-Security-Policy leaves a way open for a skimmer. Ask whoever maintains the server to tighten it; `skimwatch csp policy` writes one from the approved inventory.",
		"ページのCSP（コンテンツセキュリティポリシー）に、スキマーが入り込める隙があります。サーバー管理者に設定の強化を依頼してください。`skimwatch csp policy` で承認済みの内容からポリシーを作成できます。"}},
	{"csp.foreign-document", text{
		"Reports for this site came from a page that is not one of its origins. If the site has such pages, approve their origin; otherwise someone is sending forged reports, and nothing needs changing on the shop.",
		"このサイトのオリジンではないページからレポートが届きました。そのようなページがあればオリジンを承認してください。なければ偽のレポートが送られているだけで、ショップ側の変更は不要です。"}},
	{"fim.", text{
		"A file of the shop changed on the server. If you did not change it, restore it from a known good copy and change admin, FTP and hosting passwords.",
		"サーバー上のショップのファイルが変更されました。心当たりがなければ正常なコピーから復元し、管理画面・FTP・サーバーのパスワードを変更してください。"}},
	{"scan.", text{
		"A file on the server matches a known skimmer or webshell. Take a copy for evidence, remove the file and change admin, FTP and hosting passwords.",
		"サーバー上のファイルが既知のスキマーまたはWebシェルと一致しました。証拠として写しを取ってから削除し、管理画面・FTP・サーバーのパスワードを変更してください。"}},
	{"audit.", text{
		"The shop has a weakness an attacker can use to get in: an exposed file, an open admin login, a missing protection. Ask whoever maintains the server to close it, starting with the most severe.",
		"ショップに、攻撃者の侵入口になり得る弱点があります（公開されたファイル、誰でも開ける管理画面、保護設定の不足など）。重大度の高いものから、サーバー管理者・制作会社に対処を依頼してください。"}},
	{"audit.vulnerable-component", text{
		"The shop runs software with a published vulnerability. Update it to a fixed version, or ask whoever maintains the shop to, and check the server for files planted before the update.",
		"ショップで、脆弱性が公表されているソフトウェアが使われています。修正済みのバージョンに更新（または管理者・制作会社に依頼）し、更新前に仕掛けられたファイルがないかサーバーを確認してください。"}},
	{"dashboard.", text{
		"The skimwatch dashboard's own policy blocked something on one of its pages. Check who can sign in to the dashboard and change their passwords if you do not recognise the blocked address.",
		"skimwatchのダッシュボード自身のポリシーが、ページ内の読み込みを遮断しました。遮断されたアドレスに心当たりがなければ、ダッシュボードにログインできる利用者を確認し、パスワードを変更してください。"}},
	{"alert.silence", text{
		"Open the page in a browser. If it works for you, check whether the server or a firewall blocks skimwatch's checks.",
		"ブラウザーでページを開いてください。表示できる場合は、サーバーやファイアウォールがskimwatchの確認を遮断していないか確認してください。"}},
}

// defaultStep is the first step for a kind no prefix covers.
var defaultStep = text{
	"Check the evidence above with whoever maintains the shop. If nobody made this change, treat it as an attack.",
	"上の検出内容をサイトの管理者・制作会社と確認してください。誰も変更していなければ攻撃として扱ってください。",
}

// FirstStep is what a shop owner should do first about a finding of kind,
// in lang.
func FirstStep(kind, lang string) string {
	if t, ok := longest(firstSteps, kind); ok {
		return t.in(lang)
	}
	return defaultStep.in(lang)
}

// notAttacks are the kinds (exactly, or by a prefix ending in ".") that do
// not say the shop may be under attack: a weakness an attacker could use
// (the audit, a policy's gaps, a header missing from the start), a note on
// how the check ran, or a leak that is expected.
var notAttacks = []string{
	"audit.",
	"csp.lint.",
	"csp.foreign-document",
	"header.added",
	"header.no-csp",
	"header.no-csp-reporting",
	"probe.",
	"page.",
	"honey.postcode-only",
	"honey.card-to-payment-origin",
}

// AttackSign reports whether a finding of kind says the shop may be under
// attack now (a leak, a change, a planted file), as opposed to a weakness
// or a note. An unknown kind counts as a sign: an alert errs towards alarm.
func AttackSign(kind string) bool {
	for _, p := range notAttacks {
		if kind == p || (strings.HasSuffix(p, ".") && strings.HasPrefix(kind, p)) {
			return false
		}
	}
	return true
}
