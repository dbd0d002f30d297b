package cli

import (
	"strings"
	"testing"
)

func TestServeAndWorkerRefuseBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"serve needs a config", []string{"serve"}, "--config is required"},
		{"serve refuses a config that is not there", []string{"serve", "--config", "/nonexistent/skimwatch.yaml"}, "open config"},
		{"a worker refuses a SQLite store, which cannot be shared", []string{"worker", "--store", "sqlite:///tmp/x.db"}, "needs a postgres:// store"},
		{"a worker refuses a store DSN that does not parse", []string{"worker", "--store", "mongodb://x"}, "--store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 saying %q", code, stderr, tt.want)
			}
		})
	}
}
