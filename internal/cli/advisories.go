package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/store"
)

func init() { register(newAdvisoriesCmd) }

// maxAdvisoryDownload bounds what `advisories update` takes from a URL.
const maxAdvisoryDownload = 512 << 20

func newAdvisoriesCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "advisories",
		Short: "Keep the OSV advisories that audit matches versions against",
		Long: "The audit matches platforms, JavaScript libraries and lockfile packages against\n" +
			"security advisories in the OSV format, kept in the data directory. Every audit\n" +
			"report says how old they are. See docs/AUDIT.md.",
	}
	var from, dir string
	update := &cobra.Command{
		Use:   "update --from URL|FILE",
		Short: "Copy advisories from a URL, a zip or tar.gz archive, or a folder of OSV JSON files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usageErr("--from is required: a URL, an archive or a folder of OSV JSON files")
			}
			db, err := fetchAdvisories(cmd.Context(), from)
			if err != nil {
				return usageErr("%w", err)
			}
			if err := db.Save(dir, time.Now()); err != nil {
				return usageErr("%w", err)
			}
			fmt.Fprintf(app.Stdout, "saved %d advisories to %s\n", db.Len(), dir)
			printAdvisoryAge(app.Stdout, db, time.Now())
			return nil
		},
	}
	update.Flags().StringVar(&from, "from", "", "where to read the advisories: an http(s) URL, a .zip or .tar.gz archive, or a folder")
	update.Flags().StringVar(&dir, "dir", defaultAdvisoryDir(), "the data directory the advisories are kept in")
	status := &cobra.Command{
		Use:   "status",
		Short: "Say where the advisories came from and how old they are",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := advisory.Open(dir)
			if err != nil {
				return usageErr("%w (run skimwatch advisories update --from ...)", err)
			}
			printAdvisoryAge(app.Stdout, db, time.Now())
			return nil
		},
	}
	status.Flags().StringVar(&dir, "dir", defaultAdvisoryDir(), "the data directory the advisories are kept in")
	cmd.AddCommand(update, status)
	return cmd
}

// defaultAdvisoryDir sits beside the default embedded store, in the same
// data directory as the baselines.
func defaultAdvisoryDir() string {
	d, err := store.ParseDSN(store.DefaultDSN())
	if err != nil || d.Path == "" {
		return "advisories"
	}
	return filepath.Join(filepath.Dir(d.Path), "advisories")
}

// fetchAdvisories reads from a URL (GET, bounded, http or https only) or
// from a local folder or archive.
func fetchAdvisories(ctx context.Context, from string) (*advisory.DB, error) {
	u, err := url.Parse(from)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return advisory.Load(ctx, from)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, from, nil)
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", from, err)
	}
	req.Header.Set("User-Agent", "skimwatch-advisories")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", from, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("advisories %s: %s", from, resp.Status)
	}
	return advisory.Read(ctx, from, io.LimitReader(resp.Body, maxAdvisoryDownload))
}

// loadAdvisories is what an audit matches against: --advisories when
// given (an error if unreadable), else the data directory's copy, else
// none (the report then says that versions were not checked).
func loadAdvisories(ctx context.Context, flag string) (*advisory.DB, error) {
	if flag != "" {
		return advisory.Load(ctx, flag)
	}
	db, err := advisory.Open(defaultAdvisoryDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return db, err
}

// printAdvisoryAge is the line every table report ends with.
func printAdvisoryAge(w io.Writer, db *advisory.DB, now time.Time) {
	if db == nil {
		fmt.Fprintln(w, "advisories: none loaded, so no version was checked against advisories (skimwatch advisories update --from URL|FILE)")
		return
	}
	m := db.Meta
	days := int(now.Sub(m.NewestModified).Hours() / 24)
	fmt.Fprintf(w, "advisories: %d from %s, newest modified %s (%d days before this run)", m.Records, m.Source, m.NewestModified.UTC().Format(time.DateOnly), days)
	if !m.Fetched.IsZero() {
		fmt.Fprintf(w, ", fetched %s", m.Fetched.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
}
