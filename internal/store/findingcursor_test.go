package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func TestFindingCursor(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	t.Run("a cursor survives its URL form", func(t *testing.T) {
		for _, c := range []store.FindingCursor{
			{Severity: finding.Critical, LastSeen: at, Site: "shop", Key: "abc"},
			{Severity: finding.Info, LastSeen: time.UnixMicro(0).UTC(), Site: "", Key: "k.with.dots/and?query"},
			{Severity: finding.High, LastSeen: at, Site: "ショップ", Key: "\x00\xff"},
		} {
			got, err := store.ParseFindingCursor(c.String())
			if err != nil || got != c {
				t.Errorf("%+v: read back %+v, %v", c, got, err)
			}
		}
	})
	t.Run("an empty cursor is the first page", func(t *testing.T) {
		c, err := store.ParseFindingCursor("")
		if err != nil || !c.IsZero() {
			t.Errorf("got %+v, %v", c, err)
		}
	})
	for _, bad := range []string{"x", "1.2.3", "9.0.c2hvcA.a2V5", "0.0.c2hvcA.a2V5", "5.-1.c2hvcA.a2V5", "5.0.c2hvcA.", "5.0.!!.a2V5", "5.0.c2hvcA.a2V5.x"} {
		t.Run("a malformed cursor "+bad+" is refused as invalid", func(t *testing.T) {
			if _, err := store.ParseFindingCursor(bad); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzParseFindingCursor(f *testing.F) {
	f.Add("5.1700000000000000.c2hvcA.a2V5")
	f.Add("")
	f.Add("1.0..a")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseFindingCursor(s)
		if err != nil || c.IsZero() {
			return
		}
		again, err := store.ParseFindingCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("%q parsed to %+v, whose own form reads back as %+v, %v", s, c, again, err)
		}
	})
}
