package lab

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// SimOrder is one simulated order or new-member registration of the lab
// shop, for replays: who, when, and which page it went through.
type SimOrder struct {
	ID string
	// Kind is "order" (through the payment page) or "registration"
	// (through the new-member registration page).
	Kind       string
	Time       time.Time
	CustomerID string
	Email      string
	Name       string
}

// Traffic sets the simulated rates. The defaults follow the seed's shop:
// 4,509 card payments in seven weeks is about 90 orders a day.
type Traffic struct {
	OrdersPerDay        float64
	RegistrationsPerDay float64
	// Returning is the share of orders placed by a registered member;
	// the rest are guests, some of whom order again under the same
	// address in other letter case.
	Returning float64
	// Zone is where the shop's customers live: the daily curve (quiet at
	// night, busy at lunch and in the evening) follows its clock.
	Zone *time.Location
	Seed uint64
}

// DefaultTraffic is the seed shop's traffic.
func DefaultTraffic() Traffic {
	return Traffic{OrdersPerDay: 90, RegistrationsPerDay: 12, Returning: 0.35, Zone: time.FixedZone("JST", 9*3600), Seed: 2021}
}

// hourWeight is the relative traffic of each local hour: an online shop
// in Japan sells little between 2 and 7 and most at lunch and after 20.
var hourWeight = [24]float64{0.6, 0.35, 0.2, 0.12, 0.1, 0.12, 0.25, 0.5, 0.8, 1.0, 1.1, 1.2, 1.4, 1.25, 1.1, 1.05, 1.05, 1.1, 1.2, 1.4, 1.7, 1.8, 1.5, 1.0}

var givenNames = []string{"Hanako", "Taro", "Yui", "Haruto", "Aoi", "Sota", "Mei", "Ren", "Sakura", "Kaito", "Hina", "Yuto"}
var familyNames = []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"}

// GenerateOrders simulates the shop's orders and registrations in [from,
// to), in time order. The same Traffic and span give the same list.
func GenerateOrders(from, to time.Time, tr Traffic) []SimOrder {
	if tr.Zone == nil {
		tr.Zone = time.UTC
	}
	rng := rand.New(rand.NewPCG(tr.Seed, tr.Seed^0x9e3779b97f4a7c15))
	peak := 0.0
	for _, w := range hourWeight {
		peak = math.Max(peak, w)
	}
	mean := 0.0
	for _, w := range hourWeight {
		mean += w / 24
	}
	// Arrivals of a Poisson process at the peak rate, thinned by the
	// hour's weight, give the daily curve with the asked-for daily mean.
	arrivals := func(perDay float64) []time.Time {
		if perDay <= 0 {
			return nil
		}
		ratePerSec := perDay / 86400 * peak / mean
		var out []time.Time
		for t := from; ; {
			t = t.Add(time.Duration(rng.ExpFloat64() / ratePerSec * float64(time.Second)))
			if !t.Before(to) {
				return out
			}
			if rng.Float64() < hourWeight[t.In(tr.Zone).Hour()]/peak {
				out = append(out, t.Truncate(time.Second))
			}
		}
	}
	regs := arrivals(tr.RegistrationsPerDay)
	orders := arrivals(tr.OrdersPerDay)
	var out []SimOrder
	var members []SimOrder
	var guests []string
	name := func() string {
		return givenNames[rng.IntN(len(givenNames))] + " " + familyNames[rng.IntN(len(familyNames))]
	}
	ri := 0
	for i, at := range orders {
		for ri < len(regs) && !regs[ri].After(at) {
			m := SimOrder{ID: fmt.Sprintf("M%06d", ri+1), Kind: "registration", Time: regs[ri], CustomerID: fmt.Sprintf("%d", ri+1), Name: name()}
			m.Email = fmt.Sprintf("member%d@example.com", ri+1)
			out = append(out, m)
			members = append(members, m)
			ri++
		}
		o := SimOrder{ID: fmt.Sprintf("O%07d", i+1), Kind: "order", Time: at}
		switch r := rng.Float64(); {
		case r < tr.Returning && len(members) > 0:
			m := members[rng.IntN(len(members))]
			o.CustomerID, o.Email, o.Name = m.CustomerID, m.Email, m.Name
		case r < tr.Returning+0.05 && len(guests) > 0:
			// A guest ordering again, typing the address in capitals.
			o.Email = upperFirst(guests[rng.IntN(len(guests))])
			o.Name = name()
		default:
			o.Email = fmt.Sprintf("guest%d@example.com", i+1)
			o.Name = name()
			guests = append(guests, o.Email)
		}
		out = append(out, o)
	}
	for ; ri < len(regs); ri++ {
		out = append(out, SimOrder{ID: fmt.Sprintf("M%06d", ri+1), Kind: "registration", Time: regs[ri], CustomerID: fmt.Sprintf("%d", ri+1),
			Email: fmt.Sprintf("member%d@example.com", ri+1), Name: name()})
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

// WriteOrdersCSV writes orders as a shop's CSV export would: id, time
// (RFC 3339), kind, customer_id, email, name.
func WriteOrdersCSV(w io.Writer, orders []SimOrder) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time", "kind", "customer_id", "email", "name"})
	for _, o := range orders {
		cw.Write([]string{o.ID, o.Time.UTC().Format(time.RFC3339), o.Kind, o.CustomerID, o.Email, o.Name})
	}
	cw.Flush()
	return cw.Error()
}
