package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/record"
	"github.com/skimwatch/skimwatch/internal/termtext"
	"github.com/skimwatch/skimwatch/internal/webroot"
)

func init() { register(newFimCmd) }

func newFimCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fim",
		Short: "File integrity monitoring of a web root against a signed baseline",
		Long: "fim records every file of a web root (size, mode, owner, times, inode, SHA-256)\n" +
			"into a baseline, optionally signed with ed25519, then verifies or watches the\n" +
			"tree against it. See docs/FIM.md.",
	}
	cmd.AddCommand(newFimBaselineCmd(app), newFimVerifyCmd(app), newFimWatchCmd(app), newFimKeygenCmd(app))
	return cmd
}

func newFimBaselineCmd(app *App) *cobra.Command {
	var (
		out, keyFile string
		excludes     []string
		noDefaults   bool
		workers      int
	)
	cmd := &cobra.Command{
		Use:   "baseline DIR --out FILE",
		Short: "Record a web root into a (signed) baseline file",
		Long: "Records path, size, mode, owner, mtime, ctime, inode and SHA-256 of every file\n" +
			"under DIR, and symlinks as links (never followed). Excluded by default: " +
			strings.Join(fim.DefaultExcludes(), ", ") + ".\n" +
			"--exclude adds globs; --no-default-excludes drops the defaults.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("--out is required")
			}
			var key ed25519.PrivateKey
			if keyFile != "" {
				k, err := fim.LoadPrivateKey(keyFile)
				if err != nil {
					return usageErr("signing key: %w", err)
				}
				key = k
			}
			ex := excludes
			if !noDefaults {
				ex = append(append([]string{}, fim.DefaultExcludes()...), excludes...)
			}
			if ex == nil {
				ex = []string{}
			}
			opts := fim.Options{Excludes: ex, WalkOptions: fim.WalkOptions{Workers: workers, Logger: app.Logger}}
			stop := attachProgress(app, &opts.WalkOptions, "baseline")
			m, err := fim.Baseline(cmd.Context(), args[0], opts)
			stop()
			if err != nil {
				return usageErr("baseline: %w", err)
			}
			if err := atomicfile.Write(out, 0o600, func(w io.Writer) error { return fim.WriteManifest(w, m, key) }); err != nil {
				return usageErr("write baseline: %w", err)
			}
			return baselineSummary(app.Stdout, m, out, key != nil)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "baseline file to write (required)")
	cmd.Flags().StringVar(&keyFile, "key", "", "ed25519 private key (from fim keygen) to sign the baseline")
	cmd.Flags().StringArrayVar(&excludes, "exclude", nil, "glob to leave out (repeatable); no slash matches the name at any depth, ** any folders")
	cmd.Flags().BoolVar(&noDefaults, "no-default-excludes", false, "do not exclude the default cache, session and log folders")
	cmd.Flags().IntVar(&workers, "workers", 0, "hashing workers (default: number of CPUs, at least 2)")
	return cmd
}

func baselineSummary(w io.Writer, m *fim.Manifest, out string, signed bool) error {
	var files, links, other, bytes int64
	for _, e := range m.Entries {
		switch e.Type {
		case fim.TypeFile:
			files++
			bytes += e.Size
		case fim.TypeSymlink:
			links++
		default:
			other++
		}
	}
	sig := "unsigned"
	if signed {
		sig = "signed"
	}
	// Names and link targets come from the web root, which an attacker may
	// write: they are escaped so that a name cannot rewrite these lines.
	esc := termtext.Escape
	fmt.Fprintf(w, "baseline of %s: %d files (%s), %d symlinks, %d special files; %s, written to %s\n",
		esc(m.Header.Root), files, humanBytes(bytes), links, other, sig, esc(out))
	fmt.Fprintf(w, "excluded: %s\n", esc(strings.Join(m.Header.Excludes, ", ")))
	for _, e := range m.OutsideLinks() {
		fmt.Fprintf(w, "WARNING: symlink %s points outside the web root, to %s\n", esc(e.Path), esc(e.Target))
	}
	for _, n := range m.Notes {
		fmt.Fprintf(w, "NOT RECORDED: %s: %s\n", esc(n.Path), esc(n.Reason))
	}
	if len(m.Notes) > 0 {
		return &finding.ExitError{Code: finding.ExitIncomplete,
			Err: fmt.Errorf("baseline is incomplete: %d path(s) could not be recorded (listed above)", len(m.Notes))}
	}
	return nil
}

func newFimVerifyCmd(app *App) *cobra.Command {
	var (
		baselineFile, pubFile, format, failOn string
		full, withScan                        bool
		workers                               int
		st                                    *siteStore
	)
	cmd := &cobra.Command{
		Use:   "verify DIR --baseline FILE",
		Short: "Report files added, removed or modified since the baseline",
		Long: "Compares DIR with the baseline. Unchanged files (same inode, size, mtime and\n" +
			"ctime) are not read again unless --full. Exit codes: 0 clean, 1 findings at or\n" +
			"above --fail-on, 2 incomplete run, refused baseline or usage error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := finding.ParseFormat(format)
			if err != nil {
				return usageErr("%w", err)
			}
			sev, err := finding.ParseSeverity(failOn)
			if err != nil {
				return usageErr("--fail-on: %w", err)
			}
			m, err := loadBaseline(app, baselineFile, pubFile)
			if err != nil {
				return err
			}
			opts := fim.VerifyOptions{Full: full, Version: Version, WalkOptions: fim.WalkOptions{Workers: workers, Logger: app.Logger}}
			stop := attachProgress(app, &opts.WalkOptions, "verify")
			rep, err := fim.Verify(cmd.Context(), args[0], m, opts)
			stop()
			if err != nil {
				return usageErr("verify: %w", err)
			}
			if m.Header.Root != rep.Targets[0] {
				fmt.Fprintf(app.Stderr, "skimwatch: note: the baseline was taken of %s; verifying %s against it\n", termtext.Escape(m.Header.Root), termtext.Escape(rep.Targets[0]))
			}
			if withScan {
				if err := webroot.ScanChanged(cmd.Context(), rep, workers, app.Logger); err != nil {
					rep.MarkIncomplete("signature scan: " + err.Error())
				}
				rep.Sort()
			}
			st.save(cmd.Context(), app, rep, record.RunEvent("skimwatch fim verify", rep, nil))
			if err := finding.Render(app.Stdout, rep, f); err != nil {
				return usageErr("render: %w", err)
			}
			return finding.ExitFor(rep, sev)
		},
	}
	cmd.Flags().StringVar(&baselineFile, "baseline", "", "baseline file from fim baseline (required)")
	cmd.Flags().StringVar(&pubFile, "pub", "", "ed25519 public key: refuse a baseline not signed by it")
	cmd.Flags().BoolVar(&full, "full", false, "re-read and hash every file instead of trusting the stat cache")
	cmd.Flags().BoolVar(&withScan, "scan", false, "run signatures on added and modified files")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "medium", "lowest severity that makes the exit code 1")
	cmd.Flags().IntVar(&workers, "workers", 0, "hashing workers (default: number of CPUs, at least 2)")
	st = addSiteStore(cmd)
	return cmd
}

// loadBaseline reads and checks a baseline; every refusal is exit code 2.
func loadBaseline(app *App, name, pubFile string) (*fim.Manifest, error) {
	if name == "" {
		return nil, usageErr("--baseline is required")
	}
	m, err := webroot.LoadBaseline(name, pubFile)
	switch {
	case errors.Is(err, fim.ErrUnsigned):
		return nil, usageErr("refusing baseline %s: it is not signed, but --pub was given", name)
	case errors.Is(err, fim.ErrBadSignature):
		return nil, usageErr("refusing baseline %s: %w; it was altered or signed with another key", name, err)
	case err != nil:
		return nil, usageErr("refusing baseline %s: %w", name, err)
	}
	if pubFile == "" {
		fmt.Fprintf(app.Stderr, "skimwatch: warning: no --pub given, the baseline's signature (if any) is not checked\n")
	}
	return m, nil
}

func newFimWatchCmd(app *App) *cobra.Command {
	var (
		baselineFile, pubFile, format string
		sweep                         time.Duration
		st                            *siteStore
	)
	cmd := &cobra.Command{
		Use:   "watch DIR --baseline FILE",
		Short: "Watch a web root with inotify and report changes as they happen",
		Long: "Watches DIR (new folders included) and prints one line per new finding: JSON\n" +
			"lines with --format json, else a table line. A full sweep runs at start, every\n" +
			"--sweep, and after an inotify queue overflow. Stops on interrupt.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "json" && format != "table" {
				return usageErr("--format must be json or table for watch")
			}
			m, err := loadBaseline(app, baselineFile, pubFile)
			if err != nil {
				return err
			}
			var mu sync.Mutex
			print := func(f finding.Finding) {
				mu.Lock()
				defer mu.Unlock()
				if st.enabled() {
					if err := st.put(cmd.Context(), app, []finding.Finding{f}, nil); err != nil {
						fmt.Fprintf(app.Stderr, "skimwatch: finding not saved to the store: %s\n", termtext.Escape(err.Error()))
					}
				}
				if format == "json" {
					_ = termtext.WriteJSONLine(app.Stdout, f)
					return
				}
				fmt.Fprintf(app.Stdout, "%s  %-8s  %-20s  %s  %s\n", f.Time.Format(time.RFC3339),
					strings.ToUpper(f.Severity.String()), termtext.Escape(f.Kind), termtext.Escape(f.Path), termtext.Escape(f.Message))
			}
			opts := fim.WatchOptions{Sweep: sweep, WalkOptions: fim.WalkOptions{Logger: app.Logger}}
			if err := fim.Watch(cmd.Context(), args[0], m, opts, print); err != nil {
				return usageErr("watch: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baselineFile, "baseline", "", "baseline file from fim baseline (required)")
	cmd.Flags().StringVar(&pubFile, "pub", "", "ed25519 public key: refuse a baseline not signed by it")
	cmd.Flags().DurationVar(&sweep, "sweep", 10*time.Minute, "interval of the full safety-net sweep (negative: off)")
	cmd.Flags().StringVar(&format, "format", "json", "line format: json or table")
	st = addSiteStore(cmd)
	return cmd
}

func newFimKeygenCmd(app *App) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "keygen --out PREFIX",
		Short: "Write an ed25519 key pair for signing baselines (PREFIX.key, PREFIX.pub)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if prefix == "" {
				return usageErr("--out is required")
			}
			priv, pub, err := fim.GenerateKeyFiles(prefix)
			if err != nil {
				return usageErr("keygen: %w", err)
			}
			fmt.Fprintf(app.Stdout, "private key: %s (mode 0600; keep it off the shop's server)\npublic key:  %s\n", termtext.Escape(priv), termtext.Escape(pub))
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "out", "", "path prefix of the key files (required)")
	return cmd
}

// attachProgress shows a progress line on stderr when it is a terminal.
func attachProgress(app *App, o *fim.WalkOptions, what string) (stop func()) {
	f, ok := app.Stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	o.OnProgress = func(p fim.Progress) {
		rate := 0.0
		if s := p.Elapsed.Seconds(); s > 0 {
			rate = float64(p.Bytes) / s
		}
		fmt.Fprintf(f, "\r\033[K%s: %d files, %s, %s/s", what, p.Files, humanBytes(p.Bytes), humanBytes(int64(rate)))
		if p.Done {
			fmt.Fprintln(f)
		}
	}
	return func() {}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
