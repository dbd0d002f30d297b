package honey

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/check/observation"
)

// DefaultCardPrefix is the universal Visa test BIN: never issued for live
// cards, so a leaked honey card can never be charged.
const DefaultCardPrefix = card.TestPrefix

// DefaultPhonePrefix is Tokyo's area code 03 followed by a local exchange
// starting with 1. Exchanges never start with 0 or 1 (0 is the trunk
// prefix, 1 the special services such as 110 and 119), so no 03-1XXX-XXXX
// number can be assigned to anyone, and none is a mobile that takes SMS.
// See docs/CHECK.md, "Running against a live shop".
const DefaultPhonePrefix = "031"

// ErrOption wraps every invalid Options value.
var ErrOption = errors.New("invalid honey option")

// Identity is one check's unique synthetic customer. Every value is unique per
// check so a leaked one traces back to the check.
type Identity struct {
	// CheckID is 10 base32 characters (RFC 4648 alphabet), embedded in the
	// email, holder, family name and address.
	CheckID string
	// CardNumber is 16 digits, Luhn-valid, starting with the card prefix.
	CardNumber string
	// ExpiryMonth is "MM" and ExpiryYear "YYYY", three to five years ahead.
	ExpiryMonth, ExpiryYear string
	CVV                     string // 3 digits
	Holder                  string // "TARO HONEY<ID>"
	GivenName, FamilyName   string // "HANAKO", "MITSU<ID>"
	Email                   string // mitsu.<id>@honey-<id>.example
	Phone                   string // DefaultPhonePrefix or Options.PhonePrefix, then random digits
	Password                string // 16 characters, random
	Address, Postcode       string // a Chiyoda-ku address with the ID, "1NN-NNNN"
}

// Options configures NewIdentity. The zero value is ready to use.
type Options struct {
	// CardPrefix is the start of the card number, 1 to 15 digits. Default
	// DefaultCardPrefix. Only ever use a test range.
	CardPrefix string
	// PhonePrefix is the start of the phone number, digits (hyphens are
	// dropped) starting with 0. Default DefaultPhonePrefix. Use a block
	// nobody is assigned, or numbers you own: shops send SMS and call.
	PhonePrefix string
	// Rand is the source of randomness. Default crypto/rand.
	Rand io.Reader
	// Now is the clock the expiry date is counted from. Default time.Now.
	Now func() time.Time
}

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// passwordAlphabet leaves out look-alike characters so a password can be read
// back from a screenshot.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewIdentity draws a fresh synthetic customer.
func NewIdentity(opts Options) (Identity, error) {
	prefix := opts.CardPrefix
	if prefix == "" {
		prefix = DefaultCardPrefix
	}
	if len(prefix) > 15 || !allDigits(prefix) {
		return Identity{}, fmt.Errorf("%w: CardPrefix %q: want 1 to 15 digits", ErrOption, prefix)
	}
	phonePrefix, phoneLen, err := parsePhonePrefix(opts.PhonePrefix)
	if err != nil {
		return Identity{}, err
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	d := &drawer{r: r}

	id := d.pick(base32Alphabet, 10)
	body := prefix + d.pick("0123456789", 15-len(prefix))
	cardNumber := body + string(rune('0'+card.CheckDigit(body)))
	month := 1 + d.intn(12)
	year := now().Year() + 3 + d.intn(3)
	cvv := d.pick("0123456789", 3)
	phone := phonePrefix + d.pick("0123456789", phoneLen-len(phonePrefix))
	password := "Hm" + d.pick(passwordAlphabet, 12) + "!" + d.pick("23456789", 1)
	postcode := "1" + d.pick("0123456789", 2) + "-" + d.pick("0123456789", 4)
	if d.err != nil {
		return Identity{}, fmt.Errorf("draw honey identity: %w", d.err)
	}
	lower := strings.ToLower(id)
	return Identity{
		CheckID:     id,
		CardNumber:  cardNumber,
		ExpiryMonth: fmt.Sprintf("%02d", month),
		ExpiryYear:  fmt.Sprintf("%04d", year),
		CVV:         cvv,
		Holder:      "TARO HONEY" + id,
		GivenName:   "HANAKO",
		FamilyName:  "MITSU" + id,
		Email:       "mitsu." + lower + "@honey-" + lower + ".example",
		Phone:       phone,
		Password:    password,
		Address:     "東京都千代田区千代田1-1 ミツビル" + id + "号室",
		Postcode:    postcode,
	}, nil
}

// parsePhonePrefix checks a phone prefix and returns it without hyphens,
// with the length of the whole number: 11 digits for the non-geographic
// 0A0 blocks (mobiles, IP phones), 10 for geographic numbers.
func parsePhonePrefix(prefix string) (string, int, error) {
	if prefix == "" {
		prefix = DefaultPhonePrefix
	}
	p := strings.ReplaceAll(prefix, "-", "")
	// Three digits at least: they decide the number's kind and length.
	// 00 starts carrier and international prefixes, never a number.
	if len(p) < 3 || !allDigits(p) || p[0] != '0' || p[1] == '0' {
		return "", 0, fmt.Errorf("%w: PhonePrefix %q: want at least 3 digits, starting with 0 and not 00", ErrOption, prefix)
	}
	n := 10
	if p[2] == '0' {
		n = 11
	}
	if len(p) > n {
		return "", 0, fmt.Errorf("%w: PhonePrefix %q: longer than a %d-digit number", ErrOption, prefix, n)
	}
	return p, n, nil
}

// Expiry returns the expiry date as typed into a card form: "MM/YY".
func (id Identity) Expiry() string {
	yy := id.ExpiryYear
	if len(yy) == 4 {
		yy = yy[2:]
	}
	return id.ExpiryMonth + "/" + yy
}

// Name is the full name typed into a name field: given name, then family name.
func (id Identity) Name() string { return id.GivenName + " " + id.FamilyName }

// Value is one honey value with the class of field it is typed into.
type Value struct {
	Class string
	Text  string
}

// Values returns every honey value with its field class: first the value
// ValueFor gives for each class, then fragments worth finding on their own
// (the family name, which a separate family-name field receives alone).
// Empty values are left out.
func (id Identity) Values() []Value {
	classes := []string{
		observation.FieldCardNumber, observation.FieldExpiry, observation.FieldCVV,
		observation.FieldHolder, observation.FieldEmail, observation.FieldPhone,
		observation.FieldPassword, observation.FieldName, observation.FieldAddress,
		observation.FieldPostcode,
	}
	vs := make([]Value, 0, len(classes)+1)
	for _, c := range classes {
		if t := id.ValueFor(c); t != "" {
			vs = append(vs, Value{Class: c, Text: t})
		}
	}
	if id.FamilyName != "" {
		vs = append(vs, Value{Class: observation.FieldName, Text: id.FamilyName})
	}
	return vs
}

// ValueFor returns what to type into a field of the given class ("" for
// unknown classes and observation.FieldOther).
func (id Identity) ValueFor(class string) string {
	switch class {
	case observation.FieldCardNumber:
		return id.CardNumber
	case observation.FieldExpiry:
		if id.ExpiryMonth == "" {
			return ""
		}
		return id.Expiry()
	case observation.FieldCVV:
		return id.CVV
	case observation.FieldHolder:
		return id.Holder
	case observation.FieldEmail:
		return id.Email
	case observation.FieldPhone:
		return id.Phone
	case observation.FieldPassword:
		return id.Password
	case observation.FieldName:
		if id.FamilyName == "" {
			return ""
		}
		return id.Name()
	case observation.FieldAddress:
		return id.Address
	case observation.FieldPostcode:
		return id.Postcode
	}
	return ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// drawer draws uniform choices from a byte source, keeping the first error.
type drawer struct {
	r   io.Reader
	err error
	buf [1]byte
}

// intn returns a uniform int in [0, n) for 0 < n <= 256, by rejection so
// there is no modulo bias.
func (d *drawer) intn(n int) int {
	limit := 256 - 256%n
	for d.err == nil {
		if _, err := io.ReadFull(d.r, d.buf[:]); err != nil {
			d.err = err
			return 0
		}
		if int(d.buf[0]) < limit {
			return int(d.buf[0]) % n
		}
	}
	return 0
}

func (d *drawer) pick(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[d.intn(len(alphabet))]
	}
	return string(b)
}
