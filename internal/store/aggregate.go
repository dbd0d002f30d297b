package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// AggregateKey is the merge key of a report aggregate.
type AggregateKey struct {
	Site, Directive, Blocked, SourceFile, DocumentPath, Disposition string
}

// Key returns a's merge key.
func (a ReportAggregate) Key() AggregateKey {
	return AggregateKey{a.Site, a.Directive, a.Blocked, a.SourceFile, a.DocumentPath, a.Disposition}
}

// Validate reports an aggregate that a Store refuses.
func (a ReportAggregate) Validate() error {
	if a.Site == "" {
		return fmt.Errorf("%w: aggregate without site", ErrInvalid)
	}
	if len(a.Site) > MaxSiteBytes {
		return fmt.Errorf("%w: aggregate site is %d bytes (max %d)", ErrInvalid, len(a.Site), MaxSiteBytes)
	}
	if a.Directive == "" {
		return fmt.Errorf("%w: aggregate for site %q without directive", ErrInvalid, a.Site)
	}
	for name, v := range map[string]string{
		"site": a.Site, "directive": a.Directive, "kind": a.Kind, "blocked": a.Blocked,
		"source_file": a.SourceFile, "document_path": a.DocumentPath, "disposition": a.Disposition,
	} {
		if len(v) > MaxFieldBytes {
			return fmt.Errorf("%w: aggregate %s is %d bytes (max %d)", ErrInvalid, name, len(v), MaxFieldBytes)
		}
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("%w: aggregate %s contains a NUL byte", ErrInvalid, name)
		}
	}
	if len(a.Sample) > MaxSampleBytes {
		return fmt.Errorf("%w: aggregate sample is %d bytes (max %d)", ErrInvalid, len(a.Sample), MaxSampleBytes)
	}
	if strings.ContainsRune(a.Sample, 0) {
		return fmt.Errorf("%w: aggregate sample contains a NUL byte", ErrInvalid)
	}
	if a.Count <= 0 {
		return fmt.Errorf("%w: aggregate count %d (must be at least 1)", ErrInvalid, a.Count)
	}
	if a.FirstSeen.IsZero() || a.LastSeen.IsZero() {
		return fmt.Errorf("%w: aggregate without first_seen or last_seen", ErrInvalid)
	}
	if a.LastSeen.Before(a.FirstSeen) {
		return fmt.Errorf("%w: aggregate last_seen %s before first_seen %s", ErrInvalid, a.LastSeen, a.FirstSeen)
	}
	for _, h := range a.ClientHashes {
		if h == "" || len(h) > 128 || strings.ContainsRune(h, 0) {
			return fmt.Errorf("%w: aggregate client hash %q (want 1 to 128 bytes)", ErrInvalid, h)
		}
	}
	return nil
}

// Normalize returns a as a Store keeps it: times as Timestamp, client hashes
// sorted, distinct and capped at MaxClientHashes, Clients set to match.
func (a ReportAggregate) Normalize() ReportAggregate {
	a.FirstSeen = Timestamp(a.FirstSeen)
	a.LastSeen = Timestamp(a.LastSeen)
	a.ClientHashes = unionHashes(nil, a.ClientHashes)
	a.Clients = len(a.ClientHashes)
	return maskAggregate(a)
}

// Merge folds b into a (both with the same key) by the rules documented on
// ReportAggregate. Both must be normalised.
func (a ReportAggregate) Merge(b ReportAggregate) ReportAggregate {
	a.Count += b.Count
	if b.FirstSeen.Before(a.FirstSeen) {
		a.FirstSeen = b.FirstSeen
	}
	if b.LastSeen.After(a.LastSeen) {
		a.LastSeen = b.LastSeen
	}
	a.ClientHashes = unionHashes(a.ClientHashes, b.ClientHashes)
	a.Clients = len(a.ClientHashes)
	if a.Kind == "" {
		a.Kind = b.Kind
	}
	if a.Sample == "" {
		a.Sample = b.Sample
	}
	return a
}

// unionHashes returns the MaxClientHashes smallest distinct values of a and
// b, sorted. Keeping the smallest (rather than the first seen) makes the
// result independent of merge order, so every backend and every retry agree.
func unionHashes(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxClientHashes {
		out = out[:MaxClientHashes]
	}
	return slices.Clip(out)
}

// PrepareAggregates validates and normalises a batch and folds rows that
// share a key, keeping the order of first appearance. An error names the
// index of the first bad row.
func PrepareAggregates(aggs []ReportAggregate) ([]ReportAggregate, error) {
	out := make([]ReportAggregate, 0, len(aggs))
	at := make(map[AggregateKey]int, len(aggs))
	for i, a := range aggs {
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("aggregate %d: %w", i, err)
		}
		a = a.Normalize()
		if j, ok := at[a.Key()]; ok {
			out[j] = out[j].Merge(a)
			continue
		}
		at[a.Key()] = len(out)
		out = append(out, a)
	}
	return out, nil
}

// Digest is a fixed-size identity of the key, for databases whose indexes
// cannot hold the full key (PostgreSQL's B-tree rows are capped near 2.7 KB).
func (k AggregateKey) Digest() []byte {
	return digest(k.Site, k.Directive, k.Blocked, k.SourceFile, k.DocumentPath, k.Disposition)
}

// digest hashes length-prefixed fields, so that no two field lists collide
// by moving a separator.
func digest(fields ...string) []byte {
	h := sha256.New()
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// Digest is a fixed-size identity of (Site, Directive, Value).
func (s ApprovedSource) Digest() []byte { return digest(s.Site, s.Directive, s.Value) }
