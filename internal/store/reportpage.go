package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReportPageStore lists one site's report aggregates a page at a time, for
// the dashboard's Reports page, newest LastSeen first. Pages are keyset
// pages (After is where the previous one ended), so the thousandth page of a
// million aggregates costs what the first does.
type ReportPageStore interface {
	// ReportAggregatePage returns up to q.Limit aggregates of q.Site after
	// q.After, and the cursor of the last one returned (the zero cursor
	// when there are no more).
	ReportAggregatePage(ctx context.Context, q ReportPageQuery) ([]ReportAggregate, ReportCursor, error)
}

// MaxReportPage caps ReportPageQuery.Limit.
const MaxReportPage = 500

// ReportPageQuery selects a page of a site's aggregates.
type ReportPageQuery struct {
	Site string
	// After is the cursor the previous page returned; zero for the first.
	After ReportCursor
	// Limit is 1 to MaxReportPage.
	Limit int
}

// Validate refuses a query a Store would not answer.
func (q ReportPageQuery) Validate() error {
	if q.Site == "" || len(q.Site) > MaxSiteBytes {
		return fmt.Errorf("%w: a report page needs a site of 1 to %d bytes", ErrInvalid, MaxSiteBytes)
	}
	if q.Limit < 1 || q.Limit > MaxReportPage {
		return fmt.Errorf("%w: a report page holds 1 to %d aggregates, not %d", ErrInvalid, MaxReportPage, q.Limit)
	}
	return nil
}

// ReportCursor is where a page of aggregates ended: the last row's
// LastSeen and a backend's tie-break among rows seen at the same instant
// (SQLite's rowid, PostgreSQL's key digest). Its String form goes in URLs.
type ReportCursor struct {
	LastSeen time.Time
	Tie      []byte
}

// IsZero reports whether c is the start (or, returned, the end) of the list.
func (c ReportCursor) IsZero() bool { return c.LastSeen.IsZero() && len(c.Tie) == 0 }

// String is "MICROS.HEX", "" for the zero cursor.
func (c ReportCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(Timestamp(c.LastSeen).UnixMicro(), 10) + "." + hex.EncodeToString(c.Tie)
}

// ParseReportCursor reads a cursor's String form; "" is the zero cursor.
// Anything else malformed is ErrInvalid.
func ParseReportCursor(s string) (ReportCursor, error) {
	if s == "" {
		return ReportCursor{}, nil
	}
	ts, tie, ok := strings.Cut(s, ".")
	us, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || us <= 0 || len(tie) == 0 || len(tie) > 64 {
		return ReportCursor{}, fmt.Errorf("%w: malformed report cursor", ErrInvalid)
	}
	b, err := hex.DecodeString(tie)
	if err != nil {
		return ReportCursor{}, fmt.Errorf("%w: malformed report cursor", ErrInvalid)
	}
	return ReportCursor{LastSeen: time.UnixMicro(us).UTC(), Tie: b}, nil
}
