package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// hostileName erases the line it is printed on, returns the cursor to the
// start and prints a harmless-looking line and a forged all-clear: the attack
// issue 8 reproduced against the finding table.
const hostileName = "x.php\x1b[2K\rLOW  fim.ok  ok.php\nNo findings.\u202e"

// assertTerminalSafe fails when any line of out holds a character a terminal
// would act on, and when want (the escaped hostile text) is not shown.
func assertTerminalSafe(t *testing.T, out, want string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if termtext.Escape(line) != line {
			t.Fatalf("a line reaches the terminal raw: %q\nwhole output:\n%s", line, out)
		}
	}
	if !strings.Contains(out, want) {
		t.Fatalf("output does not show %q:\n%s", want, out)
	}
}

func TestTextOutputShowsHostileTextInsteadOfRunningIt(t *testing.T) {
	escaped := termtext.Escape(hostileName)

	t.Run("fim verify prints a planted file's name escaped", func(t *testing.T) {
		web := t.TempDir()
		base := filepath.Join(t.TempDir(), "b.fim")
		if err := os.WriteFile(filepath.Join(web, "index.php"), []byte("<?php"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, errOut, code := runCLI(t, "fim", "baseline", web, "--out", base); code != 0 {
			t.Fatalf("baseline: exit %d: %s", code, errOut)
		}
		if err := os.WriteFile(filepath.Join(web, hostileName), []byte("skim()"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runCLI(t, "fim", "verify", web, "--baseline", base)
		if code != 1 {
			t.Fatalf("verify: exit %d, want 1: %s", code, errOut)
		}
		assertTerminalSafe(t, out, escaped)
	})

	t.Run("fim baseline prints a symlink leaving the root escaped", func(t *testing.T) {
		web := t.TempDir()
		if err := os.Symlink("/etc/"+hostileName, filepath.Join(web, hostileName)); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runCLI(t, "fim", "baseline", web, "--out", filepath.Join(t.TempDir(), "b.fim"))
		if code != 0 {
			t.Fatalf("baseline: exit %d: %s", code, errOut)
		}
		assertTerminalSafe(t, out, "WARNING: symlink "+escaped+" points outside the web root, to /etc/"+escaped)
	})

	t.Run("the events table prints stored text escaped", func(t *testing.T) {
		data, err := json.Marshal(map[string]string{"file": hostileName})
		if err != nil {
			t.Fatal(err)
		}
		dsn := seedStore(t, func(ctx context.Context, s store.Store) {
			if _, err := s.AppendEvent(ctx, store.Event{Site: "shop", Type: "finding.raise", Actor: hostileName, Data: data, Time: storeT0}); err != nil {
				t.Fatal(err)
			}
		})
		out, err := runStoreCLI(t, "events", "--store", dsn)
		if err != nil {
			t.Fatal(err)
		}
		assertTerminalSafe(t, out, escaped)
	})

	t.Run("the demo's plain-words explanation prints findings escaped", func(t *testing.T) {
		r := &finding.Report{Complete: false, Incomplete: []string{hostileName}, Findings: []finding.Finding{
			{Severity: finding.Critical, Kind: verdict.KindCardExfil, Message: hostileName,
				Evidence: map[string]any{"destination_origin": hostileName, "script": hostileName, "values": []string{"card"}}},
			{Severity: finding.High, Kind: verdict.KindScriptChanged, Message: hostileName},
		}}
		var buf bytes.Buffer
		explain(&buf, r, "https://shop.example/checkout", "https://pay.example")
		assertTerminalSafe(t, buf.String(), "Where the card went: "+escaped)
	})
}
