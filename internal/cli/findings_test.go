package cli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// runStoreCLI runs the command tree with args and returns stdout and the error.
func runStoreCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCommand(&App{Stdout: &out, Stderr: &errOut})
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

func storeExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *finding.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return finding.ExitIncomplete // what main does with any other error
}

var storeT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seedStore creates a SQLite store in a temp dir, fills it with fn and
// returns its DSN.
func seedStore(t *testing.T, fn func(context.Context, store.Store)) string {
	t.Helper()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "s.db")
	s, err := open.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn(t.Context(), s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func seedFindings(t *testing.T) string {
	return seedStore(t, func(ctx context.Context, s store.Store) {
		put := func(f finding.Finding, times int) {
			for i := range times {
				f.Time = f.Time.Add(time.Duration(i) * time.Hour)
				if _, err := s.PutFinding(ctx, store.FindingKey(f), f); err != nil {
					t.Fatal(err)
				}
			}
		}
		put(finding.Finding{Severity: finding.Critical, Kind: "honey.card-exfiltration", Source: "check", Site: "shop",
			URL: "https://shop.example/checkout", Message: "The honey card typed on the checkout went to https://evil.example.",
			Evidence: map[string]any{"destination": "https://evil.example/c"}, Time: storeT0}, 3)
		put(finding.Finding{Severity: finding.Medium, Kind: "fim.modified", Source: "fim", Site: "shop",
			Path: "js/theme.js", Message: "A served script changed.", Time: storeT0}, 1)
		put(finding.Finding{Severity: finding.High, Kind: "csp.new-destination", Source: "collector", Site: "blog",
			URL: "https://blog.example/", Message: "Browsers were asked to contact a new origin.", Time: storeT0}, 1)
	})
}

func TestFindingsCommand(t *testing.T) {
	dsn := seedFindings(t)
	t.Run("json output has the check report's shape with seen counts in the evidence", func(t *testing.T) {
		out, err := runStoreCLI(t, "findings", "--store", dsn, "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		testsupport.Golden(t, filepath.Join("testdata", "findings.json"), []byte(out))
	})
	t.Run("the table lists every finding, highest severity first", func(t *testing.T) {
		out, err := runStoreCLI(t, "findings", "--store", dsn)
		if err != nil {
			t.Fatal(err)
		}
		testsupport.Golden(t, filepath.Join("testdata", "findings.txt"), []byte(out))
	})
	for _, c := range []struct {
		name  string
		args  []string
		kinds []string
	}{
		{"a site filter keeps that site's findings", []string{"--site", "blog"}, []string{"csp.new-destination"}},
		{"a severity floor drops lower findings", []string{"--min-severity", "high"}, []string{"honey.card-exfiltration", "csp.new-destination"}},
		{"a since time drops findings last seen before it", []string{"--since", storeT0.Add(time.Hour).Format(time.RFC3339)}, []string{"honey.card-exfiltration"}},
		{"a since duration reaching back past everything keeps all", []string{"--since", "36500d"}, []string{"honey.card-exfiltration", "csp.new-destination", "fim.modified"}},
		{"a limit caps the list", []string{"--limit", "1"}, []string{"honey.card-exfiltration"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := runStoreCLI(t, append([]string{"findings", "--store", dsn, "--format", "json"}, c.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if k, ok := strings.CutPrefix(strings.TrimSpace(line), `"kind": "`); ok {
					got = append(got, strings.TrimSuffix(k, `",`))
				}
			}
			if strings.Join(got, ",") != strings.Join(c.kinds, ",") {
				t.Fatalf("kinds %v, want %v", got, c.kinds)
			}
		})
	}
	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"fail-on below the worst finding exits 1", []string{"--fail-on", "high"}, finding.ExitFindings},
		{"fail-on above every listed finding exits 0", []string{"--site", "blog", "--fail-on", "critical"}, finding.ExitClean},
		{"an unknown severity is a usage error", []string{"--min-severity", "severe"}, finding.ExitIncomplete},
		{"an unknown format is a usage error", []string{"--format", "xml"}, finding.ExitIncomplete},
		{"a bad since is a usage error", []string{"--since", "yesterday"}, finding.ExitIncomplete},
		{"an unknown store scheme is a usage error", []string{"--store", "mysql://x/y"}, finding.ExitIncomplete},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := runStoreCLI(t, append([]string{"findings", "--store", dsn}, c.args...)...)
			if got := storeExitCode(err); got != c.code {
				t.Fatalf("exit %d (%v), want %d", got, err, c.code)
			}
		})
	}
	t.Run("an empty store lists no findings as an array", func(t *testing.T) {
		empty := seedStore(t, func(context.Context, store.Store) {})
		out, err := runStoreCLI(t, "findings", "--store", empty, "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, `"findings": []`) {
			t.Fatalf("output %s", out)
		}
	})
	t.Run("the store comes from SKIMWATCH_STORE when no flag is given", func(t *testing.T) {
		t.Setenv(store.EnvStore, dsn)
		out, err := runStoreCLI(t, "findings", "--site", "blog")
		if err != nil || !strings.Contains(out, "csp.new-destination") {
			t.Fatalf("out %q err %v", out, err)
		}
	})
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, in string
		want     time.Time
		err      bool
	}{
		{"empty means no limit", "", time.Time{}, false},
		{"hours go back from now", "36h", now.Add(-36 * time.Hour), false},
		{"days go back from now", "7d", now.Add(-7 * 24 * time.Hour), false},
		{"an RFC 3339 time is taken as is", "2026-03-01T12:00:00Z", storeT0, false},
		{"a negative duration is refused", "-1h", time.Time{}, true},
		{"fractional days are refused", "1.5d", time.Time{}, true},
		{"words are refused", "yesterday", time.Time{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseSince(c.in, now)
			if (err != nil) != c.err || !got.Equal(c.want) {
				t.Fatalf("parseSince(%q) = %v, %v", c.in, got, err)
			}
		})
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "7d", "2026-03-01T12:00:00Z", "-5m", "99999d", "1h30m", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now)
		if err != nil {
			return
		}
		// A relative value never points into the future.
		if _, perr := time.Parse(time.RFC3339, strings.TrimSpace(s)); perr != nil && got.After(now) {
			t.Fatalf("parseSince(%q) = %v, after now", s, got)
		}
	})
}
