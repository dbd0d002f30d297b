package incident

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAccessLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       AccessRequest
		err        bool
	}{
		{name: "a common log format line gives time, method, path and status",
			line: `203.0.113.9 - - [08/Dec/2020:10:15:32 +0900] "GET /js/jquery.min.js?v=3 HTTP/1.1" 200 2326`,
			want: AccessRequest{Host: "203.0.113.9", Time: time.Date(2020, 12, 8, 1, 15, 32, 0, time.UTC), Method: "GET", Path: "/js/jquery.min.js", Status: 200}},
		{name: "a combined line also gives referer and user agent",
			line: `::1 - bob [08/Dec/2020:10:15:32 +0000] "POST /shopping/confirm HTTP/2.0" 302 - "https://shop.example/cart" "Mozilla/5.0 (X11; \"quoted\")"`,
			want: AccessRequest{Host: "::1", Time: time.Date(2020, 12, 8, 10, 15, 32, 0, time.UTC), Method: "POST", Path: "/shopping/confirm", Status: 302,
				Referer: "https://shop.example/cart", UserAgent: `Mozilla/5.0 (X11; \"quoted\")`}},
		{name: "a line without a bracketed time is refused", line: `1.2.3.4 - - "GET / HTTP/1.1" 200 1`, err: true},
		{name: "a line with a bad status is refused", line: `1.2.3.4 - - [08/Dec/2020:10:15:32 +0000] "GET / HTTP/1.1" abc 1`, err: true},
		{name: "a request without a target is refused", line: `1.2.3.4 - - [08/Dec/2020:10:15:32 +0000] "-" 408 0`, err: true},
		{name: "an unterminated user agent is refused", line: `1.2.3.4 - - [08/Dec/2020:10:15:32 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla`, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAccessLine(tc.line)
			if tc.err {
				if !errors.Is(err, ErrAccessLine) {
					t.Errorf("err = %v, want ErrAccessLine", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestReadAccessLog(t *testing.T) {
	text := `203.0.113.9 - - [08/Dec/2020:10:15:32 +0000] "GET /a HTTP/1.1" 200 1
garbage line
203.0.113.9 - - [08/Dec/2020:10:15:33 +0000] "GET /b HTTP/1.1" 404 1 "-" "ua"
`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"a plain log is read line by line, malformed lines counted", []byte(text)},
		{"a gzip-compressed log is recognised by its magic bytes and read the same", gz.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ReadAccessLog(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Requests) != 2 || l.Malformed != 1 || l.Requests[1].Line != 3 || l.Requests[1].Path != "/b" {
				t.Errorf("got %+v, want 2 requests (the second on line 3) and 1 malformed", l)
			}
		})
	}
	t.Run("a line longer than the cap is an error, not a silent truncation", func(t *testing.T) {
		_, err := ReadAccessLog(strings.NewReader(strings.Repeat("x", MaxAccessLineBytes+10)))
		if err == nil {
			t.Error("want an error")
		}
	})
}

func FuzzParseAccessLine(f *testing.F) {
	f.Add(`203.0.113.9 - - [08/Dec/2020:10:15:32 +0900] "GET /js/a.js HTTP/1.1" 200 2326`)
	f.Add(`::1 - bob [08/Dec/2020:10:15:32 +0000] "POST /x HTTP/2.0" 302 - "ref" "ua \" q"`)
	f.Add(`a [ ] "" 1 1 "`)
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseAccessLine(line)
		if err != nil {
			if !errors.Is(err, ErrAccessLine) {
				t.Fatalf("error %v does not wrap ErrAccessLine", err)
			}
			return
		}
		if r.Host == "" || r.Method == "" || r.Time.IsZero() || r.Status < 100 || r.Status > 999 {
			t.Fatalf("accepted line %q gave an incomplete request %+v", line, r)
		}
		if strings.ContainsAny(r.Path, "?") {
			t.Fatalf("path %q keeps its query", r.Path)
		}
	})
}
