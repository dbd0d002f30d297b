package lab

import "testing"

// The provider judges a card number by the same rule every other part of
// skimwatch uses (package card), not by a rule of its own.
func TestValidateCardUsesTheSharedCardRule(t *testing.T) {
	tests := []struct {
		name   string
		number string
		ok     bool
	}{
		{"the honey test card is accepted", honeyCard, true},
		{"a card in groups of four is accepted", "4111 1111 1111 1111", true},
		{"a 12-digit Luhn-valid number is too short for a card", "422222222222", false},
		{"a Luhn-valid number starting with 1 is no issuer's card", "1732982400001", false},
		{"a number failing Luhn is refused", "4111111111111112", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateCard(tt.number, honeyExp, honeyCVC)
			if (err == nil) != tt.ok {
				t.Errorf("validateCard(%q) = %v, want ok %v", tt.number, err, tt.ok)
			}
		})
	}
}
