package termtext

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is kept as it is", "html/js/app.js", "html/js/app.js"},
		{"Japanese text and accents are kept", "お支払い/café.php", "お支払い/café.php"},
		{"a backslash is kept", `/eval\(atob/`, `/eval\(atob/`},
		{"an erase-line sequence is shown, not run", "ok\x1b[2Kx", `ok\x1b[2Kx`},
		{"a carriage return cannot overwrite the line", "evil.php\rLOW ok.php", `evil.php\rLOW ok.php`},
		{"a newline cannot start a fake line", "a.php\nNo findings.", `a.php\nNo findings.`},
		{"a tab cannot shift a table column", "a\tb", `a\tb`},
		{"NUL and BEL are shown", "a\x00\x07", `a\x00\x07`},
		{"DEL is shown", "a\x7f", `a\x7f`},
		{"a C1 control (CSI) is shown", "a\u009b2K", `a\u009b2K`},
		{"a right-to-left override is shown", "gpj\u202e.php", `gpj\u202e.php`},
		{"every bidi embedding and override is shown", "\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`},
		{"bidi isolates are shown", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"left-to-right, right-to-left and Arabic letter marks are shown", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"a zero-width space is shown", "ok\u200b.php", `ok\u200b.php`},
		{"line and paragraph separators are shown", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"a byte that is not UTF-8 is shown as a byte", "a\xffb", `a\xffb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Fatalf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzEscape checks the promise itself: whatever goes in, nothing a
// terminal acts on comes out, and safe input is returned unchanged.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "ok.php", "\x1b[2K\r\n", "gpj\u202e.php", "\xff\xfe", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", s, got)
		}
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("Escape(%q) = %q still holds %U", s, got, r)
			}
		}
		if firstUnsafe(s) < 0 && got != s {
			t.Fatalf("safe input %q was changed to %q", s, got)
		}
		if !strings.Contains(s, "\\") && strings.Count(got, "\\") < strings.Count(s, "\x1b") {
			t.Fatalf("an escape was dropped: %q -> %q", s, got)
		}
	})
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain JSON is returned unchanged", `{"a":"b&c"}`, `{"a":"b&c"}`},
		{"a right-to-left override becomes an escape", "{\"p\":\"gpj\u202e.php\"}", `{"p":"gpj\u202e.php"}`},
		{"a C1 control becomes an escape", "[\"\u009b2K\"]", `["\u009b2K"]`},
		{"DEL becomes an escape", "[\"a\x7f\"]", `["a\u007f"]`},
		{"a format character outside the BMP becomes a surrogate pair", "[\"\U000E0001\"]", `["\udb40\udc01"]`},
		{"Japanese text is kept", `["お支払い"]`, `["お支払い"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JSON([]byte(tt.in))
			if string(got) != tt.want {
				t.Fatalf("JSON(%q) = %q, want %q", tt.in, got, tt.want)
			}
			var a, b any
			if err := json.Unmarshal([]byte(tt.in), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &b); err != nil {
				t.Fatalf("escaped JSON does not decode: %v", err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("decoded values differ: %#v vs %#v", a, b)
			}
		})
	}
}

func TestWriteJSONIsHTMLSafeAndExact(t *testing.T) {
	v := map[string]string{"m": "<script>a&b</script>\u202e"}
	var buf strings.Builder
	if err := WriteJSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"m\": \"\\u003cscript\\u003ea\\u0026b\\u003c/script\\u003e\\u202e\"\n}\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(buf.String()), &back); err != nil || back["m"] != v["m"] {
		t.Fatalf("decodes to %q (%v), want %q", back["m"], err, v["m"])
	}
}

func TestCSVCell(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a formula stays text", "=HYPERLINK(\"https://evil.example\")", "'=HYPERLINK(\"https://evil.example\")"},
		{"a plus sign starts a formula too", "+81 3 1234", "'+81 3 1234"},
		{"a minus sign starts a formula too", "-1+1", "'-1+1"},
		{"an at sign starts a function call", "@SUM(A1)", "'@SUM(A1)"},
		{"a leading tab is defused", "\t=1", "'\t=1"},
		{"a leading carriage return is defused", "\r=1", "'\r=1"},
		{"an ordinary name is unchanged", "山田 太郎", "山田 太郎"},
		{"an e-mail address is unchanged", "a@shop.example", "a@shop.example"},
		{"an empty cell is unchanged", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CSVCell(c.in); got != c.want {
				t.Errorf("CSVCell(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
