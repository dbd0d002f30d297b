package advisory

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
)

// Bounds on what a source may hold: an advisory archive is data from the
// network, and OSV's whole npm and Packagist exports fit well within them.
const (
	maxRecordBytes = 4 << 20
	maxTotalBytes  = 512 << 20
	maxRecords     = 500_000
)

// ErrNoAdvisories is wrapped when a source holds no OSV record at all.
var ErrNoAdvisories = errors.New("no OSV advisories")

// DB is a set of advisories, indexed by ecosystem and package name.
type DB struct {
	// Meta says where the data came from and how old it is.
	Meta  Meta
	byPkg map[string][]int
	vulns []Vuln
}

// Meta is the provenance and age of a DB, printed on every audit report so
// that an offline shop knows how stale its answer is.
type Meta struct {
	// Source is the URL, archive or folder the records were read from.
	Source string `json:"source"`
	// Fetched is when `advisories update` copied them; zero when the
	// records were read straight from a folder or archive.
	Fetched time.Time `json:"fetched,omitzero"`
	// NewestModified is the latest "modified" among the records: the data
	// is at least this old.
	NewestModified time.Time `json:"newest_modified"`
	Records        int       `json:"records"`
}

func key(eco, name string) string {
	if eco != EcosystemNPM {
		name = strings.ToLower(name)
	}
	return eco + "\x00" + name
}

func newDB(source string, vulns []Vuln) (*DB, error) {
	if len(vulns) == 0 {
		return nil, fmt.Errorf("%s: %w", source, ErrNoAdvisories)
	}
	// The same id in two files (an archive holding two exports) keeps the
	// newer record.
	slices.SortStableFunc(vulns, func(a, b Vuln) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return b.Modified.Compare(a.Modified)
	})
	vulns = slices.CompactFunc(vulns, func(a, b Vuln) bool { return a.ID == b.ID })
	db := &DB{Meta: Meta{Source: source, Records: len(vulns)}, byPkg: map[string][]int{}, vulns: vulns}
	for i, v := range vulns {
		if v.Modified.After(db.Meta.NewestModified) {
			db.Meta.NewestModified = v.Modified
		}
		seen := map[string]bool{}
		for _, a := range v.Affected {
			k := key(a.Package.Ecosystem, a.Package.Name)
			if !seen[k] {
				seen[k] = true
				db.byPkg[k] = append(db.byPkg[k], i)
			}
		}
	}
	return db, nil
}

// Len is the number of records.
func (db *DB) Len() int { return len(db.vulns) }

// Match returns the advisories that affect name at version in ecosystem,
// ordered by id. Records whose ranges cannot be ordered against version are
// returned in the error, joined, so that a caller reports them instead of
// passing the package as safe.
func (db *DB) Match(ecosystem, name, version string) ([]Vuln, error) {
	var out []Vuln
	var errs []error
	for _, i := range db.byPkg[key(ecosystem, name)] {
		ok, err := db.vulns[i].Affects(ecosystem, name, version)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			out = append(out, db.vulns[i])
		}
	}
	return out, errors.Join(errs...)
}

// Load reads advisories from a folder of OSV JSON files (walked
// recursively), a .zip or .tar.gz/.tgz archive of them, a single OSV JSON
// file, or a data file written by Save.
func Load(ctx context.Context, src string) (*DB, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", src, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(src, dataFile)); err == nil {
			return Open(src)
		}
		return loadFS(ctx, src, os.DirFS(src))
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", src, err)
	}
	defer f.Close()
	return Read(ctx, src, f)
}

// Read reads advisories from r, a zip, a gzipped tar or JSON (one record,
// or a data file written by Save), told apart by their first bytes, not by
// name: a URL rarely ends in the right suffix.
func Read(ctx context.Context, source string, r io.Reader) (*DB, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTotalBytes+1))
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", source, err)
	}
	if len(data) > maxTotalBytes {
		return nil, fmt.Errorf("advisories %s: more than %d bytes", source, maxTotalBytes)
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("advisories %s: %w", source, err)
		}
		return loadFS(ctx, source, zr)
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return readTarGz(ctx, source, data)
	}
	var probe struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(data, &probe) == nil && probe.Format != "" {
		return decodeData(source, data)
	}
	v, err := ParseVuln(data)
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", source, err)
	}
	return newDB(source, []Vuln{v})
}

// isRecordName: OSV exports hold one record per .json file; anything else
// in an archive (a README, a checksum list) is skipped.
func isRecordName(name string) bool {
	base := path.Base(name)
	return strings.HasSuffix(strings.ToLower(base), ".json") && !strings.HasPrefix(base, ".")
}

// LoadFS reads advisories from a folder of OSV JSON files in fsys (walked
// recursively, as Load walks a folder); source names it in errors and in
// the DB's Meta.
func LoadFS(ctx context.Context, source string, fsys fs.FS) (*DB, error) {
	return loadFS(ctx, source, fsys)
}

func loadFS(ctx context.Context, source string, fsys fs.FS) (*DB, error) {
	var vulns []Vuln
	total := 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || !isRecordName(p) {
			return nil
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		v, n, err := readRecord(p, f)
		if err != nil {
			return err
		}
		total += n
		if total > maxTotalBytes || len(vulns) >= maxRecords {
			return fmt.Errorf("more than %d bytes or %d records", maxTotalBytes, maxRecords)
		}
		vulns = append(vulns, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", source, err)
	}
	return newDB(source, vulns)
}

func readRecord(name string, r io.Reader) (Vuln, int, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRecordBytes+1))
	if err != nil {
		return Vuln{}, 0, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxRecordBytes {
		return Vuln{}, 0, fmt.Errorf("%s: a record of more than %d bytes", name, maxRecordBytes)
	}
	v, err := ParseVuln(data)
	if err != nil {
		return Vuln{}, 0, fmt.Errorf("%s: %w", name, err)
	}
	return v, len(data), nil
}

func readTarGz(ctx context.Context, source string, data []byte) (*DB, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", source, err)
	}
	defer zr.Close()
	tr := tar.NewReader(io.LimitReader(zr, maxTotalBytes))
	var vulns []Vuln
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("advisories %s: %w", source, err)
		}
		if h.Typeflag != tar.TypeReg || !isRecordName(h.Name) {
			continue
		}
		if len(vulns) >= maxRecords {
			return nil, fmt.Errorf("advisories %s: more than %d records", source, maxRecords)
		}
		v, _, err := readRecord(h.Name, tr)
		if err != nil {
			return nil, fmt.Errorf("advisories %s: %w", source, err)
		}
		vulns = append(vulns, v)
	}
	return newDB(source, vulns)
}

// dataFile is the one file `advisories update` keeps in the data folder:
// the records and their provenance together, replaced atomically, so that
// a reader never sees new records with old provenance.
const dataFile = "advisories.json"

type dataDoc struct {
	Format string `json:"format"`
	Meta   Meta   `json:"meta"`
	Vulns  []Vuln `json:"vulns"`
}

const dataFormat = "skimwatch-advisories/1"

// Save writes db to dir/advisories.json, stamped with fetched.
func (db *DB) Save(dir string, fetched time.Time) error {
	// 0700 like the store's data directory, which this usually sits in
	// and may be the first to create.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("advisories: %w", err)
	}
	meta := db.Meta
	meta.Fetched = fetched.UTC()
	err := atomicfile.Write(filepath.Join(dir, dataFile), 0o644, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(dataDoc{Format: dataFormat, Meta: meta, Vulns: db.vulns})
	})
	if err != nil {
		return fmt.Errorf("advisories: saving to %s: %w", dir, err)
	}
	db.Meta = meta
	return nil
}

// Open reads the data folder dir written by Save.
func Open(dir string) (*DB, error) {
	p := filepath.Join(dir, dataFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("advisories: %w", err)
	}
	return decodeData(p, data)
}

func decodeData(source string, data []byte) (*DB, error) {
	var doc dataDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("advisories %s: %w", source, err)
	}
	if doc.Format != dataFormat {
		return nil, fmt.Errorf("advisories %s: format %q, want %q", source, doc.Format, dataFormat)
	}
	db, err := newDB(doc.Meta.Source, doc.Vulns)
	if err != nil {
		return nil, err
	}
	db.Meta.Fetched = doc.Meta.Fetched
	return db, nil
}
