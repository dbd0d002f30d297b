package incident

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/store"
)

// EventOpened is the event-log type that records an incident's opening.
const EventOpened = "incident.opened"

// Save stores the incident and records in the event log that it was opened
// (or re-scoped), with its window and counts, so the record shows what was
// concluded and when.
func Save(ctx context.Context, st store.Store, inc *Incident, actor string) error {
	doc, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encode incident %s: %w", inc.ID, err)
	}
	if err := st.PutIncidentScope(ctx, store.IncidentScope{ID: inc.ID, Site: inc.Site, Opened: inc.Opened, FindingKey: inc.FindingKey, Data: doc}); err != nil {
		return fmt.Errorf("save incident %s: %w", inc.ID, err)
	}
	data, _ := json.Marshal(map[string]any{
		"id": inc.ID, "finding_key": inc.FindingKey, "chain_head": inc.ChainHead,
		"start_after": inc.Window.Start.After, "start_no_later_than": inc.Window.Start.NoLaterThan,
		"end_after": inc.Window.End.After, "end_no_later_than": inc.Window.End.NoLaterThan, "end_open": inc.Window.End.Open,
		"affected_orders": inc.Counts.Orders, "affected_registrations": inc.Counts.Registrations,
		"customers": inc.Counts.Customers, "possibly_affected": inc.Counts.PossiblyAffected,
	})
	if _, err := st.AppendEvent(ctx, store.Event{Site: inc.Site, Type: EventOpened, Actor: actor, Data: data}); err != nil {
		return fmt.Errorf("record incident %s in the event log: %w", inc.ID, err)
	}
	return nil
}

// Load reads a stored incident.
func Load(ctx context.Context, st store.Store, id string) (*Incident, error) {
	s, err := st.IncidentScope(ctx, id)
	if err != nil {
		return nil, err
	}
	var inc Incident
	if err := json.Unmarshal(s.Data, &inc); err != nil {
		return nil, fmt.Errorf("decode incident %s: %w", id, err)
	}
	return &inc, nil
}
