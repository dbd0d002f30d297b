package fim

import (
	"bytes"
	"io/fs"
	"math"
	"unicode/utf8"
)

// parseEntryFast decodes an entry line in exactly the shape appendEntry
// writes (keys in order, names needing no escapes, plain integers). It
// reports false for anything else, and ReadManifest then uses the strict
// JSON decoder, so the fast path only has to be right about what it
// accepts; FuzzParseEntryFast checks it against encoding/json. It makes
// reading a million-entry baseline several times faster.
func parseEntryFast(line []byte) (Entry, bool) {
	var e Entry
	p := fastParser{b: line}
	var ok bool
	if !p.lit(`{"p":"`) {
		return e, false
	}
	if e.Path, ok = p.simpleString(); !ok || !p.lit(`,"t":"`) || len(p.b) < 2 {
		return e, false
	}
	switch EntryType(p.b[:1]) {
	case TypeFile, TypeSymlink, TypeOther:
		e.Type = EntryType(p.b[:1])
	default:
		return e, false
	}
	p.b = p.b[1:]
	var mode, uid, gid uint64
	ok = p.lit(`","s":`) && p.int(&e.Size) &&
		p.lit(`,"m":`) && p.uint(&mode, math.MaxUint32) &&
		p.lit(`,"u":`) && p.uint(&uid, math.MaxUint32) &&
		p.lit(`,"g":`) && p.uint(&gid, math.MaxUint32) &&
		p.lit(`,"mt":`) && p.int(&e.Mtime) &&
		p.lit(`,"ct":`) && p.int(&e.Ctime) &&
		p.lit(`,"i":`) && p.uint(&e.Inode, math.MaxUint64)
	if !ok {
		return e, false
	}
	e.Mode, e.UID, e.GID = modeOf(mode), uint32(uid), uint32(gid)
	if p.lit(`,"h":"`) {
		if len(p.b) < 65 || p.b[64] != '"' || !lowerHex(p.b[:64]) {
			return e, false
		}
		if err := e.SHA256.UnmarshalText(p.b[:64]); err != nil {
			return e, false
		}
		p.b = p.b[65:]
	}
	if p.lit(`,"l":"`) {
		if e.Target, ok = p.simpleString(); !ok {
			return e, false
		}
	}
	if p.lit(`,"x":true`) {
		e.Outside = true
	}
	return e, p.lit("}") && len(p.b) == 0
}

func modeOf(v uint64) fs.FileMode { return fs.FileMode(v) }

type fastParser struct{ b []byte }

func (p *fastParser) lit(s string) bool {
	if len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// simpleString reads up to the closing quote a string of bytes that JSON
// decodes to themselves: no control character, quote or backslash, and
// valid UTF-8.
func (p *fastParser) simpleString() (string, bool) {
	i := bytes.IndexByte(p.b, '"')
	if i < 0 {
		return "", false
	}
	ascii := true
	for _, c := range p.b[:i] {
		if c < 0x20 || c == '\\' {
			return "", false
		}
		ascii = ascii && c < 0x80
	}
	// JSON decodes valid UTF-8 to itself; invalid bytes it would replace.
	if !ascii && !utf8.Valid(p.b[:i]) {
		return "", false
	}
	s := string(p.b[:i])
	p.b = p.b[i+1:]
	return s, true
}

// uint reads a JSON integer without sign, leading zeros, fraction or
// exponent, at most limit.
func (p *fastParser) uint(v *uint64, limit uint64) bool {
	n := 0
	var x uint64
	for n < len(p.b) && p.b[n] >= '0' && p.b[n] <= '9' {
		d := uint64(p.b[n] - '0')
		if x > (limit-d)/10 {
			return false
		}
		x = x*10 + d
		n++
	}
	if n == 0 || (n > 1 && p.b[0] == '0') {
		return false
	}
	if n < len(p.b) && (p.b[n] == '.' || p.b[n] == 'e' || p.b[n] == 'E') {
		return false
	}
	p.b = p.b[n:]
	*v = x
	return true
}

func (p *fastParser) int(v *int64) bool {
	neg := p.lit("-")
	var x uint64
	if !p.uint(&x, math.MaxInt64) || (neg && x == 0) {
		return false
	}
	*v = int64(x)
	if neg {
		*v = -*v
	}
	return true
}

func lowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
