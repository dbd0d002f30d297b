package form

import (
	"slices"
	"testing"

	o "github.com/skimwatch/skimwatch/internal/check/observation"
)

var validClasses = []string{
	o.FieldCardNumber, o.FieldExpiry, o.FieldCVV, o.FieldHolder, o.FieldEmail, o.FieldPhone,
	o.FieldPassword, o.FieldName, o.FieldAddress, o.FieldPostcode, o.FieldOther,
}

// FuzzClassify checks Classify never panics, always answers with a known
// class, and answers the same twice.
func FuzzClassify(f *testing.F) {
	f.Add("input", "tel", "cardNumber", "cc", "cc-number", "1234 5678", "カード番号", "", "", "numeric", 19, "form-control")
	f.Add("select", "", "exp_month", "", "", "MM", "有効期限（月）", "", "", "", 0, "")
	f.Add("input", "password", "", "", "off", "", "ＣＶＶ", "", "", "", 4, "")
	f.Add("", "", "\xff\xfe", "名", "section-x", "\x00", "姓", "", "", "", -1, "ＭＭ／ＹＹ")
	f.Fuzz(func(t *testing.T, tag, typ, name, id, ac, ph, label, aria, title, mode string, maxLen int, class string) {
		a := Attrs{Tag: tag, Type: typ, Name: name, ID: id, Autocomplete: ac, Placeholder: ph,
			Label: label, AriaLabel: aria, Title: title, InputMode: mode, MaxLength: maxLen, Class: class}
		got := Classify(a)
		if !slices.Contains(validClasses, got) {
			t.Fatalf("Classify(%+v) = %q, not a field class", a, got)
		}
		if again := Classify(a); again != got {
			t.Fatalf("Classify(%+v) = %q then %q", a, got, again)
		}
		part := ExpiryPart(a)
		if part != "" && (got != o.FieldExpiry || part != PartMonth && part != PartYear) {
			t.Fatalf("ExpiryPart(%+v) = %q for class %q", a, part, got)
		}
	})
}
