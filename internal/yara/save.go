package yara

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
)

// Saved rules hold the rule sources (with every included file) and the
// compile options, so that loading re-parses them: the syntax trees a scan
// evaluates are then always the parser's own, never a file's say-so. What
// is stored beyond the sources is what compiling spends most of its time
// on, choosing atoms and finding identical strings; a file that lies about
// those can only make matches wrong, never crash or stall a scan (atoms are
// bounded and identical strings must precede the strings they stand for).
//
// Layout: savedMagic, the format version (uint32), the payload's length
// (uint64), the payload, and the SHA-256 of everything before it.

// savedMagic opens every saved rules file.
const savedMagic = "skimwatch-rules\x00"

// SavedRulesVersion is the format of saved rules. It changes whenever the
// payload or the meaning of saved atoms does (any change to atom choice,
// pattern forms or their order), and a file of another version is refused.
const SavedRulesVersion = 1

// MaxSavedRulesSize bounds a saved rules file, and so what loading one may
// allocate.
const MaxSavedRulesSize = 256 << 20

// ErrSavedRulesVersion is wrapped by LoadRules' error for a file written by
// another version of the format: it must be saved again.
var ErrSavedRulesVersion = errors.New("saved rules are from another version of skimwatch")

// ErrSavedRulesCorrupt is wrapped by LoadRules' error for a file that is not
// saved rules, or was damaged.
var ErrSavedRulesCorrupt = errors.New("saved rules file is corrupt")

type savedSource struct {
	name string
	data []byte
}

// savedInclude is one include directive as it was resolved when compiling.
type savedInclude struct {
	from, name, target string
	data               []byte
}

type savedSources struct {
	files    []savedSource // top-level sources, in compile order
	includes []savedInclude
	// byDirective indexes includes by from and name, when loading.
	byDirective map[[2]string]int
	// resolved counts includes resolved while loading: never more than
	// were saved, so that a file of includes that include each other many
	// times over cannot make loading parse without bound.
	resolved int
}

func (s *savedSources) include(from, name string) (savedInclude, bool) {
	if s.resolved >= len(s.includes) {
		return savedInclude{}, false
	}
	s.resolved++
	i, ok := s.byDirective[[2]string{from, name}]
	if !ok {
		return savedInclude{}, false
	}
	return s.includes[i], true
}

// savedRules is a saved file's content.
type savedRules struct {
	options CompileOptions
	sources savedSources
	atoms   [][]atomGroup // per pattern
	sameAs  []int32       // per pattern: the earlier identical pattern, or -1
}

// maxSavedAtomOffset bounds an atom's offset in a saved file; chosen atoms
// lie within the first 64 positions of a string.
const maxSavedAtomOffset = 1 << 12

// applyAtoms gives the patterns their saved atoms.
func (s *savedRules) applyAtoms(pats []pattern) error {
	if len(s.atoms) != len(pats) {
		return fmt.Errorf("%w: it has atoms for %d strings, its rules compile to %d", ErrSavedRulesCorrupt, len(s.atoms), len(pats))
	}
	for i := range pats {
		pats[i].groups = s.atoms[i]
	}
	return nil
}

// applyShared links identical patterns as shareIdentical would have.
func (s *savedRules) applyShared(pats []pattern) error {
	if len(s.sameAs) != len(pats) {
		return fmt.Errorf("%w: it links %d strings, its rules compile to %d", ErrSavedRulesCorrupt, len(s.sameAs), len(pats))
	}
	for pi, c := range s.sameAs {
		if c < 0 {
			continue
		}
		if int(c) >= pi || pats[c].shared {
			return fmt.Errorf("%w: string %d is linked to %d", ErrSavedRulesCorrupt, pi, c)
		}
		pats[c].same = append(pats[c].same, int32(pi))
		pats[pi].shared = true
	}
	return nil
}

// Save writes the rules in the saved format, for LoadRules. Rules compiled
// with IncludeFS save the included files' contents too.
func (r *Rules) Save(w io.Writer) error {
	var p []byte
	var flags byte
	if r.saved.options.SkipUnsupportedImports {
		flags |= 1
	}
	if r.saved.options.DisableIncludes {
		flags |= 2
	}
	p = append(p, flags)
	keys := make([]string, 0, len(r.externals))
	for k := range r.externals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	p = binary.AppendUvarint(p, uint64(len(keys)))
	for _, k := range keys {
		p = appendBytes(p, []byte(k))
		switch v := r.externals[k].(type) {
		case string:
			p = appendBytes(append(p, 's'), []byte(v))
		case int64:
			p = binary.LittleEndian.AppendUint64(append(p, 'i'), uint64(v))
		case float64:
			p = binary.LittleEndian.AppendUint64(append(p, 'f'), math.Float64bits(v))
		case bool:
			p = append(p, 'b', boolByte(v))
		default:
			return fmt.Errorf("save rules: external %q has type %T", k, v)
		}
	}
	src := r.saved.sources
	p = binary.AppendUvarint(p, uint64(len(src.files)))
	for _, f := range src.files {
		p = appendBytes(appendBytes(p, []byte(f.name)), f.data)
	}
	p = binary.AppendUvarint(p, uint64(len(src.includes)))
	for _, inc := range src.includes {
		p = appendBytes(appendBytes(appendBytes(p, []byte(inc.from)), []byte(inc.name)), []byte(inc.target))
		p = appendBytes(p, inc.data)
	}
	p = binary.AppendUvarint(p, uint64(len(r.patterns)))
	sameAs := make([]int32, len(r.patterns))
	for i := range sameAs {
		sameAs[i] = -1
	}
	for pi := range r.patterns {
		for _, q := range r.patterns[pi].same {
			sameAs[q] = int32(pi)
		}
	}
	for pi := range r.patterns {
		pt := &r.patterns[pi]
		p = binary.AppendUvarint(p, uint64(len(pt.groups)))
		for _, g := range pt.groups {
			p = binary.AppendUvarint(p, uint64(g.off))
			p = binary.AppendUvarint(p, uint64(len(g.atoms)))
			p = binary.AppendUvarint(p, uint64(len(g.atoms[0])))
			for _, a := range g.atoms {
				p = append(p, a...)
			}
		}
		p = binary.AppendVarint(p, int64(sameAs[pi]))
	}
	out := make([]byte, 0, len(savedMagic)+12+len(p)+sha256.Size)
	out = append(out, savedMagic...)
	out = binary.LittleEndian.AppendUint32(out, SavedRulesVersion)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(p)))
	out = append(out, p...)
	sum := sha256.Sum256(out)
	out = append(out, sum[:]...)
	if len(out) > MaxSavedRulesSize {
		return fmt.Errorf("save rules: %d bytes is over the %d-byte limit", len(out), MaxSavedRulesSize)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	return nil
}

func appendBytes(p, b []byte) []byte {
	return append(binary.AppendUvarint(p, uint64(len(b))), b...)
}

// LoadOptions control LoadRules.
type LoadOptions struct {
	// Logger receives debug output; nil discards it.
	Logger *slog.Logger
}

// LoadRules reads rules written by Save. It refuses a file of another format
// version (ErrSavedRulesVersion) and a damaged one (ErrSavedRulesCorrupt);
// it reads at most MaxSavedRulesSize bytes.
func LoadRules(rd io.Reader, opts LoadOptions) (*Rules, error) {
	data, err := io.ReadAll(io.LimitReader(rd, MaxSavedRulesSize+1))
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	if len(data) > MaxSavedRulesSize {
		return nil, fmt.Errorf("load rules: %w: over the %d-byte limit", ErrSavedRulesCorrupt, MaxSavedRulesSize)
	}
	saved, err := decodeSavedRules(data)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	saved.options.Logger = opts.Logger
	c, err := newCompiler(saved.options)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w: %w", ErrSavedRulesCorrupt, err)
	}
	c.loaded = saved
	for _, f := range saved.sources.files {
		if err := c.parseSource(f.data, f.name); err != nil {
			return nil, fmt.Errorf("load rules: %w: %w", ErrSavedRulesCorrupt, err)
		}
	}
	rs, err := c.finish()
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	return rs, nil
}

func decodeSavedRules(data []byte) (*savedRules, error) {
	head := len(savedMagic) + 12
	if len(data) < head+sha256.Size || string(data[:len(savedMagic)]) != savedMagic {
		return nil, fmt.Errorf("%w: not a skimwatch saved rules file", ErrSavedRulesCorrupt)
	}
	if v := binary.LittleEndian.Uint32(data[len(savedMagic):]); v != SavedRulesVersion {
		return nil, fmt.Errorf("%w: the file is format %d, this skimwatch reads format %d; save the rules again", ErrSavedRulesVersion, v, SavedRulesVersion)
	}
	n := binary.LittleEndian.Uint64(data[len(savedMagic)+4:])
	if n != uint64(len(data)-head-sha256.Size) {
		return nil, fmt.Errorf("%w: truncated or extended (payload of %d bytes announced, %d present)", ErrSavedRulesCorrupt, n, len(data)-head-sha256.Size)
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrSavedRulesCorrupt)
	}
	d := &savedDecoder{b: body[head:]}
	s := &savedRules{}
	flags := d.byte()
	s.options.SkipUnsupportedImports = flags&1 != 0
	s.options.DisableIncludes = flags&2 != 0
	if n := d.count(2); n > 0 {
		s.options.Externals = make(map[string]any, n)
		for range n {
			k := string(d.bytes())
			switch d.byte() {
			case 's':
				s.options.Externals[k] = string(d.bytes())
			case 'i':
				s.options.Externals[k] = int64(d.uint64())
			case 'f':
				s.options.Externals[k] = math.Float64frombits(d.uint64())
			case 'b':
				s.options.Externals[k] = d.byte() != 0
			default:
				d.fail("external %q has an unknown type", k)
			}
		}
	}
	for range d.count(2) {
		s.sources.files = append(s.sources.files, savedSource{name: string(d.bytes()), data: d.bytes()})
	}
	s.sources.byDirective = map[[2]string]int{}
	for range d.count(4) {
		inc := savedInclude{from: string(d.bytes()), name: string(d.bytes()), target: string(d.bytes()), data: d.bytes()}
		s.sources.byDirective[[2]string{inc.from, inc.name}] = len(s.sources.includes)
		s.sources.includes = append(s.sources.includes, inc)
	}
	np := d.count(2)
	s.atoms = make([][]atomGroup, 0, np)
	s.sameAs = make([]int32, 0, np)
	for pi := range np {
		ng := d.count(3)
		if ng > 4*maxAtomVariants {
			d.fail("string %d has %d atom groups", pi, ng)
		}
		var groups []atomGroup
		for range ng {
			off, na, al := d.uvarint(), d.uvarint(), d.uvarint()
			if off > maxSavedAtomOffset || na == 0 || na > maxAtomVariants || al == 0 || al > maxAtomLen {
				d.fail("string %d has an atom group out of bounds", pi)
				break
			}
			g := atomGroup{off: int(off), atoms: make([][]byte, na)}
			for i := range g.atoms {
				g.atoms[i] = d.take(int(al))
			}
			groups = append(groups, g)
		}
		s.atoms = append(s.atoms, groups)
		same := d.varint()
		if same < -1 || same >= int64(pi) {
			d.fail("string %d is linked to %d", pi, same)
		}
		s.sameAs = append(s.sameAs, int32(same))
		if d.err != nil {
			break
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the last string", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSavedRulesCorrupt, d.err)
	}
	return s, nil
}

// savedDecoder reads a payload; the first error sticks, and every read after
// it returns zero values, so that callers check once.
type savedDecoder struct {
	b   []byte
	err error
}

func (d *savedDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
	d.b = nil
}

func (d *savedDecoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *savedDecoder) byte() byte {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *savedDecoder) uint64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *savedDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *savedDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items that each take at least min bytes, so that
// no count can ask for more than the payload could hold.
func (d *savedDecoder) count(min int) int {
	v := d.uvarint()
	if v > uint64(len(d.b)/min) {
		d.fail("count %d exceeds the file", v)
		return 0
	}
	return int(v)
}

func (d *savedDecoder) bytes() []byte {
	return d.take(d.count(1))
}

// Declares reports whether the rules declare the external variable name, so
// that a value for it may be given when scanning.
func (r *Rules) Declares(name string) bool {
	_, ok := r.externals[name]
	return ok
}
