package honey

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// Encoders a skimmer might use, for building test payloads.

func b64(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }
func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
func hexLower(s string) string {
	return hex.EncodeToString([]byte(s))
}
func hexUpper(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) }
func rev(s string) string      { return string(reversed([]byte(s))) }
func xor(s string, k byte) string {
	return string(mask{key: k}.encode(nil, []byte(s)))
}

// pctAll %-encodes every byte, as some skimmers do to dodge filters.
func pctAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// jsonAll \u-escapes every character, as JSON.stringify replacers do. A
// string that is not UTF-8 stands for a JavaScript string of byte-sized
// units (as XOR makes them) and is escaped byte by byte.
func jsonAll(s string) string {
	var b strings.Builder
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, `\u%04x`, s[i])
		}
		return b.String()
	}
	for _, r := range s {
		if r > 0xffff {
			r1, r2 := (r-0x10000)>>10+0xd800, (r-0x10000)&0x3ff+0xdc00
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// latin1ToUTF8 is what sending a JavaScript string of byte-sized units as
// text does.
func latin1ToUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// charCodes is Array.from(s, c => c.charCodeAt(0)).join(",") for bytes.
func charCodes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%d", s[i])
	}
	return b.String()
}

type want struct{ class, encoding string }

func hasMatch(ms []Match, w want) bool {
	for _, m := range ms {
		if m.Class == w.class && m.Encoding == w.encoding {
			return true
		}
	}
	return false
}

func TestFindEncodings(t *testing.T) {
	id := testIdentity(t, 7)
	m := NewMatcher(id.Values())
	card, email, holder := id.CardNumber, id.Email, id.Holder
	cardJSON := `{"number":"` + card + `","name":"` + holder + `"}`
	cases := []struct {
		name    string
		payload string
		want    []want
	}{
		{"a card number in a query string is found raw", "https://evil.example/c.gif?d=" + card + "&t=1", []want{{observation.FieldCardNumber, "raw"}}},
		{"a card typed with spaces is found raw", `{"cc":"` + group(card, []int{4, 4, 4, 4}, " ") + `"}`, []want{{observation.FieldCardNumber, "raw"}}},
		{"a card typed with dashes is found raw", "cc=" + group(card, []int{4, 4, 4, 4}, "-"), []want{{observation.FieldCardNumber, "raw"}}},
		{"a holder form-encoded with + for space is found url-encoded", "h=" + url.QueryEscape(holder), []want{{observation.FieldHolder, "url"}}},
		{"an email with every byte %-encoded is found url-encoded", "e=" + pctAll(email), []want{{observation.FieldEmail, "url"}}},
		{"an email with only @ encoded is found url-encoded", "e=" + url.QueryEscape(email), []want{{observation.FieldEmail, "url"}}},
		{"a JSON body in standard base64 is found", "data=" + b64(cardJSON), []want{{observation.FieldCardNumber, "base64"}, {observation.FieldHolder, "base64"}}},
		{"base64url without padding is found", "p/" + b64url(cardJSON), []want{{observation.FieldCardNumber, "base64"}}},
		{"lower-case hex is found", "x=" + hexLower(card), []want{{observation.FieldCardNumber, "hex"}}},
		{"upper-case hex is found", "x=" + hexUpper(email), []want{{observation.FieldEmail, "hex"}}},
		{"hex glued to other hex digits is found", "x=abc" + hexLower(email) + "def", []want{{observation.FieldEmail, "hex"}}},
		{"a \\u-escaped email is found JSON-escaped", `{"e":"` + jsonAll(email) + `"}`, []want{{observation.FieldEmail, "json"}}},
		{"a \\u-escaped Japanese address is found JSON-escaped", `{"a":"` + jsonAll(id.Address) + `"}`, []want{{observation.FieldAddress, "json"}}},
		{"a raw UTF-8 Japanese address is found raw", "a=" + id.Address, []want{{observation.FieldAddress, "raw"}}},
		{"a %-encoded Japanese address is found url-encoded", "a=" + url.QueryEscape(id.Address), []want{{observation.FieldAddress, "url"}}},
		{"a reversed card number is found reversed", "r=" + rev(card), []want{{observation.FieldCardNumber, "reversed"}}},
		{"a card XORed with 0x5a is found", xor(cardJSON, 0x5a), []want{{observation.FieldCardNumber, "xor(0x5a)"}}},
		{"XOR then base64 is found", "d=" + b64(xor(cardJSON, 0x13)), []want{{observation.FieldCardNumber, "base64>xor(0x13)"}}},
		{"reversed, XORed, then base64 is found", "d=" + b64(xor(rev(cardJSON), 0x5a)), []want{{observation.FieldCardNumber, "base64>xor(0x5a)>reversed"}}},
		{"reversed then base64 is found", "d=" + b64(rev(card)), []want{{observation.FieldCardNumber, "base64>reversed"}}},
		{"base64 then reversed is found", "d=" + rev(b64(cardJSON)), []want{{observation.FieldCardNumber, "reversed>base64"}}},
		{"URL-encoded base64 is found", "d=" + pctAll(b64(cardJSON)), []want{{observation.FieldCardNumber, "url>base64"}}},
		{"a card XORed with a high key and sent as UTF-8 text is found", latin1ToUTF8(xor(cardJSON, 0xa5)), []want{{observation.FieldCardNumber, "utf8>xor(0xa5)"}}},
		{"a card XORed with a high key and \\u-escaped is found", jsonAll(xor(card, 0xa5)), []want{{observation.FieldCardNumber, "json>xor(0xa5)"}}},
		{"a card as a list of character codes is found", "d=[" + charCodes(card) + "]", []want{{observation.FieldCardNumber, "charcodes"}}},
		{"XORed character codes are found", `{"d":[` + charCodes(xor(cardJSON, 0x77)) + `]}`, []want{{observation.FieldCardNumber, "charcodes>xor(0x77)"}}},
		{"character codes inside base64 are found", b64(charCodes(email)), []want{{observation.FieldEmail, "base64>charcodes"}}},
		{"XOR then hex is found", "h=" + hexLower(xor(card, 0xa7)), []want{{observation.FieldCardNumber, "hex>xor(0xa7)"}}},
		{"escaped JSON inside base64 is found", b64(`{"e":"` + jsonAll(email) + `"}`), []want{{observation.FieldEmail, "base64>json"}}},
		{"base64 inside base64 is found", "d=" + b64(b64(cardJSON)), []want{{observation.FieldCardNumber, "base64>base64"}}},
		{"a phone typed with dashes as a Tokyo number is found", "tel=03-" + id.Phone[2:6] + "-" + id.Phone[6:], []want{{observation.FieldPhone, "raw"}}},
		{"a phone typed with spaces is found", "tel=03 " + id.Phone[2:6] + " " + id.Phone[6:], []want{{observation.FieldPhone, "raw"}}},
		{"a phone in international form is found", "tel=%2B81" + id.Phone[1:], []want{{observation.FieldPhone, "url"}}},
		{"a phone in international form with dashes is found", "tel=+81-3-" + id.Phone[2:6] + "-" + id.Phone[6:], []want{{observation.FieldPhone, "raw"}}},
		{"the password is found", `{"pw":"` + id.Password + `"}`, []want{{observation.FieldPassword, "raw"}}},
		{"a family name typed alone is found as a name", "sei=" + id.FamilyName, []want{{observation.FieldName, "raw"}}},
		{"a card concatenated with CVV and expiry is found with both", "d=" + card + id.CVV + strings.ReplaceAll(id.Expiry(), "/", ""), []want{{observation.FieldCardNumber, "raw"}, {observation.FieldCVV, "raw"}, {observation.FieldExpiry, "raw"}}},
		{"a CVV near the card is found", "cc=" + card + "&cvv2=" + id.CVV + "&exp=" + id.Expiry(), []want{{observation.FieldCVV, "raw"}, {observation.FieldExpiry, "raw"}}},
		{"a CVV in a named field is found alone", `{"securityCode":"` + id.CVV + `"}`, []want{{observation.FieldCVV, "raw"}}},
		{"an expiry in a named field is found alone", "card[exp]=" + id.ExpiryMonth + "%2F" + id.ExpiryYear[2:], []want{{observation.FieldExpiry, "url"}}},
		{"an expiry year from a separate field is found in a named field", "exp_month=" + id.ExpiryMonth + "&exp_year=" + id.ExpiryYear, []want{{observation.FieldExpiry, "raw"}}},
		{"an expiry year from a separate field is found near the card", `{"pan":"` + card + `","m":"` + id.ExpiryMonth + `","y":"` + id.ExpiryYear + `"}`, []want{{observation.FieldExpiry, "raw"}}},
		{"a postcode in a named field is found alone", "zip=" + id.Postcode, []want{{observation.FieldPostcode, "raw"}}},
		{"a CVV XORed along with the card is found with the same key", xor(cardJSON+`,"c":"`+id.CVV+`"`, 0x21), []want{{observation.FieldCVV, "xor(0x21)"}}},
		{"a CVV reversed along with the card is found reversed", rev("n=" + card + "|" + id.CVV), []want{{observation.FieldCVV, "reversed"}}},
		{"a CVV base64-encoded with the card is found", b64(card + ";" + id.CVV + ";" + id.Expiry()), []want{{observation.FieldCVV, "base64"}, {observation.FieldExpiry, "base64"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := m.Find([]byte(c.payload))
			for _, w := range c.want {
				if !hasMatch(got, w) {
					t.Errorf("want %s as %q in %q, got %+v", w.class, w.encoding, c.payload, got)
				}
			}
		})
	}
}

// Base64 at every alignment: whatever precedes the encoding in the same run
// of base64 characters, and wherever the value sits in the plain text.
func TestFindBase64AtEveryAlignment(t *testing.T) {
	id := testIdentity(t, 8)
	m := NewMatcher(id.Values())
	for lead := 0; lead < 4; lead++ {
		for pad := 0; pad < 3; pad++ {
			for _, enc := range []func(string) string{b64, b64url} {
				plain := strings.Repeat("z", pad) + id.Email + "!"
				payload := "q=" + strings.Repeat("A", lead) + enc(plain) + "&"
				t.Run(fmt.Sprintf("email after %d stray chars and %d plain bytes is found", lead, pad), func(t *testing.T) {
					if !hasMatch(m.Find([]byte(payload)), want{observation.FieldEmail, "base64"}) {
						t.Errorf("not found in %q", payload)
					}
				})
			}
		}
	}
}

func TestFindEveryXORKey(t *testing.T) {
	id := testIdentity(t, 9)
	m := NewMatcher(id.Values())
	for k := 1; k < 256; k++ {
		enc := fmt.Sprintf("xor(0x%02x)", k)
		payload := "junk" + xor(`{"p":"`+id.Password+`"}`, byte(k)) + "junk"
		if !hasMatch(m.Find([]byte(payload)), want{observation.FieldPassword, enc}) {
			t.Errorf("password XORed with %#x not found", k)
		}
		b := "d=" + b64(xor(id.CardNumber, byte(k)))
		if !hasMatch(m.Find([]byte(b)), want{observation.FieldCardNumber, "base64>" + enc}) {
			t.Errorf("card XORed with %#x then base64 not found", k)
		}
	}
}

func shift(s string, k byte) string { return string(mask{key: k, add: true}.encode(nil, []byte(s))) }

func TestFindEveryAddedKey(t *testing.T) {
	id := testIdentity(t, 19)
	m := NewMatcher(id.Values())
	for k := 1; k < 256; k++ {
		enc := fmt.Sprintf("add(0x%02x)", k)
		payload := "junk" + shift(`{"e":"`+id.Email+`"}`, byte(k)) + "junk"
		if !hasMatch(m.Find([]byte(payload)), want{observation.FieldEmail, enc}) {
			t.Errorf("email shifted by %#x not found", k)
		}
	}
	t.Run("a shifted card and CVV sent as base64 are both found", func(t *testing.T) {
		got := m.Find([]byte(b64(shift(id.CardNumber+"|"+id.CVV, 3))))
		for _, w := range []want{{observation.FieldCardNumber, "base64>add(0x03)"}, {observation.FieldCVV, "base64>add(0x03)"}} {
			if !hasMatch(got, w) {
				t.Errorf("want %+v, got %+v", w, got)
			}
		}
	})
}

func TestSubKeyIsTheBytewiseDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for n := 0; n < 10000; n++ {
		var b [8]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		var want uint64
		for i := 0; i < 7; i++ {
			want |= uint64(b[i+1]-b[i]) << (8 * i)
		}
		if got := subKey(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("subKey(% x) = %x, want %x", b, got, want)
		}
	}
}

func TestFindReportsOffsets(t *testing.T) {
	id := testIdentity(t, 10)
	m := NewMatcher(id.Values())
	cases := []struct {
		name    string
		payload string
		enc     string
		offset  int
	}{
		{"a raw value is at its byte offset", "abc=" + id.Email, "raw", 4},
		{"a url-encoded value starts at its first escape", "abcde=" + pctAll(id.Email), "url", 6},
		{"a base64 value starts at the run's group", "abc=" + b64(id.Email), "base64", 4},
		{"a hex value is at its first digit", "abc=" + hexLower(id.Email), "hex", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var found bool
			for _, mt := range m.Find([]byte(c.payload)) {
				if mt.Class == observation.FieldEmail && mt.Encoding == c.enc {
					found = true
					if mt.Offset != c.offset {
						t.Errorf("offset %d, want %d", mt.Offset, c.offset)
					}
					if mt.Value != id.Email {
						t.Errorf("value %q", mt.Value)
					}
				}
			}
			if !found {
				t.Errorf("no %s match", c.enc)
			}
		})
	}
}

func TestFindReportsEachEncodingOnce(t *testing.T) {
	id := testIdentity(t, 11)
	m := NewMatcher(id.Values())
	payload := "a=" + id.CardNumber + "&b=" + id.CardNumber + "&c=%20" + id.CardNumber
	got := m.Find([]byte(payload))
	if len(got) != 1 || got[0].Encoding != "raw" || got[0].Offset != 2 {
		t.Errorf("got %+v, want one raw card match at 2", got)
	}
}

func TestFindDoesNotReportAnEncodingTwiceThroughAnUntouchedLayer(t *testing.T) {
	id := testIdentity(t, 18)
	m := NewMatcher(id.Values())
	cases := []struct {
		name, payload, want string
	}{
		{"base64 beside URL escapes is only base64", "a=%20%21&d=" + b64(id.CardNumber) + "&e=%22", "base64"},
		{"hex beside JSON escapes is only hex", `{"a":"\n\t","d":"` + hexLower(id.Email) + `"}`, "hex"},
		{"base64 with escapes inside is url>base64", "d=" + pctAll(b64(id.CardNumber)), "url>base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := m.Find([]byte(c.payload))
			if len(got) != 1 || got[0].Encoding != c.want {
				t.Errorf("got %+v, want one %s match", got, c.want)
			}
		})
	}
}

func TestFindReportsAFragmentOnlyWhenAlone(t *testing.T) {
	id := testIdentity(t, 17)
	m := NewMatcher(id.Values())
	payload := "n=" + strings.ReplaceAll(id.Name(), " ", "+") + "%20&x=%41"
	got := m.Find([]byte(payload))
	if len(got) != 1 || got[0].Value != id.Name() || got[0].Encoding != "url" {
		t.Errorf("got %+v, want only the full name, url-encoded", got)
	}
}

func TestFindNegatives(t *testing.T) {
	id := testIdentity(t, 12)
	m := NewMatcher(id.Values())
	other := testIdentity(t, 13)
	nearCard := []byte(id.CardNumber)
	nearCard[10] = '0' + (nearCard[10]-'0'+1)%10
	cases := []struct {
		name    string
		payload string
	}{
		{"another honey identity does not match", strings.Join(valueTexts(other), "&")},
		{"a card one digit off does not match", "cc=" + string(nearCard)},
		{"the universal test card does not match", "cc=4111111111111111&cvv=123"},
		{"a truncated card does not match", "cc=" + id.CardNumber[:15]},
		{"an email at another domain does not match", "e=" + strings.Replace(id.Email, "honey-", "honez-", 1)},
		{"a lone CVV among digits does not match", "amount=" + id.CVV + "&qty=1"},
		{"a CVV inside a longer number does not match even in a named field", "cvv=9" + id.CVV + "9"},
		{"a lone expiry does not match", "date=" + id.Expiry()},
		{"a lone expiry year does not match", "year=" + id.ExpiryYear},
		{"a lone postcode does not match", "p=" + id.Postcode},
		{"an empty payload does not match", ""},
		{"a check id alone does not match", "id=" + id.CheckID},
		{"a list of numbers that are not the card does not match", "d=[" + charCodes(string(nearCard)) + "]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := m.Find([]byte(c.payload)); len(got) != 0 {
				t.Errorf("got %+v in %q", got, c.payload)
			}
		})
	}
}

func TestFindShortValuesNeedTheirOwnContext(t *testing.T) {
	id := testIdentity(t, 12)
	id.CVV = "582" // not a palindrome, so reversal shows
	m := NewMatcher(id.Values())
	inCard := id
	inCard.CVV = id.CardNumber[8:11]
	mIn := NewMatcher(inCard.Values())
	inExp := id
	inExp.CVV = id.ExpiryMonth[1:] + id.ExpiryYear[2:]
	mExp := NewMatcher(inExp.Values())
	cases := []struct {
		name    string
		m       *Matcher
		payload string
	}{
		{"a CVV far from the card is not reported", m, "cc=" + id.CardNumber + strings.Repeat("&x=y", 40) + "&n=" + id.CVV},
		{"a CVV near the card but not XORed like it is not reported", m, xor("cc="+id.CardNumber, 0x33) + "&n=" + id.CVV},
		{"a CVV near the card but not reversed like it is not reported", m, rev("cc="+id.CardNumber) + "&n=" + id.CVV},
		{"a CVV that is part of the card's digits is not reported", mIn, "cc=" + id.CardNumber + "&cvv="},
		{"a CVV that is part of the expiry is not reported", mExp, "cc=" + id.CardNumber + "&exp=" + strings.ReplaceAll(id.Expiry(), "/", "")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.m.Find([]byte(c.payload))
			if len(got) == 0 || got[0].Class != observation.FieldCardNumber {
				t.Fatalf("card not found: %+v", got)
			}
			for _, mt := range got {
				if mt.Class == observation.FieldCVV {
					t.Errorf("CVV reported: %+v", mt)
				}
			}
		})
	}
}

func valueTexts(id Identity) []string {
	var s []string
	for _, v := range id.Values() {
		s = append(s, v.Text)
	}
	return s
}

func TestFindRandomMegabyteIsClean(t *testing.T) {
	id := testIdentity(t, 14)
	m := NewMatcher(id.Values())
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string]func() byte{
		"random bytes":          func() byte { return byte(r.Uint32()) },
		"random digits":         func() byte { return '0' + byte(r.IntN(10)) },
		"random base64 letters": func() byte { return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[r.IntN(64)] },
		"random hex digits":     func() byte { return "0123456789abcdef"[r.IntN(16)] },
	}
	for name, next := range cases {
		t.Run("a megabyte of "+name+" does not match", func(t *testing.T) {
			p := make([]byte, 1<<20)
			for i := range p {
				p[i] = next()
			}
			res := m.Scan(p)
			if len(res.Matches) != 0 {
				t.Errorf("matches %+v", res.Matches)
			}
			if len(res.Incomplete) != 0 {
				t.Errorf("incomplete: %v", res.Incomplete)
			}
		})
	}
}

func TestScanSaysWhenLimitsCutItShort(t *testing.T) {
	id := testIdentity(t, 15)
	t.Run("a payload over MaxPayload is searched in part and flagged", func(t *testing.T) {
		m := NewMatcherWith(id.Values(), MatcherOptions{MaxPayload: 64})
		res := m.Scan([]byte(strings.Repeat("x", 100) + id.CardNumber))
		if len(res.Incomplete) == 0 || len(res.Matches) != 0 {
			t.Errorf("got %+v", res)
		}
	})
	t.Run("a spent decoding budget is flagged", func(t *testing.T) {
		m := NewMatcherWith(id.Values(), MatcherOptions{MaxDecoded: 100})
		res := m.Scan([]byte(b64(strings.Repeat("y", 400) + id.CardNumber)))
		if len(res.Incomplete) == 0 {
			t.Errorf("got %+v", res)
		}
	})
	t.Run("nesting beyond MaxDepth is not decoded", func(t *testing.T) {
		m := NewMatcherWith(id.Values(), MatcherOptions{MaxDepth: 1})
		if got := m.Find([]byte(b64(b64(id.CardNumber)))); len(got) != 0 {
			t.Errorf("got %+v", got)
		}
		if got := m.Find([]byte(b64(id.CardNumber))); len(got) != 1 {
			t.Errorf("got %+v", got)
		}
	})
}

func TestNewMatcherIgnoresTinyValues(t *testing.T) {
	m := NewMatcher([]Value{{Class: observation.FieldCVV, Text: "12"}, {Class: "other", Text: ""}})
	if got := m.Find([]byte("cvv=12")); len(got) != 0 {
		t.Errorf("got %+v", got)
	}
}

func TestMatchValuesAreValidUTF8(t *testing.T) {
	id := testIdentity(t, 16)
	m := NewMatcher(id.Values())
	for _, mt := range m.Find([]byte(url.QueryEscape(id.Address))) {
		if !utf8.ValidString(mt.Value) {
			t.Errorf("value %q", mt.Value)
		}
	}
}

func TestMatcherIsSafeForConcurrentUse(t *testing.T) {
	id := testIdentity(t, 20)
	m := NewMatcher(id.Values())
	payload := []byte("d=" + b64(xor(id.CardNumber+"|"+id.CVV, 9)) + "&e=" + pctAll(id.Email))
	want := fmt.Sprint(m.Find(payload))
	done := make(chan string)
	for range 8 {
		go func() { done <- fmt.Sprint(m.Find(payload)) }()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Find = %s, want %s", got, want)
		}
	}
}

func TestFindPhoneFormats(t *testing.T) {
	var seed [32]byte
	mobile, err := NewIdentity(Options{PhonePrefix: "070", Rand: rand.NewChaCha8(seed)})
	if err != nil {
		t.Fatal(err)
	}
	osaka, err := NewIdentity(Options{PhonePrefix: "06-6", Rand: rand.NewChaCha8(seed)})
	if err != nil {
		t.Fatal(err)
	}
	hokkaido, err := NewIdentity(Options{PhonePrefix: "01234", Rand: rand.NewChaCha8(seed)})
	if err != nil {
		t.Fatal(err)
	}
	m, o, h := mobile.Phone, osaka.Phone, hokkaido.Phone
	cases := []struct {
		name    string
		id      Identity
		payload string
	}{
		{"a user's mobile prefix is found with dashes", mobile, "tel=" + m[:3] + "-" + m[3:7] + "-" + m[7:]},
		{"a user's mobile prefix is found in international form", mobile, "tel=+81 " + m[1:3] + " " + m[3:7] + " " + m[7:]},
		{"a 2-digit area code is found with dashes", osaka, "tel=" + o[:2] + "-" + o[2:6] + "-" + o[6:]},
		{"a 4-digit area code is found with dashes", hokkaido, "tel=" + h[:4] + "-" + h[4:6] + "-" + h[6:]},
		{"a 4-digit area code is found in international form", hokkaido, "tel=+81-" + h[1:4] + "-" + h[4:6] + "-" + h[6:]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NewMatcher(c.id.Values()).Find([]byte(c.payload))
			if !hasMatch(got, want{observation.FieldPhone, "raw"}) {
				t.Errorf("phone %s not found in %q: %+v", c.id.Phone, c.payload, got)
			}
		})
	}
}
