package yara

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// savedSample is a rule set with every kind of string, an include, an
// external, a module and a rule skipped for an unsupported module.
const savedSample = `
import "math"
import "dotnet"
include "inc.yar"
rule text_forms { strings: $a = "skimmer" nocase wide ascii $b = "atob(" fullword $c = "gate" xor(1-3) $d = "https://" base64 condition: any of them }
rule hex_and_regex { strings: $h = { 3C 73 [0-4] 72 ( 69 | 6F ) ?? 74 } $r = /fetch\(['"]https?:\/\/[a-z.]{4,20}/ condition: $h or $r }
rule same_as_above { strings: $r = /fetch\(['"]https?:\/\/[a-z.]{4,20}/ condition: $r and env == "prod" }
rule no_atom { strings: $n = /[a-z]{3}[0-9]/ condition: #n > 2 }
rule entropy_high { condition: math.entropy(0, filesize) > 4.0 and included }
rule uses_dotnet { condition: dotnet.number_of_streams > 2 }
`

const savedSampleData = `<script src="x"></script> fetch('https://evil.example/a') atob(x) S\x00k\x00i\x00m\x00m\x00e\x00r\x00 ` +
	`ab1 cd2 ef3 aHR0cHM6Ly9 included-marker`

func compileSample(t testing.TB) *Rules {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inc.yar"), []byte(`rule included { strings: $m = "included-marker" condition: $m }`), 0o644); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "main.yar")
	if err := os.WriteFile(main, []byte(savedSample), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := CompileFiles([]string{main}, CompileOptions{Externals: map[string]any{"env": "prod"}, SkipUnsupportedImports: true})
	if err != nil {
		t.Fatal(err)
	}
	// Saved rules carry their includes: loading must not need the disk.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return rs
}

func saveToBytes(t testing.TB, rs *Rules) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSavedRulesMatchLikeCompiled loads saved rules, with their include
// gone from disk, and checks that they find what the compiled rules find,
// warn and skip alike, and have the same atoms and shared strings.
func TestSavedRulesMatchLikeCompiled(t *testing.T) {
	tests := []struct {
		name  string
		rules func(t testing.TB) *Rules
		data  []byte
	}{
		{"a sample with every kind of string, an include and a skipped rule", compileSample, []byte(savedSampleData)},
		{"a generated collection of 400 rules in 40 files", func(t testing.TB) *Rules {
			rs, err := CompileFiles(writeCollection(t, t.TempDir(), collectionShape{Files: 40, RulesPerFile: 10, Seed: 3}), CompileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := tc.rules(t)
			data := tc.data
			if data == nil {
				data = collectionTarget(rs)
			}
			loaded, err := LoadRules(bytes.NewReader(saveToBytes(t, rs)), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := rs.ScanBytes(context.Background(), data, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := loaded.ScanBytes(context.Background(), data, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 2 {
				t.Fatalf("only %d rules match the sample data: the test would prove little", len(want))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("loaded rules matched\n%+v\ncompiled rules matched\n%+v", got, want)
			}
			if !reflect.DeepEqual(loaded.Warnings(), rs.Warnings()) || !reflect.DeepEqual(loaded.Skipped(), rs.Skipped()) {
				t.Errorf("warnings or skipped rules differ: %v %v, want %v %v", loaded.Warnings(), loaded.Skipped(), rs.Warnings(), rs.Skipped())
			}
			for pi := range rs.patterns {
				a, b := &rs.patterns[pi], &loaded.patterns[pi]
				if !reflect.DeepEqual(a.groups, b.groups) || !reflect.DeepEqual(a.same, b.same) || a.hasAtom != b.hasAtom || (a.reverse == nil) != (b.reverse == nil) {
					t.Fatalf("pattern %d differs after loading", pi)
				}
			}
			if !reflect.DeepEqual(rs.ac.next, loaded.ac.next) {
				t.Error("the loaded automaton differs from the compiled one")
			}
		})
	}
}

// collectionTarget quotes every third rule's first text string.
func collectionTarget(rs *Rules) []byte {
	var b bytes.Buffer
	b.WriteString("<?php\n")
	for i := 0; i < len(rs.rules); i += 3 {
		if s := rs.rules[i].decl.strings; len(s) > 0 && s[0].kind == skText {
			b.Write(s[0].text)
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

func TestLoadRulesRefuses(t *testing.T) {
	good := saveToBytes(t, compileSample(t))
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name    string
		file    []byte
		wantErr error
		msg     string
	}{
		{"a file of another format version is refused as stale", edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[len(savedMagic):], SavedRulesVersion+1)
			return b
		}), ErrSavedRulesVersion, "save the rules again"},
		{"a flipped byte in the payload is refused as corrupt", edit(func(b []byte) []byte {
			b[len(b)/2] ^= 0x20
			return b
		}), ErrSavedRulesCorrupt, "checksum mismatch"},
		{"a truncated file is refused as corrupt", good[:len(good)-10], ErrSavedRulesCorrupt, "truncated"},
		{"a rule file is not saved rules", []byte(savedSample), ErrSavedRulesCorrupt, "not a skimwatch saved rules file"},
		{"an empty file is not saved rules", nil, ErrSavedRulesCorrupt, "not a skimwatch saved rules file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadRules(bytes.NewReader(tc.file), LoadOptions{})
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v with %q", err, tc.wantErr, tc.msg)
			}
		})
	}
}

// FuzzLoadRules feeds LoadRules damaged and hostile files; the checksum is
// recomputed so that the fuzzer reaches the decoder and the parser. Rules
// that load must scan without panicking.
func FuzzLoadRules(f *testing.F) {
	f.Add(saveToBytes(f, compileSample(f)))
	rs, err := Compile([]byte(`rule a { strings: $a = "abc" $b = { 61 ?? 63 } condition: any of them }`), "a.yar", CompileOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(saveToBytes(f, rs))
	f.Fuzz(func(t *testing.T, file []byte) {
		head := len(savedMagic) + 12
		if len(file) >= head+32 {
			// Keep the header honest half of the time so the payload is reached.
			if file[0]&1 == 0 {
				copy(file, savedMagic)
				binary.LittleEndian.PutUint32(file[len(savedMagic):], SavedRulesVersion)
				binary.LittleEndian.PutUint64(file[len(savedMagic)+4:], uint64(len(file)-head-32))
			}
			sum := sha256Sum(file[:len(file)-32])
			copy(file[len(file)-32:], sum[:])
		}
		loaded, err := LoadRules(bytes.NewReader(file), LoadOptions{})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = loaded.ScanBytes(ctx, []byte(savedSampleData), ScanOptions{})
	})
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
