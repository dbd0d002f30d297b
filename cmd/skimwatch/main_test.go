package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
)

func TestExitCodePrintsErrorsEscaped(t *testing.T) {
	hostile := "open /srv/x.php\x1b[2K\rall clean\n"
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantOut  string
	}{
		{"no error prints nothing and exits 0", nil, 0, ""},
		{"a plain error with a hostile path is printed escaped and exits 2",
			errors.New(hostile), finding.ExitIncomplete, `skimwatch: open /srv/x.php\x1b[2K\rall clean\n` + "\n"},
		{"an exit error with a hostile path is printed escaped with its code",
			&finding.ExitError{Code: 2, Err: fmt.Errorf("walk: %s", hostile)}, 2, `skimwatch: walk: open /srv/x.php\x1b[2K\rall clean\n` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			if code := exitCode(&out, tt.err); code != tt.wantCode {
				t.Fatalf("exit %d, want %d", code, tt.wantCode)
			}
			if out.String() != tt.wantOut {
				t.Fatalf("printed %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
}
