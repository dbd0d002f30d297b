package lab

import (
	"testing"
	"time"
)

func TestGenerateOrders(t *testing.T) {
	from := time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(28 * 24 * time.Hour)
	tr := DefaultTraffic()
	got := GenerateOrders(from, to, tr)
	var orders, regs, night, evening int
	for i, o := range got {
		if o.Time.Before(from) || !o.Time.Before(to) {
			t.Fatalf("%s at %s is outside the span", o.ID, o.Time)
		}
		if i > 0 && o.Time.Before(got[i-1].Time) {
			t.Fatalf("%s is out of time order", o.ID)
		}
		switch o.Kind {
		case "order":
			orders++
		case "registration":
			regs++
		}
		switch h := o.Time.In(tr.Zone).Hour(); {
		case h >= 2 && h < 6:
			night++
		case h >= 20 && h < 24:
			evening++
		}
	}
	t.Run("four weeks hold about the daily rates asked for", func(t *testing.T) {
		if want := 28 * tr.OrdersPerDay; float64(orders) < want*0.9 || float64(orders) > want*1.1 {
			t.Errorf("%d orders, want about %.0f", orders, want)
		}
		if want := 28 * tr.RegistrationsPerDay; float64(regs) < want*0.8 || float64(regs) > want*1.2 {
			t.Errorf("%d registrations, want about %.0f", regs, want)
		}
	})
	t.Run("the small hours are quieter than the evening in the shop's zone", func(t *testing.T) {
		if night*4 > evening {
			t.Errorf("%d orders between 2 and 6, %d between 20 and 24: want the night far quieter", night, evening)
		}
	})
	t.Run("the same seed gives the same orders", func(t *testing.T) {
		again := GenerateOrders(from, to, tr)
		if len(again) != len(got) || again[len(got)/2] != got[len(got)/2] {
			t.Error("a second run differs")
		}
	})
	t.Run("the clock moves only forward and only when told", func(t *testing.T) {
		c := NewClock(from)
		c.Advance(time.Hour)
		c.Advance(-time.Hour)
		c.Set(from)
		if !c.Now().Equal(from.Add(time.Hour)) {
			t.Errorf("now = %s", c.Now())
		}
	})
}
