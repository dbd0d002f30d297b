package record

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

func memStore(t *testing.T) store.Store {
	t.Helper()
	st, err := open.Open(context.Background(), "sqlite::memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestVerifyChainAgainstAnExpectedHead(t *testing.T) {
	ctx := context.Background()
	st := memStore(t)
	r := &finding.Report{Command: "scan", Targets: []string{"/srv"}, Complete: true}
	for range 3 {
		if err := Put(ctx, st, "shop", nil, nil, []store.Event{RunEvent("test", r, nil)}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := VerifyChain(ctx, st, Head{})
	if err != nil || c.Broken != nil || c.Verified != 3 || c.Head.Seq != 3 {
		t.Fatalf("chain %+v, err %v; want 3 verified, head at 3", c, err)
	}
	tests := []struct {
		name       string
		expect     Head
		wantBroken int64
	}{
		{"the current head verifies", c.Head, 0},
		{"an earlier head that is still in the chain verifies", func() Head {
			evs, _ := st.Events(ctx, store.EventQuery{AfterSeq: 1, Limit: 1})
			return Head{Seq: 2, Hash: evs[0].Hash}
		}(), 0},
		{"a head past the end means events were cut off", Head{Seq: 5, Hash: c.Head.Hash}, 4},
		{"a head whose hash differs means the log was rewritten", Head{Seq: 2, Hash: strings.Repeat("0", 64)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyChain(ctx, st, tt.expect)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantBroken == 0 && got.Broken != nil:
				t.Errorf("broken at %+v, want intact", got.Broken)
			case tt.wantBroken != 0 && (got.Broken == nil || got.Broken.Seq != tt.wantBroken):
				t.Errorf("broken = %+v, want at seq %d", got.Broken, tt.wantBroken)
			}
		})
	}
}

func TestParseHead(t *testing.T) {
	hash := strings.Repeat("A", 64)
	tests := []struct {
		name, in string
		want     Head
		bad      bool
	}{
		{"empty expects nothing", "", Head{}, false},
		{"seq and hash are read, the hash lower-cased", "7:" + hash, Head{Seq: 7, Hash: strings.ToLower(hash)}, false},
		{"a missing colon is refused", "7" + hash, Head{}, true},
		{"seq zero is refused", "0:" + hash, Head{}, true},
		{"a short hash is refused", "7:abc", Head{}, true},
		{"a hash that is not hex is refused", "7:" + strings.Repeat("g", 64), Head{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHead(tt.in)
			if tt.bad != errors.Is(err, ErrBadHead) || got != tt.want {
				t.Errorf("ParseHead(%q) = %+v, %v", tt.in, got, err)
			}
		})
	}
}

func TestPutFilesFindingsUnderTheSiteMasked(t *testing.T) {
	ctx := context.Background()
	st := memStore(t)
	f := finding.Finding{Severity: finding.Critical, Kind: "honey.card-exfiltration", Source: "check", Message: "card 5555555555554444 sent to https://evil.example"}
	for range 2 {
		if err := Put(ctx, st, "shop", []finding.Finding{f}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Findings(ctx, store.FindingQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("findings %+v: want one row raised twice", got)
	}
	if strings.Contains(got[0].Message, "5555555555554444") {
		t.Errorf("a card number was stored unmasked: %q", got[0].Message)
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add("7:" + strings.Repeat("a", 64))
	f.Add("")
	f.Add("0:x")
	f.Add("-1:" + strings.Repeat("F", 64))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHead(s)
		if err != nil {
			if !errors.Is(err, ErrBadHead) {
				t.Fatalf("error %v does not wrap ErrBadHead", err)
			}
			return
		}
		if s == "" {
			return
		}
		// What parses prints back to something that parses the same.
		again, err := ParseHead(h.String())
		if err != nil || again != h {
			t.Fatalf("ParseHead(%q) = %+v, printed %q, parsed again %+v, %v", s, h, h.String(), again, err)
		}
	})
}
