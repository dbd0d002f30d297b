package yara

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestScanMappedReportsAFileTruncatedUnderTheMapping maps a file at the size
// it had when opened and truncates it before the scan touches the pages,
// which is what an attacker who can write the web root does during a scan.
// Before the fault was recovered, the SIGBUS killed the test binary.
func TestScanMappedReportsAFileTruncatedUnderTheMapping(t *testing.T) {
	const size = 20 << 20
	cases := []struct {
		name, rule string
		truncateTo int64
	}{
		{"a string search over a file truncated to nothing fails with ErrFileChanged",
			`rule r { strings: $a = "zzzz" condition: $a }`, 0},
		{"a string search over a file truncated to half fails with ErrFileChanged",
			`rule r { strings: $a = "zzzz" condition: $a }`, size / 2},
		{"a condition reading the last byte of a truncated file fails with ErrFileChanged",
			`rule r { condition: uint8(filesize - 1) == 0x41 }`, 4096},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustCompile(t, tc.rule, CompileOptions{})
			p := filepath.Join(t.TempDir(), "big.js")
			if err := os.WriteFile(p, bytes.Repeat([]byte("A"), size), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := os.Truncate(p, tc.truncateTo); err != nil {
				t.Fatal(err)
			}
			ms, err := rs.scanMapped(context.Background(), f, size, ScanOptions{})
			if !errors.Is(err, ErrFileChanged) {
				t.Fatalf("got matches %v and error %v, want ErrFileChanged", ruleNames(ms), err)
			}
			// The rules stay usable: the aborted scan's cache was not pooled.
			ms, err = rs.ScanBytes(context.Background(), []byte("zzzz A"), ScanOptions{})
			if err != nil {
				t.Fatalf("scan after the fault: %v", err)
			}
			if len(ms) != 1 {
				t.Errorf("scan after the fault matched %v, want [r]", ruleNames(ms))
			}
		})
	}
}

// TestScanOpenFileScansTheFileItIsGiven checks that the open-file entry
// point (used by callers that open through an os.Root) sees the whole file.
func TestScanOpenFileScansTheFileItIsGiven(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = "skim" condition: $a and filesize == 9 }`, CompileOptions{})
	p := filepath.Join(t.TempDir(), "f.js")
	if err := os.WriteFile(p, []byte("a skim b "), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := rs.ScanOpenFile(context.Background(), f, ScanOptions{})
	if err != nil || len(ms) != 1 || ms[0].Rule != "r" {
		t.Fatalf("got %v %v, want [r]", ruleNames(ms), err)
	}
}
