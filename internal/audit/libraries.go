package audit

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/advisory"
)

// Library is a JavaScript library a page loads, with its version and how
// the version was read.
type Library struct {
	// Name is the library's npm package name, which advisories use.
	Name    string
	Version string
	Script  string
	// How is "banner" (the licence comment at the top of the file),
	// "content" (a version string the code carries), "filename" or
	// "path" (the URL); Proof is the text that matched.
	How   string
	Proof string
}

// maxScripts bounds the scripts fetched for one audit: a payment page
// loads a handful of libraries, and each fetch counts against
// --max-requests.
const maxScripts = 12

// ver is the version group every library pattern shares.
const ver = `(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)`

// libSig recognises one library by its URL and its content.
type libSig struct {
	name string
	// urls match the script URL's path; the first group is the version.
	urls []*regexp.Regexp
	// banners match the start of the file, content the code itself.
	banners []*regexp.Regexp
	content []*regexp.Regexp
}

func res(pats ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(pats))
	for i, p := range pats {
		out[i] = regexp.MustCompile(p)
	}
	return out
}

// libSigs: the libraries shops load on payment pages and that advisories
// name. Patterns are written from each library's own banner format; the
// jQuery family comes first so that "jQuery UI" is not read as jQuery.
var libSigs = []libSig{
	{
		name:    "jquery-ui",
		urls:    res(`(?i)/jquery-ui[.-]v?`+ver+`(?:\.custom)?(?:\.min)?\.js$`, `(?i)/jqueryui/`+ver+`/jquery-ui(?:\.min)?\.js$`, `(?i)/jquery-ui@`+ver+`/`),
		banners: res(`/\*!? jQuery UI - v` + ver),
		content: res(`\$\.ui\s*=\s*\$\.ui\s*\|\|\s*\{\}[\s\S]{0,200}?version\s*:\s*"` + ver + `"`),
	},
	{
		name:    "jquery-migrate",
		urls:    res(`(?i)/jquery-migrate-` + ver + `(?:\.min)?\.js$`),
		banners: res(`/\*!? jQuery Migrate (?:- )?v` + ver),
	},
	{
		name:    "jquery",
		urls:    res(`(?i)/jquery-`+ver+`(?:\.slim)?(?:\.min)?\.js$`, `(?i)/jquery/`+ver+`/jquery(?:\.slim)?(?:\.min)?\.js$`, `(?i)/jquery@`+ver+`/`),
		banners: res(`/\*!? jQuery v`+ver, `jQuery JavaScript Library v`+ver),
		// fn.jquery holds the version in every build, minified or not.
		content: res(`jquery\s*[:=]\s*["']` + ver + `["']\s*,\s*constructor`),
	},
	{
		name:    "bootstrap",
		urls:    res(`(?i)/bootstrap/` + ver + `/js/bootstrap(?:\.bundle)?(?:\.min)?\.js$`),
		banners: res(`/\*!?\s*\*?\s*Bootstrap v` + ver),
	},
	{
		name: "lodash",
		// Lodash's banners carry no version, and its VERSION constant
		// sits far from any name that proves it is lodash: by URL only.
		urls: res(`(?i)/lodash(?:\.js)?/`+ver+`/lodash(?:\.min)?\.js$`, `(?i)/lodash@`+ver+`/`),
	},
	{
		name:    "moment",
		urls:    res(`(?i)/moment(?:\.js)?/` + ver + `/moment(?:\.min)?\.js$`),
		banners: res(`//! moment\.js\s*\n//! version : ` + ver),
	},
	{
		name:    "handlebars",
		banners: res(`handlebars v` + ver),
	},
	{
		name:    "vue",
		urls:    res(`(?i)/vue@` + ver + `/`),
		banners: res(`Vue\.js v` + ver),
	},
	{
		name:    "angular",
		banners: res(`@license AngularJS v` + ver),
	},
	{
		name:    "dompurify",
		banners: res(`@license DOMPurify ` + ver),
	},
}

// fromURL names a library by its script URL alone.
func libraryFromURL(script string) (Library, bool) {
	u, err := url.Parse(script)
	if err != nil {
		return Library{}, false
	}
	p := path.Clean("/" + u.Path)
	for _, s := range libSigs {
		for _, re := range s.urls {
			if m := re.FindStringSubmatch(p); m != nil {
				how := "path"
				if !strings.Contains(path.Dir(p), m[1]) {
					how = "filename"
				}
				return Library{Name: s.name, Version: m[1], Script: script, How: how, Proof: strings.TrimPrefix(m[0], "/")}, true
			}
		}
	}
	return Library{}, false
}

// librariesFromContent names the libraries in one script's text. A bundle
// can hold several, each with its banner.
func librariesFromContent(script string, body []byte) []Library {
	var out []Library
	seen := map[string]bool{}
	for _, s := range libSigs {
		for _, group := range []struct {
			how string
			res []*regexp.Regexp
		}{{"banner", s.banners}, {"content", s.content}} {
			for _, re := range group.res {
				if seen[s.name] {
					break
				}
				if m := re.FindSubmatch(body); m != nil {
					seen[s.name] = true
					out = append(out, Library{Name: s.name, Version: string(m[1]), Script: script, How: group.how, Proof: firstLine(string(m[0]))})
				}
			}
		}
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

var scriptSrcRe = regexp.MustCompile(`(?is)<script\b[^>]*?\bsrc\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>]+))`)

// scriptURLs lists the external scripts of an HTML page, resolved against
// its URL, http and https only, in page order, without repeats.
func scriptURLs(pageURL string, body []byte) []string {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range scriptSrcRe.FindAllSubmatch(body, 200) {
		src := strings.TrimSpace(string(m[1]) + string(m[2]) + string(m[3]))
		u, err := base.Parse(src)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		u.Fragment = ""
		if s := u.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// libraries names the JavaScript libraries of the scripts given. A script
// whose URL names a library and its version is not fetched; the others are,
// within maxScripts and the request budget.
func (a *auditor) libraries(ctx context.Context, scripts []string) []Library {
	var out []Library
	fetched := 0
	for _, s := range scripts {
		if lib, ok := libraryFromURL(s); ok {
			out = append(out, lib)
			continue
		}
		if fetched >= maxScripts {
			a.rep.MarkIncomplete(fmt.Sprintf("more than %d scripts on the page: the rest were not read for libraries", maxScripts))
			break
		}
		fetched++
		r, err := a.p.get(ctx, s)
		if err != nil {
			a.fail("script "+s, err)
			continue
		}
		if r.Status != 200 {
			continue
		}
		out = append(out, librariesFromContent(r.URL, r.Body)...)
	}
	return out
}

// libraryFindings reports each library and returns it as a component.
func (a *auditor) libraryFindings(libs []Library) []Component {
	var comps []Component
	for _, l := range libs {
		a.add(KindLibrary, l.Script, fmt.Sprintf("The page loads %s %s.", l.Name, l.Version), map[string]any{
			"library": l.Name, "version": l.Version, "script": l.Script, "how": l.How, "proof": l.Proof,
		})
		comps = append(comps, Component{Ecosystem: advisory.EcosystemNPM, Name: l.Name, Version: l.Version, Where: l.Script})
	}
	return comps
}
