package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/scan"
)

func init() { register(newScanCmd) }

// scanFlags are the flags of `skimwatch scan`.
type scanFlags struct {
	rules            []string
	noDefaultRules   bool
	format           string
	failOn           string
	defines          []string
	skipImports      bool
	autoExternals    bool
	saveRules        string
	loadRules        string
	workers          int
	maxFileSize      int64
	timeout          time.Duration
	db               string
	query            string
	maxRows          int
	statementTimeout time.Duration
	store            *siteStore
}

func newScanCmd(app *App) *cobra.Command {
	var fl scanFlags
	cmd := &cobra.Command{
		Use:   "scan PATH... | scan --db DSN --query SQL",
		Short: "Scan files or database rows for skimmer and webshell signatures",
		Long: "scan matches files (walked recursively, symlinks never followed) or database rows\n" +
			"against skimwatch's bundled YARA rules for JavaScript skimmers, PHP webshells and\n" +
			"payloads hidden in images, plus any --rules you add.\n\n" +
			"Database DSNs: postgres://user@host/db, mysql://user:pass@tcp(host:3306)/db,\n" +
			"sqlite:///path/to/file.db. The query runs in a read-only transaction with a\n" +
			"statement timeout; every text column of every row is scanned.\n\n" +
			"Exit codes: 0 clean, 1 findings at or above --fail-on, 2 incomplete run,\n" +
			"a rule that does not compile, or a usage error.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, app, fl, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&fl.rules, "rules", nil, "extra rule file or directory of *.yar/*.yara (repeatable)")
	f.BoolVar(&fl.noDefaultRules, "no-default-rules", false, "leave out the bundled rules")
	f.StringVar(&fl.format, "format", "table", "output format: table, json or sarif")
	f.StringVar(&fl.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity")
	f.StringArrayVarP(&fl.defines, "define", "d", nil, "define a YARA external variable, name=value (repeatable)")
	f.BoolVar(&fl.skipImports, "skip-unsupported-imports", false, "leave out rules that use YARA modules the engine lacks (pe, elf, ...) instead of failing; the summary counts them")
	f.BoolVar(&fl.autoExternals, "auto-externals", false, "fill the externals filename, filepath, extension, filetype and owner per file, as THOR and LOKI rule collections expect")
	f.StringVar(&fl.saveRules, "save-rules", "", "write the compiled rules to this file for --load-rules (with no path to scan, only save)")
	f.StringVar(&fl.loadRules, "load-rules", "", "scan with rules saved by --save-rules instead of compiling (replaces the bundled rules and --rules)")
	f.IntVar(&fl.workers, "workers", 0, "files scanned at once (default: number of CPUs)")
	f.Int64Var(&fl.maxFileSize, "max-file-size", scan.DefaultMaxFileSize, "largest file scanned in bytes; larger files make the run incomplete (negative: no limit)")
	f.DurationVar(&fl.timeout, "timeout", scan.DefaultTimeout, "time limit for scanning one file or value")
	f.StringVar(&fl.db, "db", "", "scan rows of this database instead of files (needs --query)")
	f.StringVar(&fl.query, "query", "", "SQL query selecting the rows to scan (first column names the row)")
	f.IntVar(&fl.maxRows, "max-rows", scan.DefaultMaxRows, "stop after this many rows; more make the run incomplete")
	f.DurationVar(&fl.statementTimeout, "statement-timeout", scan.DefaultStatementTimeout, "time limit for the database query")
	fl.store = addSiteStore(cmd)
	return cmd
}

func runScan(cmd *cobra.Command, app *App, fl scanFlags, args []string) error {
	format, err := finding.ParseFormat(fl.format)
	if err != nil {
		return usageErr("--format: %w", err)
	}
	failOn, err := finding.ParseSeverity(fl.failOn)
	if err != nil {
		return usageErr("--fail-on: %w", err)
	}
	switch {
	case fl.db == "" && fl.query != "":
		return usageErr("--query needs --db")
	case fl.db != "" && fl.query == "":
		return usageErr("--db needs --query")
	case fl.db != "" && len(args) > 0:
		return usageErr("give either paths or --db, not both")
	case fl.saveRules != "" && fl.loadRules != "":
		return usageErr("give either --save-rules or --load-rules, not both")
	case fl.db == "" && len(args) == 0 && fl.saveRules == "":
		return usageErr("nothing to scan: give one or more paths, or --db and --query")
	}
	externals, err := scan.ParseExternals(fl.defines)
	if err != nil {
		return usageErr("-d: %w", err)
	}
	s, err := scan.New(scan.Options{
		Rules:                  fl.rules,
		NoDefaultRules:         fl.noDefaultRules,
		Externals:              externals,
		Workers:                fl.workers,
		MaxFileSize:            fl.maxFileSize,
		Timeout:                fl.timeout,
		SkipUnsupportedImports: fl.skipImports,
		AutoExternals:          fl.autoExternals,
		LoadRules:              fl.loadRules,
		Logger:                 app.Logger,
		Console:                app.Stderr,
	})
	if err != nil {
		var re *scan.RuleError
		if errors.As(err, &re) {
			// file:line:column first, so editors and CI annotate the line.
			if re.Unsupported {
				return &finding.ExitError{Code: finding.ExitIncomplete,
					Err: fmt.Errorf("%w (--skip-unsupported-imports skips such rules; see docs/SCAN.md for the supported modules)", re)}
			}
			return &finding.ExitError{Code: finding.ExitIncomplete, Err: re}
		}
		return usageErr("%w", err)
	}
	if fl.saveRules != "" {
		if err := saveRulesFile(s, fl.saveRules); err != nil {
			return usageErr("--save-rules: %w", err)
		}
		fmt.Fprintf(app.Stderr, "saved %d rules to %s\n", s.RuleCount(), fl.saveRules)
		if fl.db == "" && len(args) == 0 {
			return nil
		}
	}
	var rep *finding.Report
	if fl.db != "" {
		rep, err = s.ScanDB(cmd.Context(), scan.DBOptions{
			DSN: fl.db, Query: fl.query, MaxRows: fl.maxRows, StatementTimeout: fl.statementTimeout,
		})
	} else {
		rep, err = s.ScanPaths(cmd.Context(), args)
	}
	if err != nil {
		return usageErr("scan: %w", err)
	}
	rep.Version = Version
	sk := s.Skipped()
	if sk.Count > 0 {
		rep.Warnings = append(rep.Warnings, skippedLine(sk))
	}
	fl.store.save(cmd.Context(), app, rep, record.RunEvent("skimwatch scan", rep, nil))
	if err := finding.Render(app.Stdout, rep, format); err != nil {
		return usageErr("writing the report: %w", err)
	}
	if sk.Count > 0 && format == finding.FormatTable {
		fmt.Fprintln(app.Stdout, skippedLine(sk))
	}
	return finding.ExitFor(rep, failOn)
}

// skippedLine is the table's note that rules were left out, with a count
// per reason, so that the run is not taken for a full scan.
func skippedLine(sk scan.SkippedSummary) string {
	reasons := make([]string, 0, len(sk.Reasons))
	for r := range sk.Reasons {
		reasons = append(reasons, r)
	}
	// Modules first: they are the cause, dependent rules only follow them.
	slices.SortFunc(reasons, func(a, b string) int {
		da, db := strings.HasPrefix(a, "depends"), strings.HasPrefix(b, "depends")
		if da != db {
			if da {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(reasons))
	for _, r := range reasons {
		because := "because "
		if strings.HasPrefix(r, "depends") {
			because += "it "
		}
		parts = append(parts, fmt.Sprintf("%d %s%s", sk.Reasons[r], because, r))
	}
	return fmt.Sprintf("Not a full scan: %d of %d rules skipped (--skip-unsupported-imports): %s",
		sk.Count, sk.Total, strings.Join(parts, "; "))
}

// saveRulesFile writes the scanner's rules beside path and renames the file
// into place, so that a run that fails half-way never leaves a truncated
// file for the next --load-rules.
func saveRulesFile(s *scan.Scanner, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := s.SaveRules(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
