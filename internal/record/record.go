// Package record keeps what a detector run found: its findings (masked, and
// keyed so that the same finding raised every interval is one row), its
// check runs, and the events that record the run in the hash-chained log;
// and it verifies that log against a head kept elsewhere. The CLI's
// detector commands and the service's jobs both record through it.
package record

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// Put files findings, check runs and events under site (where they name
// none themselves). Findings are masked before their key is made, so that
// the key (a hash) is not one of a card number either.
func Put(ctx context.Context, st store.Store, site string, fs []finding.Finding, runs []store.CheckRun, events []store.Event) error {
	run, err := Run(site, fs, runs, events)
	if err != nil {
		return err
	}
	for _, kf := range run.Findings {
		if _, err := st.PutFinding(ctx, kf.Key, kf.Finding); err != nil {
			return fmt.Errorf("record finding: %w", err)
		}
	}
	for _, r := range run.CheckRuns {
		if err := st.PutCheckRun(ctx, r); err != nil {
			return fmt.Errorf("record check run: %w", err)
		}
	}
	for _, e := range run.Events {
		if _, err := st.AppendEvent(ctx, e); err != nil {
			return fmt.Errorf("record event: %w", err)
		}
	}
	return nil
}

// Run is what Put files, ready to be filed in one transaction
// (store.JobRecordStore): every item under site where it names none, and
// each finding masked and keyed.
func Run(site string, fs []finding.Finding, runs []store.CheckRun, events []store.Event) (store.RunRecord, error) {
	var run store.RunRecord
	for _, f := range fs {
		if f.Site == "" {
			f.Site = site
		}
		f, err := store.MaskFinding(f)
		if err != nil {
			return store.RunRecord{}, fmt.Errorf("mask finding: %w", err)
		}
		run.Findings = append(run.Findings, store.KeyedFinding{Key: key(f), Finding: f})
	}
	for _, r := range runs {
		if r.Site == "" {
			r.Site = site
		}
		run.CheckRuns = append(run.CheckRuns, r)
	}
	for _, e := range events {
		if e.Site == "" {
			e.Site = site
		}
		run.Events = append(run.Events, e)
	}
	return run, nil
}

// Key is the store key Put files f under, for reports that point at the
// stored finding (the guideline report's evidence).
func Key(f finding.Finding) (string, error) {
	f, err := store.MaskFinding(f)
	if err != nil {
		return "", fmt.Errorf("mask finding: %w", err)
	}
	return key(f), nil
}

// key is the key of a masked finding (store.KeyOf).
func key(f finding.Finding) string { return store.KeyOf(f) }

// Report records a report's findings with runs and events, and marks the
// report incomplete when that fails: the run happened, but its record did
// not, and that must not read as a clean run.
func Report(ctx context.Context, st store.Store, site string, r *finding.Report, runs []store.CheckRun, events ...store.Event) {
	if err := Put(ctx, st, site, r.Findings, runs, events); err != nil {
		r.MarkIncomplete("findings not saved to the store: " + err.Error())
	}
}

// RunEvent records one run of a detector in the event log: what it looked
// at, whether it saw all of it, and how bad the worst finding was.
func RunEvent(actor string, r *finding.Report, extra map[string]any) store.Event {
	data := map[string]any{"targets": r.Targets, "complete": r.Complete, "findings": len(r.Findings), "max_severity": r.Max().String()}
	if r.Max() == 0 {
		data["max_severity"] = "none"
	}
	if files, more := fileFacts(r.Findings); len(files) > 0 {
		data["files"] = files
		if more > 0 {
			data["files_more"] = more
		}
	}
	maps.Copy(data, extra)
	// Values are strings, numbers, bools, times and slices of them, which
	// json.Marshal does not fail on.
	b, _ := json.Marshal(data)
	return store.Event{Type: r.Command, Actor: actor, Data: b}
}

// FileFact is one file a run's findings are about, as its run event names
// it: an incident's window cites the run event that names the planted
// file, its hash and its modification time, not just the run after it.
type FileFact struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256,omitempty"`
	// Mtime is the file's modification time as the finding's evidence
	// gives it (RFC 3339).
	Mtime string `json:"mtime,omitempty"`
}

// MaxRunFiles caps the files a run event names; the rest are counted
// (files_more). A run over a freshly unpacked web root can change
// thousands, and each event is kept for good.
const MaxRunFiles = 20

// fileFacts lists the files findings are about, in the findings' order
// (a sorted report puts the most severe first), each once.
func fileFacts(fs []finding.Finding) (named []FileFact, more int) {
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Path == "" || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		if len(named) == MaxRunFiles {
			more++
			continue
		}
		ff := FileFact{Path: f.Path, Kind: f.Kind}
		ff.SHA256, _ = f.Evidence["sha256"].(string)
		ff.Mtime, _ = f.Evidence["mtime"].(string)
		named = append(named, ff)
	}
	return named, more
}

// ErrBadHead is wrapped when an expected head is not SEQ:HASH.
var ErrBadHead = errors.New("want SEQ:HASH as printed by a verification")

// Head is an event log head: the Seq and Hash of its last event.
type Head struct {
	Seq  int64
	Hash string
}

func (h Head) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

// ParseHead reads "SEQ:HASH". The empty string is the zero Head (nothing
// expected).
func ParseHead(s string) (Head, error) {
	if s == "" {
		return Head{}, nil
	}
	seq, hash, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	// A hash is 64 hex digits; anything else (found by FuzzParseHead: a
	// byte that lower-casing widened) can never equal a stored one.
	_, herr := hex.DecodeString(hash)
	if !ok || err != nil || n < 1 || len(hash) != 64 || herr != nil {
		return Head{}, fmt.Errorf("head %q: %w", s, ErrBadHead)
	}
	return Head{Seq: n, Hash: strings.ToLower(hash)}, nil
}

// Chain is the outcome of verifying the event log.
type Chain struct {
	// Verified is how many events verified before Broken (all, when intact).
	Verified int
	// Head is the last event's head when the chain is intact.
	Head Head
	// Broken is the first place the chain fails, nil when intact.
	Broken *store.ChainError
}

// VerifyChain walks the whole chain. A chain can only prove what it holds:
// events cut off its end leave a shorter chain that still verifies. expect
// (a head from an earlier verification, kept outside the store) closes that
// gap: the event at its Seq must still be there with its Hash. An error is
// returned only when the store could not be read.
func VerifyChain(ctx context.Context, s store.Store, expect Head) (Chain, error) {
	n, err := s.VerifyEvents(ctx)
	var ce *store.ChainError
	if err != nil && !errors.As(err, &ce) {
		return Chain{}, fmt.Errorf("verify event log: %w", err)
	}
	c := Chain{Verified: n, Broken: ce}
	if ce == nil && n > 0 {
		last, err := s.Events(ctx, store.EventQuery{AfterSeq: int64(n - 1), Limit: 1})
		if err != nil {
			return Chain{}, fmt.Errorf("read event log head: %w", err)
		}
		if len(last) == 1 {
			c.Head = Head{Seq: last[0].Seq, Hash: last[0].Hash}
		}
	}
	if ce == nil && expect.Seq > 0 {
		switch {
		case expect.Seq > int64(n):
			c.Broken = &store.ChainError{Seq: int64(n) + 1, Reason: fmt.Sprintf("the log ends at seq %d but held seq %d before: events were removed from its end", n, expect.Seq)}
		default:
			at, err := s.Events(ctx, store.EventQuery{AfterSeq: expect.Seq - 1, Limit: 1})
			if err != nil {
				return Chain{}, fmt.Errorf("read expected head: %w", err)
			}
			if len(at) != 1 || at[0].Hash != expect.Hash {
				c.Broken = &store.ChainError{Seq: expect.Seq, Reason: "the event differs from the expected head: the log was rewritten"}
			}
		}
	}
	if c.Broken != nil {
		c.Head = Head{}
	}
	return c, nil
}
