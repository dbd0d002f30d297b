package audit

import "github.com/skimwatch/skimwatch/internal/finding"

// Finding kinds produced by the remote audit.
const (
	KindGitExposed       = "audit.git-exposed"
	KindEnvExposed       = "audit.env-exposed"
	KindInstallerExposed = "audit.installer-exposed"
	KindBackupExposed    = "audit.backup-exposed"
	KindPHPInfoExposed   = "audit.phpinfo-exposed"
	KindDirectoryListing = "audit.directory-listing"
	KindAdminReachable   = "audit.admin-reachable"
	KindPlainHTTP        = "audit.plain-http"
	KindHSTSMissing      = "audit.hsts-missing"
	KindCSPMissing       = "audit.csp-missing"
	KindFramingAllowed   = "audit.framing-allowed"
	KindCookieFlags      = "audit.cookie-flags"
	KindTLSExpired       = "audit.tls-expired"
	KindTLSExpiring      = "audit.tls-expiring"
	KindTLSUntrusted     = "audit.tls-untrusted"
	KindTLSHostname      = "audit.tls-hostname"
	KindTLSOldProtocol   = "audit.tls-old-protocol"
)

// severity is the audit's one severity table. The order follows what an
// attacker gains: files that hand over the source or the secrets (and so the
// admin and the database) first, then doors that need a second step, then
// the headers that only limit what a skimmer already planted can do.
var severity = map[string]finding.Severity{
	// .git gives the whole source with its history, .env the database and
	// payment provider credentials: either is enough to plant a skimmer.
	KindGitExposed: finding.Critical,
	KindEnvExposed: finding.Critical,
	// A leftover installer can rewrite the shop's database settings; a
	// source backup is served raw, credentials included.
	KindInstallerExposed: finding.High,
	KindBackupExposed:    finding.High,
	// Reconnaissance and a login screen open to the world: the guideline
	// asks for admin access restricted by address or a second factor.
	KindPHPInfoExposed:   finding.Medium,
	KindDirectoryListing: finding.Medium,
	KindAdminReachable:   finding.Medium,
	// Transport: a page that takes card data over plain http, or https
	// without HSTS, can be rewritten on the way.
	KindPlainHTTP:   finding.Medium,
	KindHSTSMissing: finding.Medium,
	// Without a CSP nothing stops an injected script from sending data out.
	// (The weaknesses of a policy that is there are csp.Lint's findings.)
	KindCSPMissing:     finding.Medium,
	KindFramingAllowed: finding.Low,
	// A certificate browsers refuse trains customers to click through
	// warnings, which is all an attacker on the path needs.
	KindTLSExpired:   finding.High,
	KindTLSUntrusted: finding.High,
	KindTLSHostname:  finding.High,
	// Still valid for now, or a weaker protocol a client can be pushed to.
	KindTLSExpiring:    finding.Medium,
	KindTLSOldProtocol: finding.Medium,
}

// cookieSeverity: a session cookie readable by script (no HttpOnly) or sent
// over plain http (no Secure on https) can be stolen by an injected script
// or on the wire; a missing SameSite alone only weakens CSRF defences.
func cookieSeverity(missing []string) finding.Severity {
	for _, m := range missing {
		if m == "HttpOnly" || m == "Secure" {
			return finding.Medium
		}
	}
	return finding.Low
}

func severityOf(kind string) finding.Severity {
	if s, ok := severity[kind]; ok {
		return s
	}
	if s, ok := componentSeverity[kind]; ok {
		return s
	}
	// An unlisted kind is a programming error; Validate catches the zero.
	return 0
}
