package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func TestFindingsHoneyNamesTheCheckThatLeaked(t *testing.T) {
	dsn := seedStore(t, func(ctx context.Context, s store.Store) {
		for _, r := range []store.CheckRun{
			{CheckID: "QJ3K7ZV2MA", Site: "shop", Target: "https://shop.example/checkout", Time: storeT0,
				Honey: map[string]string{"card-number": "4111111234567892", "email": "mitsu.qj3k7zv2ma@honey-qj3k7zv2ma.example"}},
			{CheckID: "B7XWQ4NN2C", Site: "shop", Target: "https://shop.example/register", Time: storeT0.Add(time.Hour),
				Honey: map[string]string{"card-number": "4111119876543212"}},
		} {
			if err := s.PutCheckRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	})
	tests := []struct {
		name    string
		value   string
		want    []string
		notWant []string
	}{
		{"a leaked card written in groups names its check, time and target", "4111 1112 3456 7892",
			[]string{"QJ3K7ZV2MA", "2026-03-01T12:00:00Z", "https://shop.example/checkout", "card-number"}, []string{"B7XWQ4NN2C"}},
		{"a leaked email names its check", "MITSU.QJ3K7ZV2MA@honey-qj3k7zv2ma.example",
			[]string{"QJ3K7ZV2MA", "email"}, []string{"B7XWQ4NN2C"}},
		{"a value no check typed says so", "4111110000000005", []string{"no recorded check typed"}, []string{"QJ3K7ZV2MA", "B7XWQ4NN2C"}},
		{"a real customer's card is not echoed and is named as no honey card", "4539 1488 0343 6467",
			[]string{"4539 14** **** 6467", "outside the honey test range"}, []string{"4539 1488 0343 6467"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runStoreCLI(t, "findings", "--store", dsn, "--honey", tt.value)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output holds %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("json output lists the checks with their honey values", func(t *testing.T) {
		out, err := runStoreCLI(t, "findings", "--store", dsn, "--honey", "4111119876543212", "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Honey  string           `json:"honey"`
			Checks []store.CheckRun `json:"checks"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got.Honey != "4111119876543212" || len(got.Checks) != 1 || got.Checks[0].CheckID != "B7XWQ4NN2C" ||
			got.Checks[0].Target != "https://shop.example/register" || !got.Checks[0].Time.Equal(storeT0.Add(time.Hour)) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("sarif is refused for a list of checks", func(t *testing.T) {
		_, err := runStoreCLI(t, "findings", "--store", dsn, "--honey", "4111119876543212", "--format", "sarif")
		if code := storeExitCode(err); code != 2 {
			t.Errorf("exit %d, want 2 (usage)", code)
		}
	})
}
