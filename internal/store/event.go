package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MaxEventDataBytes caps an event's Data.
const MaxEventDataBytes = 1 << 20

// CanonicalData returns d with object keys sorted, no insignificant space and
// card numbers masked (see MaskFinding),
// so that its hash does not depend on how a database re-formats JSON. Numbers
// keep their exact text. Empty data becomes "null".
func CanonicalData(d json.RawMessage) (json.RawMessage, error) {
	if len(d) > MaxEventDataBytes {
		return nil, fmt.Errorf("%w: event data is %d bytes (max %d)", ErrInvalid, len(d), MaxEventDataBytes)
	}
	return canonicalJSON(d)
}

// canonicalJSON is CanonicalData without the size cap.
func canonicalJSON(d json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(d)) == 0 {
		return json.RawMessage("null"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(d))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: event data is not JSON: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: event data holds more than one JSON value", ErrInvalid)
	}
	v = maskJSON(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%w: event data: %v", ErrInvalid, err)
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// canonicalEvent fixes the field order and time format that are hashed.
type canonicalEvent struct {
	Seq      int64           `json:"seq"`
	Time     string          `json:"time"`
	Site     string          `json:"site"`
	Type     string          `json:"type"`
	Actor    string          `json:"actor"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
}

// Canonical returns the JSON that is hashed: every field but Hash, in a fixed
// order, with Time as RFC 3339 in UTC with nanoseconds and Data as stored
// (canonical). It is stable across backends and Go versions.
func (e Event) Canonical() []byte {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding these field types cannot fail.
	_ = enc.Encode(canonicalEvent{
		Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano), Site: e.Site,
		Type: e.Type, Actor: e.Actor, Data: data, PrevHash: e.PrevHash,
	})
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// ChainHash returns the hash an event must carry: hex(SHA-256(PrevHash ||
// Canonical())).
func (e Event) ChainHash() string {
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write(e.Canonical())
	return hex.EncodeToString(h.Sum(nil))
}

// PrepareEvent validates e and returns it as it will be stored: Time as
// Timestamp (now when zero) and Data canonical. Seq, PrevHash and Hash are
// left for the backend, which fills them under its append lock.
func PrepareEvent(e Event, now func() time.Time) (Event, error) {
	if e.Type == "" {
		return Event{}, fmt.Errorf("%w: event without type", ErrInvalid)
	}
	if len(e.Site) > MaxSiteBytes {
		return Event{}, fmt.Errorf("%w: event site is %d bytes (max %d)", ErrInvalid, len(e.Site), MaxSiteBytes)
	}
	for name, v := range map[string]string{"site": e.Site, "type": e.Type, "actor": e.Actor} {
		if len(v) > MaxFieldBytes {
			return Event{}, fmt.Errorf("%w: event %s is %d bytes (max %d)", ErrInvalid, name, len(v), MaxFieldBytes)
		}
		if strings.ContainsRune(v, 0) {
			return Event{}, fmt.Errorf("%w: event %s contains a NUL byte", ErrInvalid, name)
		}
	}
	d, err := CanonicalData(e.Data)
	if err != nil {
		return Event{}, err
	}
	e.Data = d
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = Timestamp(e.Time)
	return e, nil
}

// Seal fills Seq, PrevHash and Hash of a prepared event that follows prev
// (the zero Event for the first one).
func (e Event) Seal(prev Event) Event {
	e.Seq = prev.Seq + 1
	e.PrevHash = prev.Hash
	e.Hash = e.ChainHash()
	return e
}

// ChainVerifier checks events one at a time, in Seq order from the first.
type ChainVerifier struct {
	prev Event
	n    int
}

// Next checks e against the events before it.
func (v *ChainVerifier) Next(e Event) error {
	want := v.prev.Seq + 1
	switch {
	case e.Seq != want:
		return &ChainError{Seq: want, Reason: fmt.Sprintf("event %d is missing (next stored is %d)", want, e.Seq)}
	case e.PrevHash != v.prev.Hash:
		return &ChainError{Seq: e.Seq, Reason: "prev_hash does not match the previous event's hash"}
	case e.ChainHash() != e.Hash:
		return &ChainError{Seq: e.Seq, Reason: "hash does not match the event's content"}
	}
	v.prev = e
	v.n++
	return nil
}

// N is how many events verified so far.
func (v *ChainVerifier) N() int { return v.n }
