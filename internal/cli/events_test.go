package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

func seedEvents(t *testing.T) string {
	return seedStore(t, func(ctx context.Context, s store.Store) {
		for i, e := range []store.Event{
			{Site: "shop", Type: "baseline.approve", Actor: "alice", Data: json.RawMessage(`{"script":"https://cdn.example/app.js"}`)},
			{Site: "shop", Type: "finding.raise", Actor: "check", Data: json.RawMessage(`{"kind":"honey.card-exfiltration","to":"https://evil.example"}`)},
			{Site: "blog", Type: "finding.dismiss", Actor: "bob", Data: json.RawMessage(`{"reason":"known analytics\tbeacon"}`)},
		} {
			e.Time = storeT0.Add(time.Duration(i) * time.Minute)
			if _, err := s.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestEventsCommand(t *testing.T) {
	t.Run("the table lists events oldest first with short hashes", func(t *testing.T) {
		out, err := runStoreCLI(t, "events", "--store", seedEvents(t))
		if err != nil {
			t.Fatal(err)
		}
		testsupport.Golden(t, filepath.Join("testdata", "events.txt"), []byte(out))
	})
	t.Run("json lists the full events", func(t *testing.T) {
		out, err := runStoreCLI(t, "events", "--store", seedEvents(t), "--site", "shop", "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		testsupport.Golden(t, filepath.Join("testdata", "events.json"), []byte(out))
	})
	t.Run("an intact chain verifies with exit 0 and prints its head", func(t *testing.T) {
		out, err := runStoreCLI(t, "events", "--store", seedEvents(t), "--verify")
		if err != nil {
			t.Fatal(err)
		}
		testsupport.Golden(t, filepath.Join("testdata", "events-verify.txt"), []byte(out))
	})
	t.Run("the expected head", func(t *testing.T) {
		head := func(t *testing.T, dsn string) string {
			out, err := runStoreCLI(t, "events", "--store", dsn, "--verify", "--format", "json")
			if err != nil {
				t.Fatal(err)
			}
			var v struct{ Head string }
			if err := json.Unmarshal([]byte(out), &v); err != nil || v.Head == "" {
				t.Fatalf("no head in %s (%v)", out, err)
			}
			return v.Head
		}
		for _, c := range []struct {
			name, change, want string
			code               int
		}{
			{"still there after more appends passes", "append", "", finding.ExitClean},
			{"missing because events were cut off the end fails", "truncate", "removed from its end", finding.ExitIncomplete},
			{"replaced by a different event fails", "replace", "rewritten", finding.ExitIncomplete},
		} {
			t.Run(c.name, func(t *testing.T) {
				dsn := seedEvents(t)
				h := head(t, dsn)
				switch c.change {
				case "append", "replace":
					if c.change == "replace" {
						tamperStore(t, dsn, `DELETE FROM events WHERE seq = 3`)
					}
					s, err := open.Open(t.Context(), dsn, nil)
					if err != nil {
						t.Fatal(err)
					}
					_, err = s.AppendEvent(t.Context(), store.Event{Type: "finding.dismiss", Actor: "mallory"})
					s.Close()
					if err != nil {
						t.Fatal(err)
					}
				case "truncate":
					tamperStore(t, dsn, `DELETE FROM events WHERE seq = 3`)
				}
				out, err := runStoreCLI(t, "events", "--store", dsn, "--verify", "--expect-head", h)
				if storeExitCode(err) != c.code || !strings.Contains(out, c.want) {
					t.Fatalf("exit %d (%v), output %q; want exit %d and %q", storeExitCode(err), err, out, c.code, c.want)
				}
			})
		}
		t.Run("in a bad form is a usage error", func(t *testing.T) {
			for _, bad := range [][]string{{"--verify", "--expect-head", "3"}, {"--verify", "--expect-head", "x:y"}, {"--expect-head", "1:" + strings.Repeat("a", 64)}} {
				_, err := runStoreCLI(t, append([]string{"events", "--store", "sqlite::memory:"}, bad...)...)
				if storeExitCode(err) != finding.ExitIncomplete {
					t.Errorf("%v: exit %d", bad, storeExitCode(err))
				}
			}
		})
	})
	for _, format := range []string{"table", "json"} {
		t.Run(fmt.Sprintf("a tampered row fails verification with exit 2 (%s)", format), func(t *testing.T) {
			dsn := seedEvents(t)
			tamperStore(t, dsn, `UPDATE events SET data = '{"reason":"nothing to see"}' WHERE seq = 3`)
			out, err := runStoreCLI(t, "events", "--store", dsn, "--verify", "--format", format)
			if storeExitCode(err) != finding.ExitIncomplete {
				t.Fatalf("exit %d (%v), want 2", storeExitCode(err), err)
			}
			want := "BROKEN at seq 3"
			if format == "json" {
				want = `"broken_at": 3`
			}
			if !strings.Contains(out, want) {
				t.Fatalf("output %q lacks %q", out, want)
			}
		})
	}
	t.Run("verification works against PostgreSQL too", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		s, err := open.Open(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := s.AppendEvent(t.Context(), store.Event{Type: "t"}); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		if _, err := runStoreCLI(t, "events", "--store", dsn, "--verify"); err != nil {
			t.Fatal(err)
		}
		tamperStore(t, dsn, `UPDATE events SET actor = 'mallory' WHERE seq = 2`)
		if _, err := runStoreCLI(t, "events", "--store", dsn, "--verify"); storeExitCode(err) != finding.ExitIncomplete {
			t.Fatalf("tampered postgres log: exit %d (%v)", storeExitCode(err), err)
		}
	})
	t.Run("an empty log says so", func(t *testing.T) {
		out, err := runStoreCLI(t, "events", "--store", seedStore(t, func(context.Context, store.Store) {}))
		if err != nil || out != "No events.\n" {
			t.Fatalf("out %q err %v", out, err)
		}
	})
	t.Run("a negative limit is a usage error", func(t *testing.T) {
		_, err := runStoreCLI(t, "events", "--store", "sqlite::memory:", "--limit", "-1")
		if storeExitCode(err) != finding.ExitIncomplete {
			t.Fatalf("exit %d", storeExitCode(err))
		}
	})
}

func tamperStore(t *testing.T, dsn, query string) {
	t.Helper()
	s, err := open.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.(storetest.Execer).Exec(t.Context(), query); err != nil {
		t.Fatal(err)
	}
}
