package store_test

import (
	"errors"
	"net/url"
	"reflect"
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

func TestParseFindingQuery(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cur := store.FindingCursor{Severity: finding.High, LastSeen: at, Site: "shop", Key: "k"}
	for _, tc := range []struct {
		name  string
		query string
		want  store.FindingQuery
		bad   bool
	}{
		{"no parameters filter nothing", "", store.FindingQuery{}, false},
		{"every filter is read", "site=shop&key=k&source=fim&state=dismissed&severity=high&min_severity=low&since=2026-03-01T12:00:00Z&after=" + cur.String(),
			store.FindingQuery{Site: "shop", Key: "k", Source: "fim", State: store.StateDismissed, Severity: finding.High,
				MinSeverity: finding.Low, Since: at, After: cur}, false},
		{"an unknown state is refused", "state=ignored", store.FindingQuery{}, true},
		{"an unknown severity is refused", "severity=urgent", store.FindingQuery{}, true},
		{"a malformed time is refused", "since=yesterday", store.FindingQuery{}, true},
		{"a malformed cursor is refused", "after=zzz", store.FindingQuery{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := url.ParseQuery(tc.query)
			got, err := store.ParseFindingQuery(v)
			if tc.bad {
				if !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
