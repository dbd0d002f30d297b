package card

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestLogHandlerMasksEveryPartOfARecord(t *testing.T) {
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{"the message", func(l *slog.Logger) { l.Info("got " + visa) }, "453914******6467"},
		{"a string attribute", func(l *slog.Logger) { l.Info("x", "url", "https://evil.example/c/"+visa) }, "https://evil.example/c/453914******6467"},
		{"an error attribute", func(l *slog.Logger) {
			l.Warn("x", "error", fmt.Errorf("store refused %s: %w", master, errors.New("down")))
		}, "542523******9903"},
		{"an integer attribute", func(l *slog.Logger) { l.Info("x", "n", int64(4539148803436467)) }, "n=453914******6467"},
		{"an attribute in a group", func(l *slog.Logger) { l.Info("x", slog.Group("g", "row", "cc="+jcb)) }, `g.row="cc=353011******0000"`},
		{"an attribute added with With", func(l *slog.Logger) { l.With("target", visa).Info("x") }, "target=453914******6467"},
		{"a base64 card in an attribute", func(l *slog.Logger) { l.Info("x", "body", "NDUzOTE0ODgwMzQzNjQ2Nw==") }, `body="NDUzOTE0KioqKioqNjQ2Nw=="`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is masked", func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(LogHandler(slog.NewTextHandler(&buf, nil))))
			out := buf.String()
			if !strings.Contains(out, tt.want) {
				t.Errorf("log %q lacks %q", out, tt.want)
			}
			for _, c := range Find([]byte(out)) {
				if !c.Test() {
					t.Errorf("log %q still holds card %s (%s)", out, c.Digits, c.Encoding)
				}
			}
		})
	}
	t.Run("a record without a card is logged as it was", func(t *testing.T) {
		var plain, masked bytes.Buffer
		opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}
		for _, l := range []*slog.Logger{slog.New(slog.NewTextHandler(&plain, opts)), slog.New(LogHandler(slog.NewTextHandler(&masked, opts)))} {
			l.Info("flush failed", "batch", "b1", "aggregates", 3, "error", errors.New("timeout"), "honey", honey)
		}
		if plain.String() != masked.String() {
			t.Errorf("got %q, want %q", masked.String(), plain.String())
		}
	})
}
