package honey

import (
	"errors"
	"github.com/skimwatch/skimwatch/internal/card"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/observation"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testIdentity is a reproducible identity for seed.
func testIdentity(t testing.TB, seed uint64) Identity {
	t.Helper()
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	id, err := NewIdentity(Options{Rand: rand.NewChaCha8(s), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("NewIdentity: %v", err)
	}
	return id
}

func TestNewIdentityMakesWellFormedValues(t *testing.T) {
	id := testIdentity(t, 1)
	checks := []struct {
		name, value string
		re          string
	}{
		{"check id is 10 base32 characters", id.CheckID, `^[A-Z2-7]{10}$`},
		{"card number is 16 digits in the test range", id.CardNumber, `^411111[0-9]{10}$`},
		{"expiry month is MM", id.ExpiryMonth, `^(0[1-9]|1[0-2])$`},
		{"expiry year is YYYY", id.ExpiryYear, `^20[0-9]{2}$`},
		{"expiry is MM/YY", id.Expiry(), `^(0[1-9]|1[0-2])/[0-9]{2}$`},
		{"cvv is 3 digits", id.CVV, `^[0-9]{3}$`},
		{"holder carries the check id", id.Holder, `^TARO HONEY` + id.CheckID + `$`},
		{"family name carries the check id", id.FamilyName, `^MITSU` + id.CheckID + `$`},
		{"email is under a reserved .example domain", id.Email, `^mitsu\.[a-z2-7]{10}@honey-[a-z2-7]{10}\.example$`},
		{"phone is a Tokyo number whose exchange starts with 1, which is never assigned", id.Phone, `^031[0-9]{7}$`},
		{"password is 16 characters", id.Password, `^Hm[a-z2-9]{12}![2-9]$`},
		{"postcode is NNN-NNNN", id.Postcode, `^1[0-9]{2}-[0-9]{4}$`},
		{"address carries the check id", id.Address, id.CheckID},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !regexp.MustCompile(c.re).MatchString(c.value) {
				t.Errorf("%q does not match %s", c.value, c.re)
			}
		})
	}
	t.Run("card number is Luhn-valid", func(t *testing.T) {
		if !card.Luhn(id.CardNumber) {
			t.Errorf("%s fails Luhn", id.CardNumber)
		}
	})
	t.Run("expiry lies three to five years ahead", func(t *testing.T) {
		y := id.ExpiryYear
		if y < "2029" || y > "2031" {
			t.Errorf("expiry year %s, want 2029..2031 from %v", y, testNow)
		}
	})
}

func TestNewIdentityIsUniquePerCheck(t *testing.T) {
	seen := map[string]string{}
	for i := 0; i < 200; i++ {
		id, err := NewIdentity(Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{id.CheckID, id.CardNumber, id.Email, id.Phone, id.Password, id.Holder} {
			if prev, ok := seen[v]; ok {
				t.Fatalf("value %q drawn twice (first as %s)", v, prev)
			}
			seen[v] = id.CheckID
		}
		if !card.Luhn(id.CardNumber) {
			t.Fatalf("card %s fails Luhn", id.CardNumber)
		}
	}
}

func TestNewIdentityOptions(t *testing.T) {
	t.Run("a custom prefix starts the card number", func(t *testing.T) {
		id, err := NewIdentity(Options{CardPrefix: "555555"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id.CardNumber, "555555") || !card.Luhn(id.CardNumber) || len(id.CardNumber) != 16 {
			t.Errorf("card %s", id.CardNumber)
		}
	})
	for _, bad := range []string{"41x1", "4111111111111111", "-1"} {
		t.Run("prefix "+bad+" is rejected", func(t *testing.T) {
			_, err := NewIdentity(Options{CardPrefix: bad})
			if !errors.Is(err, ErrOption) {
				t.Errorf("err = %v, want ErrOption", err)
			}
		})
	}
	t.Run("a failing random source is an error", func(t *testing.T) {
		_, err := NewIdentity(Options{Rand: iotest.ErrReader(errors.New("boom"))})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestValuesCoverEveryClass(t *testing.T) {
	id := testIdentity(t, 2)
	got := map[string]string{}
	for _, v := range id.Values() {
		if _, ok := got[v.Class]; !ok {
			got[v.Class] = v.Text
		}
	}
	classes := []string{
		observation.FieldCardNumber, observation.FieldExpiry, observation.FieldCVV,
		observation.FieldHolder, observation.FieldEmail, observation.FieldPhone,
		observation.FieldPassword, observation.FieldName, observation.FieldAddress,
		observation.FieldPostcode,
	}
	for _, c := range classes {
		t.Run("class "+c+" has the value ValueFor types", func(t *testing.T) {
			if got[c] == "" || got[c] != id.ValueFor(c) {
				t.Errorf("Values()[%s] = %q, ValueFor = %q", c, got[c], id.ValueFor(c))
			}
		})
	}
	t.Run("unknown classes get nothing", func(t *testing.T) {
		if v := id.ValueFor(observation.FieldOther); v != "" {
			t.Errorf("ValueFor(other) = %q", v)
		}
	})
}

// Every value an identity types is found again, sent as a form field.
func TestEveryTypedValueIsFoundAgain(t *testing.T) {
	keys := map[string]string{
		observation.FieldCVV: "cvc", observation.FieldExpiry: "exp", observation.FieldPostcode: "zip",
	}
	for seed := uint64(100); seed < 120; seed++ {
		id := testIdentity(t, seed)
		m := NewMatcher(id.Values())
		for _, v := range id.Values() {
			key := keys[v.Class]
			if key == "" {
				key = "f"
			}
			got := m.Find([]byte("a=1&" + key + "=" + v.Text + "&b=2"))
			found := false
			for _, mt := range got {
				found = found || mt.Class == v.Class && mt.Value == v.Text && mt.Encoding == "raw"
			}
			if !found {
				t.Errorf("seed %d: %s %q not found raw: %+v", seed, v.Class, v.Text, got)
			}
		}
	}
}

func TestNewIdentityPhonePrefix(t *testing.T) {
	var seed [32]byte
	cases := []struct {
		name, prefix string
		want         string // regexp the phone must match; "" means an error
	}{
		{"no prefix draws from the unassigned 03-1 block", "", `^031[0-9]{7}$`},
		{"a geographic prefix is filled to 10 digits", "0312", `^0312[0-9]{6}$`},
		{"a mobile-style 0A0 prefix is filled to 11 digits", "0701234", `^0701234[0-9]{4}$`},
		{"a complete number is used as it is", "0355550123", `^0355550123$`},
		{"hyphens are dropped", "03-5555", `^035555[0-9]{4}$`},
		{"a prefix not starting with 0 is refused", "90123", ""},
		{"letters are refused", "03ab", ""},
		{"a prefix too short to say what kind of number it is is refused", "0", ""},
		{"a carrier prefix is refused", "0033", ""},
		{"a prefix longer than the number is refused", "031234567890", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := NewIdentity(Options{PhonePrefix: c.prefix, Rand: rand.NewChaCha8(seed), Now: func() time.Time { return testNow }})
			if c.want == "" {
				if !errors.Is(err, ErrOption) {
					t.Fatalf("prefix %q: err %v, want ErrOption (phone %q)", c.prefix, err, id.Phone)
				}
				return
			}
			if err != nil {
				t.Fatalf("prefix %q: %v", c.prefix, err)
			}
			if !regexp.MustCompile(c.want).MatchString(id.Phone) {
				t.Errorf("phone %q does not match %s", id.Phone, c.want)
			}
		})
	}
}
