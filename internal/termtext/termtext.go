// Package termtext makes untrusted text safe to print on a terminal.
//
// File names, URLs, page text and rule messages come from the attacker's
// side. Printed raw, a name holding ESC[2K, a carriage return or a newline
// can erase or overwrite the line above it, and a bidirectional override can
// make "gpj.php" read as "php.jpg". Every text renderer in skimwatch passes
// untrusted strings through Escape, so that what the reader sees is what the
// string holds.
package termtext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Escape returns s with every character that a terminal would act on, or
// that changes how the text around it is displayed, replaced by a visible
// escape: C0 controls (tab and newline too, since they break table columns
// and lines), DEL, C1 controls, the Unicode format characters (bidirectional
// overrides, isolates and marks such as U+202E, U+2066 to U+2069, U+200E,
// U+200F and U+061C, and zero-width characters), the line and paragraph
// separators, and bytes that are not UTF-8. Everything else, including
// non-Latin scripts, is kept as it is.
//
// Backslashes are kept: a literal "\x1b" in a name can only show as those
// four characters, which is what the name holds, and escaping every
// backslash would make regular expressions in rule evidence hard to read.
func Escape(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			writeRune(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte that starts a character
// Escape would change, or -1, so that clean strings cost one scan and no
// allocation.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || // C0, DEL and C1
		unicode.Is(unicode.Cf, r) || // bidi overrides, isolates and marks; zero-width characters
		r == '\u2028' || r == '\u2029'
}

func writeRune(b *strings.Builder, r rune) {
	switch r {
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	default:
		if r < 0x80 {
			fmt.Fprintf(b, `\x%02x`, r)
		} else {
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
}

// WriteJSON writes v as indented JSON that decodes to exactly v but is safe
// to embed in a page and to print: <, > and & are written as \u escapes, so
// that a dashboard embedding the output cannot be made to run a script, and
// so is every character JSON would otherwise pass through raw.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(JSON(buf.Bytes()))
	return err
}

// WriteJSONLine is WriteJSON on one line, for streams of JSON lines.
func WriteJSONLine(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(JSON(buf.Bytes()))
	return err
}

// JSON returns encoded JSON with the characters Escape would change written
// as \u escapes, so that the document still decodes to exactly the same
// values but printing it (cat, less, a CI log) cannot move the cursor or
// reorder text. encoding/json already escapes C0 controls and replaces bytes
// that are not UTF-8; this adds DEL, C1 and the format characters. Outside
// strings JSON is plain ASCII, so every such character is inside a string.
func JSON(b []byte) []byte {
	i := firstUnsafeJSON(b)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+12)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && r >= 0x20 && unsafeRune(r) {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func firstUnsafeJSON(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			if b[i] == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// CSVCell defuses a CSV cell that a spreadsheet would run as a formula: one
// beginning with = + - @, a tab or a carriage return is read as one by Excel
// and LibreOffice. Customers' names, script URLs and file names come from
// anyone, and "=HYPERLINK(...)" must stay text when the file is opened. The
// cell is prefixed with an apostrophe, which spreadsheets show as text.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
