package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

func auditLab(t *testing.T) string {
	t.Helper()
	h, err := lab.NewAuditShop(lab.AuditExposed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAuditCommandExitCodes(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	shop := auditLab(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"an exposed shop exits 1 at the default fail-on", []string{"audit", shop + "/", "--rate", "1000"}, finding.ExitFindings},
		{"--fail-on critical still exits 1 because an exposed .git is critical", []string{"audit", shop + "/", "--rate", "1000", "--fail-on", "critical"}, finding.ExitFindings},
		{"a budget too small for every probe exits 2", []string{"audit", shop + "/", "--rate", "1000", "--max-requests", "3"}, finding.ExitIncomplete},
		{"a non-http URL is a usage error", []string{"audit", "ftp://127.0.0.1/"}, finding.ExitIncomplete},
		{"a zero rate is a usage error", []string{"audit", shop + "/", "--rate", "0"}, finding.ExitIncomplete},
		{"no URL is a usage error", []string{"audit"}, finding.ExitIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, errOut, code := runCLI(t, tc.args...); code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errOut)
			}
		})
	}
}

func TestAuditCommandJSONAndStore(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	shop := auditLab(t)
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "store.db")
	out, errOut, code := runCLI(t, "audit", shop+"/shopping/payment", "--rate", "1000", "--format", "json", "--store", dsn, "--site", "shop")
	if code != finding.ExitFindings {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.Command != "audit" || !r.Complete || len(r.Findings) == 0 || r.Findings[0].Kind != "audit.git-exposed" {
		t.Fatalf("report = %+v", r)
	}
	st, err := open.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(r.Findings) {
		t.Errorf("store holds %d findings for site shop, report has %d", len(fs), len(r.Findings))
	}
	for _, f := range fs {
		if !strings.HasPrefix(f.Kind, "audit.") {
			t.Errorf("stored kind %q is not an audit kind", f.Kind)
		}
	}
}
