// Package form says what an input field is for, from what the page says
// about it: autocomplete tokens, type, name, id, placeholder, label, ARIA
// label and title, in English and Japanese. The browser check uses the class
// to decide what honey value to type and whether a form takes card data.
package form

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// Attrs is what the page says about one input.
type Attrs struct {
	Tag, Type, Name, ID, Autocomplete, Placeholder, Label, AriaLabel, Title, InputMode string
	MaxLength                                                                          int
	Class                                                                              string // CSS class attribute
}

// Classify returns one of the observation.Field* classes
// (observation.FieldOther when nothing fits).
//
// The order of evidence: autocomplete tokens (the page's own statement),
// then input types that cannot hold a value (hidden, submit, search ...),
// then words that mark a field as something else (coupon, gift, search,
// message ...), then card words (checked before type, since card numbers and
// CVVs often sit in type=tel or type=password inputs), then type email,
// password and tel, then the other words. The CSS class is read last, only
// when nothing else spoke.
func Classify(a Attrs) string {
	if c, ok := fromAutocomplete(a.Autocomplete); ok {
		return c
	}
	tag := strings.ToLower(strings.TrimSpace(a.Tag))
	typ := strings.ToLower(strings.TrimSpace(a.Type))
	switch tag {
	case "button", "fieldset", "output", "object":
		return observation.FieldOther
	}
	if noValueTypes[typ] {
		return observation.FieldOther
	}
	// One-letter search parameters, as names only: "s" and "q" are also
	// words of labels ("card's number").
	for _, n := range []string{a.Name, a.ID} {
		if n = strings.ToLower(n); n == "q" || n == "s" {
			return observation.FieldOther
		}
	}
	w := newWords(a.Name, a.ID, a.Placeholder, a.Label, a.AriaLabel, a.Title)
	if w.isOther() {
		return observation.FieldOther
	}
	if c := w.cardClass(); c != "" {
		return c
	}
	switch typ {
	case "email":
		return observation.FieldEmail
	case "password":
		return observation.FieldPassword
	}
	if c := w.personalClass(); c != "" {
		return c
	}
	if typ == "tel" {
		return observation.FieldPhone
	}
	if strings.Contains(a.Placeholder, "@") && strings.Contains(a.Placeholder, ".") {
		return observation.FieldEmail
	}
	if a.Class != "" {
		cw := newWords(a.Class)
		if !cw.isOther() {
			if c := cw.cardClass(); c != "" {
				return c
			}
			if c := cw.personalClass(); c != "" {
				return c
			}
		}
	}
	return observation.FieldOther
}

// Expiry parts.
const (
	PartMonth = "month"
	PartYear  = "year"
)

// ExpiryPart says, for a field Classify calls FieldExpiry, whether it takes
// only the month (PartMonth) or only the year (PartYear); "" when it takes
// the whole date or is no expiry field.
func ExpiryPart(a Attrs) string {
	if Classify(a) != observation.FieldExpiry {
		return ""
	}
	for _, t := range strings.Fields(strings.ToLower(a.Autocomplete)) {
		switch t {
		case "cc-exp-month":
			return PartMonth
		case "cc-exp-year":
			return PartYear
		case "cc-exp":
			return ""
		}
	}
	w := newWords(a.Name, a.ID, a.Placeholder, a.Label, a.AriaLabel, a.Title)
	month := w.any("month", "mm", "expmonth", "expmm") || w.text("月")
	year := w.any("year", "yy", "yyyy", "expyear", "expyy") || w.text("年")
	switch {
	case month && !year:
		return PartMonth
	case year && !month:
		return PartYear
	}
	return ""
}

// noValueTypes are input types that hold nothing a customer types.
var noValueTypes = map[string]bool{
	"hidden": true, "submit": true, "button": true, "reset": true, "image": true,
	"checkbox": true, "radio": true, "file": true, "range": true, "color": true,
	"search": true, "date": true, "datetime-local": true, "time": true, "week": true,
}

// fromAutocomplete reads the autocomplete attribute's field name, ignoring
// section-*, shipping/billing and home/work/mobile hints and webauthn.
func fromAutocomplete(ac string) (string, bool) {
	for _, t := range strings.Fields(strings.ToLower(ac)) {
		switch t {
		case "cc-number":
			return observation.FieldCardNumber, true
		case "cc-exp", "cc-exp-month", "cc-exp-year":
			return observation.FieldExpiry, true
		case "cc-csc":
			return observation.FieldCVV, true
		case "cc-name", "cc-given-name", "cc-family-name", "cc-additional-name":
			return observation.FieldHolder, true
		case "email":
			return observation.FieldEmail, true
		case "new-password", "current-password":
			return observation.FieldPassword, true
		case "name", "given-name", "family-name", "additional-name":
			return observation.FieldName, true
		case "street-address", "address-line1", "address-line2", "address-line3",
			"address-level1", "address-level2", "address-level3", "address-level4":
			return observation.FieldAddress, true
		case "postal-code":
			return observation.FieldPostcode, true
		case "username", "one-time-code", "organization", "organization-title", "country",
			"country-name", "cc-type", "transaction-currency", "transaction-amount",
			"bday", "bday-day", "bday-month", "bday-year", "sex", "url", "photo",
			"honorific-prefix", "honorific-suffix", "nickname", "language", "impp":
			return observation.FieldOther, true
		}
		if strings.HasPrefix(t, "tel") {
			return observation.FieldPhone, true
		}
	}
	return "", false
}

// words is what a field's attributes say, as English tokens (split at
// punctuation, case changes and digits, plus each pair of neighbours joined,
// so "card_no", "cardNo" and "cardno" all give "cardno") and as folded text
// for Japanese phrases.
type words struct {
	tokens map[string]bool
	all    string
}

func newWords(srcs ...string) words {
	w := words{tokens: map[string]bool{}}
	var all strings.Builder
	for _, s := range srcs {
		s = fold(s)
		all.WriteString(strings.ToLower(s))
		all.WriteByte(0)
		toks := split(s)
		for i, t := range toks {
			w.tokens[t] = true
			if i > 0 {
				w.tokens[toks[i-1]+t] = true
			}
		}
	}
	w.all = all.String()
	return w
}

// fold turns full-width ASCII and half-width katakana (both common in
// Japanese pages: "ＣＶＶ", "ｶｰﾄﾞ番号") into ASCII and full-width katakana.
func fold(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 0xff01 && r <= 0xff5e:
			out = append(out, r-0xff01+'!')
		case r == 0x3000:
			out = append(out, ' ')
		case r >= 0xff61 && r <= 0xff9d:
			out = append(out, halfKana[r-0xff61])
		case r == 0xff9e || r == 0xff9f:
			// Voiced marks combine with the kana before them.
			if n := len(out); n > 0 {
				if v, ok := voiced(out[n-1], r == 0xff9f); ok {
					out[n-1] = v
				}
			}
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

// halfKana is U+FF61..U+FF9D in full width.
var halfKana = []rune("。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン")

// voiced returns kana with a dakuten (or, with semi, a handakuten) added.
func voiced(k rune, semi bool) (rune, bool) {
	switch {
	case semi && k >= 'ハ' && k <= 'ホ' && (k-'ハ')%3 == 0:
		return k + 2, true
	case !semi && k >= 'カ' && k <= 'ト' && (k-'カ')%2 == 0 && k != 'ッ':
		return k + 1, true
	case !semi && k >= 'ツ' && k <= 'ト' && (k-'ツ')%2 == 0:
		return k + 1, true
	case !semi && k >= 'ハ' && k <= 'ホ' && (k-'ハ')%3 == 0:
		return k + 1, true
	case !semi && k == 'ウ':
		return 'ヴ', true
	}
	return 0, false
}

// split cuts s into lower-case ASCII words: at anything but letters and
// digits, between a lower-case letter and an upper-case one, before the last
// capital of a run followed by lower case ("CCNumber" -> cc, number), and
// between letters and digits.
func split(s string) []string {
	var toks []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if r >= utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			flush()
			continue
		}
		if len(cur) > 0 {
			prev := cur[len(cur)-1]
			switch {
			case unicode.IsDigit(prev) != unicode.IsDigit(r):
				flush()
			case unicode.IsLower(prev) && unicode.IsUpper(r):
				flush()
			case unicode.IsUpper(prev) && unicode.IsUpper(r) && i+1 < len(rs) && unicode.IsLower(rs[i+1]) && rs[i+1] < utf8.RuneSelf:
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return toks
}

func (w words) any(ts ...string) bool {
	for _, t := range ts {
		if w.tokens[t] {
			return true
		}
	}
	return false
}

func (w words) text(phrases ...string) bool {
	for _, p := range phrases {
		if strings.Contains(w.all, p) {
			return true
		}
	}
	return false
}

// exactly reports whether one of the sources, trimmed of spaces and of a
// trailing note in brackets or a required mark, is exactly one of labels.
func (w words) exactly(labels ...string) bool {
	for _, src := range strings.Split(w.all, "\x00") {
		src = strings.TrimSpace(src)
		if i := strings.IndexAny(src, "(（[【*※"); i > 0 {
			src = strings.TrimSpace(src[:i])
		}
		if slices.Contains(labels, src) {
			return true
		}
	}
	return false
}

// isOther reports words that mark a field as something no honey value goes
// into: search boxes, coupons and gift cards, quantities, messages,
// anti-forgery tokens and one-time codes.
func (w words) isOther() bool {
	if w.any("search", "query", "keyword", "keywords", "coupon", "voucher",
		"promo", "promotion", "promocode", "gift", "giftcard", "point", "points",
		"captcha", "csrf", "xsrf", "token", "nonce", "otp", "onetime", "quantity", "qty",
		"comment", "comments", "message", "note", "notes", "newsletter", "discount",
		"referral", "username", "userid", "login", "loginid", "birthday", "birth", "dob") {
		return true
	}
	return w.text("検索", "クーポン", "ギフト", "ポイント", "数量", "メッセージ", "備考",
		"ワンタイム", "認証コード", "生年月日", "誕生日", "ログインid", "会員id")
}

// cardClass finds the card classes: CVV first (its labels often mention the
// card), then expiry, card number and holder.
func (w words) cardClass() string {
	card := w.any("card", "cc", "credit", "creditcard")
	switch {
	case w.any("cvv", "cvv2", "cvc", "cvc2", "csc", "cvn", "cvd", "cid", "securitycode",
		"seccode", "cardcode", "cccode", "cardverification", "cvvcode", "cvccode"),
		w.any("security") && w.any("code", "number", "no") && !w.any("social"),
		card && w.any("code", "verification"),
		w.any("verification") && w.any("value", "number"),
		w.text("セキュリティコード", "セキュリティーコード", "カード確認番号"):
		return observation.FieldCVV
	case w.any("exp", "expiry", "expiration", "expdate", "expires", "expire", "expirydate",
		"expirationdate", "expmonth", "expyear", "expmm", "expyy", "validthru", "validthrough", "mmyy", "yymm"),
		w.any("valid") && w.any("thru", "through", "until", "date"),
		card && w.any("month", "year", "mm", "yy", "yyyy"),
		w.text("mm/yy", "mm / yy", "mm/yyyy", "月/年", "有効期限", "有効期間"):
		return observation.FieldExpiry
	case w.any("cardnumber", "cardnum", "cardno", "cardnr", "ccnumber", "ccnum", "ccno", "ccn",
		"creditcardnumber", "creditcardno", "pan", "acctnumber"),
		card && w.any("number", "num", "no", "nr") && !w.any("holder", "name", "phone", "tel"),
		w.text("カード番号", "カードナンバー", "クレジットカード番号"):
		return observation.FieldCardNumber
	case w.any("holder", "cardholder", "holdername", "nameoncard", "ccname", "cardname", "cardholdername"),
		card && w.any("name", "owner"),
		w.text("名義"):
		return observation.FieldHolder
	}
	return ""
}

// personalClass finds the personal-data classes.
func (w words) personalClass() string {
	switch {
	case w.any("email", "mail", "emailaddress", "mailaddress", "emailaddr", "mailaddr"),
		w.text("メールアドレス", "メール", "ｅメール"):
		return observation.FieldEmail
	case w.any("zip", "zipcode", "postal", "postcode", "postalcode", "postcd", "zipcd", "yubin"),
		w.any("post") && w.any("code", "cd"),
		w.text("郵便番号", "〒"):
		return observation.FieldPostcode
	case w.any("tel", "telephone", "phone", "phonenumber", "telno", "mobile", "cell", "cellphone", "fax"),
		w.text("電話", "携帯"):
		return observation.FieldPhone
	case w.any("password", "passwd", "pwd", "pass", "passcode", "pw", "passphrase"),
		w.text("パスワード", "暗証番号"):
		return observation.FieldPassword
	case w.any("address", "addr", "street", "city", "town", "pref", "prefecture", "building",
		"apartment", "apt", "addressline", "streetaddress", "ward", "district", "state", "province", "suite"),
		w.text("住所", "番地", "市区町村", "都道府県", "建物", "マンション", "丁目"):
		return observation.FieldAddress
	case w.any("name", "fullname", "firstname", "lastname", "givenname", "familyname",
		"surname", "fname", "lname", "sei", "mei", "kana", "furigana", "yourname", "shimei") &&
		!w.any("company", "corp", "organization", "shop", "store", "product", "item",
			"file", "nickname", "account", "bank", "branch", "department", "title"),
		w.text("氏名", "お名前", "名前", "フリガナ", "ふりがな", "姓"),
		w.exactly("名", "めい", "せい", "セイ", "メイ"):
		return observation.FieldName
	}
	return ""
}
