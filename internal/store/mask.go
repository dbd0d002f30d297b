package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// Card numbers never land in the store: every backend masks what it is
// given (package card: first six and last four, test range kept) before it
// writes, whatever the caller did. Detectors mask at their source too; this
// is the last line, so that a detector that forgets cannot leak.

// MaskFinding returns f with card numbers masked in its message, URL, path
// and every string or number of its evidence. Evidence comes back as plain
// JSON values (maps, slices, strings, json.Number), as it is read back.
func MaskFinding(f finding.Finding) (finding.Finding, error) {
	for _, p := range []*string{&f.Message, &f.URL, &f.Path, &f.Rule, &f.Source, &f.Subject} {
		*p = card.MaskString(*p)
	}
	if len(f.Evidence) == 0 {
		return f, nil
	}
	data, err := json.Marshal(f.Evidence)
	if err != nil {
		return f, fmt.Errorf("%w: finding %q evidence: %v", ErrInvalid, f.Kind, err)
	}
	if !card.Contains(string(data)) {
		return f, nil
	}
	v, err := decodeJSON(data)
	if err != nil {
		return f, fmt.Errorf("%w: finding %q evidence: %v", ErrInvalid, f.Kind, err)
	}
	m, _ := maskJSON(v).(map[string]any)
	f.Evidence = m
	return f, nil
}

// maskAggregate masks the strings of an aggregate that come from reports.
func maskAggregate(a ReportAggregate) ReportAggregate {
	for _, p := range []*string{&a.Directive, &a.Kind, &a.Blocked, &a.SourceFile, &a.DocumentPath, &a.Disposition, &a.Sample} {
		*p = card.MaskString(*p)
	}
	return a
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// maskJSON masks card numbers in every string, object key and number of a
// decoded JSON value. A number that is a card becomes a masked string: a
// masked number is no number.
func maskJSON(v any) any {
	switch x := v.(type) {
	case string:
		return card.MaskString(x)
	case json.Number:
		if m := card.MaskString(string(x)); m != string(x) {
			return m
		}
		return x
	case []any:
		for i := range x {
			x[i] = maskJSON(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			out[card.MaskString(k)] = maskJSON(x[k])
		}
		return out
	}
	return v
}
