package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/advisory"
)

// Package is one package at one version, as a lockfile or a plug-in
// folder pins it.
type Package struct {
	Name    string
	Version string
}

// ParseComposerLock reads composer.lock: every package, dev ones included
// (a dev dependency deployed to the web root is served all the same).
func ParseComposerLock(data []byte) ([]Package, error) {
	var doc struct {
		Packages    []Package `json:"packages"`
		PackagesDev []Package `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("composer.lock: %w", err)
	}
	var out []Package
	for _, p := range append(doc.Packages, doc.PackagesDev...) {
		if p.Name != "" && p.Version != "" {
			out = append(out, Package{p.Name, strings.TrimPrefix(p.Version, "v")})
		}
	}
	return out, nil
}

// ParsePackageLock reads package-lock.json (and npm-shrinkwrap.json):
// lockfileVersion 2 and 3 list "packages" keyed by their node_modules path;
// version 1 nests "dependencies".
func ParsePackageLock(data []byte) ([]Package, error) {
	var doc struct {
		LockfileVersion int `json:"lockfileVersion"`
		Packages        map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Link    bool   `json:"link"`
		} `json:"packages"`
		Dependencies map[string]lockV1Dep `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("package-lock.json: %w", err)
	}
	var out []Package
	if doc.Packages != nil {
		for key, p := range doc.Packages {
			i := strings.LastIndex(key, "node_modules/")
			if key == "" || i < 0 || p.Link || p.Version == "" {
				continue // the project itself, or a workspace link
			}
			name := key[i+len("node_modules/"):]
			if p.Name != "" {
				name = p.Name // an alias installed under another folder
			}
			out = append(out, Package{name, p.Version})
		}
	} else {
		var walk func(deps map[string]lockV1Dep, depth int)
		walk = func(deps map[string]lockV1Dep, depth int) {
			if depth > 64 {
				return
			}
			for folder, d := range deps {
				if name, version, ok := lockV1Version(folder, d.Version); ok {
					out = append(out, Package{name, version})
				}
				walk(d.Dependencies, depth+1)
			}
		}
		walk(doc.Dependencies, 0)
	}
	return dedupe(out), nil
}

// lockV1Version reads a version 1 lockfile entry's version. A package
// installed under an alias has "npm:real-name@version" there, and npm
// audits it as real-name at that version; any other protocol (file:, git,
// link) is not a registry package, and advisories do not name it.
func lockV1Version(folder, v string) (name, version string, ok bool) {
	if rest, alias := strings.CutPrefix(v, "npm:"); alias {
		// A scoped name's own @ is at index 0.
		at := strings.LastIndex(rest, "@")
		if at <= 0 || at == len(rest)-1 {
			return "", "", false
		}
		return rest[:at], rest[at+1:], true
	}
	if v == "" || strings.Contains(v, ":") {
		return "", "", false
	}
	return folder, v, true
}

type lockV1Dep struct {
	Version      string               `json:"version"`
	Dependencies map[string]lockV1Dep `json:"dependencies"`
}

func dedupe(ps []Package) []Package {
	slices.SortFunc(ps, func(a, b Package) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return slices.Compact(ps)
}

// ParseYarnLock reads yarn.lock, classic (v1: `version "1.2.3"`) and berry
// (YAML: `version: 1.2.3`, entries keyed "name@npm:range"). Entries that
// are not from the npm registry (workspace:, patch:, git, file:) are
// skipped: advisories do not name them.
func ParseYarnLock(data []byte) ([]Package, error) {
	var out []Package
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line[0] != ' ' {
			// An entry's header: one or more comma-separated specs.
			names = names[:0]
			hdr := strings.TrimSuffix(strings.TrimSpace(line), ":")
			for _, spec := range strings.Split(hdr, ",") {
				if n, ok := yarnSpecName(strings.Trim(strings.TrimSpace(spec), `"`)); ok && !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			continue
		}
		t := strings.TrimSpace(line)
		var v string
		switch {
		case strings.HasPrefix(t, "version "):
			v = strings.Trim(strings.TrimPrefix(t, "version "), `"`)
		case strings.HasPrefix(t, "version:"):
			v = strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "version:")), `"`)
		default:
			continue
		}
		if strings.HasPrefix(line, "    ") {
			continue // nested deeper than an entry's own fields
		}
		for _, n := range names {
			out = append(out, Package{n, v})
		}
		names = names[:0]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("yarn.lock: %w", err)
	}
	return dedupe(out), nil
}

// yarnSpecName takes the package name from "name@range", "@scope/name@npm:range".
func yarnSpecName(spec string) (string, bool) {
	if spec == "" || strings.HasPrefix(spec, "__metadata") {
		return "", false
	}
	at := strings.LastIndex(spec, "@")
	if at <= 0 {
		return "", false
	}
	name, rng := spec[:at], spec[at+1:]
	// Berry writes "name@npm:^1.2.3"; other protocols are not registry
	// packages. A scoped name's own @ is at index 0.
	if i := strings.Index(rng, ":"); i >= 0 && rng[:i] != "npm" {
		return "", false
	}
	if k := strings.Index(name, "@npm:"); k > 0 {
		// "alias@npm:other@^1": the package installed is other.
		name = name[k+len("@npm:"):]
	}
	if name == "" || strings.Contains(name[1:], "@") {
		return "", false
	}
	return name, true
}

var (
	phpHeaderRe  = regexp.MustCompile(`(?m)^[ \t/*#@]*(Plugin Name|Version|Stable tag)\s*:\s*(.+?)\s*(?:\*/)?$`)
	wpVersionRe  = regexp.MustCompile(`\$wp_version\s*=\s*'([^']+)'`)
	eccube4VerRe = regexp.MustCompile(`const\s+VERSION\s*=\s*'([^']+)'`)
	eccube2VerRe = regexp.MustCompile(`define\(\s*'ECCUBE_VERSION'\s*,\s*'([^']+)'`)
	configYAMLRe = regexp.MustCompile(`(?m)^(code|version)\s*:\s*["']?([^"'\s#]+)`)
)

// pluginHeader reads a WordPress plug-in main file's header: its name and
// Version. ok is false for a PHP file that is not a plug-in's main file.
func pluginHeader(data []byte) (version string, ok bool) {
	head := data[:min(len(data), 8<<10)]
	found := false
	for _, m := range phpHeaderRe.FindAllSubmatch(head, -1) {
		switch string(m[1]) {
		case "Plugin Name":
			found = true
		case "Version":
			if version == "" {
				version = string(m[2])
			}
		}
	}
	return version, found
}

// ecosystemOfLock says whose advisories a lockfile's packages take.
func ecosystemOfLock(name string) string {
	switch path.Base(name) {
	case "composer.lock":
		return advisory.EcosystemPackagist
	}
	return advisory.EcosystemNPM
}
