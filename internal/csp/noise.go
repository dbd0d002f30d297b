package csp

import (
	"slices"
	"strings"
)

// NoiseReason names why a report was dropped. Every drop is counted under
// its reason; nothing is dropped silently.
type NoiseReason string

const (
	// NoiseExtension: the blocked resource or the script that caused the
	// violation belongs to a browser extension. Extensions run in the
	// customer's browser, not on the shop's page, and the shop cannot fix
	// them. A skimmer delivered as an extension is out of a shop's reach.
	NoiseExtension NoiseReason = "browser-extension"
	// NoiseAbout: the document or the blocked URL is about: (about:blank
	// frames, browser error pages).
	NoiseAbout NoiseReason = "about"
	// NoiseAllowedScheme: a data: or blob: URL in a directive where the
	// filter allows them (by default images, fonts and media). A skimmer
	// cannot send data anywhere through a data: image.
	NoiseAllowedScheme NoiseReason = "allowed-data-blob"
	// NoiseInjected: a script host that security software or the browser
	// itself injects into every page (see InjectedHosts).
	NoiseInjected NoiseReason = "injected-toolbar"
	// NoiseNotWeb: the document is not an http(s) page (file:, a browser
	// page), so it is not the shop's.
	NoiseNotWeb NoiseReason = "not-a-web-document"
)

// extensionSchemes are the URL schemes of extensions and browser-internal
// pages in Chromium, Firefox, Safari and old Edge. Safari hides extension
// URLs as webkit-masked-url://hidden/.
var extensionSchemes = []string{
	"chrome-extension", "moz-extension", "safari-web-extension", "safari-extension",
	"ms-browser-extension", "webkit-masked-url", "chrome", "edge", "opera", "resource",
}

// InjectedHosts are host suffixes whose scripts are injected into every
// page by software on the customer's machine, not by the shop:
//
//   - kaspersky-labs.com: Kaspersky's web protection adds
//     gc.kis.v2.scr.kaspersky-labs.com/.../main.js to every page it filters.
//   - translate.googleapis.com: Chrome's built-in page translation loads its
//     scripts from there when a customer translates the page.
//
// Both are hosts an attacker cannot serve code from. The list is kept short
// on purpose: each entry hides reports, so each needs a reason.
var InjectedHosts = []string{"kaspersky-labs.com", "translate.googleapis.com"}

// NoiseFilter decides which events are noise. The zero value uses the
// defaults below.
type NoiseFilter struct {
	// AllowedSchemes maps a directive family to the schemes ("data",
	// "blob") that are noise there. Nil means DefaultAllowedSchemes.
	AllowedSchemes map[string][]string
	// InjectedHosts overrides the package's InjectedHosts when not nil.
	InjectedHosts []string
}

// DefaultAllowedSchemes: data: and blob: are noise for images, fonts and
// media, and significant everywhere else (script-src, connect-src,
// worker-src, frame-src, ...).
var DefaultAllowedSchemes = map[string][]string{
	"img-src":   {"data", "blob"},
	"font-src":  {"data"},
	"media-src": {"data", "blob"},
}

// Noise returns the reason an event is noise, or "" when it must be kept.
func (f NoiseFilter) Noise(e Event) NoiseReason {
	if isExtension(e.Blocked) || isExtension(schemeOf(e.SourceFile)) || isExtension(schemeOf(e.DocumentURL)) {
		return NoiseExtension
	}
	if e.Blocked == "about" || schemeOf(e.DocumentURL) == "about" {
		return NoiseAbout
	}
	if e.DocumentOrigin == "" {
		return NoiseNotWeb
	}
	if e.BlockedKind == KindData || e.BlockedKind == KindBlob {
		allowed := f.AllowedSchemes
		if allowed == nil {
			allowed = DefaultAllowedSchemes
		}
		if slices.Contains(allowed[DirectiveFamily(e.Directive)], string(e.BlockedKind)) {
			return NoiseAllowedScheme
		}
	}
	hosts := f.InjectedHosts
	if hosts == nil {
		hosts = InjectedHosts
	}
	for _, u := range []string{e.BlockedURL, e.SourceFile} {
		if h := hostOf(u); h != "" {
			for _, suf := range hosts {
				if h == suf || strings.HasSuffix(h, "."+suf) {
					return NoiseInjected
				}
			}
		}
	}
	return ""
}

func isExtension(scheme string) bool { return slices.Contains(extensionSchemes, scheme) }

// schemeOf returns the lower-case scheme of a normalised URL, or the whole
// value when it is a bare scheme ("chrome-extension").
func schemeOf(s string) string {
	if i := strings.Index(s, ":"); i >= 0 {
		return strings.ToLower(s[:i])
	}
	return strings.ToLower(s)
}

func hostOf(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "]") {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}
