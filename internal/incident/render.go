package incident

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/termtext"
)

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// StartText says the start in words: "after T1 (check) and no later than
// T2 (check)".
func (b Bounds) StartText() string {
	if b.After.IsZero() {
		return fmt.Sprintf("before skimwatch's first observation, no later than %s (%s)", when(b.NoLaterThan), b.NoLaterThanSource)
	}
	return fmt.Sprintf("after %s (%s) and no later than %s (%s)", when(b.After), b.AfterSource, when(b.NoLaterThan), b.NoLaterThanSource)
}

// EndText says the end in words.
func (b Bounds) EndText() string {
	if b.Open {
		return fmt.Sprintf("not yet: still served at %s (%s)", when(b.After), b.AfterSource)
	}
	return fmt.Sprintf("at or after %s (%s) and before %s (%s)", when(b.After), b.AfterSource, when(b.NoLaterThan), b.NoLaterThanSource)
}

// WriteSummary prints the incident for a person: window with its sources
// and citations, pages, and counts. Everything from the record goes
// through termtext.Escape: targets and URLs came from pages.
func WriteSummary(w io.Writer, inc *Incident) {
	esc := termtext.Escape
	fmt.Fprintf(w, "Incident %s for site %s (opened %s)\n", esc(inc.ID), esc(inc.Site), when(inc.Opened))
	fmt.Fprintf(w, "  Exposure started %s\n", esc(inc.Window.Start.StartText()))
	fmt.Fprintf(w, "  Exposure ended   %s\n", esc(inc.Window.End.EndText()))
	if inc.Window.Start.Weaker != "" {
		fmt.Fprintf(w, "  Note on the start: %s\n", esc(inc.Window.Start.Weaker))
	}
	spells, nth := map[string]int{}, map[string]int{}
	for _, p := range inc.Pages {
		spells[p.Target]++
	}
	for _, p := range inc.Pages {
		nth[p.Target]++
		again := ""
		if spells[p.Target] > 1 {
			// A page cleaned and tampered again has a window per spell.
			again = fmt.Sprintf(" (tampered spell %d of %d)", nth[p.Target], spells[p.Target])
		}
		fmt.Fprintf(w, "  Tampered %s page %s%s, exposing %s\n", p.Kind, esc(p.Target), again, esc(joinClasses(p.Exposed)))
		fmt.Fprintf(w, "    start %s\n    end   %s\n", esc(p.Window.Start.StartText()), esc(p.Window.End.EndText()))
		for _, c := range append(append([]Citation{}, p.Window.Start.Evidence...), p.Window.End.Evidence...) {
			fmt.Fprintf(w, "      %s\n", esc(c.Ref()))
		}
	}
	if len(inc.Artifact.ScriptSHA256) > 0 {
		fmt.Fprintf(w, "  Malicious script SHA-256: %s\n", esc(strings.Join(inc.Artifact.ScriptSHA256, ", ")))
	}
	if len(inc.Artifact.Origins) > 0 {
		fmt.Fprintf(w, "  Attacker origins: %s\n", esc(strings.Join(inc.Artifact.Origins, ", ")))
	}
	if inc.Artifact.Path != "" {
		fmt.Fprintf(w, "  Planted file: %s\n", esc(inc.Artifact.Path))
	}
	c := inc.Counts
	if inc.OrdersSource == "" {
		fmt.Fprintln(w, "  No orders were given: add --orders-csv or --orders-db to list who was affected.")
		return
	}
	fmt.Fprintf(w, "  Affected: %d order(s) and %d registration(s), %d customer(s); possibly affected: %d more (%d customer(s)) [%s]\n",
		c.Orders, c.Registrations, c.Customers, c.PossiblyAffected, c.PossiblyCustomers, esc(inc.OrdersSource))
	for _, cl := range DataClasses {
		if n := c.PerClass[cl]; n > 0 {
			fmt.Fprintf(w, "    %-14s %d order(s) or registration(s), %d customer(s)\n", cl, n, c.PerClassCustomers[cl])
		}
	}
}

// Ref is a citation as one line: "event 12 (sha256 ab12…): what".
func (c Citation) Ref() string {
	if c.Offline {
		return fmt.Sprintf("%s [%s, not in the event log] %s", when(c.Time), c.Source, c.What)
	}
	h := c.EventHash
	if len(h) > 16 {
		h = h[:16]
	}
	return fmt.Sprintf("%s [event %d, %s…] %s", when(c.Time), c.EventSeq, h, c.What)
}

func joinClasses(cs []DataClass) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return strings.Join(out, ", ")
}

// WriteAffectedCSV writes the affected list (and, with possibly, the
// possibly affected after it) as CSV with a header row.
func WriteAffectedCSV(w io.Writer, inc *Incident, possibly bool) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"status", "kind", "id", "time", "customer_id", "email", "name", "page", "exposed"})
	rows := inc.Affected
	if possibly {
		rows = append(append([]AffectedOrder{}, inc.Affected...), inc.PossiblyAffected...)
	}
	for _, a := range rows {
		status := "affected"
		if a.Possibly {
			status = "possibly affected"
		}
		rec := []string{status, a.Kind, a.ID, a.Time.UTC().Format(time.RFC3339), a.CustomerID, a.Email, a.Name, a.Page, strings.Join(classNamesOf(a.Exposed), " ")}
		for i := range rec {
			rec[i] = termtext.CSVCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func classNamesOf(cs []DataClass) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// WriteAffectedTable writes the affected list for a terminal.
func WriteAffectedTable(w io.Writer, inc *Incident, possibly bool) {
	rows := inc.Affected
	if possibly {
		rows = append(append([]AffectedOrder{}, inc.Affected...), inc.PossiblyAffected...)
	}
	fmt.Fprintf(w, "%-9s %-12s %-12s %-20s %-28s %s\n", "STATUS", "KIND", "ID", "TIME", "EMAIL", "EXPOSED")
	for _, a := range rows {
		status := "affected"
		if a.Possibly {
			status = "possibly"
		}
		fmt.Fprintf(w, "%-9s %-12s %-12s %-20s %-28s %s\n", status, a.Kind, termtext.Escape(a.ID), when(a.Time), termtext.Escape(a.Email), joinClasses(a.Exposed))
	}
}
