package lab_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/lab"
)

// A test starts the lab, switches a scenario on, lets a browser check the
// scenario's page (or run its flow), and then asks the attacker's collector
// what really arrived.
func Example() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	for _, s := range lab.Scenarios() {
		if s.Benign {
			continue
		}
		if err := l.SetScenario(s.Name); err != nil {
			panic(err)
		}
		l.Attacker().Reset()
		target := l.ShopURL() + s.Page
		if s.Flow != "" {
			flowYAML, _ := l.Flow(s.Flow) // pagecheck's flow format, shop URL filled in
			_ = flowYAML
		}
		_ = target // ... run the browser check here, typing honey values ...

		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		got, err := l.Attacker().WaitFor(wait, func(r lab.Received) bool {
			return strings.Contains(r.Body, "4111") || strings.Contains(r.URL, "4111")
		})
		cancel()
		fmt.Println(s.Name, got.URL, err)
	}
}
