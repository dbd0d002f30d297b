package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/beneath"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// Finding kinds of `skimwatch audit DIR`.
const (
	KindWebrootWritable  = "audit.webroot-writable"
	KindWorldWritable    = "audit.world-writable"
	KindPHPSetting       = "audit.php-setting"
	KindSecretReadable   = "audit.secret-readable"
	KindAdminDefaultPath = "audit.admin-default-path"
)

// envTemplate are the suffixes of dotenv files shipped as examples
// (EC-CUBE 4 ships .env.dist): placeholders, not secrets.
var envTemplate = map[string]bool{"dist": true, "example": true, "sample": true, "template": true}

// phpSettings are the settings checked, and how bad "on" is.
var phpSettings = map[string]finding.Severity{
	// Lets include() fetch code from a URL: one bug away from remote code.
	"allow_url_include": finding.High,
	// Shows paths, queries and sometimes credentials to visitors.
	"display_errors": finding.Medium,
	// Names PHP and its version in every response.
	"expose_php": finding.Low,
}

// Bounds of a directory audit.
const (
	DefaultMaxFiles = 300_000
	maxLockBytes    = 32 << 20
	maxConfigBytes  = 1 << 20
	maxSample       = 10
)

// DirOptions configure `skimwatch audit DIR`.
type DirOptions struct {
	Advisories *advisory.DB
	// WebUser is the account the web server runs as; "": the first of
	// www-data, apache, nginx, http that exists here.
	WebUser string
	// MaxFiles bounds the entries walked; reaching it makes the run
	// incomplete.
	MaxFiles int
	Logger   *slog.Logger
	Now      func() time.Time
}

// webUser is the web server's account, resolved.
type webUser struct {
	name string
	uid  uint32
	gids []uint32
}

func lookupWebUser(name string) (*webUser, error) {
	names := []string{name}
	if name == "" {
		names = []string{"www-data", "apache", "nginx", "http"}
	}
	var errs []error
	for _, n := range names {
		u, err := user.Lookup(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s: uid %q: %w", n, u.Uid, err)
		}
		w := &webUser{name: n, uid: uint32(uid)}
		gids, err := u.GroupIds()
		if err != nil {
			gids = []string{u.Gid}
		}
		for _, g := range gids {
			if id, err := strconv.ParseUint(g, 10, 32); err == nil {
				w.gids = append(w.gids, uint32(id))
			}
		}
		return w, nil
	}
	return nil, errors.Join(errs...)
}

// canWrite says whether w may write a file of st, by its mode bits (root
// may write everything).
func (w *webUser) canWrite(st *syscall.Stat_t) bool {
	mode := st.Mode
	switch {
	case w.uid == 0, mode&0o002 != 0:
		return true
	case st.Uid == w.uid:
		return mode&0o200 != 0
	case slices.Contains(w.gids, st.Gid):
		return mode&0o020 != 0
	}
	return false
}

// codeExt are files that run or are served as code: writable, they are
// where a skimmer is planted.
var codeExt = map[string]bool{
	".php": true, ".phtml": true, ".js": true, ".html": true, ".htm": true,
	".twig": true, ".tpl": true, ".htaccess": true, ".user.ini": true,
}

type dirAudit struct {
	root  *beneath.Dir
	opts  DirOptions
	rep   *finding.Report
	web   *webUser
	comps []Component
	// libs dedupes JavaScript libraries found in several copies.
	libs map[string]bool
	// samples of files for the aggregated findings.
	writable, world []string
	nWritable       int
	nWorld          int
	eccube4         bool
	// lockfiles read, for the report's details.
	lockfiles    []string
	adminRoute   string
	adminRouteAt string
}

// RunDir audits a shop's web root on its server: the versions its lockfiles
// and plug-ins pin against the advisories, and the configuration that opens
// the door (code the web server can rewrite, world-writable files, PHP
// settings, secrets inside the web root, the admin at its default path).
// The walk stays beneath root (no symlink is followed) and is bounded by
// MaxFiles.
func RunDir(ctx context.Context, root string, opts DirOptions) (*finding.Report, error) {
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidTarget, root, err)
	}
	d, err := beneath.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidTarget, root, err)
	}
	defer d.Close()
	rep := &finding.Report{Tool: "skimwatch", Command: "audit", Targets: []string{abs}, Started: opts.Now(), Complete: true}
	a := &dirAudit{root: d, opts: opts, rep: rep, libs: map[string]bool{}}
	a.web, err = lookupWebUser(opts.WebUser)
	if err != nil {
		// Without the web server's account, "writable by the web server"
		// cannot be judged: say so rather than pass it.
		rep.MarkIncomplete(fmt.Sprintf("web server user not found (%v): give --web-user; the writable checks did not run", err))
	}
	a.walk(ctx)
	a.finish()
	for _, f := range matchComponents(rep, opts.Advisories, a.comps) {
		f.Path, f.Time = f.Evidence["where"].(string), opts.Now()
		rep.Findings = append(rep.Findings, f)
	}
	rep.Finished = opts.Now()
	rep.Details = map[string]any{"components": len(a.comps), "lockfiles": a.lockfiles, "advisories": AdvisoryDetails(opts.Advisories)}
	if a.web != nil {
		rep.Details["web_user"] = a.web.name
	}
	rep.Sort()
	return rep, nil
}

func (a *dirAudit) add(kind string, sev finding.Severity, p, msg string, ev map[string]any) {
	if sev == 0 {
		sev = severityOf(kind)
	}
	a.rep.Findings = append(a.rep.Findings, finding.Finding{
		Severity: sev, Kind: kind, Message: msg, Evidence: ev,
		Source: "audit", Path: p, Time: a.opts.Now(),
	})
}

// skipDirs are not descended into: dependency trees are covered by their
// lockfiles, and .git is reported, not read.
var skipDirs = map[string]bool{"node_modules": true, ".git": true}

func (a *dirAudit) walk(ctx context.Context) {
	n := 0
	err := fs.WalkDir(a.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			a.rep.MarkIncomplete(fmt.Sprintf("%s: %v", p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if n++; n > a.opts.MaxFiles {
			return fmt.Errorf("more than %d entries: the rest were not audited", a.opts.MaxFiles)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // never followed; its target is checked where it lives, if inside
		}
		a.checkMode(p, d)
		if d.IsDir() {
			if p != "." && skipDirs[d.Name()] {
				if d.Name() == ".git" {
					a.add(KindSecretReadable, 0, p, "A git repository sits inside the web root: its history and any committed secrets are one misconfiguration away from being served.", map[string]any{"path": p, "what": "git repository"})
				}
				// The lockfile beside node_modules covers it.
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			a.file(p)
		}
		return nil
	})
	if err != nil {
		a.rep.MarkIncomplete(err.Error())
	}
}

func (a *dirAudit) checkMode(p string, d fs.DirEntry) {
	info, err := a.root.Lstat(p)
	if err != nil {
		a.rep.MarkIncomplete(fmt.Sprintf("%s: %v", p, err))
		return
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	// A sticky folder (like /tmp) is world-writable by design.
	if st.Mode&0o002 != 0 && !(d.IsDir() && st.Mode&syscall.S_ISVTX != 0) {
		a.nWorld++
		if len(a.world) < maxSample {
			a.world = append(a.world, p)
		}
	}
	if a.web == nil {
		return
	}
	isCode := p == "." || codeExt[path.Ext(p)] || codeExt[path.Base(p)]
	if isCode && a.web.canWrite(st) {
		a.nWritable++
		if len(a.writable) < maxSample {
			a.writable = append(a.writable, p)
		}
	}
}

// exists reports whether p is a regular file in the tree.
func (a *dirAudit) exists(p string) bool {
	fi, err := a.root.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}

func (a *dirAudit) read(p string, limit int64) ([]byte, bool) {
	f, err := a.root.OpenFile(p, os.O_RDONLY)
	if err != nil {
		a.rep.MarkIncomplete(fmt.Sprintf("%s: %v", p, err))
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		a.rep.MarkIncomplete(fmt.Sprintf("%s: %v", p, err))
		return nil, false
	}
	return data, true
}

var (
	wpConfigBackupRe = regexp.MustCompile(`^\.?wp-config(?:\.php)?(?:\.(?:bak|old|orig|save|txt|swp|swo|1|2)|~|\.php\.[0-9]+)$`)
	yamlPasswordRe   = regexp.MustCompile(`(?mi)^\s*([a-z_]*password[a-z_]*)\s*:\s*['"]?([^'"\s#%][^'"\n#]*)`)
	adminDirRe       = regexp.MustCompile(`define\(\s*['"]ADMIN_DIR['"]\s*,\s*['"]([^'"]*)['"]`)
	magentoFrontRe   = regexp.MustCompile(`['"]frontName['"]\s*=>\s*['"]([^'"]*)['"]`)
	secretKeyRe      = regexp.MustCompile(`(?i)(PASS|SECRET|KEY|TOKEN|DATABASE_URL|DSN)`)
	adminRouteRe     = regexp.MustCompile(`(?m)^\s*ECCUBE_ADMIN_ROUTE\s*=\s*['"]?([^'"\s#]*)`)
)

func (a *dirAudit) file(p string) {
	base := path.Base(p)
	dir := path.Dir(p)
	switch {
	case base == "package-lock.json" && a.exists(path.Join(dir, "npm-shrinkwrap.json")):
		// npm installs from the shrinkwrap and ignores package-lock.json
		// beside it: a stale one names packages that are not there.
	case base == "composer.lock" || base == "package-lock.json" || base == "npm-shrinkwrap.json" || base == "yarn.lock":
		a.lockfile(p)
	case base == "php.ini" || base == ".user.ini" || base == ".htaccess":
		a.phpConfig(p)
	case base == ".env" || strings.HasPrefix(base, ".env.") && !envTemplate[strings.TrimPrefix(base, ".env.")]:
		a.dotenv(p)
	case wpConfigBackupRe.MatchString(base):
		a.add(KindSecretReadable, 0, p, "A copy of wp-config.php that PHP does not run sits in the web root: the server hands it out as text, database password included.", map[string]any{"path": p, "what": "wp-config.php backup"})
	case strings.HasPrefix(p, "app/config/eccube/packages/") && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")):
		a.yamlSecrets(p)
	case p == "src/Eccube/Common/Constant.php":
		a.eccube4 = true
		a.versionFile(p, eccube4VerRe, "EC-CUBE", advisory.EcosystemPackagist, "ec-cube/ec-cube")
	case p == "data/class/SC_Initial.php" || p == "data/require_base.php":
		a.versionFile(p, eccube2VerRe, "EC-CUBE", advisory.EcosystemECCUBE, "ec-cube")
	case p == "data/config/config.php":
		a.adminSetting(p, adminDirRe, "admin/", "EC-CUBE 2's ADMIN_DIR")
	case p == "app/etc/env.php":
		a.adminSetting(p, magentoFrontRe, "admin", "Magento's backend frontName")
	case p == "wp-includes/version.php":
		a.versionFile(p, wpVersionRe, "WordPress", advisory.EcosystemWordPress, "wordpress")
	case path.Dir(dir) == "app/Plugin" && base == "composer.json":
		a.eccubePlugin(p)
	case path.Dir(dir) == "app/Plugin" && base == "config.yml":
		a.eccube3Plugin(p)
	case path.Dir(dir) == "wp-content/plugins" && (strings.HasSuffix(base, ".php") || base == "readme.txt"):
		a.wpPlugin(p)
	case strings.HasSuffix(base, ".js"):
		a.script(p)
	}
}

func (a *dirAudit) lockfile(p string) {
	data, ok := a.read(p, maxLockBytes)
	if !ok {
		return
	}
	var pkgs []Package
	var err error
	switch path.Base(p) {
	case "composer.lock":
		pkgs, err = ParseComposerLock(data)
	case "yarn.lock":
		pkgs, err = ParseYarnLock(data)
	default:
		pkgs, err = ParsePackageLock(data)
	}
	if err != nil {
		a.rep.MarkIncomplete(fmt.Sprintf("%s: %v", p, err))
		return
	}
	a.lockfiles = append(a.lockfiles, p)
	eco := ecosystemOfLock(p)
	for _, pk := range pkgs {
		a.comps = append(a.comps, Component{Ecosystem: eco, Name: pk.Name, Version: pk.Version, Where: p})
		// Magento's advisories name the product, its lockfile the
		// metapackage that pins it.
		if eco == advisory.EcosystemPackagist && pk.Name == "magento/product-community-edition" {
			a.comps = append(a.comps, Component{Ecosystem: eco, Name: "magento/community-edition", Version: pk.Version, Where: p})
		}
	}
}

func (a *dirAudit) versionFile(p string, re *regexp.Regexp, platform, eco, name string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	m := re.FindSubmatch(data)
	if m == nil {
		return
	}
	v := string(m[1])
	a.add(KindPlatform, finding.Info, p, fmt.Sprintf("The tree holds %s %s.", platform, v), map[string]any{"platform": platform, "version": v, "path": p, "proof": string(m[0])})
	a.comps = append(a.comps, Component{Ecosystem: eco, Name: name, Version: v, Where: p})
}

func (a *dirAudit) eccubePlugin(p string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	var doc struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Name == "" || doc.Version == "" {
		return
	}
	a.comps = append(a.comps, Component{Ecosystem: advisory.EcosystemPackagist, Name: doc.Name, Version: doc.Version, Where: p})
}

func (a *dirAudit) eccube3Plugin(p string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	var code, version string
	for _, m := range configYAMLRe.FindAllSubmatch(data, -1) {
		if string(m[1]) == "code" {
			code = string(m[2])
		} else {
			version = string(m[2])
		}
	}
	if code != "" && version != "" {
		a.comps = append(a.comps, Component{Ecosystem: advisory.EcosystemECCUBE, Name: "plugin/" + strings.ToLower(code), Version: version, Where: p})
	}
}

// wpPlugin reads a plug-in's version from its main file's header, or,
// for a plug-in whose main file says none, its readme's Stable tag.
func (a *dirAudit) wpPlugin(p string) {
	slug := path.Base(path.Dir(p))
	data, ok := a.read(p, 64<<10)
	if !ok {
		return
	}
	var v string
	if path.Base(p) == "readme.txt" {
		v, ok = stableTag(data)
		if !ok || slices.ContainsFunc(a.comps, func(c Component) bool { return c.Ecosystem == advisory.EcosystemWordPress && c.Name == slug }) {
			return
		}
	} else {
		v, ok = pluginHeader(data)
		if !ok || v == "" {
			return
		}
		// The header wins over a readme read first.
		a.comps = slices.DeleteFunc(a.comps, func(c Component) bool { return c.Ecosystem == advisory.EcosystemWordPress && c.Name == slug })
	}
	a.comps = append(a.comps, Component{Ecosystem: advisory.EcosystemWordPress, Name: slug, Version: v, Where: p})
}

// script names the libraries a JavaScript file bundles by its banner, the
// same rule the remote audit applies to the page's scripts.
func (a *dirAudit) script(p string) {
	data, ok := a.read(p, maxBody)
	if !ok {
		return
	}
	for _, l := range librariesFromContent(p, data) {
		k := l.Name + "@" + l.Version
		if a.libs[k] {
			continue
		}
		a.libs[k] = true
		a.add(KindLibrary, finding.Info, p, fmt.Sprintf("The tree bundles %s %s.", l.Name, l.Version), map[string]any{
			"library": l.Name, "version": l.Version, "script": p, "how": l.How, "proof": l.Proof,
		})
		a.comps = append(a.comps, Component{Ecosystem: advisory.EcosystemNPM, Name: l.Name, Version: l.Version, Where: p})
	}
}

// phpConfig reads php.ini and .user.ini (key = value) and .htaccess
// (php_flag / php_value / php_admin_*).
func (a *dirAudit) phpConfig(p string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	for _, s := range ParsePHPSettings(path.Base(p), data) {
		sev, checked := phpSettings[s.Key]
		if !checked || !s.On {
			continue
		}
		a.add(KindPHPSetting, sev, p, fmt.Sprintf("%s turns %s on for the shop.", p, s.Key), map[string]any{
			"path": p, "setting": s.Key, "line": s.Line, "text": s.Text,
		})
	}
}

// PHPSetting is one setting in php.ini, .user.ini or .htaccess.
type PHPSetting struct {
	Key  string
	On   bool
	Line int
	Text string
}

// ParsePHPSettings reads the settings of a php.ini or .user.ini (name
// anything but ".htaccess") or of an .htaccess file.
func ParsePHPSettings(name string, data []byte) []PHPSetting {
	var out []PHPSetting
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		var key, val string
		if name == ".htaccess" {
			f := strings.Fields(t)
			if len(f) < 3 {
				continue
			}
			switch strings.ToLower(f[0]) {
			case "php_flag", "php_value", "php_admin_flag", "php_admin_value":
				key, val = f[1], f[2]
			default:
				continue
			}
		} else {
			if t == "" || t[0] == ';' || t[0] == '[' || t[0] == '#' {
				continue
			}
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				continue
			}
			key, val = strings.TrimSpace(k), strings.TrimSpace(v)
			if i := strings.Index(val, ";"); i >= 0 && !strings.HasPrefix(val, `"`) {
				val = strings.TrimSpace(val[:i])
			}
		}
		key = strings.ToLower(key)
		val = strings.ToLower(strings.Trim(val, `"'`))
		on := val == "1" || val == "on" || val == "true" || val == "yes" || val == "stdout" || val == "stderr"
		out = append(out, PHPSetting{Key: key, On: on, Line: n, Text: t})
	}
	return out
}

// dotenv reports an environment file inside the web root by its keys,
// never its values, and reads EC-CUBE 4's admin route from it.
func (a *dirAudit) dotenv(p string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	var keys []string
	for _, m := range envLineRe.FindAllSubmatch(data, -1) {
		k := string(m[1])
		if secretKeyRe.MatchString(k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if p == ".env" {
		if m := adminRouteRe.FindSubmatch(data); m != nil {
			a.adminRoute, a.adminRouteAt = string(m[1]), p
		}
	}
	if len(keys) == 0 {
		return
	}
	a.add(KindSecretReadable, 0, p, "An environment file with credentials sits inside the web root; one server misconfiguration serves it to anyone.", map[string]any{"path": p, "what": "environment file", "keys": keys})
}

func (a *dirAudit) yamlSecrets(p string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	var keys []string
	for _, m := range yamlPasswordRe.FindAllSubmatch(data, -1) {
		// %env(...)% is a reference, not the secret itself.
		if !bytes.HasPrefix(m[2], []byte("%env(")) && !slices.Contains(keys, string(m[1])) {
			keys = append(keys, string(m[1]))
		}
	}
	if len(keys) > 0 {
		a.add(KindSecretReadable, 0, p, "An EC-CUBE configuration file inside the web root holds a password in clear.", map[string]any{"path": p, "what": "EC-CUBE configuration", "keys": keys})
	}
}

func (a *dirAudit) adminSetting(p string, re *regexp.Regexp, def, what string) {
	data, ok := a.read(p, maxConfigBytes)
	if !ok {
		return
	}
	if m := re.FindSubmatch(data); m != nil && string(m[1]) == def {
		a.add(KindAdminDefaultPath, 0, p, fmt.Sprintf("%s is left at its default %q: the admin login is where every scanner looks first.", what, def), map[string]any{"path": p, "setting": what, "value": def})
	}
}

// finish reports what needed the whole walk.
func (a *dirAudit) finish() {
	if a.eccube4 && (a.adminRouteAt == "" || a.adminRoute == "admin") {
		where := a.adminRouteAt
		if where == "" {
			where = "src/Eccube/Common/Constant.php"
		}
		a.add(KindAdminDefaultPath, 0, where, `EC-CUBE 4's admin route (ECCUBE_ADMIN_ROUTE) is left at its default "admin": the admin login is where every scanner looks first.`, map[string]any{"path": where, "setting": "ECCUBE_ADMIN_ROUTE", "value": "admin"})
	}
	if a.nWritable > 0 {
		a.add(KindWebrootWritable, 0, ".", fmt.Sprintf("%d code files or folders of the web root can be rewritten by the web server's user %s: any file-write bug becomes a planted skimmer.", a.nWritable, a.web.name), map[string]any{
			"web_user": a.web.name, "count": a.nWritable, "sample": a.writable,
		})
	}
	if a.nWorld > 0 {
		a.add(KindWorldWritable, 0, ".", fmt.Sprintf("%d files or folders of the web root are writable by every account on the server.", a.nWorld), map[string]any{
			"count": a.nWorld, "sample": a.world,
		})
	}
}
