package scan

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The external variables that --auto-externals fills per file. The names and
// meanings are those of collections written for THOR and LOKI, so that such
// collections compile and work unchanged.
const (
	extFilename  = "filename"  // base name: "cart.php"
	extFilepath  = "filepath"  // directory, without the name: "shop/app"
	extExtension = "extension" // lower case, with the dot: ".php"; "" without one
	extFiletype  = "filetype"  // from the first bytes: "PHP", "EXE", "ELF", ...
	extOwner     = "owner"     // the owner's user name, or the numeric uid
)

// autoExternalDefaults declares the automatic externals for compiling, with
// empty values. A rule set then compiles whether or not a file fills them.
func autoExternalDefaults() map[string]any {
	return map[string]any{extFilename: "", extFilepath: "", extExtension: "", extFiletype: "", extOwner: ""}
}

// checkAutoExternals refuses a -d definition of a name --auto-externals fills:
// one of the two would silently lose.
func checkAutoExternals(defined map[string]any) error {
	for k := range autoExternalDefaults() {
		if _, ok := defined[k]; ok {
			return fmt.Errorf("external %q is defined with -d and filled per file by --auto-externals; drop one", k)
		}
	}
	return nil
}

// ownerNames maps uids to user names once per scanner: a tree has thousands
// of files and a handful of owners.
type ownerNames struct {
	mu    sync.Mutex
	names map[uint32]string
}

func (o *ownerNames) name(uid uint32) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n, ok := o.names[uid]; ok {
		return n
	}
	n := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(n); err == nil {
		n = u.Username
	}
	if o.names == nil {
		o.names = map[uint32]string{}
	}
	o.names[uid] = n
	return n
}

// objectExternals are the externals for one scanned object: the scanner's
// own, plus with AutoExternals the per-file ones. name is the path shown in
// findings; header is at least the object's first bytes; info is nil for a
// blob such as a database row, whose owner is then "".
func (s *Scanner) objectExternals(name string, header []byte, info fs.FileInfo) map[string]any {
	if !s.opts.AutoExternals {
		return s.opts.Externals
	}
	ext := maps.Clone(s.opts.Externals)
	if ext == nil {
		ext = make(map[string]any, 5)
	}
	base := filepath.Base(name)
	dir := filepath.Dir(name)
	if dir == "." && !strings.HasPrefix(name, "."+string(filepath.Separator)) {
		dir = ""
	}
	ext[extFilename] = base
	ext[extFilepath] = dir
	ext[extExtension] = strings.ToLower(filepath.Ext(base))
	ext[extFiletype] = fileType(header, ext[extExtension].(string))
	owner := ""
	if info != nil {
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			owner = s.owners.name(st.Uid)
		}
	}
	ext[extOwner] = owner
	return ext
}

// fileTypeHeader is how many leading bytes fileType looks at.
const fileTypeHeader = 64

// fileType names the kind of content from its first bytes, in the upper-case
// names THOR and LOKI rules compare filetype with; scripts without a magic
// number are named by their extension. "" when neither tells.
func fileType(header []byte, ext string) string {
	magic := []struct {
		prefix, name string
	}{
		{"MZ", "EXE"}, {"\x7fELF", "ELF"}, {"PK\x03\x04", "ZIP"}, {"\x1f\x8b", "GZIP"}, {"%PDF", "PDF"},
		{"\x89PNG", "PNG"}, {"\xff\xd8\xff", "JPEG"}, {"GIF8", "GIF"}, {"<?php", "PHP"}, {"#!", "SCRIPT"},
	}
	for _, m := range magic {
		if bytes.HasPrefix(header, []byte(m.prefix)) {
			return m.name
		}
	}
	switch ext {
	case ".php", ".phtml", ".php5", ".php7", ".inc":
		return "PHP"
	case ".js", ".mjs", ".cjs":
		return "JS"
	case ".html", ".htm":
		return "HTML"
	}
	return ""
}
