package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// syncBuffer is a bytes.Buffer safe for a command writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func runLabCmd(ctx context.Context, out io.Writer, args ...string) error {
	app := &App{Stdout: out, Stderr: io.Discard}
	root := NewRootCommand(app)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func TestLabScenariosListsEveryScenario(t *testing.T) {
	var out bytes.Buffer
	if err := runLabCmd(t.Context(), &out, "lab", "scenarios"); err != nil {
		t.Fatal(err)
	}
	for _, s := range lab.Scenarios() {
		if !strings.Contains(out.String(), s.Name+" ") {
			t.Errorf("scenario %s missing", s.Name)
		}
	}
	testsupport.Golden(t, filepath.Join("testdata", "lab-scenarios.txt"), out.Bytes())
}

func TestLabCommand(t *testing.T) {
	t.Run("it serves the shop with the chosen scenario until interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- runLabCmd(ctx, out, "lab", "--scenario", "fake-card-form") }()

		shop := regexp.MustCompile(`(?m)^shop\s+(http://\S+)$`)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "running;") {
			if time.Now().After(deadline) {
				t.Fatalf("lab did not start; output:\n%s", out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		m := shop.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no shop URL in output:\n%s", out.String())
		}
		resp, err := http.Get(m[1] + "/checkout/link")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "cc_number") {
			t.Errorf("the confirm page does not carry the fake card form")
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("lab returned %v after interrupt, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("lab did not stop after interrupt")
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		is   error
	}{
		{"it refuses an address off loopback", []string{"lab", "--addr", "0.0.0.0:0"}, lab.ErrNotLoopback},
		{"it refuses an unknown scenario", []string{"lab", "--scenario", "bogus"}, lab.ErrUnknownScenario},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runLabCmd(t.Context(), io.Discard, tc.args...)
			if !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
		})
	}
}
