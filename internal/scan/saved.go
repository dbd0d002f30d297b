package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/skimwatch/skimwatch/internal/yara"
)

// A saved scanner holds every rule set of a Scanner (bundled and user), each
// in internal/yara's saved format, and the scanner options that shaped their
// compilation. Layout: savedScanMagic, the format version (uint32), a flags
// byte, the number of sets, each set's name and yara bytes (lengths as
// uvarints), and the SHA-256 of everything before it.

const savedScanMagic = "skimwatch-scan-rules\x00"

// SavedRulesVersion is the format of files written by SaveRules; a file of
// another version (or holding rule sets of another yara.SavedRulesVersion)
// is refused and must be saved again.
const SavedRulesVersion = 1

// ErrSavedRules is wrapped by the error for a --load-rules file that cannot
// be used: of another version, damaged, or not saved rules at all.
var ErrSavedRules = errors.New("cannot use the saved rules")

const savedAutoExternals = 1

// SaveRules writes the scanner's compiled rules for Options.LoadRules.
func (s *Scanner) SaveRules(w io.Writer) error {
	var flags byte
	if s.opts.AutoExternals {
		flags |= savedAutoExternals
	}
	out := []byte(savedScanMagic)
	out = binary.LittleEndian.AppendUint32(out, SavedRulesVersion)
	out = append(out, flags)
	out = binary.AppendUvarint(out, uint64(len(s.sets)))
	for _, ns := range s.sets {
		g, ok := ns.set.(goRules)
		if !ok {
			return fmt.Errorf("save rules: the %s rules were compiled by an engine that cannot save them", ns.name)
		}
		var buf bytes.Buffer
		if err := g.r.Save(&buf); err != nil {
			return fmt.Errorf("save the %s rules: %w", ns.name, err)
		}
		out = binary.AppendUvarint(out, uint64(len(ns.name)))
		out = append(out, ns.name...)
		out = binary.AppendUvarint(out, uint64(buf.Len()))
		out = append(out, buf.Bytes()...)
	}
	sum := sha256.Sum256(out)
	if _, err := w.Write(append(out, sum[:]...)); err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	return nil
}

// maxSavedSets bounds the sets in a saved file (a scanner has two).
const maxSavedSets = 16

// loadedRules is what a saved file gives a scanner.
type loadedRules struct {
	sets          []namedSet
	autoExternals bool
}

// loadSavedRules reads a file written by SaveRules, at most
// yara.MaxSavedRulesSize bytes per set.
func loadSavedRules(rd io.Reader, lo yara.LoadOptions) (*loadedRules, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxSavedSets*yara.MaxSavedRulesSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSavedRules, err)
	}
	head := len(savedScanMagic) + 5
	if len(data) < head+sha256.Size || string(data[:len(savedScanMagic)]) != savedScanMagic {
		return nil, fmt.Errorf("%w: not a file written by skimwatch scan --save-rules", ErrSavedRules)
	}
	if v := binary.LittleEndian.Uint32(data[len(savedScanMagic):]); v != SavedRulesVersion {
		return nil, fmt.Errorf("%w: the file is format %d, this skimwatch reads format %d; save the rules again with --save-rules", ErrSavedRules, v, SavedRulesVersion)
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return nil, fmt.Errorf("%w: the file is corrupt (checksum mismatch)", ErrSavedRules)
	}
	out := &loadedRules{autoExternals: body[len(savedScanMagic)+4]&savedAutoExternals != 0}
	rest := body[head:]
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, false
		}
		b := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		return b, true
	}
	count, k := binary.Uvarint(rest)
	if k <= 0 || count == 0 || count > maxSavedSets {
		return nil, fmt.Errorf("%w: the file is corrupt (bad number of rule sets)", ErrSavedRules)
	}
	rest = rest[k:]
	for range count {
		name, ok1 := next()
		blob, ok2 := next()
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: the file is corrupt (truncated)", ErrSavedRules)
		}
		rs, err := yara.LoadRules(bytes.NewReader(blob), lo)
		if err != nil {
			return nil, fmt.Errorf("%w: the %s rules: %w", ErrSavedRules, name, err)
		}
		out.sets = append(out.sets, namedSet{string(name), goRules{rs}})
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: the file is corrupt (%d bytes after the last rule set)", ErrSavedRules, len(rest))
	}
	return out, nil
}

// useSavedRules gives the scanner the rule sets of opts.LoadRules. The
// options that shaped compilation were fixed when the rules were saved, so
// giving them again is refused rather than silently ignored.
func (s *Scanner) useSavedRules(opts Options) error {
	if len(opts.Rules) > 0 || opts.NoDefaultRules || opts.SkipUnsupportedImports {
		return errors.New("loading saved rules replaces --rules, --no-default-rules and --skip-unsupported-imports: they were fixed when the rules were saved")
	}
	f, err := os.Open(opts.LoadRules)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSavedRules, err)
	}
	defer f.Close()
	loaded, err := loadSavedRules(f, yara.LoadOptions{Logger: s.log})
	if err != nil {
		return fmt.Errorf("%s: %w", opts.LoadRules, err)
	}
	if opts.AutoExternals && !loaded.autoExternals {
		return fmt.Errorf("%s: the rules were saved without --auto-externals; save them again with it", opts.LoadRules)
	}
	if loaded.autoExternals {
		if err := checkAutoExternals(opts.Externals); err != nil {
			return err
		}
	}
	s.opts.AutoExternals = loaded.autoExternals
	for name := range opts.Externals {
		for _, ns := range loaded.sets {
			if !ns.set.(goRules).r.Declares(name) {
				return fmt.Errorf("external %q was not defined when the rules were saved; save them again with -d %s=...", name, name)
			}
		}
	}
	s.sets = loaded.sets
	return nil
}
