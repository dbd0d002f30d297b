// Package report writes what an incident obliges a shop to write, from the
// incident skimwatch scoped (package incident) and the shop's own facts:
// the customer notice (letter, mail-merge CSV, web notice), the reports to
// Japan's Personal Information Protection Commission (preliminary and
// final, under the amended APPI), the summary for the acquirer and card
// brands, and the PCI DSS evidence pack (6.4.3 script inventory, 11.6.1
// change- and tamper-detection record). Each in Japanese and English, as
// HTML; package document prints them to PDF.
//
// A document states only what the record or the shop's file says. Where
// neither knows, it says so in a marked box for the shop to fill in: a
// filed report with a plausible guess in it is worse than one with a gap.
// Every document carries the incident's figures and the event-log entries
// (sequence number and hash) that back them, so that a reader can check
// them with `skimwatch incident verify`.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Langs are the languages documents are written in, in order of preference.
var Langs = []string{"ja", "en"}

func knownLang(l string) bool { return slices.Contains(Langs, l) }

// Kind names one document.
type Kind string

// The documents. Their names are the stems of the files Write creates.
const (
	CustomerNotice Kind = "customer-notice"
	WebNotice      Kind = "web-notice"
	PPCPreliminary Kind = "ppc-preliminary"
	PPCFinal       Kind = "ppc-final"
	CardBrands     Kind = "card-brands"
	PCIEvidence    Kind = "pci-evidence"
)

// Kinds lists every document in the order Write writes them.
var Kinds = []Kind{CustomerNotice, WebNotice, PPCPreliminary, PPCFinal, CardBrands, PCIEvidence}

// Fragment reports whether the document is an HTML fragment to paste into
// the shop's own site, not a page of its own (so it has no PDF).
func (k Kind) Fragment() bool { return k == WebNotice }

// AuthorisedScript is one script of the approved inventory of a payment
// page, with its authorisation (PCI DSS 6.4.3). The inventory is an input
// so that it can come from a baseline file (ScriptsFromBaseline) or from
// wherever the inventory is kept.
type AuthorisedScript struct {
	Page     string
	Identity string
	Kind     string
	URL      string
	// Fingerprints are the approved content hashes.
	Fingerprints []string
	Approved     time.Time
	ApprovedBy   string
	// Justification is why the script is needed: the shop's to give.
	Justification string
}

// ScriptsFromInventory lists the approved scripts among items (as the
// store keeps them, store.InventoryStore), each with who approved it, when
// and the justification they wrote: the authorisation PCI DSS 6.4.3 asks
// for. Items of other kinds or not approved are left out.
func ScriptsFromInventory(items []store.InventoryItem) []AuthorisedScript {
	var out []AuthorisedScript
	for _, it := range items {
		if it.Kind != store.ItemScript || it.Status != store.ItemApproved {
			continue
		}
		var e inventory.ScriptEntry
		_ = json.Unmarshal(it.Detail, &e) // the URL only; the rest is in the item
		out = append(out, AuthorisedScript{
			Page: it.Target, Identity: it.Subject, Kind: it.ScriptKind, URL: e.URL,
			Fingerprints: slices.Clone(it.Hashes), Approved: it.ApprovedAt,
			ApprovedBy: it.ApprovedBy, Justification: it.Justification,
		})
	}
	slices.SortFunc(out, func(a, b AuthorisedScript) int {
		return cmp.Or(strings.Compare(a.Page, b.Page), strings.Compare(a.Identity, b.Identity))
	})
	return out
}

// ScriptsFromBaseline lists the scripts of an approved baseline file, each
// authorised when the baseline was last updated. Who approved them and why
// is not in a baseline file, so those stay for the shop to fill in.
func ScriptsFromBaseline(b *inventory.Baseline) []AuthorisedScript {
	if b == nil {
		return nil
	}
	var out []AuthorisedScript
	for _, key := range slices.Sorted(maps.Keys(b.Pages)) {
		p := b.Pages[key]
		for _, s := range p.Scripts {
			out = append(out, AuthorisedScript{
				Page: key, Identity: s.Identity, Kind: s.Kind, URL: s.URL,
				Fingerprints: slices.Clone(s.Fingerprints), Approved: b.Updated,
			})
		}
	}
	return out
}

// Alert is one alert incident of the alert store and its deliveries: what
// was detected, to whom it went, and how it was handled (PCI DSS 11.6.1).
type Alert struct {
	Incident   store.Incident
	Deliveries []store.Delivery
}

// Input is everything the documents are written from.
type Input struct {
	Incident *incident.Incident
	Shop     Shop
	// Issued is the documents' date (the injected clock).
	Issued time.Time
	// Location is the time zone dates are written in; default JST, the
	// Commission's and the customers' zone.
	Location *time.Location
	// Scripts is the payment pages' approved script inventory.
	Scripts []AuthorisedScript
	// Alerts are the site's alerts in the evidence period.
	Alerts []Alert
	// Events are the site's event-log entries in the evidence period.
	Events []store.Event
}

// jst is Japan Standard Time, which has had no daylight saving since 1951;
// a fixed zone needs no tz database on the machine.
var jst = time.FixedZone("JST", 9*60*60)

func (in *Input) loc() *time.Location {
	if in.Location != nil {
		return in.Location
	}
	return jst
}

// Validate says what is missing for any document to be written.
func (in *Input) Validate() error {
	if in.Incident == nil {
		return fmt.Errorf("report: no incident")
	}
	if in.Issued.IsZero() {
		return fmt.Errorf("report: no issue date")
	}
	return nil
}

// Deadlines are the Commission's due dates, counted from when the shop
// became aware: the preliminary report promptly (in practice within 3 to 5
// days), the final within 30 days, or 60 when unauthorised access caused
// the leak. A skimmer planted on the shop's page is unauthorised access, so
// an incident opened by skimwatch always gets the 60 days.
type Deadlines struct {
	Aware       time.Time
	Preliminary time.Time
	Final       time.Time
	FinalDays   int
}

// PPCDeadlines computes Deadlines for in.
func PPCDeadlines(in *Input) Deadlines {
	aware := in.Shop.Discovered
	if aware.IsZero() {
		aware = in.Incident.Opened
	}
	d := Deadlines{Aware: aware, FinalDays: 60}
	day := aware.In(in.loc())
	d.Preliminary = day.AddDate(0, 0, 5)
	d.Final = day.AddDate(0, 0, d.FinalDays)
	return d
}
