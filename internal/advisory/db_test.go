package advisory

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const fixture = "../lab/advisories"

func loadFixture(t *testing.T) *DB {
	t.Helper()
	db, err := Load(context.Background(), fixture)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func ids(vs []Vuln) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestMatchFindsTheAdvisoriesOfAPackageAtAVersion(t *testing.T) {
	db := loadFixture(t)
	tests := []struct {
		name     string
		eco, pkg string
		version  string
		want     []string
	}{
		{"jQuery 1.12.4 has both jQuery advisories", EcosystemNPM, "jquery", "1.12.4", []string{"SKWLAB-2019-0001", "SKWLAB-2020-0001"}},
		{"jQuery 3.4.1 has only the htmlPrefilter one", EcosystemNPM, "jquery", "3.4.1", []string{"SKWLAB-2020-0001"}},
		{"jQuery 3.5.0, the fixed version, has none", EcosystemNPM, "jquery", "3.5.0", nil},
		{"jQuery 1.1.4, before the range was introduced, has only the one from 0", EcosystemNPM, "jquery", "1.1.4", []string{"SKWLAB-2019-0001"}},
		{"npm names are case-sensitive", EcosystemNPM, "jQuery", "1.12.4", nil},
		{"EC-CUBE 4.0.3 is affected", EcosystemPackagist, "ec-cube/ec-cube", "4.0.3", []string{"SKWLAB-2021-0101"}},
		{"EC-CUBE 4.0.5 is affected", EcosystemPackagist, "EC-CUBE/ec-cube", "4.0.5", []string{"SKWLAB-2021-0101"}},
		{"EC-CUBE 4.0.5-p1, the patch release, is fixed", EcosystemPackagist, "ec-cube/ec-cube", "4.0.5-p1", nil},
		{"EC-CUBE 3.0.18 is outside the range", EcosystemPackagist, "ec-cube/ec-cube", "3.0.18", nil},
		{"Magento 2.3.5-p1 is in the first range", EcosystemPackagist, "magento/community-edition", "2.3.5-p1", []string{"SKWLAB-2022-0102"}},
		{"Magento 2.3.7-p3 is fixed", EcosystemPackagist, "magento/community-edition", "2.3.7-p3", nil},
		{"Magento 2.3.8 falls between the two ranges", EcosystemPackagist, "magento/community-edition", "2.3.8", nil},
		{"Magento 2.4.3-p1 is in the second range", EcosystemPackagist, "magento/community-edition", "2.4.3-p1", []string{"SKWLAB-2022-0102"}},
		{"Magento 2.3.3 is before the first range", EcosystemPackagist, "magento/community-edition", "2.3.3", nil},
		{"WooCommerce 5.5.0 is affected", EcosystemWordPress, "woocommerce", "5.5.0", []string{"SKWLAB-2021-0201"}},
		{"WooCommerce 5.5.1 is fixed", EcosystemWordPress, "woocommerce", "5.5.1", nil},
		{"a package no advisory names has none", EcosystemNPM, "lodash", "4.17.20", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Match(tt.eco, tt.pkg, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("Match(%s, %s, %s) = %v, want %v", tt.eco, tt.pkg, tt.version, ids(got), tt.want)
			}
		})
	}
}

func TestAffectsFollowsOSVEventSemantics(t *testing.T) {
	mk := func(events ...Event) Vuln {
		return Vuln{ID: "X", Modified: time.Now(), Affected: []Affected{{
			Package: Package{Ecosystem: EcosystemNPM, Name: "p"},
			Ranges:  []Range{{Type: "SEMVER", Events: events}},
		}}}
	}
	tests := []struct {
		name    string
		v       Vuln
		version string
		want    bool
	}{
		{"last_affected includes its own version", mk(Event{Introduced: "0"}, Event{LastAffected: "1.2.0"}), "1.2.0", true},
		{"last_affected excludes what follows", mk(Event{Introduced: "0"}, Event{LastAffected: "1.2.0"}), "1.2.1", false},
		{"limit excludes its own version", mk(Event{Introduced: "0"}, Event{Limit: "2.0.0"}), "2.0.0", false},
		{"events out of order are sorted first", mk(Event{Fixed: "2.0.0"}, Event{Introduced: "1.0.0"}), "1.5.0", true},
		{"an introduced without a fix affects every later version", mk(Event{Introduced: "1.0.0"}), "99.0.0", true},
		{"a withdrawn advisory affects nothing", func() Vuln { v := mk(Event{Introduced: "0"}); v.Withdrawn = time.Now(); return v }(), "1.0.0", false},
		{"a GIT range is not evaluated", Vuln{ID: "G", Affected: []Affected{{Package: Package{Ecosystem: EcosystemNPM, Name: "p"}, Ranges: []Range{{Type: "GIT", Events: []Event{{Introduced: "0"}}}}}}}, "1.0.0", false},
		{"an explicit versions list matches exactly", Vuln{ID: "L", Affected: []Affected{{Package: Package{Ecosystem: EcosystemNPM, Name: "p"}, Versions: []string{"1.0.0"}}}}, "1.0.0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.Affects(EcosystemNPM, "p", tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Affects(%s) = %v, want %v", tt.version, got, tt.want)
			}
		})
	}
}

func TestMatchReportsVersionsItCannotOrderInsteadOfPassingThem(t *testing.T) {
	db := loadFixture(t)
	_, err := db.Match(EcosystemPackagist, "ec-cube/ec-cube", "dev-master")
	if !errors.Is(err, ErrVersion) {
		t.Errorf("Match of a branch: error = %v, want ErrVersion", err)
	}
}

// archive packs the fixture as a zip or a tar.gz.
func archive(t *testing.T, kind string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *zip.Writer
	var tw *tar.Writer
	var gz *gzip.Writer
	if kind == "zip" {
		zw = zip.NewWriter(&buf)
	} else {
		gz = gzip.NewWriter(&buf)
		tw = tar.NewWriter(gz)
	}
	err := fs.WalkDir(os.DirFS(fixture), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(fixture, p))
		if err != nil {
			return err
		}
		if zw != nil {
			w, err := zw.Create("advisories/" + p)
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: "advisories/" + p, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := gz.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestLoadReadsAFolderAZipAndATarGzAlike(t *testing.T) {
	want := loadFixture(t)
	if want.Len() != 7 {
		t.Fatalf("fixture holds %d records, want 7", want.Len())
	}
	wantNewest := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if !want.Meta.NewestModified.Equal(wantNewest) {
		t.Errorf("NewestModified = %s, want %s (SKWLAB-2022-0102's)", want.Meta.NewestModified, wantNewest)
	}
	for _, kind := range []string{"zip", "tar.gz"} {
		t.Run("a "+kind+" archive gives the same records and age", func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "osv."+kind)
			if err := os.WriteFile(p, archive(t, kind), 0o644); err != nil {
				t.Fatal(err)
			}
			db, err := Load(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if db.Len() != want.Len() || !db.Meta.NewestModified.Equal(wantNewest) || db.Meta.Source != p {
				t.Errorf("got %d records, newest %s, source %s; want %d, %s, %s", db.Len(), db.Meta.NewestModified, db.Meta.Source, want.Len(), wantNewest, p)
			}
			got, err := db.Match(EcosystemNPM, "jquery", "1.12.4")
			if err != nil || len(got) != 2 {
				t.Errorf("jquery 1.12.4 from the %s: %v, %v; want two advisories", kind, ids(got), err)
			}
		})
	}
}

func TestParseVulnDropsAffectedEntriesWithoutAPackage(t *testing.T) {
	// A repository-only entry, as osv.dev publishes for some CVEs, beside
	// a package entry.
	v, err := ParseVuln([]byte(`{"id":"X","modified":"2026-01-01T00:00:00Z","affected":[` +
		`{"ranges":[{"type":"GIT","repo":"https://git.example/x","events":[{"introduced":"0"},{"fixed":"abc"}]}]},` +
		`{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Affected) != 1 || v.Affected[0].Package.Name != "p" {
		t.Errorf("affected %+v, want only package p", v.Affected)
	}
	if ok, err := v.Affects(EcosystemNPM, "p", "0.9.0"); !ok || err != nil {
		t.Errorf("p 0.9.0: %v, %v; want affected", ok, err)
	}
}

func TestSaveKeepsTheRecordsWithWhenTheyWereFetched(t *testing.T) {
	db := loadFixture(t)
	dir := t.TempDir()
	fetched := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if err := db.Save(dir, fetched); err != nil {
		t.Fatal(err)
	}
	back, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Meta.Fetched.Equal(fetched) || back.Meta.Source != fixture || back.Len() != 7 || !back.Meta.NewestModified.Equal(db.Meta.NewestModified) {
		t.Errorf("after Save and Load: %+v, want fetched %s, source %s, 7 records", back.Meta, fetched, fixture)
	}
}

func TestLoadRefusesWhatIsNotOSV(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"a record without an id", `{"modified":"2026-01-01T00:00:00Z","affected":[]}`, ErrRecord},
		{"a record without a modified time", `{"id":"X","affected":[]}`, ErrRecord},
		{"an event with two versions", `{"id":"X","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]}`, ErrRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(context.Background(), dir); !errors.Is(err, tt.want) {
				t.Errorf("Load: %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("a folder without records", func(t *testing.T) {
		if _, err := Load(context.Background(), t.TempDir()); !errors.Is(err, ErrNoAdvisories) {
			t.Errorf("Load of an empty folder: %v, want ErrNoAdvisories", err)
		}
	})
}

// FuzzParseVuln: no input panics, and what parses can be matched.
func FuzzParseVuln(f *testing.F) {
	entries, _ := filepath.Glob(filepath.Join(fixture, "*", "*.json"))
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVuln(data)
		if err != nil {
			return
		}
		for _, a := range v.Affected {
			_, _ = v.Affects(a.Package.Ecosystem, a.Package.Name, "1.0.0")
		}
	})
}

// FuzzRead: archives and JSON from the network never panic the reader.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"format":"skimwatch-advisories/1","meta":{},"vulns":[]}`))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Read(context.Background(), "fuzz", bytes.NewReader(data))
	})
}
