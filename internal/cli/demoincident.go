package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/incident/report"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// The seed's shop: the attack ran from 8 December 2020 to 26 January 2021.
// The demo replays those weeks with the hours of day the lab chose.
var (
	demoFrom     = time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)
	demoTo       = time.Date(2021, 2, 1, 0, 0, 0, 0, time.UTC)
	demoTamperOn = time.Date(2020, 12, 8, 3, 17, 41, 0, time.UTC)
	demoTamperOf = time.Date(2021, 1, 26, 14, 41, 9, 0, time.UTC)
	demoEvery    = 30 * time.Minute
	// The seed's shop learned of the breach on 27 January 2021.
	demoDiscovered = time.Date(2021, 1, 27, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))
)

// demoNotices says where the demo writes the notices and how: Dir (made
// when empty), and a Browser to print PDFs with (HTML only when nil).
type demoNotices struct {
	Dir     string
	Browser *browser.Browser
	ShopURL string
}

// demoScope replays the seed's weeks from the demo's two real checks (the
// clean page and the attacked one) in an in-memory store, with simulated
// orders, and scopes the incident as `skimwatch incident open` would, then
// writes the notices and reports as `skimwatch incident report` would. It
// returns the incident, or nil when it could not scope (said on out).
func demoScope(ctx context.Context, app *App, out io.Writer, page string, clean, attacked *observation.Observation, base *inventory.Baseline, pol verdict.Options, nt demoNotices) *incident.Incident {
	began := time.Now()
	clock := lab.NewClock(demoFrom)
	st, err := sqlite.Open(ctx, store.Memory, sqlite.Options{Logger: app.Logger, Now: clock.Now})
	if err != nil {
		fmt.Fprintf(out, "     Could not open a store for the replay: %s\n", termtext.Escape(err.Error()))
		return nil
	}
	defer st.Close()
	keys, err := incident.Replay{Site: "lab", Clock: clock, End: demoTo, Every: demoEvery, Base: base, Policy: pol,
		Pages: []incident.ReplayPage{{Target: page, Clean: clean, Tampered: attacked, TamperOn: demoTamperOn, Off: demoTamperOf}}}.Run(ctx, st)
	if err != nil || keys[page] == "" {
		fmt.Fprintf(out, "     Could not replay the checks: %v\n", err)
		return nil
	}
	inc, err := incident.Open(ctx, st, incident.Options{Site: "lab", FindingKeys: []string{keys[page]}})
	if err != nil {
		fmt.Fprintf(out, "     Could not scope the incident: %s\n", termtext.Escape(err.Error()))
		return nil
	}
	orders := lab.GenerateOrders(demoFrom, demoTo, lab.DefaultTraffic())
	sc := incident.NewScope(inc)
	for _, o := range orders {
		sc.Add(incident.Order{ID: o.ID, Kind: o.Kind, Time: o.Time, CustomerID: o.CustomerID, Email: o.Email, Name: o.Name})
	}
	sc.Finish()
	inc.OrdersSource = "the lab's simulated orders"
	v, verr := incident.Verify(ctx, st, inc)
	c := inc.Counts
	fmt.Fprintf(out, "     Replayed %d weeks of checks every %s and %d simulated orders and registrations in %s.\n",
		int(demoTo.Sub(demoFrom).Hours()/24/7), demoEvery, len(orders), time.Since(began).Round(100*time.Millisecond))
	fmt.Fprintf(out, "     (The attack really ran from %s to %s in the replay.)\n\n", demoTamperOn.Format("2006-01-02 15:04"), demoTamperOf.Format("2006-01-02 15:04"))
	fmt.Fprintf(out, "   Exposure started %s\n", termtext.Escape(inc.Window.Start.StartText()))
	fmt.Fprintf(out, "   Exposure ended   %s\n", termtext.Escape(inc.Window.End.EndText()))
	fmt.Fprintf(out, "   Affected:        %d order(s) by %d customer(s): %s\n", c.Orders, c.Customers, termtext.Escape(joinDataClasses(inc.Artifact.Exposed)))
	fmt.Fprintf(out, "   Possibly:        %d more order(s) placed between the bounds of the start or the end\n", c.PossiblyAffected)
	switch {
	case verr != nil:
		fmt.Fprintf(out, "   The citations could not be checked: %s\n", termtext.Escape(verr.Error()))
	case v.OK():
		fmt.Fprintf(out, "   All %d event-log citations behind the window verify against the hash chain.\n", v.Checked)
	default:
		fmt.Fprintf(out, "   %d citation(s) do NOT verify against the chain.\n", len(v.Problems))
	}
	writeDemoNotices(ctx, app, out, st, inc, base, nt)
	return inc
}

// writeDemoNotices writes every document of the scoped incident, as
// `incident report` does from the store the replay filed into. The lab's
// shop knows only its name and address; everything else is left marked
// for the shop to fill in, as a real shop's documents would be without a
// --shop file, so the demo shows the marks too.
func writeDemoNotices(ctx context.Context, app *App, out io.Writer, st store.Store, inc *incident.Incident, base *inventory.Baseline, nt demoNotices) {
	began := time.Now()
	dir := nt.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "skimwatch-demo-notices-")
		if err != nil {
			fmt.Fprintf(out, "   Could not make a folder for the notices: %s\n", termtext.Escape(err.Error()))
			return
		}
		dir = d
	}
	in := &report.Input{Incident: inc, Issued: time.Now(), Scripts: report.ScriptsFromBaseline(base),
		Shop: report.Shop{
			Name: report.Localized{"ja": "ゆとりの空間ラボショップ（skimwatch ラボ）", "en": "Yutori no Kukan lab shop (skimwatch lab)"},
			URL:  nt.ShopURL,
			// The replay replays the seed's weeks, so the shop learns of
			// the breach when the seed's did: its deadlines follow.
			Discovered: demoDiscovered,
		}}
	if err := gatherEvidence(ctx, st, in); err != nil {
		fmt.Fprintf(out, "   Could not read the evidence for the reports: %s\n", termtext.Escape(err.Error()))
		return
	}
	opts := report.WriteOptions{Formats: []string{"html"}}
	if nt.Browser != nil {
		opts.Formats = append(opts.Formats, "pdf")
		opts.Renderer = document.NewRenderer(nt.Browser, app.Logger)
	}
	paths, err := report.Write(ctx, dir, in, opts)
	if err != nil {
		fmt.Fprintf(out, "   Could not write the notices: %s\n", termtext.Escape(err.Error()))
		return
	}
	fmt.Fprintf(out, "   Wrote %d files in %s (%s), in Japanese and English:\n", len(paths), strings.Join(opts.Formats, " and "), time.Since(began).Round(100*time.Millisecond))
	fmt.Fprintln(out, "     the customer notice with its mail-merge CSV and web notice, the preliminary and final")
	fmt.Fprintln(out, "     reports to the Personal Information Protection Commission, the card brands' summary and")
	fmt.Fprintln(out, "     the PCI DSS evidence pack. Start with customer-notice.ja.html in")
	fmt.Fprintf(out, "     %s\n", termtext.Escape(dir))
}

func joinDataClasses(cs []incident.DataClass) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ", "
		}
		s += string(c)
	}
	return s
}
