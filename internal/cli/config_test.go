package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SKIMWATCH_WEBHOOK_URL", "https://hooks.example/x")
	tests := []struct {
		name     string
		yaml     string
		wantCode int
		want     string
	}{
		{"the smallest config is valid", "sites:\n  - name: shop\n    payment_origins: [https://pay.example]\n    pages:\n      - url: https://shop.example/checkout\n        every: 5m\nalerts:\n  - webhook: ${SKIMWATCH_WEBHOOK_URL}\n",
			0, "valid: 1 site(s), 1 page(s) and flow(s), 1 alert sink(s)"},
		{"an inline secret is refused with its line", "sites:\n  - name: shop\n    collector_key: hunter2\n", 2, "line 3: "},
		{"a misspelt key is refused with its line", "sites:\n  - name: shop\n    pagez: []\n", 2, "line 3: sites[0].pagez: unknown key"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "c"+string(rune('0'+i))+".yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := runCLI(t, "config", "check", path)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("output %q, want it to contain %q", out+errOut, tt.want)
			}
			if strings.Contains(out+errOut, "hunter2") {
				t.Errorf("the inline secret was echoed: %q", out+errOut)
			}
		})
	}
}
