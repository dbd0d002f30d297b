package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func TestCheckRejectsBadUsageWithExitTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		// mention is what the message must name, when set.
		mention string
	}{
		{"no target at all", []string{"check"}, ""},
		{"a URL that is not http", []string{"check", "ftp://127.0.0.1/"}, ""},
		{"an unknown format", []string{"check", "http://127.0.0.1/", "--format", "xml"}, ""},
		{"an unknown fail-on severity", []string{"check", "http://127.0.0.1/", "--fail-on", "urgent"}, ""},
		{"a payment origin that is not an origin", []string{"check", "http://127.0.0.1/", "--payment-origin", "pay"}, ""},
		{"update-baseline without a baseline file", []string{"check", "http://127.0.0.1/", "--update-baseline"}, ""},
		{"a baseline that does not exist", []string{"check", "http://127.0.0.1/", "--baseline", "/nonexistent/b.json"}, ""},
		{"a flow file that does not exist", []string{"check", "--flow", "/nonexistent/flow.yaml"}, ""},
		{"a shop origin that is not an origin", []string{"check", "http://127.0.0.1/", "--shop-origin", "api"}, "--shop-origin"},
		{"a honey phone prefix that is not a Japanese number", []string{"check", "http://127.0.0.1/", "--honey-phone", "90123"}, "--honey-phone"},
		{"a honey phone prefix longer than a number", []string{"check", "http://127.0.0.1/", "--honey-phone", "0312345678901"}, "--honey-phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, tt.args...)
			if code != finding.ExitIncomplete {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errOut)
			}
			if errOut == "" {
				t.Fatal("no message says what was wrong")
			}
			if !strings.Contains(errOut, tt.mention) {
				t.Errorf("message %q does not name %s", errOut, tt.mention)
			}
		})
	}
}

func needBrowser(t *testing.T) {
	t.Helper()
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
}

// TestCheckContract drives the command as a pipeline would: approve, check
// clean (exit 0), check under attack (exit 1, JSON findings), and check a
// page that cannot load (exit 2, incomplete, never clean).
func TestCheckContract(t *testing.T) {
	needBrowser(t)
	l, err := lab.Start(context.Background(), lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.json")
	dsn := "sqlite://" + filepath.Join(dir, "store.db")
	page := l.ShopURL() + "/checkout/link"
	common := []string{"check", page, "--payment-origin", l.PSPOrigin(), "--payment-origin", l.PSPAPIOrigin(),
		"--baseline", base, "--dwell", "2s", "--site", "lab", "--store", dsn}

	if _, errOut, code := runCLI(t, append(common, "--update-baseline")...); code != 0 {
		t.Fatalf("approving exited %d: %s", code, errOut)
	}
	if _, err := os.Stat(base); err != nil {
		t.Fatalf("no baseline written: %v", err)
	}
	out, errOut, code := runCLI(t, append(common, "--format", "json")...)
	if code != 0 {
		t.Fatalf("the clean page against its baseline exited %d: %s\n%s", code, errOut, out)
	}

	if err := l.SetScenario("fake-card-form"); err != nil {
		t.Fatal(err)
	}
	obsFile := filepath.Join(dir, "attacked.json")
	out, errOut, code = runCLI(t, append(common, "--format", "json", "--observations", obsFile)...)
	l.SetScenario("")
	if code != finding.ExitFindings {
		t.Fatalf("the attacked page exited %d, want 1: %s\n%s", code, errOut, out)
	}
	var rep struct {
		Complete bool `json:"complete"`
		Findings []struct {
			Severity string         `json:"severity"`
			Kind     string         `json:"kind"`
			Message  string         `json:"message"`
			Evidence map[string]any `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	critical := 0
	for _, f := range rep.Findings {
		if f.Severity == "" || f.Kind == "" || f.Message == "" || f.Evidence == nil {
			t.Errorf("finding misses a contract field: %+v", f)
		}
		if f.Severity == "critical" {
			critical++
		}
	}
	if !rep.Complete || critical == 0 {
		t.Fatalf("complete=%v, %d critical findings:\n%s", rep.Complete, critical, out)
	}

	// The store holds the findings and a verifiable record of each check.
	st, err := openStore(context.Background(), &App{}, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.Findings(context.Background(), store.FindingQuery{Site: "lab"})
	if err != nil || len(stored) == 0 {
		t.Fatalf("stored findings: %d, %v", len(stored), err)
	}
	if n, err := st.VerifyEvents(context.Background()); err != nil || n < 3 {
		t.Fatalf("event log: %d events, %v", n, err)
	}

	// The attacked check recorded its ID and honey card, so the leaked card
	// names the check: `findings --honey` answers with its ID and target.
	var obs []observation.Observation
	if data, err := os.ReadFile(obsFile); err != nil || json.Unmarshal(data, &obs) != nil || len(obs) != 1 || obs[0].Probe == nil {
		t.Fatalf("observations of the attacked check: %v", err)
	}
	leaked, checkID := obs[0].Probe.Values[observation.FieldCardNumber], obs[0].Probe.CheckID
	if leaked == "" || checkID == "" {
		t.Fatalf("the probe recorded card %q and check ID %q", leaked, checkID)
	}
	out, errOut, code = runCLI(t, "findings", "--store", dsn, "--honey", leaked)
	if code != 0 || !strings.Contains(out, checkID) || !strings.Contains(out, page) {
		t.Fatalf("findings --honey %s exited %d, want check %s and target %s:\n%s%s", leaked, code, checkID, page, out, errOut)
	}

	// A page that cannot be loaded is incomplete (exit 2), never clean.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	out, _, code = runCLI(t, "check", dead, "--dwell", "1s", "--format", "json", "--timeout", "20s")
	if code != finding.ExitIncomplete {
		t.Fatalf("an unreachable page exited %d, want 2:\n%s", code, out)
	}
}
