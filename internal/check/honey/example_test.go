package honey_test

import (
	"encoding/base64"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/observation"
)

func ExampleMatcher_Find() {
	m := honey.NewMatcher([]honey.Value{
		{Class: observation.FieldCardNumber, Text: "4111112345678903"},
		{Class: observation.FieldCVV, Text: "737"},
	})
	// A skimmer sends the card as typed, with spaces, and the CVV beside it.
	stolen := `{"n":"4111 1123 4567 8903","c":"737"}`
	beacon := "https://cdn-analytics.example/p.gif?d=" + base64.StdEncoding.EncodeToString([]byte(stolen))
	for _, match := range m.Find([]byte(beacon)) {
		fmt.Println(match.Class, match.Encoding)
	}
	// Output:
	// card-number base64
	// cvv base64
}
