package incident

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExposureAt(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	closed := Window{Start: Bounds{After: at(0), NoLaterThan: at(15)}, End: Bounds{After: at(60), NoLaterThan: at(75)}}
	open := Window{Start: Bounds{NoLaterThan: at(15)}, End: Bounds{After: at(60), Open: true}}
	for _, tc := range []struct {
		name string
		w    Window
		t    time.Time
		want Exposure
	}{
		{"an order at the last clean check is not exposed", closed, at(0), NotExposed},
		{"an order between the last clean and first dirty check is possibly exposed", closed, at(1), Possibly},
		{"an order at the first dirty check is exposed", closed, at(15), Exposed},
		{"an order at the last dirty check is exposed", closed, at(60), Exposed},
		{"an order between the last dirty and first clean check is possibly exposed", closed, at(74), Possibly},
		{"an order at the first clean check after is not exposed", closed, at(75), NotExposed},
		{"an order long before skimwatch's first observation is possibly exposed when nothing bounds the start", open, at(-10000), Possibly},
		{"an order after the last dirty check of an open window is exposed", open, at(10000), Exposed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExposureAt(tc.w, tc.t); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestScopeCountsCustomersAndClasses(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	inc := &Incident{Pages: []Page{
		{Target: payPage, Kind: PagePayment, Exposed: allCard, Window: Window{Start: Bounds{After: at(0), NoLaterThan: at(15)}, End: Bounds{After: at(60), NoLaterThan: at(75)}}},
		{Target: shop + "/register", Kind: PageRegistration, Exposed: []DataClass{ClassPersonalData}, Window: Window{Start: Bounds{After: at(100), NoLaterThan: at(115)}, End: Bounds{After: at(200), NoLaterThan: at(215)}}},
	}}
	s := NewScope(inc)
	for _, o := range []Order{
		{ID: "1", Kind: KindOrder, Time: at(20), CustomerID: "c1", Email: "a@example.jp"},
		{ID: "2", Kind: KindOrder, Time: at(30), CustomerID: "c1", Email: "a@example.jp"},
		{ID: "3", Kind: KindOrder, Time: at(40), Email: "Guest@Example.jp"},
		{ID: "4", Kind: KindOrder, Time: at(50), Email: "guest@example.jp"},
		{ID: "5", Kind: KindOrder, Time: at(5), CustomerID: "c2"},           // possibly
		{ID: "6", Kind: KindOrder, Time: at(120), CustomerID: "c3"},         // after the payment window
		{ID: "r1", Kind: KindRegistration, Time: at(120), CustomerID: "c3"}, // registration page tampered then
		{ID: "r2", Kind: KindRegistration, Time: at(30), CustomerID: "c4"},  // registration page clean then
	} {
		s.Add(o)
	}
	s.Finish()
	ids := func(as []AffectedOrder) string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return strings.Join(out, ",")
	}
	t.Run("orders through the tampered payment page and registrations through the tampered registration page are affected", func(t *testing.T) {
		if got := ids(inc.Affected); got != "1,2,3,4,r1" {
			t.Errorf("affected = %s, want 1,2,3,4,r1", got)
		}
		if got := ids(inc.PossiblyAffected); got != "5" {
			t.Errorf("possibly = %s, want 5", got)
		}
		if i := slices.IndexFunc(inc.Customers, func(c Customer) bool { return c.Key == "id:c2" }); i < 0 || !slices.Equal(inc.Customers[i].Exposed, allCard) {
			t.Errorf("customers = %+v, want c2, possibly affected, told the card classes its order may have exposed", inc.Customers)
		}
	})
	t.Run("customers are deduplicated by customer ID, else by e-mail in any case", func(t *testing.T) {
		if inc.Counts.Customers != 3 || inc.Counts.PossiblyCustomers != 1 {
			t.Errorf("counts = %+v, want 3 customers (c1, the guest, c3) and 1 possibly (c2)", inc.Counts)
		}
	})
	t.Run("a registration exposes personal data only and an order the card", func(t *testing.T) {
		c := inc.Counts
		if c.Orders != 4 || c.Registrations != 1 || c.PerClass[ClassCardNumber] != 4 || c.PerClass[ClassSecurityCode] != 4 || c.PerClass[ClassPersonalData] != 1 {
			t.Errorf("counts = %+v", c)
		}
		if c.PerClassCustomers[ClassCardNumber] != 2 || c.PerClassCustomers[ClassPersonalData] != 1 {
			t.Errorf("per-class customers = %v, want card 2 (c1, guest), personal 1 (c3)", c.PerClassCustomers)
		}
	})
}

func TestScopeGivesEachCustomerTheLanguageOfTheirLatestOrderThatHasOne(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	inc := &Incident{Pages: []Page{{Target: payPage, Kind: PagePayment, Exposed: allCard,
		Window: Window{Start: Bounds{After: at(0), NoLaterThan: at(1)}, End: Bounds{After: at(100), NoLaterThan: at(101)}}}}}
	s := NewScope(inc)
	for _, o := range []Order{
		{ID: "2", Kind: KindOrder, Time: at(30), CustomerID: "c1", Lang: "en"},
		{ID: "1", Kind: KindOrder, Time: at(20), CustomerID: "c1", Lang: "ja"},
		{ID: "3", Kind: KindOrder, Time: at(40), CustomerID: "c1"},
		{ID: "4", Kind: KindOrder, Time: at(50), CustomerID: "c2"},
	} {
		s.Add(o)
	}
	s.Finish()
	got := map[string]string{}
	for _, c := range inc.Customers {
		got[c.Key] = c.Lang
	}
	if got["id:c1"] != "en" || got["id:c2"] != "" {
		t.Errorf("languages = %v, want en for c1 (its latest order with one) and none for c2", got)
	}
	if inc.Affected[1].Lang != "en" {
		t.Errorf("order 2's language = %q, want en", inc.Affected[1].Lang)
	}
}
