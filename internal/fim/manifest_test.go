package fim

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func roundTrip(t testing.TB, m *Manifest, key ed25519.PrivateKey, pub ed25519.PublicKey) *Manifest {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteManifest(&buf, m, key); err != nil {
		t.Fatalf("WriteManifest: %v", err)
	}
	got, err := ReadManifest(&buf, ReadOptions{PublicKey: pub})
	if err != nil {
		t.Fatalf("ReadManifest: %v", err)
	}
	return got
}

func sampleManifest() *Manifest {
	var d Digest
	copy(d[:], bytes.Repeat([]byte{0xab}, 32))
	m := &Manifest{
		Header: Header{Root: "/var/www/shop", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Excludes: []string{"var/cache/**", "*.log"}, RacyAfter: 42},
		Entries: []Entry{
			{Path: ".htaccess", Type: TypeFile, Size: 16, Mode: 0o644, UID: 33, GID: 33, Mtime: 1, Ctime: 2, Inode: 3, SHA256: d},
			{Path: "html/\"quoted\" \\ <name>.php", Type: TypeFile, Size: 1, Mode: 0o755, Mtime: -5, Ctime: 7, Inode: 1 << 60, SHA256: d},
			{Path: "html/caf\u00e9.js", Type: TypeFile, SHA256: d},
			{Path: "html/link", Type: TypeSymlink, Mode: 0o777 | 1<<27, Target: "/etc/p\xffasswd", Outside: true},
			{Path: "html/pipe", Type: TypeOther, Mode: 0o644 | 1<<25},
			{Path: "html/\xff\xfe.php", Type: TypeFile, SHA256: d},
			{Path: "html/tab\tnl\n.txt", Type: TypeFile, SHA256: d},
		},
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return m
}

func TestManifestRoundTripsExactly(t *testing.T) {
	tests := []struct {
		name   string
		signed bool
	}{
		{"an unsigned manifest reads back the same", false},
		{"a signed manifest reads back the same and verifies", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleManifest()
			var key ed25519.PrivateKey
			var pub ed25519.PublicKey
			if tc.signed {
				pub, key, _ = ed25519.GenerateKey(rand.Reader)
			}
			got := roundTrip(t, m, key, pub)
			if got.Signed != tc.signed {
				t.Errorf("Signed = %v", got.Signed)
			}
			want := *m
			want.Header.Format, want.Header.Version, want.Signed = manifestFormat, manifestVersion, tc.signed
			if !reflect.DeepEqual(got.Header, want.Header) {
				t.Errorf("header:\n got %+v\nwant %+v", got.Header, want.Header)
			}
			if !reflect.DeepEqual(got.Entries, want.Entries) {
				t.Errorf("entries:\n got %+v\nwant %+v", got.Entries, want.Entries)
			}
		})
	}
}

// gunzip/regzip let tests edit the uncompressed lines, as an attacker who
// knows the format would.
func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func regzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestSignedManifestRefusesTampering(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	var signed, unsigned bytes.Buffer
	if err := WriteManifest(&signed, sampleManifest(), key); err != nil {
		t.Fatal(err)
	}
	if err := WriteManifest(&unsigned, sampleManifest(), nil); err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("ab", 32)

	tests := []struct {
		name    string
		file    func() []byte
		pub     ed25519.PublicKey
		wantErr error
	}{
		{
			name:    "a flipped byte in the compressed file is refused",
			file:    func() []byte { b := bytes.Clone(signed.Bytes()); b[len(b)/2] ^= 0x01; return b },
			pub:     pub,
			wantErr: ErrCorrupt, // gzip's CRC or the JSON catches it before the signature
		},
		{
			name: "a hash swapped in the uncompressed lines is refused",
			file: func() []byte {
				raw := gunzip(t, signed.Bytes())
				return regzip(t, bytes.Replace(raw, []byte(hash), []byte(strings.Repeat("cd", 32)), 1))
			},
			pub:     pub,
			wantErr: ErrBadSignature,
		},
		{
			name: "a re-signed manifest with its digest recomputed is refused",
			file: func() []byte {
				// The attacker rewrites content and signs with their own key.
				m := sampleManifest()
				m.Entries = m.Entries[1:]
				var b bytes.Buffer
				WriteManifest(&b, m, otherKey)
				return b.Bytes()
			},
			pub:     pub,
			wantErr: ErrBadSignature,
		},
		{
			name: "a removed entry line is refused",
			file: func() []byte {
				raw := gunzip(t, signed.Bytes())
				lines := bytes.SplitAfter(raw, []byte("\n"))
				return regzip(t, bytes.Join(append(lines[:1:1], lines[2:]...), nil))
			},
			pub:     pub,
			wantErr: ErrCorrupt, // the trailer's count no longer matches
		},
		{
			name:    "an unsigned manifest is refused when a public key is given",
			file:    func() []byte { return unsigned.Bytes() },
			pub:     pub,
			wantErr: ErrUnsigned,
		},
		{
			name:    "a manifest signed with another key is refused",
			file:    func() []byte { return signed.Bytes() },
			pub:     otherPub,
			wantErr: ErrBadSignature,
		},
		{
			name: "a truncated manifest is refused",
			file: func() []byte {
				raw := gunzip(t, signed.Bytes())
				return regzip(t, raw[:len(raw)/2])
			},
			pub:     nil,
			wantErr: ErrCorrupt,
		},
		{
			name: "an edited unsigned manifest is caught by its digest",
			file: func() []byte {
				raw := gunzip(t, unsigned.Bytes())
				return regzip(t, bytes.Replace(raw, []byte(hash), []byte(strings.Repeat("cd", 32)), 1))
			},
			pub:     nil,
			wantErr: ErrCorrupt,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadManifest(bytes.NewReader(tc.file()), ReadOptions{PublicKey: tc.pub})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if _, err := ReadManifest(bytes.NewReader(signed.Bytes()), ReadOptions{PublicKey: pub}); err != nil {
		t.Errorf("untouched signed manifest: %v", err)
	}
}

func TestReadManifestRejectsBadEntries(t *testing.T) {
	header := `{"format":"skimwatch-fim","version":1,"root":"/r","created":"2026-01-01T00:00:00Z","excludes":[],"racy_after":0}` + "\n"
	tests := []struct {
		name  string
		lines string
	}{
		{"an entry escaping the root is refused", `{"p":"../etc/passwd","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n"},
		{"an absolute entry path is refused", `{"p":"/etc/passwd","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n"},
		{"an unknown field is refused", `{"p":"a","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0,"zz":1}` + "\n"},
		{"an unknown type is refused", `{"p":"a","t":"q","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n"},
		{"entries out of order are refused", `{"p":"b","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n" + `{"p":"a","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n"},
		{"a short hash is refused", `{"p":"a","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0,"h":"abcd"}` + "\n"},
		{"a UTF-8 name in the byte field is refused", `{"pb":"YWJj","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n"},
		{"a line longer than the limit is refused", `{"p":"` + strings.Repeat("a", 300<<10) + `","t":"f"}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := regzip(t, []byte(header+tc.lines+`{"trailer":{"entries":0,"digest":""}}`+"\n"))
			if _, err := ReadManifest(bytes.NewReader(file), ReadOptions{}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestReadManifestEnforcesMaxEntries(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteManifest(&buf, sampleManifest(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifest(&buf, ReadOptions{MaxEntries: 3}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "more than 3") {
		t.Errorf("err = %v", err)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "fim")
	privPath, pubPath, err := GenerateKeyFiles(prefix)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(privPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", fi.Mode().Perm())
	}
	priv, err := LoadPrivateKey(privPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, sampleManifest(), priv, pub)
	if _, _, err := GenerateKeyFiles(prefix); err == nil {
		t.Errorf("second keygen overwrote the keys")
	}
	if _, err := LoadPublicKey(privPath); err == nil {
		t.Errorf("a private key loaded as public")
	}
}

// FuzzReadManifest: any input either fails cleanly or yields a manifest that
// writes back to something that reads as the same manifest.
func FuzzReadManifest(f *testing.F) {
	var b bytes.Buffer
	WriteManifest(&b, sampleManifest(), nil)
	f.Add(b.Bytes())
	f.Add(gunzip(f, b.Bytes()))
	f.Add(regzip(f, []byte("{}\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Accept either gzip input or raw lines, so the fuzzer reaches the
		// JSON parser without having to learn gzip.
		inputs := [][]byte{data}
		if len(data) < 1<<16 {
			inputs = append(inputs, regzip(t, data))
		}
		for _, in := range inputs {
			m, err := ReadManifest(bytes.NewReader(in), ReadOptions{MaxEntries: 1000})
			if err != nil {
				continue
			}
			var out bytes.Buffer
			if err := WriteManifest(&out, m, nil); err != nil {
				t.Fatalf("accepted manifest does not write: %v", err)
			}
			m2, err := ReadManifest(&out, ReadOptions{})
			if err != nil {
				t.Fatalf("rewritten manifest does not read: %v", err)
			}
			if !reflect.DeepEqual(m.Entries, m2.Entries) {
				t.Fatalf("entries changed on rewrite")
			}
		}
	})
}

// TestFuzzSeedCorpus writes the checked-in seed corpus of FuzzReadManifest
// with -update, and otherwise checks that it is there.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReadManifest")
	_, key, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	var signed, unsigned bytes.Buffer
	WriteManifest(&signed, sampleManifest(), key)
	WriteManifest(&unsigned, sampleManifest(), nil)
	seeds := map[string][]byte{
		"signed":        signed.Bytes(),
		"unsigned":      unsigned.Bytes(),
		"unsigned-raw":  gunzip(t, unsigned.Bytes()),
		"header-only":   []byte(`{"format":"skimwatch-fim","version":1,"root":"/r","created":"2026-01-01T00:00:00Z","excludes":[],"racy_after":0}` + "\n" + `{"trailer":{"entries":0,"digest":""}}` + "\n"),
		"bad-path-byte": []byte(`{"format":"skimwatch-fim","version":1,"root":"/r","created":"2026-01-01T00:00:00Z","excludes":["**"],"racy_after":0}` + "\n" + `{"pb":"/w==","t":"f","s":0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}` + "\n"),
	}
	if testsupport.Updating() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range seeds {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("seed corpus: %v (go test -run FuzzSeedCorpus -update)", err)
		}
	}
}

// FuzzParseEntryFast checks the fast entry parser against encoding/json:
// whatever the fast path accepts, the strict decoder must accept too, with
// the same result.
func FuzzParseEntryFast(f *testing.F) {
	for _, e := range sampleManifest().Entries {
		f.Add(bytes.TrimSuffix(appendEntry(nil, &e), []byte("\n")))
	}
	f.Add([]byte(`{"p":"a","t":"f","s":-0,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}`))
	f.Add([]byte(`{"p":"a","t":"f","s":01,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}`))
	f.Add([]byte(`{"p":"a","t":"f","s":1e3,"m":0,"u":0,"g":0,"mt":0,"ct":0,"i":0}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := parseEntryFast(line)
		if !ok {
			return
		}
		var w wireEntry
		if err := strictUnmarshal(line, &w); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses: %v", line, err)
		}
		slow, err := w.entry()
		if err == nil && fast.validate() != nil || err != nil && fast.validate() == nil {
			t.Fatalf("validation differs for %q: %v", line, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast %+v\nslow %+v", fast, slow)
		}
	})
}

func TestFastEntryParserMatchesTheWriter(t *testing.T) {
	for _, e := range append(sampleManifest().Entries, syntheticManifest(50).Entries...) {
		line := bytes.TrimSuffix(appendEntry(nil, &e), []byte("\n"))
		got, ok := parseEntryFast(line)
		simple := !bytes.ContainsAny(line, "\\") && !bytes.Contains(line, []byte(`"pb"`)) && !bytes.Contains(line, []byte(`"lb"`)) && utf8.Valid(line)
		if ok != simple {
			t.Errorf("fast path ok=%v for %q", ok, line)
		}
		if ok && !reflect.DeepEqual(got, e) {
			t.Errorf("fast path read %+v, wrote %+v", got, e)
		}
	}
}

// TestWriteManifestInBlocksRoundTrips: entries are compressed in blocks,
// each its own gzip member, in parallel; the file must read back exactly,
// signature included, and be that many members (blocks plus the trailer).
func TestWriteManifestInBlocksRoundTrips(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	for _, n := range []int{0, 1, manifestBlock, 3*manifestBlock + 5} {
		t.Run(fmt.Sprintf("%d entries read back exactly from %d gzip members", n, max(1, (n+manifestBlock-1)/manifestBlock)+1), func(t *testing.T) {
			m := sampleManifest()
			m.Entries = nil
			var d Digest
			for i := range n {
				d[0], d[1] = byte(i), byte(i>>8)
				m.Entries = append(m.Entries, Entry{Path: fmt.Sprintf("f/%08d.php", i), Type: TypeFile, Size: int64(i), Mode: 0o644, Inode: uint64(i), SHA256: d})
			}
			var buf bytes.Buffer
			if err := WriteManifest(&buf, m, key); err != nil {
				t.Fatal(err)
			}
			// A bytes.Reader is an io.ByteReader, so gzip reads no further
			// than each member's end.
			r := bytes.NewReader(buf.Bytes())
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			members := 0
			for {
				zr.Multistream(false)
				if _, err := io.Copy(io.Discard, zr); err != nil {
					t.Fatal(err)
				}
				members++
				if err := zr.Reset(r); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if want := max(1, (n+manifestBlock-1)/manifestBlock) + 1; members != want {
				t.Errorf("%d gzip members, want %d", members, want)
			}
			got, err := ReadManifest(&buf, ReadOptions{PublicKey: pub})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Entries) != n || (n > 0 && !reflect.DeepEqual(got.Entries, m.Entries)) {
				t.Errorf("read back %d entries, want the %d written", len(got.Entries), n)
			}
		})
	}
}
