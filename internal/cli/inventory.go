package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/document"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/invsheet"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

func init() { register(newInventoryCmd) }

func newInventoryCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "List, approve, revoke, justify and export the pages' script and destination inventory",
		Long: "inventory works on the approved inventory that skimwatch serve compares every\n" +
			"check with, when the site's config names no baseline file (docs/SERVE.md).\n" +
			"Each item (a script version, a destination, a form, a data destination, a\n" +
			"page's security headers) is approved by a person with a justification, as\n" +
			"PCI DSS 6.4.3 asks; every decision is also an event-log entry.",
	}
	cmd.AddCommand(newInventoryListCmd(app), newInventoryDecideCmd(app, store.EventInventoryApproved),
		newInventoryDecideCmd(app, store.EventInventoryRevoked), newInventoryDecideCmd(app, store.EventInventoryJustified),
		newInventoryExportCmd(app), newInventoryImportCmd(app))
	return cmd
}

func newInventoryImportCmd(app *App) *cobra.Command {
	var (
		f                       inventoryFlags
		file, justification, by string
	)
	cmd := &cobra.Command{
		Use:   "import --site SITE --file BASELINE.json --justification TEXT --by NAME",
		Short: "Approve a baseline file's pages in the store (to move a file-approved site to the store)",
		Long: "import reads a baseline file (from skimwatch check --update-baseline, or the\n" +
			"service's approved DATA_DIR/baselines/SITE.json) and approves every item of\n" +
			"every page in it in the store, with the justification and who imports it;\n" +
			"items already approved or revoked stay as they are. Then remove the file\n" +
			"from the config (or move the default file away) and reload serve.\n\n" +
			"Exit codes: 0 imported; 2 the file or the store could not be read or\n" +
			"written, or a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.site == "" || file == "" || by == "" || justification == "" {
				return usageErr("--site, --file, --justification and --by are required")
			}
			b, err := inventory.Load(file)
			if err != nil {
				return usageErr("%s", termtext.Escape(err.Error()))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			s, err := openStore(ctx, app, *f.dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			now := time.Now().UTC()
			for _, key := range slices.Sorted(maps.Keys(b.Pages)) {
				n, err := importPage(ctx, s, f.site, b.Pages[key], justification, by, now)
				if err != nil {
					return fmt.Errorf("import %s: %w", termtext.Escape(key), err)
				}
				if _, err := fmt.Fprintf(app.Stdout, "%s: approved %d item(s).\n", termtext.Escape(key), n); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f.dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&f.site, "site", "", "the site (required)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", time.Minute, "give up after this long")
	cmd.Flags().StringVar(&file, "file", "", "the baseline file (required)")
	cmd.Flags().StringVar(&justification, "justification", "", "why these belong on the pages (required)")
	cmd.Flags().StringVar(&by, "by", "", "who imports and so approves them (required)")
	return cmd
}

// importPage proposes a file's page to the store and approves every item of
// it not approved yet.
func importPage(ctx context.Context, s store.Store, site string, p *inventory.PageInventory, justification, by string, now time.Time) (int, error) {
	if _, err := s.ProposeInventory(ctx, site, p, true, now); err != nil {
		return 0, err
	}
	items, err := store.ItemsOf(site, p)
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	stored, _, err := s.InventoryItems(ctx, store.InventoryQuery{Site: site, Target: p.Target, IDs: ids})
	if err != nil {
		return 0, err
	}
	var todo []string
	for _, it := range stored {
		// A revocation is a person's decision that a file approved
		// before it must not undo.
		if it.Status == store.ItemPending {
			todo = append(todo, it.ID)
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	changed, err := s.DecideInventory(ctx, store.InventoryDecision{Type: store.EventInventoryApproved, Site: site, Target: p.Target,
		Items: todo, Justification: justification, Actor: by, Time: now})
	return len(changed), err
}

// inventoryFlags are the flags every inventory subcommand shares.
type inventoryFlags struct {
	site, target string
	timeout      time.Duration
	dsn          *string
}

func (f *inventoryFlags) register(cmd *cobra.Command, targetHelp string) {
	f.dsn = storeFlag(cmd)
	cmd.Flags().StringVar(&f.site, "site", "", "the site (required)")
	cmd.Flags().StringVar(&f.target, "target", "", targetHelp)
	cmd.Flags().DurationVar(&f.timeout, "timeout", time.Minute, "give up after this long")
}

// targetKey is how the store names the page the user typed: the same key
// a check files it under, so a URL with a query string still finds it.
func (f *inventoryFlags) targetKey() string {
	if f.target == "" {
		return ""
	}
	return inventory.TargetKey(f.target)
}

func newInventoryListCmd(app *App) *cobra.Command {
	var (
		f              inventoryFlags
		status, format string
	)
	cmd := &cobra.Command{
		Use:   "list --site SITE [--target URL]",
		Short: "List a site's pages, or one page's items with their IDs and authorisations",
		Long: "Without --target, list shows the site's pages with how many items are pending,\n" +
			"approved and revoked. With --target, it shows the page's items, each with the\n" +
			"ID that approve, revoke and justify take.\n\n" +
			"Exit codes: 0 listed; 2 the store could not be read, or a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.site == "" {
				return usageErr("--site is required")
			}
			if format != "table" && format != "json" {
				return usageErr("--format must be table or json")
			}
			switch status {
			case "", store.ItemPending, store.ItemApproved, store.ItemRevoked:
			default:
				return usageErr("--status must be pending, approved or revoked")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			s, err := openStore(ctx, app, *f.dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			if f.target == "" {
				targets, err := s.InventoryTargets(ctx, f.site)
				if err != nil {
					return fmt.Errorf("read inventory: %w", err)
				}
				if format == "json" {
					return termtext.WriteJSON(app.Stdout, map[string]any{"targets": nonNilList(targets)})
				}
				return inventoryTargetsTable(app.Stdout, targets)
			}
			items, _, err := s.InventoryItems(ctx, store.InventoryQuery{Site: f.site, Target: f.targetKey(), Status: status})
			if err != nil {
				return fmt.Errorf("read inventory: %w", err)
			}
			if format == "json" {
				return termtext.WriteJSON(app.Stdout, map[string]any{"items": nonNilList(items)})
			}
			return inventoryItemsTable(app.Stdout, items)
		},
	}
	f.register(cmd, "a page's URL (or flow:NAME): list its items")
	cmd.Flags().StringVar(&status, "status", "", "only items in this status: pending, approved or revoked")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func newInventoryDecideCmd(app *App, typ string) *cobra.Command {
	var (
		f                 inventoryFlags
		items             []string
		justification, by string
	)
	cmd := &cobra.Command{Args: cobra.NoArgs}
	switch typ {
	case store.EventInventoryApproved:
		cmd.Use = "approve --site SITE --target URL [--item ID]... --justification TEXT --by NAME"
		cmd.Short = "Approve a page's items, or (without --item) everything a clean check saw"
		cmd.Long = "approve authorises the named items of the page, or with no --item every pending\n" +
			"item that a check with no high finding saw (the first clean check's inventory).\n" +
			"A justification and who approves are required; both are kept with each item\n" +
			"and in the event log (inventory.approved)."
	case store.EventInventoryRevoked:
		cmd.Use = "revoke --site SITE --target URL --item ID... --by NAME [--justification REASON]"
		cmd.Short = "Revoke approved items: the next check reports them again"
		cmd.Long = "revoke takes approved items out of the page's approved inventory; the record\n" +
			"keeps who approved them and adds who revoked them and when (event\n" +
			"inventory.revoked, with the reason if given)."
	case store.EventInventoryJustified:
		cmd.Use = "justify --site SITE --target URL --item ID... --justification TEXT --by NAME"
		cmd.Short = "Rewrite the justification of approved items"
		cmd.Long = "justify replaces the written justification of approved items (event\n" +
			"inventory.justified)."
	}
	cmd.Long += "\n\nExit codes: 0 done; 2 no such item, an item in the wrong state, the store\n" +
		"could not be written, or a usage error."
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if f.site == "" || f.target == "" || by == "" {
			return usageErr("--site, --target and --by are required")
		}
		if typ != store.EventInventoryRevoked && justification == "" {
			return usageErr("--justification is required: say why this belongs on the page")
		}
		if typ != store.EventInventoryApproved && len(items) == 0 {
			return usageErr("--item is required (inventory list --site %s --target URL shows the IDs)", termtext.Escape(f.site))
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
		defer cancel()
		s, err := openStore(ctx, app, *f.dsn)
		if err != nil {
			return err
		}
		defer s.Close()
		changed, err := s.DecideInventory(ctx, store.InventoryDecision{Type: typ, Site: f.site, Target: f.targetKey(),
			Items: items, Justification: justification, Actor: by})
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid):
			return usageErr("%s", termtext.Escape(err.Error()))
		case err != nil:
			return err
		}
		verb := map[string]string{store.EventInventoryApproved: "Approved", store.EventInventoryRevoked: "Revoked",
			store.EventInventoryJustified: "Justified"}[typ]
		if _, err := fmt.Fprintf(app.Stdout, "%s %d item(s) of %s by %s.\n", verb, len(changed), termtext.Escape(f.targetKey()), termtext.Escape(by)); err != nil {
			return err
		}
		return inventoryItemsTable(app.Stdout, changed)
	}
	f.register(cmd, "the page's URL (or flow:NAME) (required)")
	cmd.Flags().StringArrayVar(&items, "item", nil, "an item ID from inventory list; repeatable")
	cmd.Flags().StringVar(&justification, "justification", "", "why the item belongs on the page (a reason, for revoke)")
	cmd.Flags().StringVar(&by, "by", "", "who decides (required)")
	return cmd
}

func newInventoryExportCmd(app *App) *cobra.Command {
	var (
		f                         inventoryFlags
		format, out, chromium, by string
	)
	cmd := &cobra.Command{
		Use:   "export --site SITE [--target URL] --format csv|pdf|html [--out FILE]",
		Short: "Export the inventory with its authorisations for an assessor (CSV, or a PDF evidence sheet)",
		Long: "export writes every item of the site (or of one page) with its hashes, first and\n" +
			"last seen, who approved it and when, and the justification: csv one row per\n" +
			"item, pdf an evidence sheet printed through Chromium (html the same sheet\n" +
			"unprinted). It goes to --out, or to standard output for csv and html.\n\n" +
			"Exit codes: 0 written; 2 the store could not be read, Chromium failed, or a\n" +
			"usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.site == "" {
				return usageErr("--site is required")
			}
			if format != "csv" && format != "pdf" && format != "html" {
				return usageErr("--format must be csv, pdf or html")
			}
			if format == "pdf" && out == "" {
				return usageErr("--out is required for pdf")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			s, err := openStore(ctx, app, *f.dsn)
			if err != nil {
				return err
			}
			defer s.Close()
			items, _, err := s.InventoryItems(ctx, store.InventoryQuery{Site: f.site, Target: f.targetKey()})
			if err != nil {
				return fmt.Errorf("read inventory: %w", err)
			}
			sheet := invsheet.Sheet{Site: f.site, Generated: time.Now().UTC(), By: by, Items: items}
			var data []byte
			switch format {
			case "csv":
				data, err = render(func(w io.Writer) error { return invsheet.WriteCSV(w, items) })
			case "html":
				data, err = render(func(w io.Writer) error { return invsheet.WriteHTML(w, sheet) })
			case "pdf":
				data, err = exportPDF(ctx, app, chromium, sheet)
			}
			if err != nil {
				return err
			}
			if out == "" {
				_, err = app.Stdout.Write(data)
				return err
			}
			// The export holds no card data, only what a check's inventory
			// names, but it is the site's evidence: owner-only.
			if err := atomicfile.WriteBytes(out, 0o600, data); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			_, err = fmt.Fprintf(app.Stdout, "Wrote %d item(s) to %s.\n", len(items), termtext.Escape(out))
			return err
		},
	}
	f.register(cmd, "only this page's items (a URL or flow:NAME)")
	cmd.Flags().StringVar(&format, "format", "csv", "csv, pdf or html")
	cmd.Flags().StringVar(&out, "out", "", "the file to write (required for pdf)")
	cmd.Flags().StringVar(&by, "by", "", "who exports it, printed on the sheet")
	cmd.Flags().StringVar(&chromium, "chromium", "", "Chromium binary for pdf (default: $SKIMWATCH_CHROMIUM, then chromium in PATH)")
	return cmd
}

func render(fn func(io.Writer) error) ([]byte, error) {
	var b bytes.Buffer
	err := fn(&b)
	return b.Bytes(), err
}

func exportPDF(ctx context.Context, app *App, chromium string, sheet invsheet.Sheet) ([]byte, error) {
	b, err := browser.Launch(ctx, browser.Options{ExecPath: chromium, Logger: app.Logger})
	if err != nil {
		return nil, &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("start Chromium: %w", err)}
	}
	defer b.Close()
	return invsheet.PDF(ctx, document.NewRenderer(b, app.Logger), sheet)
}

func inventoryTargetsTable(w io.Writer, targets []store.InventoryTarget) error {
	if len(targets) == 0 {
		_, err := fmt.Fprintln(w, "No inventory yet: the first complete check of a page proposes one.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAGE\tPENDING\tAPPROVED\tREVOKED\tLAST SEEN")
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", termtext.Escape(t.Target), t.Pending, t.Approved, t.Revoked, t.LastSeen.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func inventoryItemsTable(w io.Writer, items []store.InventoryItem) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(w, "No items.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tITEM\tHASH\tAPPROVED\tJUSTIFICATION")
	for _, it := range items {
		kind := it.Kind
		if it.ScriptKind != "" {
			kind += "/" + it.ScriptKind
		}
		approved := "-"
		if !it.ApprovedAt.IsZero() {
			approved = it.ApprovedAt.UTC().Format(time.RFC3339) + " by " + termtext.Escape(it.ApprovedBy)
		}
		hash := "-"
		if len(it.Hashes) > 0 {
			hash = shortEventData(it.Hashes[0], 16)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, termtext.Escape(kind), it.Status, shortEventData(it.Subject, 70),
			hash, approved, shortEventData(it.Justification, 50))
	}
	return tw.Flush()
}

func nonNilList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
