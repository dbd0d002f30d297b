package csp

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// contentTypeFor reads the Content-Type a fixture was sent with from its
// name: *.reports.json for Reporting API batches, *.app-json.json for old
// Safari's application/json, application/csp-report otherwise.
func contentTypeFor(name string) string {
	switch {
	case strings.HasSuffix(name, ".reports.json"):
		return "application/reports+json"
	case strings.HasSuffix(name, ".app-json.json"):
		return "application/json; charset=utf-8"
	}
	return "application/csp-report"
}

func TestDecodeFixturesMatchGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/reports/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	type decoded struct {
		File    string
		Skipped int
		Events  []Event
		Noise   []NoiseReason
	}
	var all []decoded
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vs, skipped, err := Decode(contentTypeFor(f), body, Limits{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		d := decoded{File: filepath.Base(f), Skipped: skipped}
		for _, v := range vs {
			e := Normalize(v, NormalizeOptions{})
			d.Events = append(d.Events, e)
			d.Noise = append(d.Noise, NoiseFilter{}.Noise(e))
		}
		all = append(all, d)
	}
	got, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testsupport.Golden(t, filepath.Join("testdata", "decode.golden.json"), append(got, '\n'))
}

func TestDecodeBrowsers(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		directive  string
		kind       Kind
		blocked    string
		blockedURL string
		docURL     string
		noise      NoiseReason
	}{
		{"chromium's report-uri body for a fetch to another origin keeps the origin and drops the query",
			"chromium-156-report-uri-connect.json", "connect-src", KindURL, "http://localhost:35509", "http://localhost:35509/exfil", "http://127.0.0.1:35509/page", ""},
		{"chromium's inline script violation reads as inline",
			"chromium-156-report-uri-inline.json", "script-src-elem", KindInline, "inline", "inline", "http://127.0.0.1:35509/page", ""},
		{"chromium's eval violation reads as eval",
			"chromium-156-report-uri-eval.json", "script-src", KindEval, "eval", "eval", "http://127.0.0.1:35509/page", ""},
		{"firefox's inline violation loses the checkout token and fragment",
			"firefox-report-uri-inline.json", "script-src-elem", KindInline, "inline", "inline", "https://shop.example/checkout/payment", ""},
		{"firefox's websocket destination keeps its non-default port",
			"firefox-report-uri-connect.json", "connect-src", KindURL, "wss://collect.evil.example:8443", "wss://collect.evil.example:8443/ws", "https://shop.example/member/register", ""},
		{"firefox's extension report is noise",
			"firefox-report-uri-extension.json", "script-src-elem", KindScheme, "moz-extension", "moz-extension", "https://shop.example/", NoiseExtension},
		{"safari's external script keeps the lookalike CDN origin",
			"safari-report-uri-script.json", "script-src-elem", KindURL, "https://cdn-jquery.example", "https://cdn-jquery.example/jquery-3.6.0.min.js", "https://shop.example/checkout", ""},
		{"old safari's violated-directive with a source list yields the directive name",
			"safari-old-violated-only.app-json.json", "connect-src", KindURL, "https://evil.example", "https://evil.example/", "https://shop.example/checkout", ""},
		{"safari's masked extension URL is noise",
			"safari-report-uri-masked-extension.json", "script-src", KindEval, "eval", "eval", "https://shop.example/checkout", NoiseExtension},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata/reports", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			vs, _, err := Decode(contentTypeFor(tt.file), body, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 1 {
				t.Fatalf("got %d violations, want 1", len(vs))
			}
			e := Normalize(vs[0], NormalizeOptions{})
			if e.Directive != tt.directive || e.BlockedKind != tt.kind || e.Blocked != tt.blocked || e.BlockedURL != tt.blockedURL || e.DocumentURL != tt.docURL {
				t.Errorf("got directive=%q kind=%q blocked=%q blockedURL=%q doc=%q\nwant directive=%q kind=%q blocked=%q blockedURL=%q doc=%q",
					e.Directive, e.BlockedKind, e.Blocked, e.BlockedURL, e.DocumentURL,
					tt.directive, tt.kind, tt.blocked, tt.blockedURL, tt.docURL)
			}
			if got := (NoiseFilter{}).Noise(e); got != tt.noise {
				t.Errorf("noise = %q, want %q", got, tt.noise)
			}
		})
	}
}

func TestDecodeReportingAPIBatch(t *testing.T) {
	body, err := os.ReadFile("testdata/reports/spec-reports-batch.reports.json")
	if err != nil {
		t.Fatal(err)
	}
	vs, skipped, err := Decode("application/reports+json", body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || skipped != 1 {
		t.Fatalf("got %d violations and %d skipped, want 3 and 1 (the deprecation report)", len(vs), skipped)
	}
	e := Normalize(vs[1], NormalizeOptions{})
	if e.BlockedKind != KindTrustedTypesSink {
		t.Errorf("kind = %q, want trusted-types-sink", e.BlockedKind)
	}
	if strings.Contains(e.Sample, "4111") {
		t.Errorf("a card-shaped number in a sample must be masked, got %q", e.Sample)
	}
	if vs[0].UserAgent == "" || vs[0].AgeMillis != 120 {
		t.Errorf("envelope fields lost: ua=%q age=%d", vs[0].UserAgent, vs[0].AgeMillis)
	}
	if got := (NoiseFilter{}).Noise(Normalize(vs[2], NormalizeOptions{})); got != NoiseAllowedScheme {
		t.Errorf("a data: image is noise by default, got %q", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		want error
	}{
		{"an HTML form post is an unsupported media type", "application/x-www-form-urlencoded", "a=b", ErrUnsupportedMediaType},
		{"a missing content type is unsupported", "", `{"csp-report":{}}`, ErrUnsupportedMediaType},
		{"garbage in a csp-report body is malformed", "application/csp-report", "\x00\xffnot json", ErrMalformed},
		{"a json object without csp-report is malformed", "application/csp-report", `{"hello":1}`, ErrMalformed},
		{"an empty csp-report object is malformed", "application/csp-report", `{"csp-report":{}}`, ErrMalformed},
		{"a batch that is an object is malformed", "application/reports+json", `{"type":"csp-violation"}`, ErrMalformed},
		{"a batch whose body is a string is malformed", "application/reports+json", `[{"type":"csp-violation","body":"x"}]`, ErrMalformed},
		{"a batch over the report limit is malformed", "application/reports+json", "[" + strings.Repeat(`{"type":"x"},`, 100) + `{"type":"x"}]`, ErrMalformed},
		{"an object where a string belongs is malformed", "application/csp-report", `{"csp-report":{"document-uri":{"a":1}}}`, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.ct, []byte(tt.body), Limits{})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeCutsLongFields(t *testing.T) {
	long := strings.Repeat("é", 3000)
	body := `{"csp-report":{"document-uri":"https://shop.example/` + long + `","effective-directive":"script-src"}}`
	vs, _, err := Decode("application/csp-report", []byte(body), Limits{MaxField: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(vs[0].DocumentURL); n > 100 || !strings.HasPrefix(vs[0].DocumentURL, "https://shop.example/") {
		t.Errorf("document URL kept %d bytes, want at most 100", n)
	}
	if !json.Valid([]byte(`"` + vs[0].DocumentURL + `"`)) {
		t.Errorf("cut split a UTF-8 sequence")
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/reports/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(contentTypeFor(file), b)
		}
	}
	f.Add("application/json", []byte(`[{"type":"csp-violation","body":{"lineNumber":"1e400"}}]`))
	f.Add("application/csp-report", []byte(`{"csp-report":{"blocked-uri":"http://[::1]:80/x","effective-directive":"x"}}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		vs, skipped, err := Decode(ct, body, Limits{MaxField: 256})
		if err != nil {
			if vs != nil || skipped != 0 {
				t.Fatalf("error with results: %v", err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedMediaType) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		for _, v := range vs {
			if len(v.DocumentURL) > 256 || len(v.BlockedURL) > 256 || len(v.Sample) > 256 {
				t.Fatalf("field over the limit: %+v", v)
			}
			e := Normalize(v, NormalizeOptions{})
			for _, s := range []string{e.DocumentURL, e.Directive, e.Blocked, e.BlockedURL, e.SourceFile, e.Sample, e.UserAgent, e.DocumentPath} {
				if strings.ContainsRune(s, 0) {
					t.Fatalf("NUL kept in %q", s)
				}
			}
			if e.Disposition == "" || e.Blocked == "" {
				t.Fatalf("normalised event without disposition or blocked: %+v", e)
			}
			if strings.ContainsAny(e.DocumentURL, "?#") && strings.Contains(e.DocumentURL, "://") {
				u := e.DocumentURL[strings.Index(e.DocumentURL, "://")+3:]
				if strings.ContainsAny(u, "?#") {
					t.Fatalf("query or fragment kept in %q", e.DocumentURL)
				}
			}
			_ = NoiseFilter{}.Noise(e)
		}
	})
}

func TestDecodeRealChromiumBatch(t *testing.T) {
	body, err := os.ReadFile("testdata/reports/chromium-156-batch.reports.json")
	if err != nil {
		t.Fatal(err)
	}
	vs, skipped, err := Decode("application/reports+json", body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 4 || skipped != 0 {
		t.Fatalf("got %d violations, %d skipped; want the 4 Chromium batched", len(vs), skipped)
	}
	want := []struct {
		directive string
		blocked   string
	}{
		{"script-src-elem", "https://localhost:39023"},
		{"connect-src", "https://localhost:39023"},
		{"script-src", "eval"},
		{"img-src", "https://localhost:39023"},
	}
	for i, w := range want {
		e := Normalize(vs[i], NormalizeOptions{})
		if e.Directive != w.directive || e.Blocked != w.blocked {
			t.Errorf("report %d: got %s %s, want %s %s", i, e.Directive, e.Blocked, w.directive, w.blocked)
		}
		if e.DocumentURL != "https://127.0.0.1:39023/page" {
			t.Errorf("report %d: document %q kept its query", i, e.DocumentURL)
		}
		if !strings.Contains(e.UserAgent, "HeadlessChrome") {
			t.Errorf("report %d: user agent %q lost", i, e.UserAgent)
		}
	}
}
