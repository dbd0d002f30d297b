package csp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestPlainReader(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		legacy bool // a report-uri body, else a batch
		plain  bool // the plain reader takes it (else encoding/json does)
	}{
		{"a report-uri body is read", `{"csp-report":{"document-uri":"https://s.example/","blocked-uri":"inline","line-number":3}}`, true, true},
		{"escapes are decoded", `{"csp-report":{"document-uri":"https:\/\/s.example\/\u00e9\n\"x\""}}`, true, true},
		{"unknown members of any shape are skipped", `{"x":[1,-2.5e3,{"a":null,"b":[true,false]}],"csp-report":{"other":{"k":"v"},"document-uri":"d"}}`, true, true},
		{"a key matching only case-insensitively goes to encoding/json", `{"csp-report":{"Document-URI":"d"}}`, true, false},
		{"a null field goes to encoding/json", `{"csp-report":{"document-uri":null}}`, true, false},
		{"a fractional line number goes to encoding/json", `{"csp-report":{"line-number":1.0}}`, true, false},
		{"a number as a string goes to encoding/json", `{"csp-report":{"line-number":"12"}}`, true, false},
		{"a surrogate escape goes to encoding/json", `{"csp-report":{"document-uri":"\ud83d\ude00"}}`, true, false},
		{"invalid UTF-8 goes to encoding/json", "{\"csp-report\":{\"document-uri\":\"\xff\"}}", true, false},
		{"a second report object goes to encoding/json", `{"csp-report":{"document-uri":"a"},"csp-report":{"referrer":"b"}}`, true, false},
		{"trailing data is refused", `{"csp-report":{}} x`, true, false},
		{"a leading zero is refused", `{"csp-report":{"line-number":01}}`, true, false},
		{"a batch is read", `[{"type":"csp-violation","age":5,"body":{"documentURL":"d","lineNumber":2}},{"type":"deprecation","body":{"id":"x"}}]`, false, true},
		{"a null batch entry goes to encoding/json", `[null]`, false, false},
		{"a batch over the report limit goes to encoding/json", `[{},{},{},{}]`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ok bool
			if tt.legacy {
				_, ok = readPlainLegacy([]byte(tt.body))
			} else {
				_, ok = readPlainBatch([]byte(tt.body), 3)
			}
			if ok != tt.plain {
				t.Errorf("plain reader took it: %v, want %v", ok, tt.plain)
			}
			checkPlainAgrees(t, []byte(tt.body))
		})
	}
}

// checkPlainAgrees fails when the plain reader takes a body and decodes it
// differently from encoding/json into the same types.
func checkPlainAgrees(t *testing.T, body []byte) {
	t.Helper()
	if got, ok := readPlainLegacy(body); ok {
		var want struct {
			Report *legacyFast `json:"csp-report"`
		}
		if err := json.Unmarshal(body, &want); err != nil || want.Report == nil {
			t.Fatalf("plain reader took %q, encoding/json refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(got, *want.Report) {
			t.Fatalf("%q: plain reader %+v, encoding/json %+v", body, got, *want.Report)
		}
	}
	if got, ok := readPlainBatch(body, 100); ok {
		var want []batchFast
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("plain reader took %q, encoding/json refuses it: %v", body, err)
		}
		if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: plain reader %+v, encoding/json %+v", body, got, want)
		}
	}
}

func TestPlainReaderTakesRealBrowsersReports(t *testing.T) {
	files, _ := filepath.Glob("testdata/reports/*.json")
	if len(files) == 0 {
		t.Fatal("no report bodies in testdata/reports")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, legacy := readPlainLegacy(b)
			_, batch := readPlainBatch(b, 100)
			// Old Safari writes numbers as strings: that is what the
			// lenient encoding/json path is for.
			if wantPlain := filepath.Base(f) != "safari-old-violated-only.app-json.json"; (legacy || batch) != wantPlain {
				t.Errorf("plain reader took it: %v, want %v", legacy || batch, wantPlain)
			}
			checkPlainAgrees(t, b)
		})
	}
}

func FuzzPlainReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/reports/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"csp-report":{"document-uri":"\u0041","line-number":-0}}`))
	f.Add([]byte(`[{"type":"csp-violation","body":{"sample":"\t"},"body2":[[],{}]}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkPlainAgrees(t, body)
	})
}

// BenchmarkDecode is Decode of the two shapes browsers send; compare with
// BenchmarkDecodeEncodingJSON (the path the plain reader spares) in one run.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"chromium-156-report-uri-connect.json", "chromium-156-batch.reports.json"} {
		body, err := os.ReadFile(filepath.Join("testdata/reports", name))
		if err != nil {
			b.Fatal(err)
		}
		ct := "application/csp-report"
		if filepath.Ext(name[:len(name)-5]) == ".reports" {
			ct = "application/reports+json"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Decode(ct, body, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var legacy struct {
					Report *legacyFast `json:"csp-report"`
				}
				var batch []batchFast
				if ct == "application/csp-report" {
					err = json.Unmarshal(body, &legacy)
				} else {
					err = json.Unmarshal(body, &batch)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
