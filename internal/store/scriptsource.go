package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/card"
)

// ScriptSourceStore keeps the sources of the scripts browser checks saw,
// addressed by the SHA-256 of the exact source (observation.Script.SHA256),
// so that a changed script's finding, which names the approved and the new
// digest, can be shown as a diff.
type ScriptSourceStore interface {
	// PutScriptSources stores each source under its SHA256 unless one is
	// already stored there (a digest names one content, so the first copy
	// is as good as any). Sources are masked (card numbers) and capped at
	// MaxScriptSourceBytes before they are written; a capped one is marked
	// Truncated. Any invalid source fails the call and nothing is written.
	PutScriptSources(ctx context.Context, srcs []ScriptSource) error
	// ScriptSource returns the source stored under sha256 (lower-case hex),
	// or ErrNotFound.
	ScriptSource(ctx context.Context, sha256 string) (ScriptSource, error)
}

// MaxScriptSourceBytes caps a stored script source. Skimmers are small; a
// framework bundle beyond the cap is kept in part, marked Truncated.
const MaxScriptSourceBytes = 512 << 10

// ScriptSource is one script's text.
type ScriptSource struct {
	// SHA256 is the lower-case hex digest of the script's exact, full
	// source as the browser ran it. Source may differ from that text: it
	// is masked and may be capped.
	SHA256 string `json:"sha256"`
	// URL is where the script was first seen (empty for inline code).
	URL    string `json:"url,omitempty"`
	Source string `json:"source"`
	// Length is the full source's length in bytes, when known.
	Length    int       `json:"length"`
	Truncated bool      `json:"truncated"`
	FirstSeen time.Time `json:"first_seen"`
}

// ValidSHA256 reports whether s is a lower-case hex SHA-256.
func ValidSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// PrepareScriptSource validates s, masks it, caps it (on a UTF-8
// boundary) and fills in FirstSeen, for both backends.
func PrepareScriptSource(s ScriptSource, now func() time.Time) (ScriptSource, error) {
	if !ValidSHA256(s.SHA256) {
		return s, fmt.Errorf("%w: script source digest %.70q (want 64 lower-case hex digits)", ErrInvalid, s.SHA256)
	}
	if len(s.URL) > MaxFieldBytes {
		s.URL = s.URL[:MaxFieldBytes]
	}
	s.URL = strings.ToValidUTF8(strings.ReplaceAll(card.MaskString(s.URL), "\x00", ""), "\uFFFD")
	if s.Length < len(s.Source) {
		s.Length = len(s.Source)
	}
	src := strings.ToValidUTF8(strings.ReplaceAll(s.Source, "\x00", "\uFFFD"), "\uFFFD")
	src = card.MaskString(src)
	if len(src) > MaxScriptSourceBytes {
		cut := MaxScriptSourceBytes
		for cut > 0 && !utf8.RuneStart(src[cut]) {
			cut--
		}
		src = src[:cut]
		s.Truncated = true
	}
	s.Source = src
	if s.FirstSeen.IsZero() {
		s.FirstSeen = now()
	}
	s.FirstSeen = Timestamp(s.FirstSeen)
	return s, nil
}
