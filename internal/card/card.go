// Package card owns skimwatch's rules for payment card numbers: what counts
// as one (Luhn, length, issuer digit), where one hides in text (ASCII,
// UTF-16, URL escapes however often escaped, hex, base64, and hex or base64
// of hex or base64 of any of these), and how it is masked (first six and
// last four digits kept). Every detector and every writer uses these rules, so a
// number masked in one place is masked in all of them.
//
// # What is a card number
//
// A run of 13 to 19 ASCII digits, with single spaces or dashes allowed
// between digits, whose first digit is 2 to 6 (the major industry
// identifiers of every scheme a web shop takes: Mastercard 2-series, Amex,
// JCB, Diners, Visa, Mastercard, Discover, UnionPay, Maestro), and which
// passes the Luhn check. A longer run (a card glued to a CVV, an expiry or
// an order number) counts when any 13- to 19-digit window of it does.
//
// The issuer digit keeps the usual near misses out: Japanese phone numbers
// start with 0, and Unix millisecond timestamps with 1.
//
// A run of 13 to 19 digits is judged whole, so a 16-digit card glued to a
// 3-digit CVV with no separator reads as one 19-digit number that usually
// fails Luhn: checking every window of every run would flag most order
// numbers. Runs longer than 19 digits are checked window by window.
//
// # The test range
//
// TestPrefix is the universal Visa test range, never issued for a live card.
// Honey cards are drawn from it, and masking leaves it alone so that a honey
// card found in a report or a finding still names the check that typed it.
package card

import "strings"

// TestPrefix starts every number of the universal Visa test range. The honey
// package draws its cards from it by default.
const TestPrefix = "411111"

// Length limits of a card number, in digits.
const (
	MinDigits = 13
	MaxDigits = 19
)

// Luhn reports whether digits (ASCII digits only, at least two) pass the
// Luhn check that card numbers carry.
func Luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	for i := 0; i < len(digits); i++ {
		c := digits[len(digits)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// CheckDigit returns the digit that makes body+digit pass Luhn, or -1 when
// body is empty or holds anything but ASCII digits.
func CheckDigit(body string) int {
	if body == "" {
		return -1
	}
	sum := 0
	for i := 0; i < len(body); i++ {
		c := body[len(body)-1-i]
		if c < '0' || c > '9' {
			return -1
		}
		d := int(c - '0')
		// The check digit will sit at position 0 from the right, so the
		// body's rightmost digit is doubled.
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// Valid reports whether number is one card number and nothing else: 13 to
// 19 digits (spaces and dashes between them are ignored) with an issuer
// digit of 2 to 6, passing Luhn.
func Valid(number string) bool {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(number))
	return validDigits(digits)
}

func validDigits(digits string) bool {
	return len(digits) >= MinDigits && len(digits) <= MaxDigits &&
		digits[0] >= '2' && digits[0] <= '6' && Luhn(digits)
}

// IsTest reports whether a card number (digits only) is in the test range
// the honey package draws from.
func IsTest(digits string) bool { return strings.HasPrefix(digits, TestPrefix) }

// Mask keeps the first six and last four digits of a card number and
// replaces every other digit with '*'; spaces, dashes and anything else are
// kept. A string with ten digits or fewer is returned unchanged.
func Mask(number string) string {
	b := []byte(number)
	var idx []int
	for i, c := range b {
		if isDigit(c) {
			idx = append(idx, i)
		}
	}
	maskIndexes(b, idx)
	return string(b)
}

// maskIndexes replaces the digits at idx (in order) with '*', but the first
// six and the last four.
func maskIndexes(b []byte, idx []int) {
	if len(idx) <= keepHead+keepTail {
		return
	}
	for _, k := range idx[keepHead : len(idx)-keepTail] {
		b[k] = '*'
	}
}

const keepHead, keepTail = 6, 4

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
