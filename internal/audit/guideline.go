package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/store"
)

// The guideline report reads an audit's findings against the five measures
// that Japan's credit card security guideline (クレジットカード・セキュリティ
// ガイドライン, version 5.0 of 2024, carried into 6.0) makes mandatory for
// online merchants. Each measure is met, not met or unknown, with the
// evidence behind the answer and what to do, in Japanese and English.

// Status is a measure's answer.
type Status string

const (
	Met     Status = "met"
	NotMet  Status = "not met"
	Unknown Status = "unknown"
)

// Measure numbers, in the guideline's order.
const (
	MeasureAdmin = iota + 1
	MeasureExposure
	MeasureVulnerabilities
	MeasureMalware
	MeasureCardTesting
)

// measurePrefixes is the one mapping from finding kinds to measures. It
// goes by prefix so that a kind added later lands in its measure by its
// name: a new exposure probe is "audit.<thing>-exposed" or one of the
// exposure prefixes, a new advisory or version kind "audit.vuln...",
// "audit.advisory-", "audit.library-", "audit.js-" or "audit.platform...",
// and a kind of `audit DIR` one of these or "audit.dir.<name>". The longest matching prefix
// wins. docs/AUDIT.md lists the same table; TestEveryAuditKindHasAMeasure
// fails for a kind in verdict.go's severity table that maps to none.
var measurePrefixes = []struct {
	prefix  string
	measure int
}{
	// 1: admin screens and admin credentials.
	{"audit.admin-", MeasureAdmin},
	{"audit.dir.admin-", MeasureAdmin},
	// 2: data directories and misconfiguration that expose them.
	{"audit.git-", MeasureExposure},
	{"audit.env-", MeasureExposure},
	{"audit.installer-", MeasureExposure},
	{"audit.backup-", MeasureExposure},
	{"audit.phpinfo-", MeasureExposure},
	{"audit.directory-", MeasureExposure},
	{"audit.debug-", MeasureExposure},
	{"audit.data-", MeasureExposure},
	{"audit.log-", MeasureExposure},
	{"audit.exposed-", MeasureExposure},
	// audit DIR: the server's configuration that opens the door.
	{"audit.webroot-", MeasureExposure},
	{"audit.world-", MeasureExposure},
	{"audit.php-", MeasureExposure},
	{"audit.secret-", MeasureExposure},
	{"audit.dir.", MeasureExposure},
	// 3: web application vulnerabilities: known-vulnerable software, and
	// the headers, cookies and transport that decide what an injected
	// script or a network attacker can do.
	{"audit.vuln", MeasureVulnerabilities}, // audit.vulnerable-component
	{"audit.advisory-", MeasureVulnerabilities},
	{"audit.library-", MeasureVulnerabilities},
	{"audit.js-", MeasureVulnerabilities},
	{"audit.platform", MeasureVulnerabilities},
	{"audit.dir.vuln", MeasureVulnerabilities},
	{"audit.dir.advisory-", MeasureVulnerabilities},
	{"audit.dir.library-", MeasureVulnerabilities},
	{"audit.dir.plugin-", MeasureVulnerabilities},
	{"audit.tls-", MeasureVulnerabilities},
	{"audit.plain-http", MeasureVulnerabilities},
	{"audit.hsts-", MeasureVulnerabilities},
	{"audit.csp-", MeasureVulnerabilities},
	{"csp.lint.", MeasureVulnerabilities},
	{"audit.framing-", MeasureVulnerabilities},
	{"audit.cookie-", MeasureVulnerabilities},
}

// MeasureOf is the measure a finding kind counts against, 0 for none.
func MeasureOf(kind string) int {
	best, m := 0, 0
	for _, p := range measurePrefixes {
		if strings.HasPrefix(kind, p.prefix) && len(p.prefix) > best {
			best, m = len(p.prefix), p.measure
		}
	}
	// "audit.<thing>-exposed" is an exposure whatever the thing.
	if m == 0 && strings.HasPrefix(kind, "audit.") && strings.HasSuffix(kind, "-exposed") {
		m = MeasureExposure
	}
	return m
}

// decisive is the least severity that makes a measure not met; findings
// below it are listed as advice.
const decisive = finding.Medium

// MalwareWindow is how recent a complete fim verify or scan must be for
// the anti-malware measure: the guideline asks for scans run regularly,
// and a week without one is a watch that has stopped.
const MalwareWindow = 7 * 24 * time.Hour

// malwareRunTypes are the event types of the runs that count for measure 4
// (the Command of fim verify's and scan's reports).
var malwareRunTypes = []string{"fim verify", "scan"}

// Text is one text in both languages.
type Text struct {
	JA string `json:"ja"`
	EN string `json:"en"`
}

// MeasureEvidence is one thing an answer rests on: a finding (its kind, severity,
// where, and its store key) or a recorded run (its event).
type MeasureEvidence struct {
	Kind     string    `json:"kind"`
	Severity string    `json:"severity,omitempty"`
	URL      string    `json:"url,omitempty"`
	Path     string    `json:"path,omitempty"`
	Message  string    `json:"message,omitempty"`
	Key      string    `json:"key,omitempty"`
	Event    int64     `json:"event,omitempty"`
	Time     time.Time `json:"time,omitzero"`
}

// Measure is one of the five, answered.
type Measure struct {
	Number   int               `json:"number"`
	Title    Text              `json:"title"`
	Status   Status            `json:"status"`
	Reason   Text              `json:"reason"`
	Evidence []MeasureEvidence `json:"evidence"`
	// Advice are low findings: worth fixing, not deciding. Info findings
	// are left to the audit's own report.
	Advice []MeasureEvidence `json:"advice,omitempty"`
	Todo   Text              `json:"todo"`
	Limits Text              `json:"limits"`
}

// GuidelineReport is the checklist for one audit.
type GuidelineReport struct {
	Target     string    `json:"target"`
	Site       string    `json:"site,omitempty"`
	Audited    time.Time `json:"audited"`
	Complete   bool      `json:"complete"`
	Incomplete []string  `json:"incomplete,omitempty"`
	Requests   int       `json:"requests"`
	Measures   []Measure `json:"measures"`
	// Unmapped are findings of kinds no measure claims (none, while
	// TestEveryAuditKindHasAMeasure passes); listed rather than dropped.
	Unmapped []MeasureEvidence `json:"unmapped,omitempty"`
}

// RunHistory is the part of the store the anti-malware measure reads.
type RunHistory interface {
	Events(ctx context.Context, q store.EventQuery) ([]store.Event, error)
}

// GuidelineOptions give the guideline report what the audit itself cannot
// see.
type GuidelineOptions struct {
	// History is the store holding the site's fim verify and scan runs;
	// nil leaves the anti-malware measure unknown.
	History RunHistory
	// Site is the name the runs are filed under.
	Site string
	// Now is the moment recent runs are measured from; zero: time.Now.
	Now time.Time
}

// Guideline answers the five measures from an audit report. Only reading
// the run history can fail.
func Guideline(ctx context.Context, rep *finding.Report, o GuidelineOptions) (*GuidelineReport, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g := &GuidelineReport{Site: o.Site, Audited: rep.Started, Complete: rep.Complete, Incomplete: rep.Incomplete}
	if len(rep.Targets) > 0 {
		g.Target = rep.Targets[0]
	}
	if n, ok := rep.Details["requests"].(int); ok {
		g.Requests = n
	}
	decisiveOf := map[int][]MeasureEvidence{}
	adviceOf := map[int][]MeasureEvidence{}
	for _, f := range rep.Findings {
		ev, err := evidenceOf(f)
		if err != nil {
			return nil, err
		}
		m := MeasureOf(f.Kind)
		switch {
		case f.Severity < finding.Low:
			// Information (a platform or library seen) says what is
			// there, not what is wrong: it stays in the audit's report.
		case m == 0:
			g.Unmapped = append(g.Unmapped, ev)
		case f.Severity >= decisive:
			decisiveOf[m] = append(decisiveOf[m], ev)
		default:
			adviceOf[m] = append(adviceOf[m], ev)
		}
	}
	incomplete := Text{
		JA: "監査が最後まで完了しなかったため（" + strings.Join(rep.Incomplete, "; ") + "）、すべてを確認できていません。",
		EN: "The audit did not finish (" + strings.Join(rep.Incomplete, "; ") + "), so not everything was looked at.",
	}
	for _, d := range measureTexts {
		m := Measure{Number: d.number, Title: d.title, Todo: d.todo, Limits: d.limits,
			Evidence: decisiveOf[d.number], Advice: adviceOf[d.number]}
		switch {
		case d.number == MeasureMalware:
			if err := malwareMeasure(ctx, &m, o); err != nil {
				return nil, err
			}
		case d.number == MeasureCardTesting:
			m.Status, m.Reason = Unknown, d.unknown
		case len(m.Evidence) > 0:
			m.Status, m.Reason = NotMet, d.notMet
		case !rep.Complete:
			m.Status, m.Reason = Unknown, incomplete
		case d.number == MeasureVulnerabilities && !advisoriesLoaded(rep):
			// Without advisories the versions were read but never matched:
			// "no known vulnerability" would be a guess.
			m.Status, m.Reason = Unknown, noAdvisories
		case d.met == (Text{}):
			// Nothing found, but the measure's core cannot be seen.
			m.Status, m.Reason = Unknown, d.unknown
		default:
			m.Status, m.Reason = Met, d.met
		}
		if m.Evidence == nil {
			m.Evidence = []MeasureEvidence{}
		}
		g.Measures = append(g.Measures, m)
	}
	return g, nil
}

// noAdvisories is the vulnerability measure's reason when the audit had no
// advisory data to match the versions it found against.
var noAdvisories = Text{
	JA: "脆弱性情報（アドバイザリ）が読み込まれていないため、特定したバージョンに既知の脆弱性があるかを判定できませんでした。skimwatch advisories update で取得するか --advisories で指定してください。",
	EN: "No advisories were loaded, so the versions found could not be checked for known vulnerabilities. Fetch them with skimwatch advisories update, or give --advisories.",
}

// advisoriesLoaded reads the audit report's record of its advisory data
// (AdvisoryDetails).
func advisoriesLoaded(rep *finding.Report) bool {
	d, ok := rep.Details["advisories"].(map[string]any)
	if !ok {
		return false
	}
	loaded, _ := d["loaded"].(bool)
	return loaded
}

func evidenceOf(f finding.Finding) (MeasureEvidence, error) {
	key, err := record.Key(f)
	if err != nil {
		return MeasureEvidence{}, err
	}
	return MeasureEvidence{Kind: f.Kind, Severity: f.Severity.String(), URL: f.URL, Path: f.Path, Message: f.Message, Key: key}, nil
}

// malwareMeasure answers measure 4 from the site's recorded fim verify and
// scan runs: met when one completed within MalwareWindow and the latest
// complete one found nothing at high or above.
func malwareMeasure(ctx context.Context, m *Measure, o GuidelineOptions) error {
	switch {
	case o.History == nil:
		m.Status, m.Reason = Unknown, Text{
			JA: "ストアが指定されていないため、ファイル改ざん検知・マルウェアスキャンの実施記録を確認できませんでした。",
			EN: "No store was given, so the record of file-integrity checks and malware scans could not be read.",
		}
		return nil
	case o.Site == "":
		m.Status, m.Reason = Unknown, Text{
			JA: "サイト名（--site）が指定されていないため、実施記録を確認できませんでした。",
			EN: "No site name (--site) was given, so the record of runs could not be read.",
		}
		return nil
	}
	// Only the count and the latest complete run are kept: a site checked
	// every few minutes has tens of thousands of runs a year.
	var runs int
	var latest *store.Event
	var latestRun runData
	for _, typ := range malwareRunTypes {
		after := int64(0)
		for {
			page, err := o.History.Events(ctx, store.EventQuery{Site: o.Site, Type: typ, AfterSeq: after, Limit: 1000})
			if err != nil {
				return fmt.Errorf("guideline: read %s runs: %w", typ, err)
			}
			runs += len(page)
			for i := range page {
				var d runData
				if json.Unmarshal(page[i].Data, &d) != nil || !d.Complete {
					continue
				}
				if latest == nil || page[i].Time.After(latest.Time) {
					latest, latestRun = &page[i], d
				}
			}
			if len(page) < 1000 {
				break
			}
			after = page[len(page)-1].Seq
		}
	}
	if runs == 0 {
		m.Status, m.Reason = Unknown, Text{
			JA: "このサイトについて、skimwatch によるファイル改ざん検知（fim verify）やマルウェアスキャン（scan）の記録がありません。他のウイルス対策製品を使っている場合は、その実施記録を保管してください。",
			EN: "skimwatch has no record of a file-integrity check (fim verify) or malware scan (scan) of this site. If another anti-malware product runs on the server, keep its records.",
		}
		return nil
	}
	if latest == nil {
		m.Status, m.Reason = NotMet, Text{
			JA: fmt.Sprintf("記録されている %d 回の fim verify / scan はいずれも最後まで完了していません。", runs),
			EN: fmt.Sprintf("None of the %d recorded fim verify or scan runs of this site completed.", runs),
		}
		return nil
	}
	ev := MeasureEvidence{Kind: latest.Type, Severity: latestRun.MaxSeverity, Event: latest.Seq, Time: latest.Time.UTC()}
	m.Evidence = append(m.Evidence, ev)
	day := latest.Time.UTC().Format("2006-01-02")
	sev, _ := finding.ParseSeverity(latestRun.MaxSeverity)
	switch {
	case o.Now.Sub(latest.Time) > MalwareWindow:
		m.Status, m.Reason = NotMet, Text{
			JA: fmt.Sprintf("最後に完了した %s は %s で、%d 日以上前です。", latest.Type, day, int(MalwareWindow.Hours()/24)),
			EN: fmt.Sprintf("The last complete %s of this site was on %s, more than %d days ago.", latest.Type, day, int(MalwareWindow.Hours()/24)),
		}
	case sev >= finding.High:
		m.Status, m.Reason = NotMet, Text{
			JA: fmt.Sprintf("最新の %s（%s）で、重要度 %s の変更またはマルウェアが見つかっています。", latest.Type, day, latestRun.MaxSeverity),
			EN: fmt.Sprintf("The latest complete %s (%s) found changes or malware at %s.", latest.Type, day, latestRun.MaxSeverity),
		}
	default:
		m.Status, m.Reason = Met, Text{
			JA: fmt.Sprintf("%s に完了した %s では、重要度 high 以上の検出はありませんでした。", day, latest.Type),
			EN: fmt.Sprintf("A complete %s of this site ran on %s and found nothing at high or above.", latest.Type, day),
		}
	}
	return nil
}

// runData is what record.RunEvent writes about a run.
type runData struct {
	Complete    bool   `json:"complete"`
	MaxSeverity string `json:"max_severity"`
}

// measureText holds a measure's fixed texts. An empty met means the
// measure is never met from what skimwatch sees.
type measureText struct {
	number               int
	title                Text
	notMet, met, unknown Text
	todo, limits         Text
}

var measureTexts = []measureText{
	{
		number: MeasureAdmin,
		title: Text{
			JA: "管理者画面のアクセス制限と管理者のID/パスワード管理",
			EN: "Restricted access to the admin screens, and managed admin IDs and passwords",
		},
		notMet: Text{
			JA: "管理画面のログインページが、プラットフォームの既定のパスで誰からでもアクセスできる状態です。",
			EN: "An admin login screen answers anyone at its platform's default path.",
		},
		unknown: Text{
			JA: "既定のパスでは管理画面のログインページは応答しませんでした。ただし外部からは、IPアドレスで制限された管理画面と別のパスに移しただけの管理画面を区別できず、管理者のID・パスワードの管理状況も確認できません。",
			EN: "No admin login screen answered at the platforms' default paths. From outside, an admin screen restricted by address looks the same as one merely moved, and how admin IDs and passwords are managed cannot be seen.",
		},
		todo: Text{
			JA: "管理画面へのアクセスを自社のIPアドレス（許可リスト・VPN）に限定するか二段階認証を必須にし、既定のパスから変更してください。管理者IDは担当者ごとに発行し、推測されにくいパスワードを使い、一定回数のログイン失敗でアカウントをロックしてください。",
			EN: "Restrict the admin screens to your own addresses (an allow-list or a VPN) or require a second factor, and move them off the default path. Give each administrator their own ID, use strong passwords, and lock an account after repeated failed logins.",
		},
		limits: Text{
			JA: "確認するのは各プラットフォームの既定の管理画面パスのみで、ログインは一切試みません。",
			EN: "Only the platforms' default admin paths are probed, and no login is ever attempted.",
		},
	},
	{
		number: MeasureExposure,
		title: Text{
			JA: "データディレクトリの露見に伴う設定不備への対策",
			EN: "No exposed data directories, and no misconfiguration that exposes them",
		},
		notMet: Text{
			JA: "公開すべきでないファイルやディレクトリが、公開ディレクトリから取得できる状態です。",
			EN: "Files or folders that should not be served can be downloaded from the web root.",
		},
		met: Text{
			JA: "調査したインストーラ、.git、.env、バックアップ、ディレクトリ一覧、phpinfo はいずれも公開されていませんでした。",
			EN: "None of the probed installers, .git, .env, backups, directory listings or phpinfo pages is served.",
		},
		todo: Text{
			JA: "公開ディレクトリからインストーラ、.git、.env、バックアップやエディタの一時ファイルを削除し、ディレクトリ一覧表示を無効にしてください。データ・ログ・アップロード用のディレクトリは公開ディレクトリの外に置くか、アクセスを拒否してください。",
			EN: "Remove installers, .git, .env, backups and editor copies from the web root, and turn off directory listings. Keep data, log and upload folders outside the web root, or deny access to them.",
		},
		limits: Text{
			JA: "既知のパスのみを確認します。それ以外の場所にあるファイルは検出できません。",
			EN: "Only well-known paths are probed; a file at another path is not found.",
		},
	},
	{
		number: MeasureVulnerabilities,
		title: Text{
			JA: "Webアプリケーションの脆弱性対策",
			EN: "Measures against web application vulnerabilities",
		},
		notMet: Text{
			JA: "スクリプトの埋め込みや通信の盗聴・改ざんを容易にする弱点（セキュリティヘッダー、Cookie、TLS、既知の脆弱性があるバージョン）が見つかりました。",
			EN: "Weaknesses that make an injected script, or reading and rewriting the traffic, easier were found (security headers, cookies, TLS, or versions with known vulnerabilities).",
		},
		met: Text{
			JA: "セキュリティヘッダー、セッションCookie、TLS、および特定できたバージョンに、重要度 medium 以上の弱点は見つかりませんでした。",
			EN: "The security headers, session cookies, TLS and the versions the audit could identify show no weakness at medium or above.",
		},
		todo: Text{
			JA: "プラットフォーム、プラグイン、ライブラリを最新に保ち、レポート送信先付きの Content-Security-Policy、HSTS、Secure・HttpOnly・SameSite 属性付きのセッションCookieを設定してください。自社のコードについては、定期的な脆弱性診断またはペネトレーションテストでSQLインジェクションやXSSへの対策を確認するか、WAFを導入してください。",
			EN: "Keep the platform, plug-ins and libraries up to date, and send an enforced Content-Security-Policy with a reporting endpoint, HSTS, and Secure, HttpOnly, SameSite session cookies. Have the shop's own code checked for SQL injection and XSS by a regular vulnerability assessment or penetration test, or put a WAF in front of it.",
		},
		limits: Text{
			JA: "外部からの監査では、自社コードのSQLインジェクションやXSSは検査しません。確認するのはヘッダー、Cookie、TLS、および特定できたバージョンです。",
			EN: "A look from outside does not test the shop's own code for SQL injection or XSS; it reads headers, cookies, TLS and the versions it can identify.",
		},
	},
	{
		number: MeasureMalware,
		title: Text{
			JA: "マルウェア対策としてのウイルス対策ソフトの導入、運用",
			EN: "Anti-malware: anti-virus software installed and run",
		},
		todo: Text{
			JA: "公開ディレクトリに対して skimwatch fim verify と skimwatch scan を少なくとも毎日実行し（skimwatch serve で定期実行できます）、報告された変更をすべて確認してください。サーバーのウイルス対策ソフトも最新に保ってください。",
			EN: "Run skimwatch fim verify and skimwatch scan on the web root at least daily (skimwatch serve runs them on a schedule) and look into every change they report. Keep the server's anti-virus software up to date.",
		},
		limits: Text{
			JA: "ストアに記録された skimwatch 自身の実施記録のみを確認します。",
			EN: "Only skimwatch's own runs recorded in the store are read.",
		},
	},
	{
		number: MeasureCardTesting,
		title: Text{
			JA: "悪質な有効性確認、クレジットマスターへの対策",
			EN: "Defences against card testing (malicious validity checks and credit-master attacks)",
		},
		unknown: Text{
			JA: "skimwatch は決済を一切試みないため、カードの有効性確認を悪用した攻撃（クレジットマスター等）への対策の有無は外部から確認できません。",
			EN: "skimwatch never tries a payment, so whether card testing (many small authorisations with guessed or stolen card numbers) is stopped cannot be seen from outside.",
		},
		todo: Text{
			JA: "決済代行会社と連携し、EMV 3-Dセキュアの導入、カード・IPアドレス・セッションごとの試行回数の制限、決済画面でのボット対策（CAPTCHA等）、オーソリ失敗の急増の監視を実施・確認してください。",
			EN: "With your payment provider, put in place and confirm EMV 3-D Secure, limits on attempts per card, address and session, bot defences (such as a CAPTCHA) on the payment form, and alerts on bursts of failed authorisations.",
		},
		limits: Text{
			JA: "設計上、外部からは確認しません。",
			EN: "Never checked from outside, by design.",
		},
	},
}
