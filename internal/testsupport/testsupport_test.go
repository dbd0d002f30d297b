package testsupport

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The skip-or-fail rule is checked in a child process, because a skipped or
// failed test cannot be observed from inside itself.
func TestNeed(t *testing.T) {
	if os.Getenv("TESTSUPPORT_CHILD") == "1" {
		Need(t, "Widget", errors.New("widget not in PATH"))
		return
	}
	tests := []struct {
		name, ci, short string
		wantFail        bool
		wantOut         string
	}{
		{"a missing component skips on a developer's machine", "", "", false, "SKIP: TestNeed"},
		{"a missing component fails when CI=true", "true", "", true, "CI=true but Widget is missing: widget not in PATH"},
		{"-short skips even when CI=true", "true", "-test.short", false, "needs Widget; skipped with -short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-test.run=^TestNeed$", "-test.v"}
			if tt.short != "" {
				args = append(args, tt.short)
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
			cmd.Env = append(os.Environ(), "TESTSUPPORT_CHILD=1", "CI="+tt.ci)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("child failed=%v, want %v:\n%s", failed, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.wantOut) {
				t.Fatalf("child output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

func TestNeedReturnsWhenTheComponentIsThere(t *testing.T) {
	if testing.Short() {
		t.Skip("Need skips under -short by design")
	}
	Need(t, "Widget", nil) // must neither skip nor fail
}

func TestGolden(t *testing.T) {
	if os.Getenv("TESTSUPPORT_CHILD") == "1" {
		Golden(t, os.Getenv("TESTSUPPORT_GOLDEN"), []byte("new\n"))
		return
	}
	tests := []struct {
		name     string
		update   bool
		wantFail bool
		wantFile string
	}{
		{"a differing output fails and leaves the file alone", false, true, "old\n"},
		{"-update rewrites the file and passes", true, false, "new\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "x.golden")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"-test.run=^TestGolden$"}
			if tt.update {
				args = append(args, "-update")
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
			cmd.Env = append(os.Environ(), "TESTSUPPORT_CHILD=1", "TESTSUPPORT_GOLDEN="+path)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("child failed=%v, want %v:\n%s", failed, tt.wantFail, out)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.wantFile {
				t.Fatalf("golden file holds %q, want %q", b, tt.wantFile)
			}
		})
	}
}
