package observation

import "testing"

func TestIsCardClass(t *testing.T) {
	tests := []struct {
		name, class string
		want        bool
	}{
		{"the card number is card data", FieldCardNumber, true},
		{"the expiry date is card data", FieldExpiry, true},
		{"the security code is card data", FieldCVV, true},
		{"the holder's name alone is not card data", FieldHolder, false},
		{"an email address is not card data", FieldEmail, false},
		{"an unknown field is not card data", FieldOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCardClass(tt.class); got != tt.want {
				t.Fatalf("IsCardClass(%q) = %v, want %v", tt.class, got, tt.want)
			}
		})
	}
}
