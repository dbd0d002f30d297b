package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

// SetFindingState records a decision about a finding.
func (d *DB) SetFindingState(ctx context.Context, dec store.FindingDecision) (store.FindingDecision, error) {
	dec, err := store.PrepareFindingDecision(dec, d.now)
	if err != nil {
		return dec, fmt.Errorf("sqlite: set finding state: %w", err)
	}
	err = d.tx(ctx, func(tx *sql.Tx) error {
		var sev int
		var seen int64
		err := tx.QueryRowContext(ctx, "SELECT severity, last_seen FROM findings WHERE site = ? AND key = ?", dec.Site, dec.Key).Scan(&sev, &seen)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("finding %q of site %q: %w", dec.Key, dec.Site, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		dec.Severity, dec.LastSeen = finding.Severity(sev), fromMicros(seen)
		if dec.State == store.StateOpen {
			_, err = tx.ExecContext(ctx, "DELETE FROM finding_states WHERE site = ? AND key = ?", dec.Site, dec.Key)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO finding_states (site, key, state, reason, actor, time, severity, seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, key) DO UPDATE SET state = excluded.state,
			reason = excluded.reason, actor = excluded.actor, time = excluded.time, severity = excluded.severity,
			seen = excluded.seen`, dec.Site, dec.Key, string(dec.State), dec.Reason, dec.Actor, micros(dec.Time), sev, seen)
		return err
	})
	if err != nil {
		return store.FindingDecision{}, fmt.Errorf("sqlite: set finding state: %w", err)
	}
	return dec, nil
}

// PutScriptSources stores sources by digest, keeping the first copy.
func (d *DB) PutScriptSources(ctx context.Context, srcs []store.ScriptSource) error {
	prepared := make([]store.ScriptSource, len(srcs))
	for i, s := range srcs {
		p, err := store.PrepareScriptSource(s, d.now)
		if err != nil {
			return fmt.Errorf("sqlite: put script source %d: %w", i, err)
		}
		prepared[i] = p
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		for _, s := range prepared {
			if _, err := tx.ExecContext(ctx, `INSERT INTO script_sources (sha256, url, source, length, truncated, first_seen)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
				s.SHA256, s.URL, s.Source, s.Length, s.Truncated, micros(s.FirstSeen)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put %d script sources: %w", len(srcs), err)
	}
	return nil
}

// ScriptSource returns the source stored under sha256.
func (d *DB) ScriptSource(ctx context.Context, sha256 string) (store.ScriptSource, error) {
	s := store.ScriptSource{SHA256: sha256}
	var first int64
	err := d.reader.QueryRowContext(ctx, "SELECT url, source, length, truncated, first_seen FROM script_sources WHERE sha256 = ?",
		sha256).Scan(&s.URL, &s.Source, &s.Length, &s.Truncated, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ScriptSource{}, fmt.Errorf("sqlite: script source %.70q: %w", sha256, store.ErrNotFound)
	}
	if err != nil {
		return store.ScriptSource{}, fmt.Errorf("sqlite: script source: %w", err)
	}
	s.FirstSeen = fromMicros(first)
	return s, nil
}
