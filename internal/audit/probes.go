package audit

import (
	"bytes"
	"regexp"
	"strings"
)

// probe is one path that should not answer, and the bytes that prove it
// does. Every probe needs proof in the body, not just a 200, because many
// shops answer 200 to every path.
type probe struct {
	path    string
	kind    string
	message string
	match   func(body []byte) (proof string, ok bool)
}

var (
	titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	// envLineRe is a KEY=value line of a dotenv file; only the key is
	// quoted as proof, never the value (a secret).
	envLineRe = regexp.MustCompile(`(?m)^\s*(?:export\s+)?([A-Z][A-Z0-9_]{1,63})\s*=`)
	hex40Re   = regexp.MustCompile(`^[0-9a-f]{40}\s*$`)
	// passRe quotes the whole password field as proof.
	passRe = regexp.MustCompile(`(?i)<input[^>]+type\s*=\s*["']?password\b[^>]*>`)
)

func title(body []byte) string {
	m := titleRe.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(string(m[1])), " ")
}

func looksHTML(body []byte) bool {
	head := bytes.ToLower(body[:min(len(body), 512)])
	return bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype"))
}

func gitHEAD(b []byte) (string, bool) {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "ref: refs/") && !strings.ContainsAny(s, "<\n") {
		return s, true
	}
	if hex40Re.MatchString(s) { // a detached HEAD
		return s, true
	}
	return "", false
}

func gitConfig(b []byte) (string, bool) {
	if !looksHTML(b) && bytes.Contains(b, []byte("[core]")) && bytes.Contains(b, []byte("repositoryformatversion")) {
		return "[core] repositoryformatversion", true
	}
	return "", false
}

func dotenv(b []byte) (string, bool) {
	if looksHTML(b) {
		return "", false
	}
	ms := envLineRe.FindAllSubmatch(b, 8)
	// Two keys: one KEY= line could be prose.
	if len(ms) < 2 {
		return "", false
	}
	keys := make([]string, 0, len(ms))
	for _, m := range ms {
		keys = append(keys, string(m[1])+"=")
	}
	return strings.Join(keys, " "), true
}

func phpSource(b []byte) (string, bool) {
	if i := bytes.Index(b, []byte("<?php")); i >= 0 && i < 512 {
		return "<?php", true
	}
	return "", false
}

func vimSwap(b []byte) (string, bool) {
	if bytes.HasPrefix(b, []byte("b0VIM ")) {
		return "b0VIM", true
	}
	return "", false
}

func listing(b []byte) (string, bool) {
	t := title(b)
	if strings.HasPrefix(t, "Index of /") || strings.HasPrefix(t, "Directory listing for /") {
		return "<title>" + t + "</title>", true
	}
	return "", false
}

func phpinfo(b []byte) (string, bool) {
	if t := title(b); strings.Contains(t, "phpinfo()") {
		return "<title>" + t + "</title>", true
	}
	return "", false
}

// installer: an installer page names itself in its title (EC-CUBE's
// "EC-CUBE インストール", WordPress's "Setup Configuration File").
func installer(b []byte) (string, bool) {
	t := title(b)
	low := strings.ToLower(t)
	for _, w := range []string{"install", "インストール", "setup configuration"} {
		if strings.Contains(low, w) {
			return "<title>" + t + "</title>", true
		}
	}
	return "", false
}

// adminLogin: a screen with a password field at an admin path. We only
// GET the form; no credential is ever sent.
func adminLogin(b []byte) (string, bool) {
	if m := passRe.Find(b); m != nil {
		return string(m), true
	}
	return "", false
}

const (
	msgGit       = "The site's git repository is downloadable: its source, history and any committed secrets can be taken."
	msgEnv       = "An environment file with configuration keys is downloadable; it usually holds database and payment credentials."
	msgInstaller = "An installer is still reachable; it can reconfigure or reinstall the shop."
	msgBackup    = "A backup or editor copy of a source file is served raw, with whatever credentials it holds."
	msgListing   = "A directory listing shows the files in a folder of the web root."
	msgPHPInfo   = "A phpinfo page shows the server's configuration, paths and modules to anyone."
	msgAdmin     = "An admin login screen at its platform's default path is reachable from anywhere; the guideline asks for admin access restricted by address or a second factor."
)

// probes, in order of what they reveal; the budget may cut the tail.
var probes = []probe{
	{"/.git/HEAD", KindGitExposed, msgGit, gitHEAD},
	{"/.git/config", KindGitExposed, msgGit, gitConfig},
	{"/.env", KindEnvExposed, msgEnv, dotenv},
	// EC-CUBE 2 (html/install/), 3 (html/install.php) and 4 (/install).
	{"/install.php", KindInstallerExposed, msgInstaller, installer},
	{"/install/", KindInstallerExposed, msgInstaller, installer},
	{"/wp-admin/setup-config.php", KindInstallerExposed, msgInstaller, installer},
	// Magento 2's web setup wizard.
	{"/setup/", KindInstallerExposed, msgInstaller, installer},
	{"/index.php.bak", KindBackupExposed, msgBackup, phpSource},
	{"/index.php~", KindBackupExposed, msgBackup, phpSource},
	{"/index.php.old", KindBackupExposed, msgBackup, phpSource},
	{"/.index.php.swp", KindBackupExposed, msgBackup, vimSwap},
	{"/wp-config.php.bak", KindBackupExposed, msgBackup, phpSource},
	{"/phpinfo.php", KindPHPInfoExposed, msgPHPInfo, phpinfo},
	{"/info.php", KindPHPInfoExposed, msgPHPInfo, phpinfo},
	// Folders that shops fill with uploads, logs and backups.
	{"/upload/", KindDirectoryListing, msgListing, listing},
	{"/uploads/", KindDirectoryListing, msgListing, listing},
	{"/backup/", KindDirectoryListing, msgListing, listing},
	{"/log/", KindDirectoryListing, msgListing, listing},
	{"/logs/", KindDirectoryListing, msgListing, listing},
	{"/var/", KindDirectoryListing, msgListing, listing},
	// Default admin paths: EC-CUBE 2/3/4 and Magento 2 (/admin),
	// WordPress, PrestaShop 1.6 and OpenCart.
	{"/admin/", KindAdminReachable, msgAdmin, adminLogin},
	{"/wp-login.php", KindAdminReachable, msgAdmin, adminLogin},
	{"/admin-dev/", KindAdminReachable, msgAdmin, adminLogin},
}
