package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// TestDetectorsKeepTheirFindings checks that scan and fim verify, given
// --store, file their findings under --site and record each run in the
// hash-chained log, and that nothing is written without --store.
func TestDetectorsKeepTheirFindings(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	dir := t.TempDir()
	web := filepath.Join(dir, "www")
	if err := os.MkdirAll(web, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(web, "index.php"), []byte("<?php echo 'shop';"), 0o644); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "store.db")
	dsn := "sqlite://" + dbPath
	manifest := filepath.Join(dir, "www.fim")
	if _, errOut, code := runCLI(t, "fim", "baseline", web, "--out", manifest); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, errOut)
	}
	shell, err := os.ReadFile(filepath.Join("..", "scan", "testdata", "samples", "php_eval_request", "positive.php"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(web, "media.php"), shell, 0o644); err != nil {
		t.Fatal(err)
	}

	// Without --store nothing is written.
	if _, _, code := runCLI(t, "scan", web, "--format", "json"); code != finding.ExitFindings {
		t.Fatalf("scan without store: exit %d", code)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Fatal("a store was written without --store")
	}

	if _, errOut, code := runCLI(t, "scan", web, "--store", dsn, "--site", "shop", "--format", "json"); code != finding.ExitFindings {
		t.Fatalf("scan: exit %d: %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, "fim", "verify", web, "--baseline", manifest, "--store", dsn, "--site", "shop", "--format", "json"); code != finding.ExitFindings {
		t.Fatalf("fim verify: exit %d: %s", code, errOut)
	}
	st, err := openStore(context.Background(), &App{}, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for _, f := range fs {
		sources[f.Source] = true
	}
	if !sources["scan"] || !sources["fim"] {
		t.Fatalf("stored findings by source: %v (%d findings)", sources, len(fs))
	}
	if n, err := st.VerifyEvents(context.Background()); err != nil || n != 2 {
		t.Fatalf("event log: %d events, %v; want one per run", n, err)
	}
}
