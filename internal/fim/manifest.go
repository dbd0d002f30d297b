package fim

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// The baseline file is a gzip stream (of several members, see
// WriteManifest) of JSON lines:
//
//	line 1      header  {"format":"skimwatch-fim","version":1,"root":...}
//	lines 2..n  entries, one per file or symlink, sorted by path
//	last line   trailer {"trailer":{"entries":n,"digest":...,"signature":...}}
//
// The digest is SHA-512 over the exact uncompressed bytes of the header and
// entry lines (newlines included); with a key, the trailer carries an
// Ed25519ph signature (RFC 8032) of that digest. Signing the bytes as written,
// rather than a re-encoding, means the reader needs no canonical JSON and can
// check a baseline of a million entries while streaming it.

const (
	manifestFormat  = "skimwatch-fim"
	manifestVersion = 1
)

// Limits on what ReadManifest accepts, so a hostile or broken file cannot
// exhaust memory.
const (
	// MaxLineBytes bounds one line of the uncompressed manifest.
	MaxLineBytes = 64 << 10
	// DefaultMaxEntries bounds the number of entries ReadManifest accepts.
	DefaultMaxEntries = 20_000_000
)

// Errors a caller can match with errors.Is.
var (
	// ErrBadSignature: the manifest's signature does not verify with the
	// given public key, or the content was altered after signing.
	ErrBadSignature = errors.New("baseline signature does not verify")
	// ErrUnsigned: a public key was given but the baseline carries no signature.
	ErrUnsigned = errors.New("baseline is not signed")
	// ErrCorrupt: the manifest is not a well-formed skimwatch baseline.
	ErrCorrupt = errors.New("baseline is corrupt")
)

// EntryType says what kind of filesystem object an entry records.
type EntryType string

const (
	TypeFile    EntryType = "f"
	TypeSymlink EntryType = "l"
	// TypeOther is a FIFO, socket or device: recorded, never opened.
	TypeOther EntryType = "o"
)

// Entry is one file, symlink or special file under the root. The stat fields
// double as the stat cache: when inode, size, mtime and ctime all match, a
// re-verify trusts SHA256 without reading the file again.
type Entry struct {
	Path   string      `json:"p"` // slash-separated, relative to the root
	Type   EntryType   `json:"t"`
	Size   int64       `json:"s"`
	Mode   fs.FileMode `json:"m"` // permission and type bits as in fs.FileMode
	UID    uint32      `json:"u"`
	GID    uint32      `json:"g"`
	Mtime  int64       `json:"mt"` // Unix nanoseconds
	Ctime  int64       `json:"ct"` // Unix nanoseconds
	Inode  uint64      `json:"i"`
	SHA256 Digest      `json:"h,omitzero"`
	// Target is the symlink's target as stored on disk, never followed.
	Target string `json:"l,omitempty"`
	// Outside is true for a symlink whose target leaves the root.
	Outside bool `json:"x,omitempty"`
}

// Digest is a SHA-256 sum, written as lower-case hex.
type Digest [32]byte

// IsZero reports an unset digest (symlinks and special files have none).
func (d Digest) IsZero() bool { return d == Digest{} }

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText writes the digest as hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads 64 hex digits.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("sha256 must be 64 hex digits, got %d characters", len(b))
	}
	_, err := hex.Decode(d[:], b)
	return err
}

// Header is the first line of a baseline.
type Header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Root    string    `json:"root"`
	Created time.Time `json:"created"`
	// Excludes are the globs in force when the baseline was taken; verify and
	// watch apply the same ones so that both sides see the same tree.
	Excludes []string `json:"excludes"`
	// RacyAfter (Unix ns) is a little before the walk started. A file whose
	// ctime is at or after it may have changed within the timestamp
	// granularity of the moment it was hashed (the "racy git" problem), so
	// the stat cache never trusts it and verify re-reads it.
	RacyAfter int64 `json:"racy_after"`
}

// Manifest is a baseline: the header and every entry, sorted by path.
type Manifest struct {
	Header  Header
	Entries []Entry
	// Signed is set by ReadManifest when the file carried a signature that
	// verified with the given key.
	Signed bool
	// Notes are things the baseline run could not record (unreadable or
	// vanished files); the CLI prints them and they make the run incomplete.
	Notes []Note
}

// Note is a path a run could not check and why.
type Note struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Lookup returns the entry for a slash-separated relative path.
func (m *Manifest) Lookup(p string) (*Entry, bool) {
	i, ok := slices.BinarySearchFunc(m.Entries, p, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
	if !ok {
		return nil, false
	}
	return &m.Entries[i], true
}

type trailerLine struct {
	Trailer *trailer `json:"trailer"`
}

type trailer struct {
	Entries   int    `json:"entries"`
	Digest    string `json:"digest"`
	Signature string `json:"signature,omitempty"`
	PublicKey string `json:"public_key,omitempty"`
}

var ed25519ph = &ed25519.Options{Hash: crypto.SHA512}

// WriteManifest writes m to w. With a non-nil key the baseline is signed.
//
// Entries are encoded and compressed in blocks of manifestBlock entries,
// each block its own gzip member, on all CPUs while this goroutine hashes
// and writes them in order: after a walk that kept every core busy, a
// single-threaded write was the serial tail that made the baseline of a
// real tree 1.3 times the bare walker's wall time on 2 cores
// (docs/PERFORMANCE.md). A file of several gzip members is one gzip stream
// to every reader (RFC 1952, section 2.2), and the digest covers the
// uncompressed lines, so neither reading nor signing changes.
func WriteManifest(w io.Writer, m *Manifest, key ed25519.PrivateKey) error {
	if key != nil && len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("signing key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	for i := 1; i < len(m.Entries); i++ {
		if m.Entries[i].Path <= m.Entries[i-1].Path {
			return fmt.Errorf("entries not sorted or duplicated at %q", m.Entries[i].Path)
		}
	}
	h := m.Header
	h.Format, h.Version = manifestFormat, manifestVersion
	if h.Excludes == nil {
		h.Excludes = []string{}
	}
	header, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	sum := sha512.New()

	blocks := encodeBlocks(append(header, '\n'), m.Entries)
	var werr error
	for b := range blocks {
		<-b.done
		if werr == nil && b.err != nil {
			werr = b.err
		}
		if werr == nil {
			sum.Write(b.c.raw)
			if _, err := w.Write(b.c.gz.Bytes()); err != nil {
				werr = err
			}
		}
		// After an error the rest is drained, so that every coder comes
		// back and the encoder goroutine ends.
		b.release()
	}
	if werr != nil {
		return werr
	}

	digest := sum.Sum(nil)
	t := trailer{Entries: len(m.Entries), Digest: hex.EncodeToString(digest)}
	if key != nil {
		sig, err := key.Sign(nil, digest, ed25519ph)
		if err != nil {
			return fmt.Errorf("sign baseline: %w", err)
		}
		t.Signature = base64.StdEncoding.EncodeToString(sig)
		t.PublicKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	}
	line, err := json.Marshal(trailerLine{Trailer: &t})
	if err != nil {
		return err
	}
	gz, err := gzipMember(append(line, '\n'))
	if err != nil {
		return err
	}
	_, err = w.Write(gz)
	return err
}

// manifestBlock is how many entries go into one gzip member: about 250 KB
// of lines, enough that a member's header and fresh dictionary cost little.
const manifestBlock = 4096

// blockCoder is one worker's reusable buffers and compressor.
type blockCoder struct {
	zw  *gzip.Writer
	raw []byte
	gz  bytes.Buffer
}

// encodedBlock is one block of lines, encoded and compressed by its coder.
type encodedBlock struct {
	c       *blockCoder
	err     error
	done    chan struct{}
	release func() // gives the coder back once the block is written
}

// encodeBlocks encodes and compresses the header line and the entries in
// blocks, GOMAXPROCS at a time, and sends the blocks in order. A block's
// coder (its buffers and compressor) returns to the pool only when the
// block has been written, so memory stays at GOMAXPROCS blocks however many
// entries there are.
func encodeBlocks(header []byte, entries []Entry) <-chan *encodedBlock {
	workers := runtime.GOMAXPROCS(0)
	coders := make(chan *blockCoder, workers)
	for range workers {
		coders <- &blockCoder{}
	}
	out := make(chan *encodedBlock, workers)
	go func() {
		defer close(out)
		for lo := 0; lo == 0 || lo < len(entries); lo += manifestBlock {
			hi := min(lo+manifestBlock, len(entries))
			c := <-coders
			b := &encodedBlock{c: c, done: make(chan struct{}), release: func() { coders <- c }}
			go func() {
				defer close(b.done)
				c.raw = c.raw[:0]
				if lo == 0 {
					c.raw = append(c.raw, header...)
				}
				for i := lo; i < hi; i++ {
					c.raw = appendEntry(c.raw, &entries[i])
				}
				b.err = c.compress()
			}()
			out <- b
		}
	}()
	return out
}

// compress makes c.gz one gzip member of c.raw.
func (c *blockCoder) compress() error {
	c.gz.Reset()
	if c.zw == nil {
		zw, err := gzip.NewWriterLevel(&c.gz, gzip.BestSpeed)
		if err != nil {
			return err
		}
		c.zw = zw
	} else {
		c.zw.Reset(&c.gz)
	}
	if _, err := c.zw.Write(c.raw); err != nil {
		return err
	}
	return c.zw.Close()
}

// gzipMember compresses p into one gzip member.
func gzipMember(p []byte) ([]byte, error) {
	c := &blockCoder{raw: p}
	if err := c.compress(); err != nil {
		return nil, err
	}
	return c.gz.Bytes(), nil
}

// appendEntry encodes one entry line. It is hand-written because baselines of
// a million files spend most of their encoding time here; the reader uses
// encoding/json, so the two stay honest with each other (see the round-trip
// and fuzz tests).
func appendEntry(b []byte, e *Entry) []byte {
	b = append(b, '{')
	b = appendJSONString(b, "p", e.Path)
	b = append(b, `,"t":"`...)
	b = append(b, e.Type...)
	b = append(b, `","s":`...)
	b = appendInt(b, e.Size)
	b = append(b, `,"m":`...)
	b = appendUint(b, uint64(e.Mode))
	b = append(b, `,"u":`...)
	b = appendUint(b, uint64(e.UID))
	b = append(b, `,"g":`...)
	b = appendUint(b, uint64(e.GID))
	b = append(b, `,"mt":`...)
	b = appendInt(b, e.Mtime)
	b = append(b, `,"ct":`...)
	b = appendInt(b, e.Ctime)
	b = append(b, `,"i":`...)
	b = appendUint(b, e.Inode)
	if !e.SHA256.IsZero() {
		b = append(b, `,"h":"`...)
		b = hex.AppendEncode(b, e.SHA256[:])
		b = append(b, '"')
	}
	if e.Target != "" {
		b = append(b, ',')
		b = appendJSONString(b, "l", e.Target)
	}
	if e.Outside {
		b = append(b, `,"x":true`...)
	}
	return append(b, "}\n"...)
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(b, '-'), uint64(-v))
	}
	return appendUint(b, uint64(v))
}

func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// appendJSONString quotes s. File names are bytes, not text: a name that is
// not valid UTF-8 would be mangled by JSON, so such names go into a separate
// base64 field (key+"b") and round-trip exactly. An attacker cannot hide a
// file behind an odd name.
func appendJSONString(b []byte, key, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			simple = false
			break
		}
	}
	b = append(b, '"')
	if simple {
		b = append(b, key...)
		b = append(b, `":"`...)
		b = append(b, s...)
		return append(b, '"')
	}
	if !utf8.ValidString(s) {
		b = append(b, key...)
		b = append(b, `b":"`...)
		b = base64.StdEncoding.AppendEncode(b, []byte(s))
		return append(b, '"')
	}
	b = append(b, key...)
	b = append(b, `":`...)
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// wireEntry is Entry as stored, with the byte-exact alternatives for names
// that are not UTF-8.
type wireEntry struct {
	Path    string      `json:"p"`
	PathB   []byte      `json:"pb"`
	Type    EntryType   `json:"t"`
	Size    int64       `json:"s"`
	Mode    fs.FileMode `json:"m"`
	UID     uint32      `json:"u"`
	GID     uint32      `json:"g"`
	Mtime   int64       `json:"mt"`
	Ctime   int64       `json:"ct"`
	Inode   uint64      `json:"i"`
	SHA256  Digest      `json:"h"`
	Target  string      `json:"l"`
	TargetB []byte      `json:"lb"`
	Outside bool        `json:"x"`
}

func (w *wireEntry) entry() (Entry, error) {
	e := Entry{Path: w.Path, Type: w.Type, Size: w.Size, Mode: w.Mode, UID: w.UID, GID: w.GID,
		Mtime: w.Mtime, Ctime: w.Ctime, Inode: w.Inode, SHA256: w.SHA256, Target: w.Target, Outside: w.Outside}
	if w.PathB != nil {
		if w.Path != "" || utf8.Valid(w.PathB) {
			return e, errors.New("pb is only for names that are not UTF-8")
		}
		e.Path = string(w.PathB)
	}
	if w.TargetB != nil {
		if w.Target != "" || utf8.Valid(w.TargetB) {
			return e, errors.New("lb is only for targets that are not UTF-8")
		}
		e.Target = string(w.TargetB)
	}
	return e, e.validate()
}

// ReadOptions controls ReadManifest.
type ReadOptions struct {
	// PublicKey, when set, must verify the baseline's signature; an unsigned
	// baseline is then refused with ErrUnsigned.
	PublicKey ed25519.PublicKey
	// MaxEntries bounds the entry count (DefaultMaxEntries when zero).
	MaxEntries int
}

// ReadManifest reads and checks a baseline written by WriteManifest. Entries
// must be sorted and unique, the digest must match, and with a public key the
// signature must verify.
func ReadManifest(r io.Reader, opts ReadOptions) (*Manifest, error) {
	if opts.PublicKey != nil && len(opts.PublicKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key has %d bytes, want %d", len(opts.PublicKey), ed25519.PublicKeySize)
	}
	maxEntries := opts.MaxEntries
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip: %v", ErrCorrupt, err)
	}
	defer zr.Close()
	lr := &lineReader{r: bufio.NewReaderSize(zr, 256<<10)}
	sum := sha512.New()

	line, err := lr.next()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	m := &Manifest{}
	if err := strictUnmarshal(line, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if m.Header.Format != manifestFormat {
		return nil, fmt.Errorf("%w: format %q is not %q", ErrCorrupt, m.Header.Format, manifestFormat)
	}
	if m.Header.Version != manifestVersion {
		return nil, fmt.Errorf("%w: unsupported version %d (this skimwatch reads version %d)", ErrCorrupt, m.Header.Version, manifestVersion)
	}
	for _, g := range m.Header.Excludes {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("%w: exclude glob %q: %v", ErrCorrupt, g, err)
		}
	}
	writeLine(sum, line)

	var t *trailer
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: truncated: no trailer after %d entries", ErrCorrupt, len(m.Entries))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, len(m.Entries)+1, err)
		}
		if bytes.HasPrefix(line, []byte(`{"trailer":`)) {
			var tl trailerLine
			if err := strictUnmarshal(line, &tl); err != nil || tl.Trailer == nil {
				return nil, fmt.Errorf("%w: trailer: %v", ErrCorrupt, err)
			}
			t = tl.Trailer
			break
		}
		if len(m.Entries) >= maxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrCorrupt, maxEntries)
		}
		e, ok := parseEntryFast(line)
		if ok {
			err = e.validate()
		} else {
			var w wireEntry
			if err := strictUnmarshal(line, &w); err != nil {
				return nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, len(m.Entries)+1, err)
			}
			e, err = w.entry()
		}
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, len(m.Entries)+1, err)
		}
		if n := len(m.Entries); n > 0 && e.Path <= m.Entries[n-1].Path {
			return nil, fmt.Errorf("%w: entry %q is out of order or duplicated", ErrCorrupt, e.Path)
		}
		m.Entries = append(m.Entries, e)
		writeLine(sum, line)
	}
	if _, err := lr.next(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the trailer", ErrCorrupt)
	}
	if t.Entries != len(m.Entries) {
		return nil, fmt.Errorf("%w: trailer counts %d entries, file has %d", ErrCorrupt, t.Entries, len(m.Entries))
	}
	digest := sum.Sum(nil)
	if t.Digest != hex.EncodeToString(digest) {
		if opts.PublicKey != nil {
			return nil, fmt.Errorf("%w: content does not match its digest (altered after writing)", ErrBadSignature)
		}
		return nil, fmt.Errorf("%w: content does not match its digest", ErrCorrupt)
	}
	if opts.PublicKey != nil {
		if t.Signature == "" {
			return nil, ErrUnsigned
		}
		sig, err := base64.StdEncoding.DecodeString(t.Signature)
		if err != nil {
			return nil, fmt.Errorf("%w: signature is not base64", ErrBadSignature)
		}
		if err := ed25519.VerifyWithOptions(opts.PublicKey, digest, sig, ed25519ph); err != nil {
			return nil, fmt.Errorf("%w with the given public key", ErrBadSignature)
		}
		m.Signed = true
	}
	return m, nil
}

func writeLine(h hash.Hash, line []byte) {
	h.Write(line)
	h.Write([]byte{'\n'})
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data on the line")
	}
	return nil
}

func (e *Entry) validate() error {
	if !validRelPath(e.Path) {
		return fmt.Errorf("invalid path %q", e.Path)
	}
	switch e.Type {
	case TypeFile:
		if e.Target != "" || e.Outside {
			return fmt.Errorf("%q: a file has no link target", e.Path)
		}
	case TypeSymlink:
		if !e.SHA256.IsZero() {
			return fmt.Errorf("%q: a symlink has no content hash", e.Path)
		}
	case TypeOther:
	default:
		return fmt.Errorf("%q: unknown type %q", e.Path, e.Type)
	}
	if e.Size < 0 {
		return fmt.Errorf("%q: negative size", e.Path)
	}
	return nil
}

// lineReader returns lines without their newline, refusing any longer than
// MaxLineBytes instead of growing without bound.
type lineReader struct {
	r *bufio.Reader
}

func (l *lineReader) next() ([]byte, error) {
	line, err := l.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("line longer than %d bytes", l.r.Size())
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, io.EOF
		}
		return nil, errors.New("last line has no newline")
	}
	if err != nil {
		return nil, err
	}
	if len(line) > MaxLineBytes {
		return nil, fmt.Errorf("line longer than %d bytes", MaxLineBytes)
	}
	return line[:len(line)-1], nil
}

// validRelPath is fs.ValidPath without the UTF-8 rule: Linux names are bytes.
func validRelPath(p string) bool {
	if p == "" || strings.IndexByte(p, 0) >= 0 {
		return false
	}
	for elem := range strings.SplitSeq(p, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	return true
}
