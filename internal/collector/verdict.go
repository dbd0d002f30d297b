package collector

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// candidateKey is one thing that may become a finding: a blocked origin or
// kind under a directive family on a site. Inline code and eval are told
// apart by the file that ran them.
type candidateKey struct {
	site, family, blocked, sourceFile string
	kind                              csp.Kind
}

type candidate struct {
	samples []csp.Event
}

// kindForeign marks the candidate for reports whose document is not on one
// of the site's origins; its blocked field holds that document's origin.
const kindForeign csp.Kind = "foreign-document"

// findingKinds maps a directive family and what was blocked to a finding
// kind; what is not here (styles, fonts, trusted types) raises nothing.
func findingKind(family string, k csp.Kind) (kind, what string, sev finding.Severity) {
	switch {
	case k == kindForeign:
		// Someone holds the site key and writes reports, or the site
		// serves pages from an origin nobody listed: worth a look, not
		// a page.
		return "csp.foreign-document", "reports from a page", finding.Medium
	case (family == "script-src" || family == "default-src") && k == csp.KindInline:
		return "csp.inline-script", "inline script", finding.High
	case (family == "script-src" || family == "default-src") && (k == csp.KindEval || k == csp.KindWasmEval):
		return "csp.eval", "code run through eval or new Function", finding.High
	case k != csp.KindURL && k != csp.KindData && k != csp.KindBlob:
		return "", "", 0
	}
	r, _ := csp.DirectiveRuleFor(family) // the one directive table
	return r.Finding, r.What, r.Severity
}

// consider records a flushed aggregate as a candidate finding.
func (c *Collector) consider(g csp.Aggregate) {
	docOrigin := ""
	if len(g.Samples) > 0 {
		docOrigin = g.Samples[0].DocumentOrigin
	}
	if k, ok := candidateFor(g.Site, g.Directive, g.Blocked, g.SourceFile, g.DocumentPath, g.BlockedKind, docOrigin); ok {
		c.addCandidate(k, g.Samples)
	}
}

// candidateFor is the candidate finding an aggregate counts towards, and
// false when it raises none. docOrigin is a foreign document's origin, ""
// when unknown.
func candidateFor(site, directive, blocked, sourceFile, documentPath string, kind csp.Kind, docOrigin string) (candidateKey, bool) {
	if csp.IsForeignDocument(documentPath) {
		k := candidateKey{site: site, blocked: csp.NoDocument, kind: kindForeign}
		if docOrigin != "" {
			k.blocked = docOrigin
		}
		return k, true
	}
	fam := csp.DirectiveFamily(directive)
	if fk, _, _ := findingKind(fam, kind); fk == "" {
		return candidateKey{}, false
	}
	k := candidateKey{site: site, family: fam, blocked: blocked, kind: kind}
	if kind != csp.KindURL {
		k.sourceFile = sourceFile
	}
	return k, true
}

// findingKey is the store key of k's finding.
func (k candidateKey) findingKey() string {
	kind, _, _ := findingKind(k.family, k.kind)
	return store.FindingKey(finding.Finding{Source: "collector", Kind: kind}, k.family, k.blocked, k.sourceFile)
}

// FindingKeyOf is the store key of the finding a stored aggregate counts
// towards (whether or not it was raised yet), and "" when it raises none:
// the dashboard's Reports page links an aggregate to its finding with it.
func FindingKeyOf(a store.ReportAggregate) string {
	// The stored row keeps the foreign document's origin in its path, as
	// matches reads it.
	k, ok := candidateFor(a.Site, a.Directive, a.Blocked, a.SourceFile, a.DocumentPath, storedKind(a.Kind),
		csp.AggregateDocumentOrigin(a.DocumentPath, ""))
	if !ok {
		return ""
	}
	return k.findingKey()
}

func (c *Collector) addCandidate(k candidateKey, samples []csp.Event) {
	cd, ok := c.candidates[k]
	if !ok {
		cd = &candidate{}
		c.candidates[k] = cd
	}
	for _, s := range samples {
		if len(cd.samples) < csp.MaxSamples {
			cd.samples = append(cd.samples, s)
		}
	}
}

// evaluate turns candidates into findings, using the store's totals so that
// counts and distinct clients span every flush and every collector sharing
// the store. A candidate whose evaluation fails stays for the next flush.
func (c *Collector) evaluate() {
	if len(c.candidates) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FlushTimeout)
	defer cancel()
	bySite := map[string][]candidateKey{}
	for k := range c.candidates {
		bySite[k.site] = append(bySite[k.site], k)
	}
	for site, keys := range bySite {
		approved, err := c.store.ApprovedSources(ctx, site)
		if err != nil {
			c.m.findingErrs.Add(1)
			c.log.Warn("cannot read approved sources; will retry", "site", site, "error", err)
			continue
		}
		c.setOrigins(site, approved)
		raised := false
		for _, k := range keys {
			cd := c.candidates[k]
			if isApproved(approved, c.origins[site], k) {
				delete(c.candidates, k)
				continue
			}
			// Only this candidate's aggregates, not all of the site's:
			// evaluation costs what changed, however long the site has
			// been watched.
			rows, err := c.store.ReportAggregates(ctx, k.query())
			if err != nil {
				c.m.findingErrs.Add(1)
				c.log.Warn("cannot read aggregates; will retry", "site", site, "error", err)
				continue
			}
			f, key := c.buildFinding(k, cd, rows)
			created, err := c.store.PutFinding(ctx, key, f)
			if err != nil {
				c.m.findingErrs.Add(1)
				c.log.Warn("cannot write finding; will retry", "site", site, "kind", f.Kind, "error", err)
				continue
			}
			raised = raised || created
			c.m.findings.Add(1)
			delete(c.candidates, k)
		}
		if raised && c.opts.OnNewFinding != nil {
			c.opts.OnNewFinding(site)
		}
	}
}

// query selects the stored aggregates that may count towards k (matches
// picks among them).
func (k candidateKey) query() store.AggregateQuery {
	if k.kind == kindForeign {
		prefix := k.blocked + "/"
		if k.blocked == csp.NoDocument {
			prefix = csp.NoDocument
		}
		return store.AggregateQuery{Site: k.site, DocumentPrefix: prefix}
	}
	return store.AggregateQuery{Site: k.site, Blocked: k.blocked}
}

// isApproved: an origin the inventory lists for the directive family, or
// one of the site's own origins when the inventory lists 'self'. 'self' is
// resolved from the site's configured and approved origins, never from a
// report: the document URL is whatever the sender wrote, and the site key
// is public, so a forger could otherwise approve its own skimmer by sending
// document-uri=https://skim.example with blocked-uri=https://skim.example/s.js.
// Inline code and eval are never approved here: an approved inline script
// carries a hash, and a browser that matched the hash would not have
// reported it. Reports from foreign documents approve nothing.
func isApproved(approved []store.ApprovedSource, own map[string]bool, k candidateKey) bool {
	if k.kind != csp.KindURL {
		return false
	}
	for _, a := range approved {
		if csp.DirectiveFamily(a.Directive) != k.family && !(k.family == "worker-src" && a.Directive == "script-src") {
			continue
		}
		v := strings.ToLower(strings.TrimSpace(a.Value))
		if v == k.blocked || strings.TrimSuffix(v, "/") == k.blocked {
			return true
		}
		if v == "'self'" && own[k.blocked] {
			return true
		}
	}
	return false
}

func (c *Collector) buildFinding(k candidateKey, cd *candidate, rows []store.ReportAggregate) (finding.Finding, string) {
	kind, what, sev := findingKind(k.family, k.kind)
	var (
		count       int64
		first, last time.Time
		clients     []string
		directives  []string
		pages       []string
		blocked     []string
	)
	for _, r := range rows {
		if !k.matches(r) {
			continue
		}
		count += r.Count
		if first.IsZero() || r.FirstSeen.Before(first) {
			first = r.FirstSeen
		}
		if r.LastSeen.After(last) {
			last = r.LastSeen
		}
		for _, h := range r.ClientHashes {
			if !slices.Contains(clients, h) && len(clients) < csp.MaxClientHashes {
				clients = append(clients, h)
			}
		}
		if !slices.Contains(directives, r.Directive) {
			directives = append(directives, r.Directive)
		}
		if len(pages) < 10 && !slices.Contains(pages, r.DocumentPath) {
			pages = append(pages, r.DocumentPath)
		}
		if len(blocked) < 10 && !slices.Contains(blocked, r.Blocked) {
			blocked = append(blocked, r.Blocked)
		}
	}
	slices.Sort(blocked)
	slices.Sort(directives)
	slices.Sort(pages)
	n := len(clients)
	single := n < c.opts.MinClients
	if single {
		sev--
	}
	samples := make([]map[string]any, 0, len(cd.samples))
	url := ""
	for _, s := range cd.samples {
		samples = append(samples, map[string]any{
			"document_url": s.DocumentURL, "blocked_url": s.BlockedURL, "directive": s.Directive,
			"source_file": s.SourceFile, "line": s.Line, "column": s.Column, "sample": s.Sample,
			"disposition": s.Disposition, "format": string(s.Format),
		})
		if url == "" {
			url = s.DocumentURL
		}
	}
	if k.kind == csp.KindURL && len(cd.samples) > 0 {
		url = cd.samples[0].BlockedURL
	}
	own := slices.Sorted(maps.Keys(c.origins[k.site]))
	var msg string
	switch k.kind {
	case kindForeign:
		msg = fmt.Sprintf("Reports for this site came from %s on %s, which is not one of the site's origins (%s): someone with the site key "+
			"(public in the page's CSP header) is forging reports, or the site has pages on an origin to approve with `skimwatch csp origins approve`. "+
			"They are kept as evidence and approve or suppress nothing (%d report(s) from %s).",
			"pages", k.blocked, strings.Join(own, ", "), count, clientWords(n))
	case csp.KindURL, csp.KindData, csp.KindBlob:
		msg = fmt.Sprintf("Customers' browsers reported %s %s, which the site's approved inventory does not list (%d report(s) from %s).",
			what, k.blocked, count, clientWords(n))
	default:
		where := k.sourceFile
		if where == "" {
			where = "the page itself"
		}
		msg = fmt.Sprintf("Customers' browsers reported %s in %s that the site's policy does not allow (%d report(s) from %s).",
			what, where, count, clientWords(n))
	}
	ev := map[string]any{
		"directive": k.family, "directives": directives, "blocked": k.blocked, "blocked_kind": string(k.kind),
		"count": count, "clients": n, "min_clients": c.opts.MinClients, "single_source": single,
		"first_seen": first.UTC().Format(time.RFC3339), "last_seen": last.UTC().Format(time.RFC3339),
		"pages": pages, "sample_reports": samples,
	}
	if k.sourceFile != "" {
		ev["source_file"] = k.sourceFile
	}
	// Whether the reports' documents were checked against the site's own
	// origins: without origins, any sender's reports count.
	ev["site_origins"] = own
	if k.kind == kindForeign {
		ev["document_origin"] = k.blocked
		ev["blocked"] = blocked
		delete(ev, "directive")
	}
	f := finding.Finding{
		Severity: sev, Kind: kind, Message: msg, Evidence: ev,
		Source: "collector", Site: k.site, URL: url, Time: c.opts.Now(),
	}
	return f, k.findingKey()
}

// matches reports whether a stored aggregate counts towards candidate k.
// Foreign reports count only towards the forgery finding of their document
// origin, and never towards a finding about the site's own pages.
func (k candidateKey) matches(r store.ReportAggregate) bool {
	if k.kind == kindForeign {
		return csp.IsForeignDocument(r.DocumentPath) && csp.AggregateDocumentOrigin(r.DocumentPath, "") == k.blocked
	}
	return !csp.IsForeignDocument(r.DocumentPath) && csp.DirectiveFamily(r.Directive) == k.family && r.Blocked == k.blocked &&
		(k.sourceFile == "" || r.SourceFile == k.sourceFile)
}

func clientWords(n int) string {
	switch {
	case n == 1:
		return "1 client"
	case n >= csp.MaxClientHashes:
		return fmt.Sprintf("%d or more clients", n)
	}
	return fmt.Sprintf("%d clients", n)
}
