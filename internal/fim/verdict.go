package fim

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

// Finding kinds produced by the file monitor.
const (
	KindAdded          = "fim.added"
	KindRemoved        = "fim.removed"
	KindModified       = "fim.modified"
	KindMode           = "fim.mode"
	KindOwner          = "fim.owner"
	KindSymlinkOutside = "fim.symlink-outside"
	// KindUnverified is a path that could not be checked (unreadable,
	// vanished or changing during the walk); it makes the report incomplete.
	KindUnverified = "fim.unverified"
	// KindWatchLimited: watch could not place an inotify watch on a folder
	// and relies on the periodic sweep there.
	KindWatchLimited = "fim.watch-limited"
)

// webCodeExt are extensions a web server runs or a browser executes: the
// places a skimmer or a webshell lives. Templates are included because
// EC-CUBE (Twig) and Magento (phtml, layout XML) render the payment page
// from them.
var webCodeExt = map[string]bool{
	".php": true, ".php3": true, ".php4": true, ".php5": true, ".php7": true, ".php8": true,
	".phtml": true, ".pht": true, ".phps": true, ".phar": true, ".inc": true,
	".js": true, ".mjs": true, ".cjs": true, ".jsx": true, ".ts": true, ".wasm": true,
	".html": true, ".htm": true, ".shtml": true, ".xhtml": true, ".svg": true,
	".twig": true, ".tpl": true, ".xml": true,
	".cgi": true, ".pl": true, ".py": true, ".sh": true, ".asp": true, ".aspx": true, ".jsp": true,
}

// webConfigNames change how the server runs code (auto_prepend_file,
// handlers for new extensions), so they count as code.
var webConfigNames = map[string]bool{
	".htaccess": true, ".user.ini": true, "php.ini": true, "web.config": true,
}

// IsWebCode reports whether rel is executable web code under the severity
// policy: by extension or by name, case-insensitively.
func IsWebCode(rel string) bool {
	base := strings.ToLower(path.Base(rel))
	if webConfigNames[base] {
		return true
	}
	return webCodeExt[path.Ext(base)]
}

const execBits = 0o111

func permBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// risky is web code or a file with an executable bit.
func risky(e *Entry) bool {
	return IsWebCode(e.Path) || (e.Type == TypeFile && e.Mode&execBits != 0)
}

// diff compares one path's baseline entry (nil when new) with what is on
// disk now (nil when gone). The severity policy, also in docs/FIM.md:
//
//	added / modified web code or executable  high    other files  medium
//	removed web code                         medium  other files  low
//	mode gains exec, setuid or setgid        high    web code     medium   other  low
//	owner of web code                        medium  other files  low
//	symlink out of the root, new or changed  high    already in baseline  low
//	path that could not be checked           low, and the report is incomplete
func diff(base, cur *Entry) []finding.Finding {
	var out []finding.Finding
	switch {
	case base == nil && cur == nil:
		return nil
	case base == nil:
		sev := finding.Medium
		if risky(cur) {
			sev = finding.High
		}
		out = append(out, mk(sev, KindAdded, cur.Path, fmt.Sprintf("New %s appeared: %s.", describe(cur), cur.Path), current(cur)))
	case cur == nil:
		sev := finding.Low
		if risky(base) {
			sev = finding.Medium
		}
		out = append(out, mk(sev, KindRemoved, base.Path, fmt.Sprintf("%s was removed: %s.", upper(describe(base)), base.Path),
			map[string]any{"baseline_sha256": digestOrNone(base), "baseline_size": base.Size}))
	default:
		out = append(out, changes(base, cur)...)
	}
	if cur != nil && cur.Outside && (base == nil || !base.Outside || base.Target != cur.Target || base.Type != TypeSymlink) {
		out = append(out, mk(finding.High, KindSymlinkOutside, cur.Path,
			fmt.Sprintf("Symlink %s points outside the web root, to %s.", cur.Path, cur.Target),
			map[string]any{"target": cur.Target, "in_baseline": false}))
	} else if cur != nil && cur.Outside {
		out = append(out, mk(finding.Low, KindSymlinkOutside, cur.Path,
			fmt.Sprintf("Symlink %s points outside the web root, to %s (already in the baseline).", cur.Path, cur.Target),
			map[string]any{"target": cur.Target, "in_baseline": true}))
	}
	return out
}

func changes(base, cur *Entry) []finding.Finding {
	var out []finding.Finding
	sevMod := finding.Medium
	if risky(base) || risky(cur) {
		sevMod = finding.High
	}
	switch {
	case base.Type != cur.Type:
		ev := current(cur)
		ev["baseline_type"] = typeName(base.Type)
		out = append(out, mk(sevMod, KindModified, cur.Path,
			fmt.Sprintf("%s was replaced by a %s: %s.", upper(describe(base)), typeName(cur.Type), cur.Path), ev))
	case cur.Type == TypeSymlink && base.Target != cur.Target:
		out = append(out, mk(sevMod, KindModified, cur.Path,
			fmt.Sprintf("Symlink %s now points to %s instead of %s.", cur.Path, cur.Target, base.Target),
			map[string]any{"baseline_target": base.Target, "target": cur.Target}))
	case cur.Type == TypeFile && base.SHA256 != cur.SHA256:
		ev := map[string]any{
			"baseline_sha256": base.SHA256.String(), "sha256": cur.SHA256.String(),
			"baseline_size": base.Size, "size": cur.Size,
			"mtime": unixNano(cur.Mtime), "ctime": unixNano(cur.Ctime),
		}
		msg := fmt.Sprintf("Content of %s changed: %s.", describe(cur), cur.Path)
		if base.Mtime == cur.Mtime {
			// touch -r restores mtime but cannot restore ctime.
			ev["mtime_unchanged"] = true
			msg = fmt.Sprintf("Content of %s changed but its modification time was left as before (a sign of forgery): %s.", describe(cur), cur.Path)
		}
		out = append(out, mk(sevMod, KindModified, cur.Path, msg, ev))
	}
	if bp, cp := permBits(base.Mode), permBits(cur.Mode); bp != cp && base.Type == cur.Type && cur.Type != TypeSymlink {
		gained := cp &^ bp
		sev := finding.Low
		switch {
		case gained&(execBits|fs.ModeSetuid|fs.ModeSetgid) != 0:
			sev = finding.High
		case risky(cur) || gained&0o002 != 0:
			sev = finding.Medium
		}
		out = append(out, mk(sev, KindMode, cur.Path,
			fmt.Sprintf("Permissions of %s changed from %s to %s.", cur.Path, bp, cp),
			map[string]any{"baseline_mode": fmt.Sprintf("%#o", uint32(bp.Perm())|specialBits(bp)), "mode": fmt.Sprintf("%#o", uint32(cp.Perm())|specialBits(cp))}))
	}
	if base.UID != cur.UID || base.GID != cur.GID {
		sev := finding.Low
		if risky(cur) {
			sev = finding.Medium
		}
		out = append(out, mk(sev, KindOwner, cur.Path,
			fmt.Sprintf("Owner of %s changed from %d:%d to %d:%d.", cur.Path, base.UID, base.GID, cur.UID, cur.GID),
			map[string]any{"baseline_uid": base.UID, "baseline_gid": base.GID, "uid": cur.UID, "gid": cur.GID}))
	}
	return out
}

func specialBits(m fs.FileMode) uint32 {
	var v uint32
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

func mk(sev finding.Severity, kind, p, msg string, ev map[string]any) finding.Finding {
	return finding.Finding{Severity: sev, Kind: kind, Message: msg, Evidence: ev, Source: "fim", Path: p}
}

func current(e *Entry) map[string]any {
	ev := map[string]any{
		"type": typeName(e.Type), "size": e.Size, "mode": fmt.Sprintf("%#o", uint32(e.Mode.Perm())|specialBits(e.Mode)),
		"uid": e.UID, "gid": e.GID, "mtime": unixNano(e.Mtime), "ctime": unixNano(e.Ctime),
	}
	if !e.SHA256.IsZero() {
		ev["sha256"] = e.SHA256.String()
	}
	if e.Type == TypeSymlink {
		ev["target"] = e.Target
	}
	return ev
}

func digestOrNone(e *Entry) string {
	if e.SHA256.IsZero() {
		return ""
	}
	return e.SHA256.String()
}

func unixNano(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func typeName(t EntryType) string {
	switch t {
	case TypeFile:
		return "file"
	case TypeSymlink:
		return "symlink"
	}
	return "special file"
}

func describe(e *Entry) string {
	switch {
	case e.Type == TypeSymlink:
		return "symlink"
	case e.Type == TypeOther:
		return "special file"
	case IsWebCode(e.Path):
		return "web code file"
	case e.Mode&execBits != 0:
		return "executable file"
	}
	return "file"
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
