package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/advisory"
)

// Platform is the shop software the audit recognised, with the evidence
// that named it and how sure it is.
type Platform struct {
	// Name is EC-CUBE, Magento, WordPress, WooCommerce, PrestaShop or
	// OpenCart; Generation is the major line where it matters (EC-CUBE 2,
	// 3 or 4; Magento 1 or 2).
	Name       string
	Generation string
	// Version is the exact version when one was read, else "".
	Version string
	// Confidence is high (a version-bearing file or two independent
	// signals), medium (one signal only this platform sends) or low.
	Confidence string
	Evidence   []Evidence
}

// Evidence is one fact behind a fingerprint.
type Evidence struct {
	// Type is header, cookie, path (a URL pattern in the page), meta (a
	// generator tag) or file (a fetched file that states the version).
	Type   string `json:"type"`
	Detail string `json:"detail"`
	URL    string `json:"url"`
	// SHA256 is the hash of a fetched file, so that the exact bytes
	// behind a version can be compared later.
	SHA256 string `json:"sha256,omitempty"`
}

// signal is one marker of a platform in a page's headers or body. weight 2
// is a marker no other platform sends; 1 is a hint.
type signal struct {
	platform, generation string
	typ                  string
	weight               int
	match                func(r *response) (string, bool)
}

func bodyHas(re *regexp.Regexp) func(*response) (string, bool) {
	return func(r *response) (string, bool) {
		if m := re.Find(r.Body); m != nil {
			return string(m), true
		}
		return "", false
	}
}

func cookieNamed(pred func(string) bool) func(*response) (string, bool) {
	return func(r *response) (string, bool) {
		for _, sc := range r.Header.Values("Set-Cookie") {
			name, _, _ := strings.Cut(sc, "=")
			name = strings.TrimSpace(name)
			if pred(name) {
				return name, true
			}
		}
		return "", false
	}
}

func headerPrefix(prefix string) func(*response) (string, bool) {
	return func(r *response) (string, bool) {
		for k := range r.Header {
			if strings.HasPrefix(http.CanonicalHeaderKey(k), prefix) {
				return k, true
			}
		}
		return "", false
	}
}

// signals: each platform's own paths, cookies and headers. Paths are the
// platforms' defaults: a theme that moved its assets is not recognised by
// path (the generator tag or cookie may still name it).
var signals = []signal{
	// EC-CUBE 4 keeps its front assets under html/template/<theme>/assets/
	// and puts a CSRF token in a meta tag; EC-CUBE 3 has the same template
	// folder without assets/; EC-CUBE 2 serves user_data/packages/ and
	// js/eccube.js. 3 and 4 name their session cookie "eccube".
	{"EC-CUBE", "4", "meta", 2, bodyHas(regexp.MustCompile(`<meta name="eccube-csrf-token"`))},
	{"EC-CUBE", "4", "path", 2, bodyHas(regexp.MustCompile(`/html/template/[A-Za-z0-9_-]+/assets/`))},
	{"EC-CUBE", "3", "path", 1, bodyHas(regexp.MustCompile(`/html/template/[A-Za-z0-9_-]+/(?:css|js|img)/`))},
	{"EC-CUBE", "", "cookie", 1, cookieNamed(func(n string) bool { return n == "eccube" })},
	{"EC-CUBE", "2", "path", 2, bodyHas(regexp.MustCompile(`/user_data/packages/[A-Za-z0-9_-]+/|/js/eccube(?:\.legacy)?\.js`))},
	// Magento 2: versioned static paths and its x-magento-init blocks;
	// Magento 1: skin/frontend and js/varien, the "frontend" cookie.
	{"Magento", "2", "path", 2, bodyHas(regexp.MustCompile(`/static/(?:version\d+/)?frontend/[A-Za-z0-9_]+/[A-Za-z0-9_]+/`))},
	{"Magento", "2", "path", 1, bodyHas(regexp.MustCompile(`type="text/x-magento-init"`))},
	{"Magento", "", "header", 1, headerPrefix("X-Magento-")},
	{"Magento", "1", "path", 2, bodyHas(regexp.MustCompile(`/skin/frontend/[A-Za-z0-9_]+/|/js/varien/`))},
	{"Magento", "1", "cookie", 1, cookieNamed(func(n string) bool { return n == "frontend" })},
	{"WordPress", "", "path", 2, bodyHas(regexp.MustCompile(`/wp-(?:content|includes)/`))},
	{"WooCommerce", "", "path", 2, bodyHas(regexp.MustCompile(`/wp-content/plugins/woocommerce/`))},
	{"PrestaShop", "", "cookie", 2, cookieNamed(func(n string) bool { return strings.HasPrefix(n, "PrestaShop-") })},
	{"PrestaShop", "1.7", "path", 1, bodyHas(regexp.MustCompile(`var prestashop\s*=`))},
	{"OpenCart", "", "cookie", 2, cookieNamed(func(n string) bool { return n == "OCSESSID" })},
	{"OpenCart", "", "path", 1, bodyHas(regexp.MustCompile(`index\.php\?route=(?:common|product|checkout)/`))},
}

// generatorRe reads <meta name="generator" content="NAME VERSION">, in
// either attribute order.
var (
	generatorRe  = regexp.MustCompile(`(?i)<meta\s+(?:name=["']generator["']\s+content=["']([^"']{1,100})["']|content=["']([^"']{1,100})["']\s+name=["']generator["'])`)
	genVersionRe = regexp.MustCompile(`^(EC-CUBE|Magento|WordPress|WooCommerce|PrestaShop|OpenCart)(?:\s+v?(\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?))?\b`)
)

// packageOf names the advisory package of a platform: Packagist where the
// platform is a Composer project, our WordPress and EC-CUBE ecosystems
// where OSV has none.
func packageOf(p Platform) (eco, name string) {
	switch p.Name {
	case "EC-CUBE":
		if p.Generation == "2" {
			return advisory.EcosystemECCUBE, "ec-cube"
		}
		return advisory.EcosystemPackagist, "ec-cube/ec-cube"
	case "Magento":
		if p.Generation == "2" {
			return advisory.EcosystemPackagist, "magento/community-edition"
		}
		return "", ""
	case "WordPress":
		return advisory.EcosystemWordPress, "wordpress"
	case "WooCommerce":
		return advisory.EcosystemWordPress, "woocommerce"
	case "PrestaShop":
		return advisory.EcosystemPackagist, "prestashop/prestashop"
	case "OpenCart":
		return advisory.EcosystemPackagist, "opencart/opencart"
	}
	return "", ""
}

// composerNames are the root packages whose composer.json states the
// platform's version.
var composerNames = map[string][]string{
	"EC-CUBE":    {"ec-cube/ec-cube"},
	"Magento":    {"magento/magento2ce", "magento/product-community-edition", "magento/project-community-edition", "magento/community-edition"},
	"PrestaShop": {"prestashop/prestashop"},
}

// fingerprint recognises platforms from the pages already fetched, then
// spends at most two more requests per platform on a file that states the
// version.
func (a *auditor) fingerprint(ctx context.Context, pages []*response) []Platform {
	found := map[string]*Platform{}
	score := map[string]int{}
	var order []string
	get := func(name string) *Platform {
		if p, ok := found[name]; ok {
			return p
		}
		p := &Platform{Name: name}
		found[name] = p
		order = append(order, name)
		return p
	}
	// cite adds evidence once: the same marker on the home page and the
	// payment page is one fact, not two.
	cite := func(p *Platform, e Evidence, weight int) {
		if !slices.ContainsFunc(p.Evidence, func(x Evidence) bool { return x.Type == e.Type && x.Detail == e.Detail }) {
			p.Evidence = append(p.Evidence, e)
			score[p.Name] += weight
		}
	}
	for _, r := range pages {
		for _, s := range signals {
			detail, ok := s.match(r)
			if !ok {
				continue
			}
			p := get(s.platform)
			if s.generation != "" && (p.Generation == "" || s.weight == 2) {
				p.Generation = s.generation
			}
			cite(p, Evidence{Type: s.typ, Detail: detail, URL: r.URL}, s.weight)
		}
		for _, m := range generatorRe.FindAllSubmatch(r.Body, 4) {
			content := string(m[1]) + string(m[2])
			g := genVersionRe.FindStringSubmatch(content)
			if g == nil {
				continue
			}
			p := get(g[1])
			cite(p, Evidence{Type: "meta", Detail: `<meta name="generator" content="` + content + `">`, URL: r.URL}, 2)
			if g[2] != "" && p.Version == "" {
				p.Version = g[2]
			}
		}
	}
	// WooCommerce runs on WordPress: its own markers prove both.
	if _, ok := found["WooCommerce"]; ok {
		get("WordPress")
		score["WordPress"] = max(score["WordPress"], 2)
	}

	var out []Platform
	for _, name := range order {
		p := found[name]
		if score[name] < 2 {
			// One hint alone (an X-Magento header on a proxy, a route
			// parameter) names nothing.
			continue
		}
		if err := a.readVersion(ctx, p); err != nil {
			a.fail("version of "+p.Name, err)
		}
		switch {
		case p.Version != "" && slices.ContainsFunc(p.Evidence, func(e Evidence) bool { return e.Type == "file" || e.Type == "meta" }),
			score[name] >= 4:
			p.Confidence = "high"
		default:
			p.Confidence = "medium"
		}
		if p.Generation == "" && p.Version != "" {
			p.Generation, _, _ = strings.Cut(p.Version, ".")
		}
		out = append(out, *p)
	}
	return out
}

// readVersion fetches the one file that states p's version: composer.json
// left in a Composer project's web root, Magento 2's /magento_version, a
// WordPress plug-in's readme.txt. A 404 is no error: most shops do not
// serve these.
func (a *auditor) readVersion(ctx context.Context, p *Platform) error {
	if p.Version != "" {
		return nil
	}
	fetch := func(path string) (*response, error) {
		r, err := a.p.get(ctx, a.origin.JoinPath(path).String())
		if err != nil || r.Status != http.StatusOK || looksHTML(r.Body) {
			return nil, err
		}
		return r, nil
	}
	cite := func(r *response, detail string) {
		sum := sha256.Sum256(r.Body)
		p.Evidence = append(p.Evidence, Evidence{Type: "file", Detail: detail, URL: r.URL, SHA256: hex.EncodeToString(sum[:])})
	}
	if p.Name == "WooCommerce" {
		r, err := fetch("/wp-content/plugins/woocommerce/readme.txt")
		if err != nil || r == nil {
			return err
		}
		if v, ok := stableTag(r.Body); ok {
			p.Version = v
			cite(r, "Stable tag: "+v)
		}
		return nil
	}
	if p.Name == "Magento" && p.Generation != "1" {
		r, err := fetch("/magento_version")
		if err != nil {
			return err
		}
		// "Magento/2.4 (Community)": the generation and minor line only,
		// never enough to match an advisory.
		if r != nil {
			if m := magentoVersionRe.FindSubmatch(r.Body); m != nil {
				p.Generation = "2"
				cite(r, string(m[0]))
			}
		}
	}
	names := composerNames[p.Name]
	if len(names) == 0 || p.Name == "EC-CUBE" && p.Generation == "2" || p.Name == "Magento" && p.Generation != "2" {
		return nil
	}
	r, err := fetch("/composer.json")
	if err != nil || r == nil {
		return err
	}
	if v, detail, ok := composerVersion(r.Body, names); ok {
		p.Version = strings.TrimPrefix(v, "v")
		cite(r, detail)
	}
	return nil
}

var magentoVersionRe = regexp.MustCompile(`^Magento/(2\.\d+) \((?:Community|Enterprise|Commerce)\)`)

// composerVersion reads a root composer.json's version, or the exact
// version it requires of the platform's product package.
func composerVersion(data []byte, names []string) (version, detail string, ok bool) {
	var doc struct {
		Name    string            `json:"name"`
		Version string            `json:"version"`
		Require map[string]string `json:"require"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return "", "", false
	}
	if slices.Contains(names, strings.ToLower(doc.Name)) && doc.Version != "" {
		return doc.Version, fmt.Sprintf(`composer.json "name": %q, "version": %q`, doc.Name, doc.Version), true
	}
	for _, n := range names {
		if v, has := doc.Require[n]; has && exactVersionRe.MatchString(v) {
			return v, fmt.Sprintf(`composer.json "require": {%q: %q}`, n, v), true
		}
	}
	return "", "", false
}

var exactVersionRe = regexp.MustCompile(`^v?\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?$`)

// stableTag reads "Stable tag: 5.5.0" from a WordPress readme.txt header.
func stableTag(data []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 0; sc.Scan() && n < 40; n++ {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Stable tag") {
			v = strings.TrimSpace(v)
			if exactVersionRe.MatchString(v) {
				return v, true
			}
		}
	}
	return "", false
}

// platformFindings turns what was recognised into findings and components.
func (a *auditor) platformFindings(ps []Platform) []Component {
	var comps []Component
	for _, p := range ps {
		label := p.Name
		if p.Generation != "" && !strings.HasPrefix(p.Version, p.Generation) {
			label += " " + p.Generation
		}
		where := a.origin.JoinPath("/").String()
		if len(p.Evidence) > 0 {
			where = p.Evidence[len(p.Evidence)-1].URL
		}
		msg := fmt.Sprintf("The shop runs %s (confidence %s); the version could not be read from outside.", label, p.Confidence)
		// Flat keys, so that the table shows each fact whole: the markers
		// as "type: detail", and the file or tag that stated the version
		// with its URL and, for a file, its hash.
		var markers []string
		for _, e := range p.Evidence {
			if src, ok := versionSource(p); ok && e == src {
				continue
			}
			markers = append(markers, e.Type+": "+e.Detail)
		}
		ev := map[string]any{"platform": p.Name, "confidence": p.Confidence}
		if len(markers) > 0 {
			ev["markers"] = markers
		}
		if src, ok := versionSource(p); ok {
			ev["version_from"] = src.URL
			ev["version_proof"] = src.Detail
			if src.SHA256 != "" {
				ev["version_sha256"] = src.SHA256
			}
		}
		if p.Generation != "" {
			ev["generation"] = p.Generation
		}
		if p.Version != "" {
			msg = fmt.Sprintf("The shop runs %s %s (confidence %s).", p.Name, p.Version, p.Confidence)
			ev["version"] = p.Version
			eco, name := packageOf(p)
			if eco != "" {
				comps = append(comps, Component{Ecosystem: eco, Name: name, Version: p.Version, Where: where})
			}
		}
		a.add(KindPlatform, where, msg, ev)
	}
	return comps
}

// versionSource is the evidence that stated p's version: a file, else the
// generator tag that carries it.
func versionSource(p Platform) (Evidence, bool) {
	if p.Version == "" {
		return Evidence{}, false
	}
	for _, typ := range []string{"file", "meta"} {
		for _, e := range p.Evidence {
			if e.Type == typ && strings.Contains(e.Detail, p.Version) {
				return e, true
			}
		}
	}
	return Evidence{}, false
}
