package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestCanonicalData(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"keys are sorted at every depth", `{"b":{"z":1,"y":2},"a":[{"d":1,"c":2}]}`, `{"a":[{"c":2,"d":1}],"b":{"y":2,"z":1}}`},
		{"numbers keep their exact text", `{"n": 1.50, "big": 10000000000000000000001}`, `{"big":10000000000000000000001,"n":1.50}`},
		{"a number that is a card becomes a masked string", `{"n": 4539148803436467}`, `{"n":"453914******6467"}`},
		{"a card in a string or a key is masked", `{"4539148803436467":"cc=5425 2334 3010 9903"}`, `{"453914******6467":"cc=5425 23** **** 9903"}`},
		{"space is removed", " [ 1 , 2 ] ", `[1,2]`},
		{"html is not escaped", `{"u":"<a>&"}`, `{"u":"<a>&"}`},
		{"empty data becomes null", ``, `null`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CanonicalData(json.RawMessage(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func FuzzCanonicalData(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":2}`, `[1,"x",null,true]`, `1e400`, `"\u00e9"`, `{"a":`, `1 2`, ``, `{"a":{"a":{"a":[]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := CanonicalData(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if !json.Valid(got) {
			t.Fatalf("canonical form of %q is not JSON: %q", in, got)
		}
		again, err := CanonicalData(got)
		if err != nil || string(again) != string(got) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, got, again, err)
		}
	})
}

func chain(n int) []Event {
	var out []Event
	var prev Event
	for i := range n {
		e, err := PrepareEvent(Event{Type: "t", Data: json.RawMessage(`{"i":` + string(rune('0'+i)) + `}`)},
			func() time.Time { return time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC) })
		if err != nil {
			panic(err)
		}
		prev = e.Seal(prev)
		out = append(out, prev)
	}
	return out
}

func TestChainVerifier(t *testing.T) {
	for _, c := range []struct {
		name    string
		mutate  func([]Event) []Event
		wantSeq int64
	}{
		{"an untouched chain verifies", func(es []Event) []Event { return es }, 0},
		{"changed data is caught at its event", func(es []Event) []Event { es[2].Data = json.RawMessage(`{"i":9}`); return es }, 3},
		{"a changed time is caught", func(es []Event) []Event { es[1].Time = es[1].Time.Add(time.Microsecond); return es }, 2},
		{"a removed event is caught where it is missing", func(es []Event) []Event { return append(es[:1], es[2:]...) }, 2},
		{"a re-sealed event is caught by its successor", func(es []Event) []Event {
			es[1].Actor = "mallory"
			es[1] = es[1].Seal(es[0])
			return es
		}, 3},
		{"a chain that does not start at 1 is caught", func(es []Event) []Event { return es[1:] }, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			es := c.mutate(chain(4))
			var v ChainVerifier
			var err error
			for _, e := range es {
				if err = v.Next(e); err != nil {
					break
				}
			}
			var ce *ChainError
			switch {
			case c.wantSeq == 0 && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.wantSeq != 0 && (!errors.As(err, &ce) || ce.Seq != c.wantSeq):
				t.Fatalf("err = %v, want a break at seq %d", err, c.wantSeq)
			}
		})
	}
}

func TestEventHashIsStable(t *testing.T) {
	// The hash is a published format: a verifier written elsewhere must get
	// the same value, so a change here breaks every stored chain.
	e := Event{Seq: 1, Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Site: "shop", Type: "approve",
		Actor: "alice", Data: json.RawMessage(`{"a":1}`)}
	const canonical = `{"seq":1,"time":"2026-01-02T03:04:05.000006Z","site":"shop","type":"approve","actor":"alice","data":{"a":1},"prev_hash":""}`
	if got := string(e.Canonical()); got != canonical {
		t.Fatalf("canonical = %s", got)
	}
	// printf '%s' "$canonical" | sha256sum
	if got, want := e.ChainHash(), "14a831f687b3bcee01c4bfa2eb344fe33ba8a92615178da9c1900560264757af"; got != want {
		t.Fatalf("hash = %s, want %s", got, want)
	}
	// A later event hashes its predecessor's hash (hex) before its JSON.
	e2 := Event{Seq: 2, Time: e.Time, Type: "t", Data: json.RawMessage(`null`)}.Seal(Event{Seq: 1, Hash: e.ChainHash()})
	h := sha256.Sum256(append([]byte(e.ChainHash()), e2.Canonical()...))
	if e2.Hash != hex.EncodeToString(h[:]) || e2.PrevHash != e.ChainHash() {
		t.Fatalf("second event %+v", e2)
	}
}
