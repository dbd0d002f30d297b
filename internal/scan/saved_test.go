package scan

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

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/yara"
)

// saveScanner saves a scanner's rules to a file in t's temporary directory.
func saveScanner(t testing.TB, s *Scanner) string {
	t.Helper()
	var buf bytes.Buffer
	if err := s.SaveRules(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "rules.skr")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func scanReport(t *testing.T, opts Options, paths ...string) *finding.Report {
	t.Helper()
	opts.Now = fixedClock
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanPaths(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestLoadedRulesFindTheSame scans the samples with freshly compiled rules
// and with the same rules saved and loaded: the reports must be identical.
func TestLoadedRulesFindTheSame(t *testing.T) {
	samples := filepath.Join("testdata", "samples")
	extra := filepath.Join(t.TempDir(), "extra.yar")
	writeFile(t, extra, []byte(`rule php_by_name { strings: $a = "<?php" condition: $a and extension == ".php" }`))
	tests := []struct {
		name string
		opts Options
	}{
		{"the bundled rules", Options{}},
		{"the bundled rules and a user rule with automatic externals", Options{Rules: []string{extra}, AutoExternals: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" find the same after saving and loading", func(t *testing.T) {
			s, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			file := saveScanner(t, s)
			want := scanReport(t, tc.opts, samples)
			got := scanReport(t, Options{LoadRules: file}, samples)
			if len(want.Findings) < 10 {
				t.Fatalf("only %d findings on the samples: the comparison would prove little", len(want.Findings))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("loaded rules reported\n%+v\ncompiled rules reported\n%+v", got, want)
			}
		})
	}
}

func TestLoadRulesRefuses(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(saveScanner(t, s))
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, b []byte) string {
		p := filepath.Join(t.TempDir(), "rules.skr")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := bytes.Clone(good)
	binary.LittleEndian.PutUint32(stale[len(savedScanMagic):], SavedRulesVersion+1)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name string
		opts func(t *testing.T) Options
		msg  string
	}{
		{"a file from another version says to save again", func(t *testing.T) Options {
			return Options{LoadRules: write(t, stale)}
		}, "save the rules again with --save-rules"},
		{"a damaged file is called corrupt", func(t *testing.T) Options {
			return Options{LoadRules: write(t, flipped)}
		}, "corrupt (checksum mismatch)"},
		{"a rule file is not saved rules", func(t *testing.T) Options {
			return Options{LoadRules: write(t, []byte("rule a { condition: true }"))}
		}, "not a file written by skimwatch scan --save-rules"},
		{"extra rules cannot be added to loaded ones", func(t *testing.T) Options {
			return Options{LoadRules: write(t, good), Rules: []string{"x.yar"}}
		}, "they were fixed when the rules were saved"},
		{"automatic externals need rules saved with them", func(t *testing.T) Options {
			return Options{LoadRules: write(t, good), AutoExternals: true}
		}, "saved without --auto-externals"},
		{"an external unknown to the saved rules is refused", func(t *testing.T) Options {
			return Options{LoadRules: write(t, good), Externals: map[string]any{"env": "prod"}}
		}, `external "env" was not defined when the rules were saved`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts(t))
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.msg)
			}
		})
	}
}

// FuzzLoadSavedRules: hostile saved scanner files never panic; the checksum
// is recomputed so that the fuzzer gets past it.
func FuzzLoadSavedRules(f *testing.F) {
	s, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.SaveRules(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(savedScanMagic))
	f.Fuzz(func(t *testing.T, file []byte) {
		if len(file) > 32 {
			sum := sha256Of(file[:len(file)-32])
			copy(file[len(file)-32:], sum[:])
		}
		_, err := loadSavedRules(bytes.NewReader(file), yaraLoadOptions())
		if err != nil && !errors.Is(err, ErrSavedRules) {
			t.Fatalf("error %v does not wrap ErrSavedRules", err)
		}
	})
}

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }

func yaraLoadOptions() yara.LoadOptions { return yara.LoadOptions{} }
