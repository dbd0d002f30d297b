package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func TestLabServesTheAuditShops(t *testing.T) {
	t.Setenv(store.EnvStore, "")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runLabCmd(ctx, out, "lab", "--audit") }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "running;") {
		if time.Now().After(deadline) {
			t.Fatalf("lab did not start; output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	exposed := regexp.MustCompile(`(?m)^audit shop\s+(http://\S+) \(exposed`).FindStringSubmatch(out.String())
	hardened := regexp.MustCompile(`(?m)^audit shop\s+(https://\S+) \(hardened: skimwatch audit --ca-file (\S+) `).FindStringSubmatch(out.String())
	if exposed == nil || hardened == nil {
		t.Fatalf("no audit shop lines in:\n%s", out.String())
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"the exposed shop's audit finds what the lab left open", []string{"audit", exposed[1] + "/shopping/payment", "--rate", "1000"}, finding.ExitFindings},
		{"the hardened shop's audit, trusting the printed CA file, is clean", []string{"audit", "--ca-file", hardened[2], hardened[1] + "/shopping/payment", "--rate", "1000", "--fail-on", "low"}, 0},
		{"the hardened shop's audit without the CA file says its certificate is untrusted", []string{"audit", hardened[1] + "/", "--rate", "1000", "--format", "json"}, finding.ExitIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, errOut, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s\n%s", code, tc.code, errOut, stdout)
			}
			if tc.code == finding.ExitIncomplete && !strings.Contains(stdout, `"audit.tls-untrusted"`) {
				t.Errorf("no audit.tls-untrusted finding in:\n%s", stdout)
			}
		})
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("lab returned %v after interrupt", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lab did not stop")
	}
}
