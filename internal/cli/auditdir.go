package cli

import (
	"github.com/spf13/cobra"

	"github.com/skimwatch/skimwatch/internal/advisory"
	"github.com/skimwatch/skimwatch/internal/audit"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// auditVersionFlags are the flags of audit for versions, libraries,
// advisories and `audit DIR`.
type auditVersionFlags struct {
	advisories string
	inventory  string
	webUser    string
	maxFiles   int
}

func addAuditVersionFlags(cmd *cobra.Command, fl *auditVersionFlags) {
	f := cmd.Flags()
	f.StringVar(&fl.advisories, "advisories", "", "OSV advisories to match versions against: a folder, a .zip or .tar.gz, or a data directory (default: the one `advisories update` fills)")
	f.StringVar(&fl.inventory, "inventory", "", "a browser check's baseline file: read its scripts for libraries instead of the page's <script src> tags")
	f.StringVar(&fl.webUser, "web-user", "", "audit DIR: the account the web server runs as (default: www-data, apache, nginx or http, the first that exists)")
	f.IntVar(&fl.maxFiles, "max-files", audit.DefaultMaxFiles, "audit DIR: most files and folders walked; reaching it makes the run incomplete")
}

// inventoryScripts lists the external scripts of every page in a baseline.
func inventoryScripts(path string) ([]string, error) {
	b, err := inventory.Load(path)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range b.Pages {
		for _, s := range p.Scripts {
			if s.URL != "" && !seen[s.URL] {
				seen[s.URL] = true
				out = append(out, s.URL)
			}
		}
	}
	return out, nil
}

// runAuditDir is `skimwatch audit DIR`.
func runAuditDir(cmd *cobra.Command, app *App, db *advisory.DB, fl auditVersionFlags, dir string) (*finding.Report, error) {
	if fl.maxFiles < 1 {
		return nil, usageErr("--max-files %d: want at least 1", fl.maxFiles)
	}
	return audit.RunDir(cmd.Context(), dir, audit.DirOptions{
		Advisories: db, WebUser: fl.webUser, MaxFiles: fl.maxFiles, Logger: app.Logger,
	})
}
