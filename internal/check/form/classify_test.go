package form

import (
	"testing"

	o "github.com/skimwatch/skimwatch/internal/check/observation"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		a    Attrs
		want string
	}{
		// autocomplete comes first.
		{"autocomplete cc-number makes a card number", Attrs{Autocomplete: "cc-number", Name: "field1"}, o.FieldCardNumber},
		{"autocomplete with section and billing hints still reads cc-csc", Attrs{Autocomplete: "section-pay billing cc-csc"}, o.FieldCVV},
		{"autocomplete cc-exp-month makes an expiry", Attrs{Tag: "select", Autocomplete: "cc-exp-month"}, o.FieldExpiry},
		{"autocomplete cc-name makes a holder", Attrs{Autocomplete: "cc-name", Name: "name"}, o.FieldHolder},
		{"autocomplete tel-national makes a phone", Attrs{Autocomplete: "tel-national"}, o.FieldPhone},
		{"autocomplete new-password makes a password", Attrs{Autocomplete: "new-password", Type: "text"}, o.FieldPassword},
		{"autocomplete family-name makes a name", Attrs{Autocomplete: "family-name"}, o.FieldName},
		{"autocomplete address-line2 makes an address", Attrs{Autocomplete: "shipping address-line2"}, o.FieldAddress},
		{"autocomplete postal-code makes a postcode", Attrs{Autocomplete: "postal-code"}, o.FieldPostcode},
		{"autocomplete username is not a name", Attrs{Autocomplete: "username", Name: "name"}, o.FieldOther},
		{"autocomplete off is ignored", Attrs{Autocomplete: "off", Name: "cardnumber"}, o.FieldCardNumber},
		{"autocomplete one-time-code is other", Attrs{Autocomplete: "one-time-code", Name: "code"}, o.FieldOther},

		// Types.
		{"type email makes an email", Attrs{Type: "email", Name: "field3"}, o.FieldEmail},
		{"type password makes a password", Attrs{Type: "password", Name: "pw_confirm"}, o.FieldPassword},
		{"type tel with no words makes a phone", Attrs{Type: "tel", Name: "f7"}, o.FieldPhone},
		{"type tel named for a card number is a card number", Attrs{Type: "tel", Name: "cardNumber", InputMode: "numeric"}, o.FieldCardNumber},
		{"type password named cvv is a CVV", Attrs{Type: "password", Name: "cvv", MaxLength: 4}, o.FieldCVV},
		{"a hidden CSRF input is other", Attrs{Type: "hidden", Name: "csrf_token"}, o.FieldOther},
		{"a hidden input named like a card is still other", Attrs{Type: "hidden", Name: "card_number"}, o.FieldOther},
		{"a submit button is other", Attrs{Type: "submit", Name: "pay"}, o.FieldOther},
		{"a checkbox for the mail magazine is other", Attrs{Type: "checkbox", Name: "mailmagazine"}, o.FieldOther},

		// English names and labels.
		{"name card_no is a card number", Attrs{Name: "card_no"}, o.FieldCardNumber},
		{"name ccnum is a card number", Attrs{Name: "ccnum"}, o.FieldCardNumber},
		{"name cc-number is a card number", Attrs{Name: "cc-number"}, o.FieldCardNumber},
		{"id CCNumber is a card number", Attrs{ID: "CCNumber"}, o.FieldCardNumber},
		{"name pan is a card number", Attrs{Name: "pan"}, o.FieldCardNumber},
		{"label Card number is a card number", Attrs{Label: "Card number"}, o.FieldCardNumber},
		{"name cvc is a CVV", Attrs{Name: "cvc"}, o.FieldCVV},
		{"name cvv2 is a CVV", Attrs{Name: "cvv2"}, o.FieldCVV},
		{"name csc is a CVV", Attrs{Name: "csc"}, o.FieldCVV},
		{"name securityCode is a CVV", Attrs{Name: "securityCode"}, o.FieldCVV},
		{"label Security code is a CVV", Attrs{Label: "Security code"}, o.FieldCVV},
		{"name exp is an expiry", Attrs{Name: "exp"}, o.FieldExpiry},
		{"name expiry is an expiry", Attrs{Name: "expiry"}, o.FieldExpiry},
		{"name expdate is an expiry", Attrs{Name: "expdate"}, o.FieldExpiry},
		{"placeholder MM/YY is an expiry", Attrs{Name: "f2", Placeholder: "MM / YY"}, o.FieldExpiry},
		{"select exp_year is an expiry", Attrs{Tag: "select", Name: "exp_year"}, o.FieldExpiry},
		{"name card_holder is a holder", Attrs{Name: "card_holder"}, o.FieldHolder},
		{"label Name on card is a holder", Attrs{Label: "Name on card"}, o.FieldHolder},
		{"name tel is a phone", Attrs{Name: "tel"}, o.FieldPhone},
		{"name zip is a postcode", Attrs{Name: "zip"}, o.FieldPostcode},
		{"name zip01 is a postcode", Attrs{Name: "zip01"}, o.FieldPostcode},
		{"name addr01 is an address", Attrs{Name: "addr01"}, o.FieldAddress},
		{"name name01 is a name", Attrs{Name: "name01"}, o.FieldName},
		{"name kana02 is a name", Attrs{Name: "kana02"}, o.FieldName},
		{"name email_confirm is an email", Attrs{Name: "email_confirm"}, o.FieldEmail},
		{"a placeholder with an email address is an email", Attrs{Name: "f9", Placeholder: "taro@example.com"}, o.FieldEmail},
		{"name firstName is a name", Attrs{Name: "firstName"}, o.FieldName},

		// Japanese labels, half- and full-width.
		{"label カード番号 is a card number", Attrs{Name: "f1", Label: "カード番号"}, o.FieldCardNumber},
		{"label クレジットカード番号 with a note is a card number", Attrs{Label: "クレジットカード番号（半角数字）"}, o.FieldCardNumber},
		{"label 有効期限 is an expiry", Attrs{Tag: "select", Label: "有効期限"}, o.FieldExpiry},
		{"label セキュリティコード is a CVV", Attrs{Type: "tel", Label: "セキュリティコード"}, o.FieldCVV},
		{"label カード名義人 is a holder", Attrs{Label: "カード名義人"}, o.FieldHolder},
		{"label 名義 is a holder", Attrs{Label: "名義（ローマ字）"}, o.FieldHolder},
		{"label メールアドレス is an email, not an address", Attrs{Label: "メールアドレス"}, o.FieldEmail},
		{"label 電話番号 is a phone, not a card number", Attrs{Label: "電話番号"}, o.FieldPhone},
		{"label パスワード is a password", Attrs{Label: "パスワード"}, o.FieldPassword},
		{"label 氏名 is a name", Attrs{Label: "氏名"}, o.FieldName},
		{"label お名前 is a name", Attrs{Label: "お名前"}, o.FieldName},
		{"label 姓 is a name", Attrs{Label: "姓"}, o.FieldName},
		{"label 名 is a name", Attrs{Label: "名"}, o.FieldName},
		{"label 名 with a required mark is a name", Attrs{Label: "名 ※"}, o.FieldName},
		{"label 住所 is an address", Attrs{Label: "住所"}, o.FieldAddress},
		{"label 市区町村 is an address", Attrs{Label: "市区町村"}, o.FieldAddress},
		{"label 郵便番号 is a postcode, not a phone", Attrs{Label: "郵便番号"}, o.FieldPostcode},
		{"full-width label ＣＶＶ is a CVV", Attrs{Label: "ＣＶＶ"}, o.FieldCVV},
		{"full-width placeholder ＭＭ／ＹＹ is an expiry", Attrs{Placeholder: "ＭＭ／ＹＹ"}, o.FieldExpiry},
		{"half-width label ｶｰﾄﾞ番号 is a card number", Attrs{Label: "ｶｰﾄﾞ番号"}, o.FieldCardNumber},
		{"half-width label ｾｷｭﾘﾃｨｺｰﾄﾞ is a CVV", Attrs{Label: "ｾｷｭﾘﾃｨｺｰﾄﾞ"}, o.FieldCVV},
		{"half-width label ﾊﾟｽﾜｰﾄﾞ is a password", Attrs{Label: "ﾊﾟｽﾜｰﾄﾞ"}, o.FieldPassword},
		{"half-width label ﾒｰﾙｱﾄﾞﾚｽ is an email", Attrs{Label: "ﾒｰﾙｱﾄﾞﾚｽ"}, o.FieldEmail},
		{"half-width label ｸﾚｼﾞｯﾄｶｰﾄﾞ番号 is a card number", Attrs{Label: "ｸﾚｼﾞｯﾄｶｰﾄﾞ番号"}, o.FieldCardNumber},
		{"aria-label カード番号 is a card number", Attrs{AriaLabel: "カード番号"}, o.FieldCardNumber},

		// False positives to avoid.
		{"a gift card message is other", Attrs{Tag: "textarea", Name: "gift_card_message"}, o.FieldOther},
		{"a gift card number is other", Attrs{Name: "giftcard_number"}, o.FieldOther},
		{"a coupon expiry is other", Attrs{Name: "coupon_expiry"}, o.FieldOther},
		{"a coupon code is other", Attrs{Label: "クーポンコード"}, o.FieldOther},
		{"a search box is other", Attrs{Name: "q", Placeholder: "Search products"}, o.FieldOther},
		{"a type=search box is other", Attrs{Type: "search", Name: "keyword"}, o.FieldOther},
		{"a Japanese search box is other", Attrs{Name: "word", Placeholder: "キーワードで検索"}, o.FieldOther},
		{"card alone is other", Attrs{Name: "card"}, o.FieldOther},
		{"a card type select is other", Attrs{Tag: "select", Name: "card_type"}, o.FieldOther},
		{"a company name is not a name", Attrs{Name: "company_name"}, o.FieldOther},
		{"a username is not a name", Attrs{Name: "user_name"}, o.FieldOther},
		{"a birthday month is not an expiry", Attrs{Tag: "select", Name: "birth_month"}, o.FieldOther},
		{"a month alone is not an expiry", Attrs{Tag: "select", Name: "month"}, o.FieldOther},
		{"a quantity is other", Attrs{Type: "number", Name: "qty"}, o.FieldOther},
		{"a social security number is not a CVV", Attrs{Label: "Social security number"}, o.FieldOther},
		{"an SMS verification code is other", Attrs{Label: "認証コード"}, o.FieldOther},
		{"an account number is not a card number", Attrs{Name: "accnumber"}, o.FieldOther},
		{"a passport number is not a password", Attrs{Name: "passport"}, o.FieldOther},
		{"a field with nothing to say is other", Attrs{Name: "f12"}, o.FieldOther},
		{"an empty field is other", Attrs{}, o.FieldOther},

		// What shop platforms and payment forms name their fields.
		{"EC-CUBE name01 in brackets is a name", Attrs{Name: "entry[name][name01]"}, o.FieldName},
		{"EC-CUBE kana is a name", Attrs{Name: "entry[kana][kana01]"}, o.FieldName},
		{"EC-CUBE postal_code is a postcode", Attrs{Name: "entry[postal_code]"}, o.FieldPostcode},
		{"EC-CUBE pref select is an address", Attrs{Tag: "select", Name: "entry[address][pref]"}, o.FieldAddress},
		{"EC-CUBE phone_number is a phone, not a card number", Attrs{Name: "entry[phone_number]"}, o.FieldPhone},
		{"EC-CUBE email first is an email", Attrs{Name: "entry[email][first]"}, o.FieldEmail},
		{"EC-CUBE plain_password is a password", Attrs{Name: "entry[plain_password][first]", Type: "password"}, o.FieldPassword},
		{"EC-CUBE company_name is other", Attrs{Name: "entry[company_name]"}, o.FieldOther},
		{"EC-CUBE tel01 is a phone", Attrs{Name: "tel01"}, o.FieldPhone},
		{"Magento cc_number is a card number", Attrs{Name: "payment[cc_number]"}, o.FieldCardNumber},
		{"Magento cc_cid is a CVV", Attrs{Name: "payment[cc_cid]"}, o.FieldCVV},
		{"Magento cc_exp_month is an expiry", Attrs{Tag: "select", Name: "payment[cc_exp_month]"}, o.FieldExpiry},
		{"Magento cc_type is other", Attrs{Tag: "select", Name: "payment[cc_type]"}, o.FieldOther},
		{"Shopify verification_value is a CVV", Attrs{Name: "verification_value"}, o.FieldCVV},
		{"Stripe exp-date is an expiry", Attrs{Name: "exp-date"}, o.FieldExpiry},
		{"GMO expire_year is an expiry", Attrs{Tag: "select", Name: "expire_year"}, o.FieldExpiry},
		{"GMO holdername is a holder", Attrs{Name: "holdername"}, o.FieldHolder},
		{"WooCommerce billing_first_name is a name", Attrs{Name: "billing_first_name"}, o.FieldName},
		{"WooCommerce billing_address_1 is an address", Attrs{Name: "billing_address_1"}, o.FieldAddress},
		{"WooCommerce billing_postcode is a postcode", Attrs{Name: "billing_postcode"}, o.FieldPostcode},
		{"an order number is other", Attrs{Label: "ご注文番号"}, o.FieldOther},
		{"a member number is other", Attrs{Label: "会員番号"}, o.FieldOther},
		{"a card company select is other", Attrs{Tag: "select", Label: "カード会社"}, o.FieldOther},
		{"an installments select is other", Attrs{Tag: "select", Name: "paytimes", Label: "支払回数"}, o.FieldOther},

		{"label State / Province is an address", Attrs{Tag: "select", Label: "State / Province"}, o.FieldAddress},
		{"label Apartment, suite, etc. is an address", Attrs{Label: "Apartment, suite, etc. (optional)"}, o.FieldAddress},
		{"label Expiration date (MM/YY) is an expiry", Attrs{Label: "Expiration date (MM/YY)"}, o.FieldExpiry},
		{"label フリガナ（セイ） is a name", Attrs{Label: "フリガナ（セイ）"}, o.FieldName},
		{"label 番地・建物名 is an address", Attrs{Label: "番地・建物名"}, o.FieldAddress},

		// CSS class, last.
		{"the CSS class speaks when nothing else does", Attrs{Name: "f4", Class: "form-control js-card-number"}, o.FieldCardNumber},
		{"the name wins over the CSS class", Attrs{Name: "email", Class: "card-number"}, o.FieldEmail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.a); got != c.want {
				t.Errorf("Classify(%+v) = %q, want %q", c.a, got, c.want)
			}
		})
	}
}

func TestExpiryPart(t *testing.T) {
	cases := []struct {
		name string
		a    Attrs
		want string
	}{
		{"autocomplete cc-exp-month takes the month", Attrs{Autocomplete: "cc-exp-month"}, PartMonth},
		{"autocomplete cc-exp-year takes the year", Attrs{Autocomplete: "cc-exp-year"}, PartYear},
		{"autocomplete cc-exp takes the whole date", Attrs{Autocomplete: "cc-exp"}, ""},
		{"name exp_month takes the month", Attrs{Name: "exp_month"}, PartMonth},
		{"name expYear takes the year", Attrs{Name: "expYear"}, PartYear},
		{"placeholder MM/YY takes the whole date", Attrs{Placeholder: "MM/YY"}, ""},
		{"label 有効期限（月） takes the month", Attrs{Label: "有効期限（月）"}, PartMonth},
		{"label 有効期限（年） takes the year", Attrs{Label: "有効期限（年）"}, PartYear},
		{"a card number is no expiry part", Attrs{Name: "cardnumber"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ExpiryPart(c.a); got != c.want {
				t.Errorf("ExpiryPart(%+v) = %q, want %q", c.a, got, c.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	cases := map[string]string{
		"ｶｰﾄﾞ":        "カード",
		"ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ":  "パピプペポ",
		"ｶﾞｷﾞｸﾞｹﾞｺﾞ":  "ガギグゲゴ",
		"ﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ":  "ダヂヅデド",
		"ｳﾞ":          "ヴ",
		"ｯﾞ":          "ッ",
		"ﾞ":           "",
		"ＣＶＶ　１２３":     "CVV 123",
		"｢ﾌﾘｶﾞﾅ｣":     "「フリガナ」",
		"plain ascii": "plain ascii",
	}
	for in, want := range cases {
		t.Run("fold("+in+")", func(t *testing.T) {
			if got := fold(in); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	cases := map[string]string{
		"cardNumber":   "card number",
		"CCNumber":     "cc number",
		"cc-exp_month": "cc exp month",
		"name01":       "name 01",
		"cvv2":         "cvv 2",
		"eMail":        "e mail",
		"カード番号 card":   "card",
	}
	for in, want := range cases {
		t.Run("split("+in+")", func(t *testing.T) {
			got := ""
			for i, tok := range split(in) {
				if i > 0 {
					got += " "
				}
				got += tok
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
