package scan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func readSample(t *testing.T, rule, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", rule, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func findingsFor(r *finding.Report, path string) []finding.Finding {
	var out []finding.Finding
	for _, f := range r.Findings {
		if f.Path == path {
			out = append(out, f)
		}
	}
	return out
}

func hasReason(r *finding.Report, substr string) bool {
	return slices.ContainsFunc(r.Incomplete, func(s string) bool { return strings.Contains(s, substr) })
}

func TestScanPathsReportsMatchesLinksAndLimits(t *testing.T) {
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) {
			outside := t.TempDir()
			writeFile(t, filepath.Join(outside, "secret.php"), readSample(t, "php_eval_request", "positive.php"))
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "js", "checkout.js"), readSample(t, "js_card_field_harvest", "positive.js"))
			writeFile(t, filepath.Join(root, "js", "validate.js"), readSample(t, "js_card_field_harvest", "benign.js"))
			writeFile(t, filepath.Join(root, "media", "logo.png"), readSample(t, "image_embedded_code", "positive.png"))
			if err := os.Symlink(filepath.Join(outside, "secret.php"), filepath.Join(root, "shell.php")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(root, "js", "checkout.js"), filepath.Join(root, "alias.js")); err != nil {
				t.Fatal(err)
			}
			s, err := newScanner(Options{Workers: 2, Now: fixedClock}, ne.eng)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.ScanPaths(context.Background(), []string{root})
			if err != nil {
				t.Fatal(err)
			}

			t.Run("a skimmer file gives a critical scan.match with evidence", func(t *testing.T) {
				fs := findingsFor(rep, filepath.Join(root, "js", "checkout.js"))
				if len(fs) != 1 || fs[0].Rule != "js_card_field_harvest" || fs[0].Severity != finding.Critical || fs[0].Kind != KindMatch || fs[0].Source != "scan" {
					t.Fatalf("findings = %+v", fs)
				}
				if err := fs[0].Validate(); err != nil {
					t.Fatal(err)
				}
				ev := fs[0].Evidence
				if ev["description"] == nil || ev["reference"] == nil {
					t.Errorf("evidence lacks description or reference: %v", ev)
				}
				strs, _ := ev["strings"].([]EvidenceString)
				if len(strs) == 0 || strs[0].ID == "" {
					t.Errorf("evidence lacks matched strings: %v", ev["strings"])
				}
			})
			t.Run("a benign near-miss gives no finding", func(t *testing.T) {
				if fs := findingsFor(rep, filepath.Join(root, "js", "validate.js")); len(fs) != 0 {
					t.Errorf("findings = %+v", fs)
				}
			})
			t.Run("an image with code appended is found", func(t *testing.T) {
				fs := findingsFor(rep, filepath.Join(root, "media", "logo.png"))
				if len(fs) != 1 || fs[0].Rule != "image_embedded_code" {
					t.Errorf("findings = %+v", fs)
				}
			})
			t.Run("a link out of the root is reported and its target is not scanned", func(t *testing.T) {
				fs := findingsFor(rep, filepath.Join(root, "shell.php"))
				if len(fs) != 1 || fs[0].Kind != KindSymlinkOutside {
					t.Fatalf("findings = %+v", fs)
				}
				for _, f := range rep.Findings {
					if f.Rule == "php_eval_request" {
						t.Errorf("the link's target outside the root was scanned: %+v", f)
					}
				}
			})
			t.Run("a link inside the root is not scanned twice", func(t *testing.T) {
				if fs := findingsFor(rep, filepath.Join(root, "alias.js")); len(fs) != 0 {
					t.Errorf("findings = %+v", fs)
				}
			})
			t.Run("the run is complete and counts what it scanned", func(t *testing.T) {
				if !rep.Complete {
					t.Errorf("incomplete: %v", rep.Incomplete)
				}
				if n := rep.Details["files_scanned"]; n != 3 {
					t.Errorf("files_scanned = %v, want 3", n)
				}
			})
		})
	}
}

func fixedClock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestScanPathsMarksIncompleteRuns(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, root string) (Options, []string)
		reason string
	}{
		{
			name: "a file over the size limit is named and the run is incomplete",
			setup: func(t *testing.T, root string) (Options, []string) {
				writeFile(t, filepath.Join(root, "big.js"), make([]byte, 2048))
				return Options{MaxFileSize: 1024}, []string{root}
			},
			reason: "big.js was not scanned",
		},
		{
			name: "a path that does not exist makes the run incomplete",
			setup: func(t *testing.T, root string) (Options, []string) {
				return Options{}, []string{filepath.Join(root, "missing")}
			},
			reason: "missing could not be scanned",
		},
		{
			name: "a rule that runs past the per-file timeout names the file",
			setup: func(t *testing.T, root string) (Options, []string) {
				rule := filepath.Join(root, "rules", "slow.yar")
				// Quadratic in the file size, and true on zeros, so that no
				// short-circuit ends it early: far more than a second on 256 KiB.
				writeFile(t, rule, []byte("rule slow { condition: for all i in (0..filesize-1) : ( for all j in (0..filesize-1) : ( uint8(i) == uint8(j) ) ) }\n"))
				writeFile(t, filepath.Join(root, "data", "slow.bin"), make([]byte, 256<<10))
				return Options{Rules: []string{rule}, NoDefaultRules: true, Timeout: time.Second}, []string{filepath.Join(root, "data")}
			},
			reason: "slow.bin: scanning with the user rules timed out",
		},
	}
	for _, ne := range testEngines(t) {
		for _, tc := range tests {
			t.Run(ne.name+": "+tc.name, func(t *testing.T) {
				root := t.TempDir()
				opts, paths := tc.setup(t, root)
				s, err := newScanner(opts, ne.eng)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := s.ScanPaths(context.Background(), paths)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Complete || !hasReason(rep, tc.reason) {
					t.Errorf("complete=%v reasons=%q, want a reason containing %q", rep.Complete, rep.Incomplete, tc.reason)
				}
			})
		}
	}
}

// changingEngine appends to a file while the inner engine scans it, as a
// deploy or an attacker writing during the scan would.
type changingEngine struct {
	inner engine
	path  string
}

func (c changingEngine) compile(src []ruleSource, o compileOptions) (ruleSet, error) {
	rs, err := c.inner.compile(src, o)
	return changingSet{rs, c.path}, err
}

type changingSet struct {
	ruleSet
	path string
}

func (c changingSet) scanBytes(ctx context.Context, data []byte, o matchOptions) ([]Match, error) {
	f, err := os.OpenFile(c.path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		f.WriteString("\n/* appended during the scan */\n")
		f.Close()
	}
	return c.ruleSet.scanBytes(ctx, data, o)
}

func TestScanPathsNoticesAFileThatChangesDuringTheScan(t *testing.T) {
	ne := testEngines(t)[0]
	root := t.TempDir()
	p := filepath.Join(root, "app.js")
	writeFile(t, p, readSample(t, "js_obfuscated_loader", "positive.js"))
	s, err := newScanner(Options{}, changingEngine{ne.eng, p})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanPaths(context.Background(), []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || !hasReason(rep, "app.js changed while it was being scanned") {
		t.Errorf("complete=%v reasons=%q", rep.Complete, rep.Incomplete)
	}
	if len(findingsFor(rep, p)) != 1 {
		t.Errorf("the match found before the change was lost: %+v", rep.Findings)
	}
}

func TestScanFileNoticesAFileThatVanishedAfterTheWalk(t *testing.T) {
	ne := namedEngine{"yara-cli", requireYara(t)}
	root := t.TempDir()
	p := filepath.Join(root, "tmp.js")
	writeFile(t, p, []byte("var a = 1;"))
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	s, err := newScanner(Options{}, ne.eng)
	if err != nil {
		t.Fatal(err)
	}
	r := s.newRun([]string{root})
	s.scanFile(context.Background(), r, fileJob{path: p, shown: p, info: info}, new([]byte))
	if r.report.Complete || !hasReason(r.report, "tmp.js vanished") {
		t.Errorf("complete=%v reasons=%q", r.report.Complete, r.report.Incomplete)
	}
}

func TestScanBlobsNamesFindingsAfterTheBlob(t *testing.T) {
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) {
			s, err := newScanner(Options{}, ne.eng)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.ScanBlobs(context.Background(), []Blob{
				{Name: "db:cms_block#row=12", Data: readSample(t, "js_websocket_exfil", "positive.js")},
				{Name: "db:cms_block#row=13", Data: readSample(t, "js_websocket_exfil", "benign.js")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete || len(rep.Findings) != 1 || rep.Findings[0].Path != "db:cms_block#row=12" || rep.Findings[0].Rule != "js_websocket_exfil" {
				t.Errorf("report = %+v", rep)
			}
		})
	}
}

func TestNewRejectsBadRules(t *testing.T) {
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) { testNewRejectsBadRules(t, ne) })
	}
}

func testNewRejectsBadRules(t *testing.T, ne namedEngine) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yar")
	writeFile(t, bad, []byte("rule ok { condition: true }\n\nrule broken {\n  condition: undefined_thing\n}\n"))
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"a rule file that does not compile names the file and line", Options{Rules: []string{bad}}, "bad.yar:4"},
		{"no rules at all is an error", Options{NoDefaultRules: true}, "no rules to scan with"},
		{"a rule path that does not exist is an error", Options{Rules: []string{filepath.Join(dir, "nope.yar")}}, "nope.yar"},
		{"an empty rule directory is an error", Options{Rules: []string{t.TempDir()}}, "holds no .yar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newScanner(tc.opts, ne.eng)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestQuoteEvidenceMasksCardNumbers(t *testing.T) {
	pad := strings.Repeat("x", 50)
	tests := []struct{ name, in, want string }{
		{"a real-shaped card keeps its first six and last four", "n=4539148803436467&x", "n=453914******6467&x"},
		{"a card written in groups keeps its separators", "4539 1488 0343 6467", "4539 14** **** 6467"},
		{"a card cut by the 64-byte limit is masked before the cut", pad + "4539148803436467", pad + "453914******64…"},
		{"a base64 card in a loot file is masked in its encoding", "d=NDUzOTE0ODgwMzQzNjQ2Nw==", "d=NDUzOTE0KioqKioqNjQ2Nw=="},
		{"the honey test range is left for the honey matcher", "n=4111111111111111", "n=4111111111111111"},
		{"a digit run that fails Luhn stays", "id=4539148803436468", "id=4539148803436468"},
		{"short numbers stay", "zip 1000001 tel 0312345678", "zip 1000001 tel 0312345678"},
		{"text without digits is unchanged", "querySelector('#cc_number')", "querySelector('#cc_number')"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := quoteEvidence([]byte(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestQuoteEvidenceCutsAndEscapes(t *testing.T) {
	got := quoteEvidence(append([]byte("a\x00b\\"), []byte(strings.Repeat("x", 100))...))
	if !strings.HasPrefix(got, `a\x00b\\xxx`) || !strings.HasSuffix(got, "…") || strings.Count(got, "x") > 64 {
		t.Errorf("got %q", got)
	}
}

func TestEvidenceQuotesTheExactMatchedBytes(t *testing.T) {
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) {
			s, err := newScanner(Options{}, ne.eng)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.ScanBlobs(context.Background(), []Blob{{Name: "logo.jpg", Data: readSample(t, "image_exif_regex_eval", "positive.jpg")}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				t.Fatalf("findings = %+v", rep.Findings)
			}
			strs := rep.Findings[0].Evidence["strings"].([]EvidenceString)
			want := []EvidenceString{{"$jpeg", 0, `\xff\xd8\xff`}, {"$exif", 6, `Exif\x00\x00`}, {"$regex_e", 50, `/.*/e\x00`}}
			if !slices.Equal(strs, want) {
				t.Errorf("strings = %+v, want %+v", strs, want)
			}
		})
	}
}

func TestScanPathsStreamsFilesLargerThanTheInMemoryLimit(t *testing.T) {
	for _, ne := range testEngines(t) {
		t.Run(ne.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "bundle.js")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			// Sparse: 20 MiB of zeros, then a skimmer at the end.
			payload := readSample(t, "js_obfuscated_loader", "positive.js")
			if _, err := f.WriteAt(payload, inMemoryLimit+4<<20); err != nil {
				t.Fatal(err)
			}
			f.Close()
			s, err := newScanner(Options{}, ne.eng)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.ScanPaths(context.Background(), []string{root})
			if err != nil {
				t.Fatal(err)
			}
			fs := findingsFor(rep, p)
			if !rep.Complete || len(fs) != 1 || fs[0].Rule != "js_obfuscated_loader" {
				t.Fatalf("complete=%v %v findings=%+v", rep.Complete, rep.Incomplete, fs)
			}
			strs := fs[0].Evidence["strings"].([]EvidenceString)
			if strs[0].Offset < inMemoryLimit {
				t.Errorf("offset %d is not past the in-memory limit", strs[0].Offset)
			}
		})
	}
}

func TestScanPathsScansAFileOnceWhenRootsOverlap(t *testing.T) {
	ne := namedEngine{"yara-cli", requireYara(t)}
	root := t.TempDir()
	p := filepath.Join(root, "sub", "shell.php")
	writeFile(t, p, readSample(t, "php_request_command_exec", "positive.php"))
	s, err := newScanner(Options{}, ne.eng)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanPaths(context.Background(), []string{root, filepath.Join(root, "sub"), p})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Details["files_scanned"] != 1 {
		t.Errorf("findings=%d files_scanned=%v, want 1 and 1", len(rep.Findings), rep.Details["files_scanned"])
	}
}
