package audit_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// npmAuditFixture holds OSV advisories written for the cross-check with
// npm audit: modelled on real advisories of the packages below, with ranges
// chosen for their edge cases (introduced 0, several ranges, several
// intervals in one range, pre-releases, last_affected, a versions list, a
// package the lockfile does not hold).
const npmAuditFixture = "testdata/npmaudit"

// npmAuditDeps is the project npm locks: old front-end packages that shops
// serve, pinned exactly, with their transitive dependencies (handlebars →
// optimist → a second, nested minimist; bootstrap's peer popper.js;
// handlebars' optional uglify-js). Two are installed under an alias, so the
// lockfile holds two versions of jquery and of bootstrap, one of them a
// pre-release.
var npmAuditDeps = map[string]string{
	"jquery":         "1.12.4",
	"jquery-next":    "npm:jquery@3.0.0-rc1",
	"jquery-ui":      "1.12.1",
	"bootstrap":      "4.3.1",
	"bootstrap3":     "npm:bootstrap@3.3.7",
	"lodash":         "4.17.15",
	"moment":         "2.29.1",
	"handlebars":     "4.5.3",
	"underscore":     "1.12.0",
	"minimist":       "1.2.0",
	"datatables.net": "1.10.19",
	"@popperjs/core": "2.9.2",
	// A canary build: below 0.0.0, above OSV's "0".
	"react-is": "0.0.0-0cf9fc10b",
}

// npmAuditWorkspace is a workspace of the project (an admin theme) that
// pins another lodash: npm keeps it beside the workspace, at
// packages/admin/node_modules/lodash, and links the workspace itself into
// node_modules. Neither the link nor the workspace is a registry package.
var npmAuditWorkspace = map[string]any{"name": "shop-admin", "version": "1.0.0", "dependencies": map[string]string{"lodash": "4.17.21"}}

// npmAuditDevDeps: a dev dependency is audited by both (npm audit without
// --omit dev; audit DIR reads every package a lockfile pins).
var npmAuditDevDeps = map[string]string{"marked": "0.3.6"}

// npmAuditWant is what both must report, worked out by hand from the
// fixture's ranges: a third opinion, so that npm and skimwatch cannot agree
// on a wrong answer unnoticed, and so that the edge cases stay exercised.
var npmAuditWant = []string{
	"@popperjs/core@2.9.2 SKWNPM-0031", // a scoped name
	"bootstrap@3.3.7 SKWNPM-0010",      // the first of two ranges
	"bootstrap@3.3.7 SKWNPM-0011",      // the first of two intervals in one range
	"bootstrap@3.3.7 SKWNPM-0012",      // below last_affected 3.4.1
	"bootstrap@4.3.1 SKWNPM-0013",      // 4.3.1 is fixed for 0010 and past 0011's 4.1.2
	"datatables.net@1.10.19 SKWNPM-0026",
	"handlebars@4.5.3 SKWNPM-0020", // not 0022: fixed is 4.5.3 itself
	"jquery-ui@1.12.1 SKWNPM-0007",
	"jquery-ui@1.12.1 SKWNPM-0009", // not 0008: fixed 1.12.0
	"jquery@1.12.4 SKWNPM-0001",
	"jquery@1.12.4 SKWNPM-0002",
	"jquery@1.12.4 SKWNPM-0003",
	"jquery@1.12.4 SKWNPM-0004",
	"jquery@3.0.0-rc1 SKWNPM-0001",
	"jquery@3.0.0-rc1 SKWNPM-0002",
	"jquery@3.0.0-rc1 SKWNPM-0003",
	"jquery@3.0.0-rc1 SKWNPM-0004", // a pre-release of the fixed 3.0.0 sorts before it
	"jquery@3.0.0-rc1 SKWNPM-0005", // rc1 sorts after rc.1: a longer identifier after its prefix
	"lodash@4.17.15 SKWNPM-0014",
	"lodash@4.17.15 SKWNPM-0015",
	"lodash@4.17.15 SKWNPM-0030",
	"lodash@4.17.21 SKWNPM-0030", // the workspace's
	"marked@0.3.6 SKWNPM-0028",   // by the versions list
	"minimist@0.0.10 SKWNPM-0023",
	"minimist@0.0.10 SKWNPM-0024",
	"minimist@1.2.0 SKWNPM-0023",
	"minimist@1.2.0 SKWNPM-0024",
	"moment@2.29.1 SKWNPM-0017", // last_affected equal to the version
	"moment@2.29.1 SKWNPM-0018",
	"react-is@0.0.0-0cf9fc10b SKWNPM-0032", // introduced 0 covers a 0.0.0 pre-release
	"underscore@1.12.0 SKWNPM-0025",
}

// TestNpmAuditAndAuditDirReportTheSameAdvisoriesOnRealLockfiles has npm
// write real lockfiles (versions 1, 2 and 3, from the public registry,
// without installing), then runs `npm audit` on each against a registry of
// our own on loopback that answers npm's bulk advisory request from the OSV
// fixture, and `skimwatch audit DIR` on the same folder with the same
// advisories. npm's own lockfile reading, tree walk and semver range
// evaluation must reach the same (package, version, advisory) set as ours.
func TestNpmAuditAndAuditDirReportTheSameAdvisoriesOnRealLockfiles(t *testing.T) {
	npm, err := exec.LookPath("npm")
	testsupport.Need(t, "npm", err)
	db, err := advisory.Load(context.Background(), npmAuditFixture)
	if err != nil {
		t.Fatal(err)
	}
	reg := newAdvisoryRegistry(t, npmAuditFixture)
	for _, v := range []int{1, 2, 3} {
		t.Run("on a lockfileVersion "+strconv.Itoa(v)+" lockfile npm audit and audit DIR report the same advisories", func(t *testing.T) {
			dir := npmLockedProject(t, npm, v)

			start := time.Now()
			rep, err := audit.RunDir(context.Background(), dir, audit.DirOptions{Advisories: db, WebUser: "nobody"})
			if err != nil {
				t.Fatal(err)
			}
			oursTook := time.Since(start)
			if !rep.Complete {
				t.Fatalf("audit DIR incomplete: %v", rep.Incomplete)
			}
			var ours []string
			for _, f := range rep.Findings {
				if f.Kind == audit.KindVulnerable && f.Evidence["ecosystem"] == advisory.EcosystemNPM {
					ours = append(ours, f.Evidence["package"].(string)+"@"+f.Evidence["version"].(string)+" "+f.Evidence["advisory"].(string))
				}
			}
			slices.Sort(ours)

			start = time.Now()
			theirs, asked := npmAuditView(t, npm, dir, reg)
			t.Logf("%d packages: audit DIR took %v, npm audit %v", len(asked), oursTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

			// npm asks the registry about every package it reads in the
			// lockfile: that is its view of the lockfile, and ours must be
			// the same.
			data, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
			if err != nil {
				t.Fatal(err)
			}
			pkgs, err := audit.ParsePackageLock(data)
			if err != nil {
				t.Fatal(err)
			}
			var read []string
			for _, p := range pkgs {
				read = append(read, p.Name+"@"+p.Version)
			}
			slices.Sort(read)
			if !slices.Equal(read, asked) {
				t.Errorf("packages differ\nskimwatch reads: %v\n    npm asks for: %v", read, asked)
			}

			compareAdvisories(t, "skimwatch", ours, "npm audit", theirs)
			if !slices.Equal(theirs, npmAuditWant) {
				t.Errorf("npm audit reports\n%s\nthe fixture's ranges give\n%s", strings.Join(theirs, "\n"), strings.Join(npmAuditWant, "\n"))
			}
			if !slices.Equal(ours, npmAuditWant) {
				t.Errorf("audit DIR reports\n%s\nthe fixture's ranges give\n%s", strings.Join(ours, "\n"), strings.Join(npmAuditWant, "\n"))
			}
		})
	}
	if other := reg.unexpected(); len(other) > 0 {
		t.Errorf("npm made requests the stand-in registry does not expect: %v", other)
	}
}

// compareAdvisories reports every line one side has and the other lacks.
// No difference is kept: the two found so far were ours and are fixed (see
// docs/AUDIT.md); one that is right on our side would be listed here, with
// its reason, and in the doc.
func compareAdvisories(t *testing.T, aName string, a []string, bName string, b []string) {
	t.Helper()
	for _, x := range a {
		if !slices.Contains(b, x) {
			t.Errorf("%s reports %s, %s does not", aName, x, bName)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			t.Errorf("%s reports %s, %s does not", bName, x, aName)
		}
	}
}

// npmLockedProject has npm lock npmAuditDeps (from the public registry,
// without installing) into a lockfile of the given version in a new folder.
func npmLockedProject(t *testing.T, npm string, lockfileVersion int) string {
	t.Helper()
	dir := t.TempDir()
	pkg, err := json.Marshal(map[string]any{
		"name": "shop-theme", "version": "1.0.0", "private": true,
		"dependencies": npmAuditDeps, "devDependencies": npmAuditDevDeps,
		"workspaces": []string{"packages/admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := json.Marshal(npmAuditWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "packages", "admin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string][]byte{"package.json": pkg, "packages/admin/package.json": ws} {
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--package-lock-only", "--no-audit", "--no-fund",
		"--lockfile-version", strconv.Itoa(lockfileVersion))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		testsupport.Need(t, "the npm registry", fmt.Errorf("%w: %s", err, out))
	}
	return dir
}

// npmAuditView runs npm audit once against reg and returns its answer as
// "package@version advisory" lines, and the packages npm asked the registry
// about as "package@version". npm's report groups advisories by package,
// not by installed version; the stand-in registry serves each advisory once
// per version asked, narrowed to that version (see advisoryRegistry), so
// that each advisory npm keeps names the one version it covers.
func npmAuditView(t *testing.T, npm, dir string, reg *advisoryRegistry) (found, asked []string) {
	t.Helper()
	rep, bulk := reg.audit(t, npm, dir)
	for name, vs := range bulk {
		for _, v := range vs {
			asked = append(asked, name+"@"+v)
		}
	}
	slices.Sort(asked)
	for name, vuln := range rep.Vulnerabilities {
		for _, served := range vuln.advisories(name) {
			id, version, ok := strings.Cut(served, "@")
			if !ok || !slices.Contains(bulk[name], version) {
				t.Errorf("npm audit names %s for %s, an advisory the registry did not serve", served, name)
				continue
			}
			found = append(found, name+"@"+version+" "+id)
		}
	}
	slices.Sort(found)
	return found, asked
}

// runNpm runs npm in dir and returns its standard output. npm audit exits
// 1 when it finds something, so an exit status in okCodes is not an error.
func runNpm(t *testing.T, npm, dir string, okCodes []int, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && slices.Contains(okCodes, ee.ExitCode())) {
		t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	if len(out) == 0 {
		t.Fatalf("npm %s printed nothing: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// npmAuditReport is the part of `npm audit --json` (auditReportVersion 2)
// the comparison reads.
type npmAuditReport struct {
	AuditReportVersion int                        `json:"auditReportVersion"`
	Vulnerabilities    map[string]npmAuditPackage `json:"vulnerabilities"`
	Error              json.RawMessage            `json:"error"`
}

type npmAuditPackage struct {
	// Via holds advisories (objects) and the names of vulnerable
	// dependencies (strings: npm's "depends on a vulnerable version").
	Via []json.RawMessage `json:"via"`
}

// advisories are the ids of the advisories npm applies to the package
// itself, not those it passes on from a dependency.
func (p npmAuditPackage) advisories(name string) []string {
	var ids []string
	for _, raw := range p.Via {
		var adv struct {
			Source     json.RawMessage `json:"source"`
			Name       string          `json:"name"`
			Dependency string          `json:"dependency"`
		}
		if json.Unmarshal(raw, &adv) != nil || adv.Dependency != name {
			continue
		}
		var id string
		if json.Unmarshal(adv.Source, &id) == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// npmAdvisory is one entry of the bulk advisory endpoint's answer, as the
// public registry writes it.
type npmAdvisory struct {
	ID                 string   `json:"id"`
	URL                string   `json:"url"`
	Title              string   `json:"title"`
	Severity           string   `json:"severity"`
	VulnerableVersions string   `json:"vulnerable_versions"`
	CWE                []string `json:"cwe"`
	CVSS               struct {
		Score        float64 `json:"score"`
		VectorString *string `json:"vectorString"`
	} `json:"cvss"`
}

// advisoryRegistry stands in for the npm registry on loopback. It answers
// npm's bulk advisory request (POST /-/npm/v1/security/advisories/bulk, a
// gzipped {name: [versions]}) with every fixture advisory for the names
// asked, whatever the versions: deciding which versions are covered is
// npm's job here. Each advisory is served once per version asked, as
// "id@version", its range narrowed to that version by adding the
// comparator "=version" to each of its alternatives: npm still evaluates
// the advisory's own range, and its report then says which version each
// advisory covers. Package documents (GET /name, which npm wants for
// "fixAvailable" and to list a package's versions) are 404: npm then treats
// the package as having no published versions, which keeps its
// version-by-version guesses out and leaves only its range evaluation.
type advisoryRegistry struct {
	srv    *httptest.Server
	byName map[string][]npmAdvisory

	mu    sync.Mutex
	asked map[string][]string // the last bulk request's body
	other []string            // requests a registry would not expect
}

func newAdvisoryRegistry(t *testing.T, fixture string) *advisoryRegistry {
	t.Helper()
	r := &advisoryRegistry{byName: map[string][]npmAdvisory{}}
	files, err := filepath.Glob(filepath.Join(fixture, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture in %s: %v", fixture, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := advisory.ParseVuln(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range v.Affected {
			if a.Package.Ecosystem != advisory.EcosystemNPM {
				continue
			}
			rng, err := npmRange(a)
			if err != nil {
				t.Fatalf("%s: %v", v.ID, err)
			}
			r.byName[a.Package.Name] = append(r.byName[a.Package.Name], npmAdvisory{
				ID: v.ID, URL: "https://osv.dev/vulnerability/" + v.ID, Title: v.Summary,
				Severity: strings.ToLower(v.SeverityWord()), VulnerableVersions: rng, CWE: []string{},
			})
		}
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

const bulkPath = "/-/npm/v1/security/advisories/bulk"

func (r *advisoryRegistry) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet && !strings.HasPrefix(req.URL.Path, "/-/") {
		http.NotFound(w, req) // a package document
		return
	}
	if req.Method != http.MethodPost || req.URL.Path != bulkPath {
		r.mu.Lock()
		r.other = append(r.other, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		http.NotFound(w, req)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, req.Body, 1<<20)
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = io.LimitReader(zr, 8<<20)
	}
	var asked map[string][]string
	if err := json.NewDecoder(body).Decode(&asked); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.asked = asked
	r.mu.Unlock()
	answer := map[string][]npmAdvisory{}
	for name, versions := range asked {
		for _, a := range r.byName[name] {
			for _, v := range versions {
				narrowed := a
				narrowed.ID = a.ID + "@" + v
				alts := strings.Split(a.VulnerableVersions, " || ")
				for i := range alts {
					alts[i] += " =" + v
				}
				narrowed.VulnerableVersions = strings.Join(alts, " || ")
				answer[name] = append(answer[name], narrowed)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

func (r *advisoryRegistry) unexpected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.other)
}

// audit runs `npm audit --json` in dir against the stand-in registry and
// returns npm's report and the body of its bulk request. npm reads no user or global npmrc (a
// registry or proxy set there would take the request elsewhere) and keeps
// its cache in a new folder (npm caches advisories it has evaluated).
func (r *advisoryRegistry) audit(t *testing.T, npm, dir string) (npmAuditReport, map[string][]string) {
	t.Helper()
	r.mu.Lock()
	r.asked = nil
	r.mu.Unlock()
	tmp := t.TempDir()
	userrc, globalrc := filepath.Join(tmp, "npmrc"), filepath.Join(tmp, "global-npmrc")
	for _, f := range []string{userrc, globalrc} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := runNpm(t, npm, dir, []int{1}, "audit", "--json",
		"--registry", r.srv.URL+"/", "--userconfig", userrc, "--globalconfig", globalrc,
		"--cache", filepath.Join(tmp, "cache"), "--no-update-notifier", "--noproxy", "*")
	var rep npmAuditReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("npm audit: %v: %s", err, out)
	}
	if rep.AuditReportVersion != 2 || len(rep.Error) > 0 {
		t.Fatalf("npm audit did not report (version %d): %s", rep.AuditReportVersion, rep.Error)
	}
	r.mu.Lock()
	asked := r.asked
	r.mu.Unlock()
	if asked == nil {
		t.Fatal("npm audit did not ask the stand-in registry")
	}
	return rep, asked
}

// npmRange writes the versions an OSV affected entry covers as an npm
// range, the form of the registry's vulnerable_versions: each interval
// ">=introduced <fixed" (or "<=last_affected"), "introduced": "0" with no
// lower bound, and the listed versions, all joined by "||". This
// translation is the test's own, not npm's or the registry's. It takes
// events in the order they are written, which the fixture keeps ascending;
// sorting them would need the very comparison under test.
func npmRange(a advisory.Affected) (string, error) {
	alts := slices.Clone(a.Versions)
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			return "", fmt.Errorf("range type %s has no npm form", r.Type)
		}
		lower, open := "", false
		for _, e := range r.Events {
			switch {
			case e.Introduced != "":
				if open {
					return "", fmt.Errorf("introduced %s inside an open interval", e.Introduced)
				}
				lower, open = "", true
				if e.Introduced != "0" {
					lower = ">=" + e.Introduced + " "
				}
			case e.Fixed != "" && open:
				alts, open = append(alts, lower+"<"+e.Fixed), false
			case e.LastAffected != "" && open:
				alts, open = append(alts, lower+"<="+e.LastAffected), false
			case e.Limit != "":
				return "", errors.New("limit events have no npm form here")
			default:
				return "", errors.New("a closing event without an opening one")
			}
		}
		if open && lower == "" {
			alts = append(alts, ">=0.0.0-0") // every version, pre-releases of 0.0.0 included
		} else if open {
			alts = append(alts, lower)
		}
	}
	if len(alts) == 0 {
		return "", errors.New("covers no version")
	}
	for i := range alts {
		alts[i] = strings.TrimSpace(alts[i])
	}
	return strings.Join(alts, " || "), nil
}

func TestNpmRangeWritesOSVEventsAsNpmRanges(t *testing.T) {
	ev := func(kind, v string) advisory.Event {
		switch kind {
		case "i":
			return advisory.Event{Introduced: v}
		case "f":
			return advisory.Event{Fixed: v}
		}
		return advisory.Event{LastAffected: v}
	}
	semverRange := func(evs ...advisory.Event) advisory.Range { return advisory.Range{Type: "SEMVER", Events: evs} }
	for _, tc := range []struct {
		name string
		in   advisory.Affected
		want string
	}{
		{"introduced 0 has no lower bound", advisory.Affected{Ranges: []advisory.Range{semverRange(ev("i", "0"), ev("f", "3.4.0"))}}, "<3.4.0"},
		{"last_affected is an inclusive upper bound", advisory.Affected{Ranges: []advisory.Range{semverRange(ev("i", "1.0.1"), ev("l", "2.29.1"))}}, ">=1.0.1 <=2.29.1"},
		{"two intervals in one range are two alternatives", advisory.Affected{Ranges: []advisory.Range{semverRange(ev("i", "0"), ev("f", "3.4.0"), ev("i", "4.0.0-beta"), ev("f", "4.1.2"))}}, "<3.4.0 || >=4.0.0-beta <4.1.2"},
		{"an interval left open has no upper bound", advisory.Affected{Ranges: []advisory.Range{semverRange(ev("i", "2.0.0"))}}, ">=2.0.0"},
		{"introduced 0 left open is every version", advisory.Affected{Ranges: []advisory.Range{semverRange(ev("i", "0"))}}, ">=0.0.0-0"},
		{"listed versions are alternatives", advisory.Affected{Versions: []string{"0.3.5", "0.3.6"}}, "0.3.5 || 0.3.6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := npmRange(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("npmRange = %q, want %q", got, tc.want)
			}
		})
	}
}
