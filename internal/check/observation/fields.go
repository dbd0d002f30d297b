package observation

import "slices"

// IsCardClass reports whether a field class is card data: the number, the
// expiry date or the security code (CardClasses). The holder's name is
// personal data on its own, and the detectors that need it treat it apart.
func IsCardClass(class string) bool { return slices.Contains(CardClasses, class) }
