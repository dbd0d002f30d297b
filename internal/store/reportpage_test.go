package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func TestReportCursor(t *testing.T) {
	at := time.UnixMicro(1795953600123456).UTC()
	for _, tc := range []struct {
		name, in string
		want     store.ReportCursor
		bad      bool
	}{
		{"the empty string is the start of the list", "", store.ReportCursor{}, false},
		{"a time and a tie-break read back", "1795953600123456.00000000000000ff", store.ReportCursor{LastSeen: at, Tie: []byte{0, 0, 0, 0, 0, 0, 0, 0xff}}, false},
		{"a cursor without its tie-break is refused", "1795953600123456.", store.ReportCursor{}, true},
		{"a tie-break that is not hex is refused", "1795953600123456.zz", store.ReportCursor{}, true},
		{"a negative time is refused", "-5.00", store.ReportCursor{}, true},
		{"a cursor with no dot is refused", "1795953600123456", store.ReportCursor{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.ParseReportCursor(tc.in)
			if tc.bad {
				if !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("err %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || !got.LastSeen.Equal(tc.want.LastSeen) || !bytes.Equal(got.Tie, tc.want.Tie) || got.String() != tc.in {
				t.Fatalf("got %+v (%q), %v", got, got.String(), err)
			}
		})
	}
}

// FuzzParseReportCursor: any input either is refused as invalid or reads
// back to a cursor whose String parses to the same cursor.
func FuzzParseReportCursor(f *testing.F) {
	for _, s := range []string{"", "1795953600123456.00ff", "1.0", "9223372036854775807.ab", "x.y", "1..", "1.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseReportCursor(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%q: err %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		again, err := store.ParseReportCursor(c.String())
		if err != nil || !again.LastSeen.Equal(c.LastSeen) || !bytes.Equal(again.Tie, c.Tie) {
			t.Fatalf("%q -> %q -> %+v, %v", s, c.String(), again, err)
		}
	})
}
